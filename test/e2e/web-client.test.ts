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

  it("shows a clear error for a bad login", async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(baseUrl());
    await page.fill('#login-form input[name="email"]', "not-an-email@");
    await page.evaluate(() => document.querySelector("#login-form input[name=email]")!.setAttribute("type", "text"));
    await page.click('#login-form button[type="submit"]');
    await expect.poll(() => page.textContent("#login-error")).toContain("email");
  });
});
