"""Drive Debian's headless Chromium from the tests, with nothing to install.

Chromium speaks the DevTools protocol over two pipes when started with
``--remote-debugging-pipe``: it reads commands on file descriptor 3 and writes
answers and events on 4, each a JSON message ended by a NUL byte. That is all
a test needs to open a page, click a link, type in the search box and take a
screenshot, without Selenium, Playwright or a WebSocket client.
"""

import base64
import fcntl
import json
import os
import select
import shutil
import tempfile
import time

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-pipe",
)


def find_chromium():
    """Return the path of a Chromium, or None when there is none."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """A headless Chromium process, driven over its DevTools pipes."""

    def __init__(self, chromium, size=(1280, 900)):
        self.profile = tempfile.mkdtemp(prefix="animecls-chromium-")
        commands_r, self._commands = os.pipe()
        self._answers, answers_w = os.pipe()
        # Move both child ends above 4 first, so that neither is overwritten
        # by the other's dup2 onto 3 or 4.
        child_r = fcntl.fcntl(commands_r, fcntl.F_DUPFD_CLOEXEC, 10)
        child_w = fcntl.fcntl(answers_w, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(commands_r)
        os.close(answers_w)
        self.log = os.path.join(self.profile, "stderr.log")
        argv = [
            chromium,
            *FLAGS,
            f"--user-data-dir={self.profile}",
            f"--window-size={size[0]},{size[1]}",
            "about:blank",
        ]
        try:
            # posix_spawn, not subprocess with preexec_fn: the test process
            # may run TensorFlow's threads, and the descriptors must be 3, 4.
            self.pid = os.posix_spawn(
                chromium,
                argv,
                os.environ,
                file_actions=[
                    (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                    (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                    (os.POSIX_SPAWN_OPEN, 2, self.log, os.O_WRONLY | os.O_CREAT, 0o600),
                    (os.POSIX_SPAWN_DUP2, child_r, 3),
                    (os.POSIX_SPAWN_DUP2, child_w, 4),
                ],
            )
        finally:
            os.close(child_r)
            os.close(child_w)
        self._buffer = b""
        self._last_id = 0
        self._events = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _receive(self, deadline):
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("Chromium did not answer in time")
            ready, _, _ = select.select([self._answers], [], [], left)
            if ready:
                chunk = os.read(self._answers, 1 << 16)
                if not chunk:
                    raise EOFError(f"Chromium stopped; its log is {self.log}")
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method, params=None, session=None, timeout=30):
        """Send one command and return its result (events are kept)."""
        self._last_id += 1
        message = {"id": self._last_id, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._receive(deadline)
            if answer.get("id") == self._last_id:
                if "error" in answer:
                    raise RuntimeError(f"{method} failed: {answer['error']}")
                return answer["result"]
            self._events.append(answer)

    def wait_event(self, method, session=None, timeout=30):
        """Return the first ``method`` event of ``session``, waiting for it."""
        deadline = time.monotonic() + timeout
        while True:
            for index, event in enumerate(self._events):
                if event.get("method") == method and event.get("sessionId") == session:
                    return self._events.pop(index)
            self._events.append(self._receive(deadline))

    def forget_events(self):
        self._events.clear()

    def new_page(self):
        """Open a tab and return a `Page` attached to it."""
        return Page(self)

    def close(self):
        try:
            self.send("Browser.close", timeout=10)
        except (OSError, RuntimeError, TimeoutError, EOFError):
            os.kill(self.pid, 9)
        os.waitpid(self.pid, 0)
        os.close(self._commands)
        os.close(self._answers)
        shutil.rmtree(self.profile, ignore_errors=True)


class Page:
    """One tab of a `Browser`."""

    def __init__(self, browser):
        self.browser = browser
        target = browser.send("Target.createTarget", {"url": "about:blank"})
        self.session = browser.send(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
        )["sessionId"]
        self.send("Page.enable")
        self.send("Runtime.enable")

    def send(self, method, params=None, timeout=30):
        return self.browser.send(method, params, self.session, timeout)

    def goto(self, url):
        """Open ``url`` and wait until it has loaded."""
        self.browser.forget_events()
        self.send("Page.navigate", {"url": url})
        self.wait_for_load()

    def wait_for_load(self, timeout=30):
        self.browser.wait_event("Page.loadEventFired", self.session, timeout)

    def click(self, selector):
        """Click the first element matching ``selector``; wait for the next page."""
        self.browser.forget_events()
        found = self.js(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " if (!e) return false; e.click(); return true })()"
        )
        if not found:
            raise LookupError(f"Nothing matches {selector!r} on {self.url}")
        self.wait_for_load()

    @property
    def url(self):
        return self.js("location.href")

    def js(self, expression):
        """Evaluate ``expression`` in the page and return its (JSON) value."""
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression!r} raised: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression, timeout=20):
        """Evaluate ``expression`` until it is truthy; return its last value."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.js(expression)
            if value:
                return value
            time.sleep(0.1)
        return self.js(expression)

    def type_into(self, selector, text):
        """Put ``text`` in an input and fire the events a person's typing does."""
        typed = self.js(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " if (!e) return false; e.focus();"
            f" e.value = {json.dumps(text)};"
            " e.dispatchEvent(new Event('input', {bubbles: true}));"
            " e.dispatchEvent(new KeyboardEvent('keyup', {bubbles: true}));"
            " return true })()"
        )
        if not typed:
            raise LookupError(f"Nothing matches {selector!r} on {self.url}")

    def screenshot(self, path):
        """Save what the tab shows as a PNG at ``path``."""
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        with open(path, "wb") as file:
            file.write(base64.b64decode(data))
        return path
