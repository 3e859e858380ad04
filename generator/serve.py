"""``python build.py serve``: build, serve on 127.0.0.1, rebuild on every change, reload open pages.

``serve`` wraps ``build()`` (as MkDocs' serve wraps its build): one ``BuildSession`` stays warm
in this process, so an edit re-reads and re-renders only the changed post and the pages that read
it. The site is built into ``.stride-cache/serve/`` with the site's own settings (never into
``public/``, which ``deploy`` publishes) and served under the site's base path.

Open pages reload by themselves: every HTML response gets a small script, added here at serving
time and never written to the built files, that listens to ``/__stride__/events`` (server-sent
events) and reloads when the build generation changes. When a build fails the last good site
keeps being served, with an overlay naming ``file:line``, the message and the hint; the build that
fixes it clears the overlay. A change to Stride's own Python code restarts the process, since
modules cannot be reloaded safely.
"""
from __future__ import annotations

import gc
import html
import http.server
import os
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .build import (CACHE_DIR, CODE_ROOT, MARKDOWN_SUFFIXES, WARM_UP_FILES, BuildOptions,
                    BuildSession, build, warm_up_renderer, warm_up_text)
from .errors import BuildFailed, StrideError
from .uptodate import PROJECT_NAMES, hugo_environment

EVENTS_PATH = "/__stride__/events"
KEEPALIVE_SECONDS = 15.0
IDLE_MS = 500  # no change for this long: the browsers have reloaded, the server may settle
CONFIG_NAMES = ("site.toml", "site.yaml", "site.yml")
CODE_FOLDERS = ("generator", "plugins")  # Python that this process has imported


@dataclass(frozen=True)
class BuildStatus:
    """What the browser is told: which build it is looking at and what went wrong, if anything."""

    generation: str
    errors: tuple[str, ...] = ()  # "file:line: message\n  hint: ...", one per error
    base_path: str = "/"


class LiveSite:
    """The latest build status, shared by the rebuilding thread and the request threads."""

    def __init__(self, status: BuildStatus):
        self._status = status
        self._changed = threading.Condition()

    @property
    def status(self) -> BuildStatus:
        return self._status

    def publish(self, status: BuildStatus) -> None:
        with self._changed:
            self._status = status
            self._changed.notify_all()

    def wait_for_new(self, generation: str, timeout: float) -> BuildStatus:
        with self._changed:
            self._changed.wait_for(lambda: self._status.generation != generation, timeout)
            return self._status


RELOAD_SCRIPT = """<script>/* Stride serve: live reload, added when serving only */
(() => {{
  const shown = "{generation}";
  const events = new EventSource("{events}");
  events.onmessage = (event) => {{
    if (event.data !== shown) {{ events.close(); location.reload(); }}
  }};
}})();
</script>
"""

OVERLAY = """<div id="stride-error-overlay" role="alert" style="position:fixed;inset:0;z-index:2147483647;
overflow:auto;background:rgba(20,20,24,.94);color:#f3f3f3;padding:2rem;font:14px/1.5 ui-monospace,monospace">
<h2 style="color:#ff6b6b;margin-top:0">Stride: the build failed</h2>
<p>Showing the last good build. Fix the file and save: this page reloads by itself.</p>
<pre style="white-space:pre-wrap">{errors}</pre>
</div>
"""


def decorate(page: bytes, status: BuildStatus) -> bytes:
    """The page as served: with the reload script and, after a failed build, the error overlay."""
    extra = RELOAD_SCRIPT.format(generation=status.generation, events=EVENTS_PATH)
    if status.errors:
        extra = OVERLAY.format(errors=html.escape("\n\n".join(status.errors))) + extra
    data = extra.encode("utf-8")
    marker = page.rfind(b"</body>")
    return page[:marker] + data + page[marker:] if marker >= 0 else page + data


class Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the built site under its base path, adds the reload script, streams build events."""

    live: LiveSite

    def __init__(self, *args, live: LiveSite, **kwargs):
        self.live = live
        super().__init__(*args, **kwargs)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
        """Requests are not logged: the terminal shows builds, not every stylesheet fetched."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        path = unquote(urlsplit(self.path).path)
        if path == EVENTS_PATH:
            self._stream_events()
            return
        base = self.live.status.base_path
        if not path.startswith(base) and path + "/" != base:
            self._redirect(base)
            return
        file = self._file_for(path[len(base) - 1:] if path.startswith(base) else "/")
        if file is None:
            if path.endswith("/") or "." in path.rsplit("/", 1)[-1]:
                self._send_page(Path(self.directory) / "404.html", 404)
            else:
                self._redirect(path + "/")
            return
        if file.suffix == ".html":
            self._send_page(file, 200)
        else:
            self.path = "/" + file.relative_to(self.directory).as_posix()
            super().do_GET()

    def _file_for(self, site_path: str) -> Path | None:
        root = Path(self.directory)
        candidate = (root / site_path.lstrip("/")).resolve()
        if not candidate.is_relative_to(root.resolve()):
            return None
        if candidate.is_dir():
            candidate = candidate / "index.html"
            if not site_path.endswith("/"):
                return None
        return candidate if candidate.is_file() else None

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send_page(self, file: Path, code: int) -> None:
        try:
            page = file.read_bytes()
        except OSError:
            page = b"<!doctype html><title>Not found</title><body><h1>Not found</h1></body>"
        data = decorate(page, self.live.status)
        self.send_response(code)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def _stream_events(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        status = self.live.status
        try:
            self.wfile.write(f"retry: 500\ndata: {status.generation}\n\n".encode())
            self.wfile.flush()
            while True:
                newer = self.live.wait_for_new(status.generation, KEEPALIVE_SECONDS)
                if newer.generation == status.generation:
                    self.wfile.write(b": keepalive\n\n")  # finds closed connections
                else:
                    status = newer
                    self.wfile.write(f"data: {status.generation}\n\n".encode())
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return


class Rebuilder:
    """Runs builds with one warm session and turns their outcome into a ``BuildStatus``."""

    def __init__(self, root: Path, *, drafts: bool, quiet: bool, profile: str | None = None,
                 environment: str | None = None):
        self.root = root
        self.out = root / CACHE_DIR / "serve"
        # Hugo's server reads config/development/ unless told otherwise; so does serve
        self.options = BuildOptions(root=root, out=self.out, drafts=drafts, profile=profile,
                                    environment=hugo_environment(environment, "development"))
        self.session = BuildSession.load(root / CACHE_DIR, self.out)
        self.quiet = quiet
        self.instance = uuid.uuid4().hex[:8]
        self.count = 0
        self.base_path = "/"

    def rebuild(self, changed: frozenset[Path] | None) -> BuildStatus:
        self.count += 1
        self.session.changed = changed
        started = time.perf_counter()
        if self.count == 1:
            # Edits are rendered in this process, the first build in forked workers: warmed
            # first, both have imported the converters and compiled the highlighters the
            # newest posts use (else the first edit pays it: 180 ms instead of 78 for 1000 posts).
            warm_up_renderer(self.root, warm_up_text(_newest_posts(self.root / "content")))
        errors: tuple[str, ...] = ()
        try:
            result = build(self.options, session=self.session)
            self.base_path = self._base_path()
            if not self.quiet:
                what = "built" if changed is None else f"{_describe(changed)} changed:"
                print(f"{what} {result.rendered} posts and {len(result.pages_rendered)} pages "
                      f"rendered, {result.write.written} files written, "
                      f"{len(result.diagnostics)} warnings, "
                      f"{(time.perf_counter() - started) * 1000:.0f} ms", flush=True)
                for diagnostic in result.diagnostics if changed is None else ():
                    print(diagnostic, file=sys.stderr)
        except BuildFailed as failure:
            errors = tuple(str(error) for error in failure.errors)
        except StrideError as error:
            errors = (str(error),)
        except Exception as error:  # a bug must not stop the server: show it and keep serving
            traceback.print_exc()
            errors = (f"internal error: {type(error).__name__}: {error}\n"
                      "  hint: this is a bug in Stride; the traceback is in the terminal",)
        # A failed build leaves the session consistent (page records change only with the
        # pages they describe, and a page is kept only while the output's manifest, which the
        # writer replaces last and restores on failure, lists the bytes its record made), so
        # the build that fixes the error stays incremental.
        if errors:
            if not self.quiet:
                print("build failed; serving the last good site:", file=sys.stderr)
                for error in errors:
                    print(f"error: {error}", file=sys.stderr)
        return BuildStatus(f"{self.instance}-{self.count}", errors, self.base_path)

    def project_files(self) -> frozenset[Path]:
        """The files outside content/ the last build's project files named."""
        project = self.session.project
        return frozenset(project.watched) if project is not None else frozenset()

    def settle(self) -> None:
        """Work done while the server is idle, so that the next edit need not do it: index the
        page records, and collect the last build's garbage, then freeze what is left, so that the
        collector walks only what an edit allocates (with 1000 posts, a full collection takes
        20 ms, and the first edit took 60-70 ms instead of 40)."""
        self.session.index_records()
        gc.unfreeze()
        gc.collect()
        gc.freeze()

    def _base_path(self) -> str:
        from .config import load_config
        from .render_settings import plugin_option_names
        from .project import site_fallbacks
        return load_config(self.root, plugin_options=plugin_option_names(),
                           fallbacks=site_fallbacks(self.root, self.options.profile,
                                                    self.options.environment)).base_path


def _newest_posts(content: Path) -> list[str]:
    """The Markdown files an author most likely edits next: the last modified."""
    found = []
    for path in content.rglob("*"):
        if path.name.lower().endswith(MARKDOWN_SUFFIXES):
            try:
                found.append((path.stat().st_mtime, str(path)))
            except OSError:
                continue
    return [path for _, path in sorted(found, reverse=True)[:WARM_UP_FILES]]


def _describe(paths: frozenset[Path]) -> str:
    names = sorted(p.name for p in paths)
    return names[0] + (f" and {len(names) - 1} more" if len(names) > 1 else "")


def watched_filter(root: Path, project_files: Callable[[], Iterable[Path]] = tuple):
    """Content, theme, config and Stride's code, and the files the project files name (the last
    build's ``project_files``: files listed by ``metadata-files``, a profile's file); never the
    output or the caches."""
    from watchfiles import DefaultFilter

    default = DefaultFilter()
    folders = [root / "content", root / "theme", *(CODE_ROOT / name for name in
                                                   (*CODE_FOLDERS, "theme"))]
    configs = {root / name for name in (*CONFIG_NAMES, *PROJECT_NAMES)}

    def accept(change, path: str) -> bool:
        where = Path(path)
        return default(change, path) and (where in configs or any(
            where.is_relative_to(folder) for folder in folders) or where in project_files())
    return accept


def is_imported_code(path: Path) -> bool:
    """A module of Stride this process runs: only those need a restart (a tool script or a test
    beside them does not)."""
    if path.suffix != ".py" or not any(path.is_relative_to(CODE_ROOT / name)
                                       for name in CODE_FOLDERS):
        return False
    return any(getattr(module, "__file__", None) == str(path)
               for module in list(sys.modules.values()))


def serve(root: Path, *, port: int = 8000, drafts: bool = False, quiet: bool = False,
          profile: str | None = None, environment: str | None = None) -> int:
    import watchfiles

    root = root.resolve()
    rebuilder = Rebuilder(root, drafts=drafts, quiet=quiet, profile=profile,
                          environment=environment)
    rebuilder.out.mkdir(parents=True, exist_ok=True)
    live = LiveSite(BuildStatus(f"{rebuilder.instance}-0"))
    handler = partial(Handler, directory=str(rebuilder.out), live=live)
    try:  # bound before the first build, so a busy port is reported at once
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as error:
        raise StrideError(f"cannot listen on 127.0.0.1:{port}: {error.strerror or error}",
                          hint="another `serve` may be running; pass --port with another number"
                          ) from None
    server.daemon_threads = True
    live.publish(rebuilder.rebuild(None))
    settled = announced = False
    threading.Thread(target=server.serve_forever, name="stride-http", daemon=True).start()
    watched = [root, *(folder for folder in (CODE_ROOT / name for name in (*CODE_FOLDERS, "theme"))
                       if not folder.is_relative_to(root))]
    try:
        for changes in watchfiles.watch(*watched,
                                        watch_filter=watched_filter(root, rebuilder.project_files),
                                        debounce=50, step=20, rust_timeout=IDLE_MS,
                                        yield_on_timeout=True):
            if not announced:
                # The watcher is set up when this first yields: an edit made once "serving" is
                # printed is never missed (one made before the watches were in place was).
                print(f"serving http://127.0.0.1:{server.server_port}{live.status.base_path} "
                      f"(Ctrl-C to stop)", flush=True)
                announced = True
            if not changes:
                if not settled:
                    rebuilder.settle()
                    settled = True
                continue
            paths = frozenset(Path(path) for _, path in changes)
            if any(is_imported_code(path) for path in paths):
                print("Stride's code changed: restarting", flush=True)
                server.shutdown()
                server.server_close()
                os.execv(sys.executable, [sys.executable, *sys.argv])
            live.publish(rebuilder.rebuild(paths))
            settled = False
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        server.server_close()
    return 0
