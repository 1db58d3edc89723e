"""Runs 004's "Python Client Example" (chat_client_004.py, copied verbatim
from the document) against a running server, handlers included.

Usage: python3 run_004_example.py <base_url>

The example's class takes the server URL as its constructor argument
(`ChatClient(base_url=...)`), so nothing in it is patched. This driver only
calls the example's own methods and watches what its handlers print:

  - Alice and Bob log in with 004's form login and connect;
  - Bob sends Alice a message: Alice's `on_new_message` must print it;
  - Bob leaves and logs in again (a second password-less login) and
    reconnects: Alice, his conversation partner, must see `on_user_online`.

Exits 0 when both handlers printed their line, 1 otherwise (a handler that
raised, e.g. `TypeError: ... takes 1 positional argument but 2 were given`,
never prints). Waits for events, with a deadline, never for fixed times.
"""
import os
import re
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chat_client_004 import ChatClient  # noqa: E402

TIMEOUT = float(os.environ.get("PY_EXAMPLE_TIMEOUT", "20"))


def fail(message):
    # the clients' background threads would keep the process alive: leave at once
    sys.stderr.write(message + "\n")
    sys.stderr.flush()
    os._exit(1)


class Watch:
    """stdout that remembers every printed line and wakes up waiters."""

    def __init__(self, out):
        self.out = out
        self.lines = []
        self.cond = threading.Condition()
        self.partial = ""

    def write(self, s):
        self.out.write(s)
        self.out.flush()
        with self.cond:
            self.partial += s
            while "\n" in self.partial:
                line, self.partial = self.partial.split("\n", 1)
                self.lines.append(line)
            self.cond.notify_all()
        return len(s)

    def flush(self):
        self.out.flush()

    def wait_for(self, pattern, what):
        rx = re.compile(pattern)
        deadline = time.monotonic() + TIMEOUT
        with self.cond:
            while not any(rx.search(l) for l in self.lines):
                left = deadline - time.monotonic()
                if left <= 0:
                    fail("TIMEOUT waiting for %s (/%s/); printed so far: %r" % (what, pattern, self.lines))
                self.cond.wait(left)


def main():
    base_url = sys.argv[1] if len(sys.argv) > 1 else os.environ["E2E_BASE_URL"]
    watch = Watch(sys.stdout)
    sys.stdout = watch
    tag = uuid.uuid4().hex[:8]
    alice_email = "py-alice-%s@example.com" % tag
    bob_email = "py-bob-%s@example.com" % tag

    alice = ChatClient(base_url)
    bob = ChatClient(base_url)
    assert alice.login(alice_email, "Alice"), "Alice's login failed"
    assert bob.login(bob_email, "Bob"), "Bob's login failed"
    alice.connect_socket()
    bob.connect_socket()

    bob.send_message(alice_email, "hello from python")
    watch.wait_for(r"^New message: hello from python from Bob$", "Alice's on_new_message")
    convs = alice.get_conversations()
    assert convs and any(bob_email in c["participants"] for c in convs), "conversation list: %r" % (convs,)

    # Bob leaves; once the server has him offline, he logs in again and comes back.
    offline = threading.Event()
    alice.sio.on("user_offline", lambda data: data.get("email") == bob_email and offline.set())
    bob.sio.disconnect()
    if not offline.wait(TIMEOUT):
        fail("TIMEOUT waiting for Bob to go offline")
    bob_again = ChatClient(base_url)
    assert bob_again.login(bob_email, "Bob"), "Bob's second login failed"
    bob_again.connect_socket()
    watch.wait_for(r"^User %s came online$" % re.escape(bob_email), "Alice's on_user_online")

    bob_again.sio.disconnect()
    alice.sio.disconnect()
    print("PYTHON EXAMPLE OK")
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    try:
        main()
    except BaseException:  # an assertion or a connection error: report it and leave
        import traceback
        fail(traceback.format_exc())
