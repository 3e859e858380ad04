"""Built sites served on 127.0.0.1 and one headless Chromium for the whole session.

Two sites are built with the real pipeline: the demo site of this repository (served at ``/``)
and the three seed posts copied unchanged into a temporary site whose ``base_url`` has a path
(served at ``/blog/``, as on a project page of a real host), so every link, stylesheet and
asset is requested the way a reader's browser would request it.
"""
from __future__ import annotations

import contextlib
import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator.build import BuildOptions, build
from generator.errors import Diagnostic

from ..conftest import CHROMIUM, CHROMIUM_ARGS, REPO, SEEDS

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = REPO / "test-artifacts" / "browser"
WIDTHS = (375, 1280)
HEIGHT = 900

# The seed post with animations names two GIFs that lived beside it on its author's blog and are
# not part of the seed. Real animated GIFs stand in for them, where the build looks for them.
SEED_GIFS = ("corr_numerical_no_padding_no_strides.gif", "conv_numerical_no_padding_no_strides.gif")


@dataclass(frozen=True)
class ServedSite:
    """A built site and the address it is served at (``base`` ends with ``/``)."""

    name: str
    output: Path
    base: str
    diagnostics: tuple[Diagnostic, ...]

    def url(self, page: Path) -> str:
        """The URL a reader requests for an output file: ``x/index.html`` is ``x/``."""
        rel = page.relative_to(self.output).as_posix()
        return self.base + (rel[: -len("index.html")] if rel.endswith("index.html") else rel)

    def html_pages(self) -> list[str]:
        return [self.url(p) for p in sorted(self.output.rglob("*.html"))]

    def page_containing(self, *needles: str) -> str:
        """The URL of the first page (in path order) whose HTML contains every needle."""
        for page in sorted(self.output.rglob("*.html")):
            text = page.read_text(encoding="utf-8")
            if all(n in text for n in needles):
                return self.url(page)
        raise AssertionError(f"no page of the {self.name} site contains {needles!r}")


class _MountedHandler(http.server.SimpleHTTPRequestHandler):
    """Serves ``directory`` under ``mount`` (``/`` or ``/blog/``); anything else is a 404."""

    mount = "/"

    def translate_path(self, path: str) -> str:
        if not path.startswith(self.mount):
            return str(Path(self.directory) / "__outside_the_mount__")
        return super().translate_path("/" + path[len(self.mount):])

    def log_message(self, format: str, *args: object) -> None:  # keep pytest's output clean
        pass


@contextlib.contextmanager
def serve(directory: Path, mount: str) -> Iterator[str]:
    """Serve ``directory`` at ``http://127.0.0.1:PORT{mount}`` from a thread; yields that URL."""
    handler = type("Handler", (_MountedHandler,), {"mount": mount})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{mount}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def write_animated_gif(path: Path, label: str) -> None:
    """A small two-frame animated GIF (a kernel square moving across a grid)."""
    from PIL import Image, ImageDraw

    frames = []
    for step in range(2):
        frame = Image.new("RGB", (120, 120), "white")
        draw = ImageDraw.Draw(frame)
        for i in range(0, 121, 24):
            draw.line([(i, 0), (i, 120)], fill="#888888")
            draw.line([(0, i), (120, i)], fill="#888888")
        draw.rectangle([24 * step, 0, 24 * step + 72, 72], outline=label, width=3)
        frames.append(frame)
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=500, loop=0)


@pytest.fixture(scope="session")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ServedSite]]:
    """{"demo": the repository's demo site at /, "seeds": the three seed posts at /blog/}."""
    work = tmp_path_factory.mktemp("browser-sites")
    demo = build(BuildOptions(root=REPO, out=work / "demo"))

    seed_root = work / "seed-site"
    posts = seed_root / "content" / "posts"
    posts.mkdir(parents=True)
    (seed_root / "site.toml").write_text(
        'title = "Seeds"\nbase_url = "https://example.org/blog/"\n', encoding="utf-8")
    seed_files = sorted(SEEDS.glob("*.txt"))
    assert len(seed_files) == 3, f"expected the three seed posts in {SEEDS}"
    for seed in seed_files:
        shutil.copy(seed, posts / (seed.stem + ".md"))
    for name, colour in zip(SEED_GIFS, ("#1d4ed8", "#b91c1c")):
        write_animated_gif(posts / name, colour)
    seeds = build(BuildOptions(root=seed_root, out=work / "seeds"))

    with serve(demo.output, "/") as demo_base, serve(seeds.output, "/blog/") as seeds_base:
        yield {"demo": ServedSite("demo", demo.output, demo_base, demo.diagnostics),
               "seeds": ServedSite("seeds", seeds.output, seeds_base, seeds.diagnostics)}


@pytest.fixture(scope="module")
def browser():
    """One headless Debian Chromium per test module (never a downloaded browser). Not per
    session: Playwright's sync API refuses to start while another module's driver is still
    running in the same xdist worker."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                              headless=True)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def axe_source() -> Path:
    if not AXE.exists():
        pytest.skip(f"{AXE.relative_to(REPO)} is missing: run `npm ci` at the repository root")
    return AXE


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
