import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumAvailable, launchChromium } from "./browser";
import { baseUrl } from "./client";

// CI installs Debian's chromium (.ci/run); elsewhere the file says why it did not run.
describe.runIf(chromiumAvailable())("web client in headless Chromium", () => {
  let browser: Browser;
  const shots = join(tmpdir(), "web-client-shots");

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function login(email: string, name: string): Promise<Page> {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(baseUrl());
    await page.fill('#login-form input[name="email"]', email);
    await page.fill('#login-form input[name="name"]', name);
    await page.click('#login-form button[type="submit"]');
    await page.waitForSelector("#chat-view:not([hidden])");
    await page.waitForSelector("#connection.online");
    return page;
  }

  it("two people log in and chat in real time", async () => {
    const tag = Date.now().toString(36);
    const aliceEmail = `alice-${tag}@example.com`;
    const bobEmail = `bob-${tag}@example.com`;
    const alice = await login(aliceEmail, "Alice Web");
    const bob = await login(bobEmail, "Bob Web");

    await alice.fill('#start-form input[name="to_email"]', bobEmail);
    await alice.click('#start-form button[type="submit"]');
    await alice.waitForSelector("#conversation:not([hidden])");
    await alice.fill('#send-form input[name="message"]', "Hello Bob, from the browser");
    await alice.click('#send-form button[type="submit"]');
    await alice.waitForSelector('#messages li.mine:has-text("Hello Bob, from the browser")');

    // Bob's list learns about the conversation live, with an unread badge
    await bob.waitForSelector('#conversations li:has-text("Hello Bob, from the browser") .unread');
    await bob.click("#conversations li");
    await bob.waitForSelector('#messages li:has-text("Hello Bob, from the browser")');

    await bob.fill('#send-form input[name="message"]', "Hi Alice!");
    await bob.click('#send-form button[type="submit"]');
    await alice.waitForSelector('#messages li:not(.mine):has-text("Hi Alice!")');

    await alice.screenshot({ path: join(shots, "alice.png") });
    await bob.screenshot({ path: join(shots, "bob.png") });
    const texts = await alice.locator("#messages li").allInnerTexts();
    expect(texts[0]).toContain("Hello Bob, from the browser");
    expect(texts[1]).toContain("Hi Alice!");
  });

  it("presence, contacts' live statuses with their expiry, one's own status with a duration, groups and typing", { timeout: 120_000 }, async () => {
    const tag = Date.now().toString(36);
    const aliceEmail = `alice2-${tag}@example.com`;
    const bobEmail = `bob2-${tag}@example.com`;
    const alice = await login(aliceEmail, "Alice Status");
    const bob = await login(bobEmail, "Bob Status");

    // own status shows on login
    await alice.waitForSelector('#my-status-text[data-status="available"]');

    // Alice adds Bob as a contact: his status and presence (online) show
    await alice.fill('#contact-form input[name="email"]', bobEmail);
    await alice.click('#contact-form button[type="submit"]');
    const bobContact = `#contacts li[data-email="${bobEmail}"]`;
    await alice.waitForSelector(`${bobContact}[data-status="available"]`);
    await alice.waitForSelector(`${bobContact} .dot[data-presence="online"]`);

    // Bob sets "busy" for 0.05 minutes (3 s): Alice sees it live, with its expiry, then the
    // server's timer reverts it and Alice sees "available" again, without reloading
    await bob.selectOption('#status-form select[name="status"]', "meeting");
    await bob.fill('#status-form input[name="customStatus"]', "Standup");
    await bob.fill('#status-form input[name="duration"]', "0.05");
    await bob.click('#status-form button[type="submit"]');
    await bob.waitForSelector('#my-status-text[data-status="meeting"]');
    expect(await bob.textContent("#my-status-text")).toMatch(/meeting — Standup\s*until /);
    await alice.waitForSelector(`${bobContact}[data-status="meeting"]`);
    expect(await alice.textContent(bobContact)).toMatch(/meeting — Standup\s*until \d/);
    await alice.screenshot({ path: join(shots, "alice-contact-status.png") });
    await alice.waitForSelector(`${bobContact}[data-status="available"]`, { timeout: 20_000 });
    expect(await alice.textContent(bobContact)).not.toContain("until");
    await bob.waitForSelector('#my-status-text[data-status="available"]', { timeout: 20_000 });

    // a group: Alice creates it with Bob, Bob's list learns of it from the first message
    await alice.fill('#group-form input[name="name"]', `Team ${tag}`);
    await alice.fill('#group-form input[name="members"]', bobEmail);
    await alice.click('#group-form button[type="submit"]');
    await alice.waitForSelector(`#conversation-title:has-text("Team ${tag}")`);
    expect(await alice.textContent("#conversation-presence")).toBe("2 members");
    await alice.fill('#send-form input[name="message"]', "Welcome to the team");
    await alice.click('#send-form button[type="submit"]');
    await alice.waitForSelector('#messages li.mine:has-text("Welcome to the team")');
    const groupItem = `#conversations li:has-text("Team ${tag}")`;
    await bob.waitForSelector(`${groupItem} .unread`);
    await bob.waitForSelector(`${groupItem} .group-tag`);
    await bob.click(groupItem);
    await bob.waitForSelector('#messages li:has-text("Welcome to the team")');

    // typing in the group reaches Alice, who has the group open (joined its room)
    await bob.type('#send-form input[name="message"]', "Thanks");
    await alice.waitForSelector('#typing:has-text("Bob Status is typing")');
    await bob.click('#send-form button[type="submit"]');
    await alice.waitForSelector('#messages li:not(.mine):has-text("Thanks")');
    await alice.waitForFunction(() => document.querySelector("#typing")?.textContent === "");
    await alice.screenshot({ path: join(shots, "alice-group.png") });

    // presence: Bob leaves, Alice sees him offline
    await bob.context().close();
    await alice.waitForSelector(`${bobContact} .dot[data-presence="offline"]`);
  });

  it("shows a clear error for a bad login", async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(baseUrl());
    await page.fill('#login-form input[name="email"]', "not-an-email@");
    await page.evaluate(() => document.querySelector("#login-form input[name=email]")!.setAttribute("type", "text"));
    await page.click('#login-form button[type="submit"]');
    await expect.poll(() => page.textContent("#login-error")).toContain("email");
  });
});
