"""`build.py serve` for real: a subprocess on a free port, fetched with urllib and a browser."""
from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .helpers import add_post, make_site, write

REPO = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 180  # the first build of the site, on a loaded two-core machine
EVENT_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, site: Path):
        self.site = site
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.process = subprocess.Popen(
            [sys.executable, str(REPO / "build.py"), "serve", "--root", str(site), "--port",
             str(self.port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.log: list[str] = []
        # Lines are read on a thread: select() on the pipe cannot see lines that readline()
        # has already pulled into Python's buffer, and would wait for output that came long ago.
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read_lines, daemon=True).start()
        self._wait_for_line("serving http://127.0.0.1:")

    def _read_lines(self) -> None:
        for line in self.process.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _wait_for_line(self, marker: str) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            self.log.append(line)
            if marker in line:
                return
        self.stop()
        raise AssertionError(f"serve did not start: {''.join(self.log)}")

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.url + path.lstrip("/"), timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def events(self):
        return urllib.request.urlopen(self.url + "__stride__/events", timeout=EVENT_SECONDS)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        # What serve printed before it ended; its children may hold the pipe open past that.
        while True:
            try:
                line = self._lines.get(timeout=1)
            except queue.Empty:
                break
            if line is None:
                break
            self.log.append(line)
        return self.process.returncode


def next_generation(stream, deadline: float | None = None,
                    what: str = "a new build generation") -> str:
    """The next ``data:`` line of the event stream (comments and blank lines skipped); fails
    when none comes in time (keepalive comments would otherwise keep the wait going forever)."""
    deadline = deadline or time.monotonic() + EVENT_SECONDS
    while True:
        assert time.monotonic() < deadline, f"still waiting for {what} after {EVENT_SECONDS} s"
        line = stream.readline().decode()
        if not line:
            raise AssertionError("the event stream ended")
        if line.startswith("data: "):
            return line[len("data: "):].strip()


def served(server: Server, stream, path: str, shows: Callable[[str], bool]
           ) -> tuple[str, int, str]:
    """Wait for a build after which the page at ``path`` ``shows`` an edit; that build's
    generation, the page's status and the page. The page is fetched after each new generation
    the event stream announces, never before one: an edit may reach serve as more than one
    change (a folder made, then the file in it), each built in turn."""
    deadline = time.monotonic() + EVENT_SECONDS
    while True:
        generation = next_generation(stream, deadline, f"a build that changes {path}")
        status, page = server.get(path)
        if shows(page):
            return generation, status, page


def save(site: Path, edit: Callable[[Path], Path]) -> None:
    """Make an edit as editors that save a whole copy and rename it over the file do: ``edit``
    writes its file into a scratch folder laid out like the site (outside what serve watches),
    which is renamed into place. Written in place, a file is empty or half-written for a moment,
    and serve, rebuilding on the first change it sees, may build that moment (the last good
    build, shown under an error, would then be an empty post); under load it lasts long enough."""
    scratch = site / ".scratch"
    written = edit(scratch)
    target = site / written.relative_to(scratch)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(written, target)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server(make_site(tmp_path / "blog", posts=6))
    try:
        yield running
    finally:
        running.stop()
        print("serve's output:", "".join(running.log), sep="\n")  # shown when a test fails


def test_edit_reload_error_overlay_and_fix(server):
    status, page = server.get("/2024/01/post-03/")
    assert status == 200 and "Details of post 3." in page
    assert "/__stride__/events" in page  # the reload script, added when serving...
    built = server.site / ".stride-cache" / "serve" / "2024" / "01" / "post-03" / "index.html"
    assert "__stride__" not in built.read_text()  # ...never written into the site

    post = "/2024/01/post-03/"
    with server.events() as stream:
        shown = next_generation(stream)
        save(server.site, lambda site: add_post(
            site, 3, body="Summary of post 3.\n\nRewritten while serving."))
        rebuilt, status, page = served(server, stream, post, lambda page: "Rewritten" in page)
        assert rebuilt != shown
        assert "Rewritten while serving." in page and "stride-error-overlay" not in page

        save(server.site, lambda site: write(
            site / "content" / "posts" / "post-03.md",
            "---\ntitle: Broken\ndate: 2024-01-03\ntags: [unclosed\n---\nText.\n"))
        failed, status, page = served(server, stream, post,
                                      lambda page: "stride-error-overlay" in page)
        assert failed != rebuilt
        assert status == 200 and "stride-error-overlay" in page
        assert "content/posts/post-03.md:4" in page
        assert "Rewritten while serving." in page  # the last good build is still served

        save(server.site, lambda site: add_post(
            site, 3, body="Summary of post 3.\n\nFixed again."))
        fixed, status, page = served(server, stream, post, lambda page: "Fixed again." in page)
        assert fixed != failed
        assert "stride-error-overlay" not in page
    assert server.stop() == 0


def test_an_edit_made_as_soon_as_serve_says_it_is_serving_is_picked_up(server):
    """serve says "serving" once its file watcher is in place: an edit made right after the
    message is rebuilt (before, the watches were set up after it and such an edit was lost)."""
    write(server.site / "site.toml", 'title = "Edited at once"\nposts_per_page = 5\n')
    deadline = time.monotonic() + EVENT_SECONDS
    while "Edited at once" not in server.get("/")[1]:
        assert time.monotonic() < deadline, "the edit was never rebuilt"
        time.sleep(0.1)


def test_template_and_config_changes_are_served(server):
    with server.events() as stream:
        next_generation(stream)
        save(server.site, lambda site: write(
            site / "site.toml", 'title = "Renamed while serving"\nposts_per_page = 5\n'))
        served(server, stream, "/", lambda page: "Renamed while serving" in page)
        builtin = REPO / "theme" / "templates" / "tags.html"
        save(server.site, lambda site: write(
            site / "theme" / "templates" / "tags.html",
            builtin.read_text().replace("<h1>Tags</h1>", "<h1>Every tag</h1>")))
        served(server, stream, "/tags/", lambda page: "Every tag" in page)


def test_missing_pages_get_the_sites_404(server):
    status, page = server.get("/no/such/page/")
    assert status == 404 and "Page not found" in page


def in_a_thread_of_its_own(check, timeout: float) -> None:
    """Playwright's sync API refuses to start where an asyncio loop runs, and another test's
    session-wide browser may hold one on this worker: drive this browser from its own thread."""
    failure: list[BaseException] = []

    def run() -> None:
        try:
            check()
        except BaseException as error:  # handed to the test's thread below
            failure.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), "the browser check did not finish"
    if failure:
        raise failure[0]


@pytest.mark.browser
def test_an_open_page_reloads_itself_in_a_browser(server):
    playwright = pytest.importorskip("playwright.sync_api")

    def reload_seen() -> None:
        with playwright.sync_playwright() as driver:
            browser = driver.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                      "--disable-component-update", "--no-first-run", "--disable-sync"])
            try:
                page = browser.new_page()
                page.goto(server.url + "2024/01/post-02/")
                page.wait_for_function(
                    "document.body.innerText.includes('Details of post 2.')", timeout=30_000)
                save(server.site, lambda site: add_post(
                    site, 2, body="Summary of post 2.\n\nSeen without pressing F5."))
                page.wait_for_function(
                    "document.body.innerText.includes('Seen without pressing F5.')",
                    timeout=EVENT_SECONDS * 1000)
            finally:
                browser.close()

    in_a_thread_of_its_own(reload_seen, timeout=EVENT_SECONDS + 60)
