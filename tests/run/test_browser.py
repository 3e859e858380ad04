"""A page with run output as Chromium shows it (Playwright, Debian's chromium)."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ..conftest import CHROMIUM, CHROMIUM_ARGS
from .conftest import Site, cell

playwright = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.browser

THEME_CSS = Path(__file__).resolve().parents[2] / "theme" / "static" / "css" / "style.css"
RUN_CSS = Path(__file__).resolve().parents[2] / "plugins" / "run" / "run.css"
SOURCE = cell("import sys\nprint('to stdout')\nprint('to stderr', file=sys.stderr)\n",
              "echo: false") + "\n" + cell(
    "import matplotlib.pyplot as plt\nfrom matplotlib.animation import FuncAnimation\n"
    "fig, ax = plt.subplots(figsize=(2, 1.5))\nline, = ax.plot([0, 1], [0, 0])\n"
    "FuncAnimation(fig, lambda i: line.set_ydata([0, i / 4]), frames=4, interval=100)\n",
    "echo: false", "fig-alt: a line tilting up", "fig-cap: A *tilting* line") + "\n" + cell(
    "plt.figure(figsize=(2, 1.5)); plt.plot([1, 2]);\n", "echo: false", "fig-alt: a rising line")


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed")
    site = Site(tmp_path_factory.mktemp("run-browser"))
    site.post_dir.mkdir(parents=True)
    rendered = site.render(SOURCE, cached=False)
    out = site.root / "public"
    out.mkdir()
    for name, data in rendered.context.assets.items():
        (out / name).write_bytes(data)
    stylesheets = "".join(f'<link rel="stylesheet" href="{css.as_uri()}">'
                          for css in (THEME_CSS, RUN_CSS) if css.exists())
    page = out / "index.html"
    page.write_text(f'<!doctype html><html lang="en"><head><meta charset="utf-8">{stylesheets}'
                    f'</head><body style="width: 700px">{rendered.html}</body></html>',
                    encoding="utf-8")
    return page


@pytest.fixture(scope="module")
def browser(page_file) -> Iterator[object]:
    with playwright.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def open_page(browser, page_file: Path, **context_options):
    tab = browser.new_context(**context_options).new_page()
    tab.goto(page_file.as_uri())
    tab.wait_for_load_state("load")
    return tab


def test_every_image_loads_and_has_alt_text(browser, page_file):
    tab = open_page(browser, page_file)
    # The figures are loading="lazy": bring each into view and wait until it is decoded.
    tab.evaluate("""async () => { for (const image of document.images) {
        image.scrollIntoView(); await image.decode().catch(() => null); } }""")
    images = tab.evaluate("[...document.images].map(i => ({alt: i.alt, width: i.naturalWidth,"
                          " src: i.currentSrc.split('/').pop()}))")
    assert [image["alt"] for image in images] == ["a line tilting up", "a rising line"]
    assert all(image["width"] > 0 for image in images)
    assert images[0]["src"].endswith(".gif") and images[1]["src"].endswith(".svg")
    assert tab.inner_text("figcaption") == "A tilting line"


def test_reduced_motion_shows_the_poster_instead_of_the_animation(browser, page_file):
    tab = open_page(browser, page_file, reduced_motion="reduce")
    # loading="lazy": its source is chosen only once it is wanted, so wait until it is decoded
    tab.evaluate("""async () => { const image = document.querySelector('.run-animation img');
        image.scrollIntoView(); await image.decode().catch(() => null); }""")
    shown = tab.evaluate("document.querySelector('.run-animation img').currentSrc")
    assert shown.endswith(".png")
    assert tab.evaluate("document.querySelector('.run-animation img').naturalWidth") > 0


def test_stdout_and_stderr_look_different(browser, page_file):
    if not RUN_CSS.exists():
        pytest.skip("no run.css")
    tab = open_page(browser, page_file)
    borders = tab.evaluate("['.run-stdout', '.run-stderr'].map(s => "
                           "getComputedStyle(document.querySelector(s)).borderLeftColor)")
    assert borders[0] != borders[1]
    assert tab.inner_text(".run-stdout") == "to stdout\n"
    assert tab.inner_text(".run-stderr") == "to stderr\n"
