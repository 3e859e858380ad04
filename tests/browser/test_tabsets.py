"""Quarto's tabsets (``::: {.panel-tabset}``) in Chromium: one panel shown at a time by the
theme's CSS alone, picked with the mouse or the arrow keys, opened by a link into it, wrapped on
a narrow window, all shown on paper, and clean for axe."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.build import BuildOptions, build

from ..conftest import write
from . import probes
from .conftest import serve

pytestmark = pytest.mark.browser

FILLER = " ".join(["A sentence that only makes the page long enough to scroll."] * 40)
POST = f"""---
title: Tabs
date: 2024-01-01
---

Jump to [the flip](#why-flip), or to [the PyTorch tab](#pytorch-style).

{FILLER}

::: {{.panel-tabset}}
## NumPy

```python
np.convolve(x, k)
```

## PyTorch *style*

```python
F.conv1d(x, k)
```

{FILLER}

### Why flip

Because convolution reflects the kernel, $y_n = \\sum_k h_k x_{{n-k}}$.

## A third tab whose title is long enough to need a line of its own on a phone

Third.
:::

{FILLER}

::: {{.panel-tabset .nav-pills}}
## One
First pill.

## Two {{.active}}
Second pill.
:::
"""

# Each panel of the page's tabsets (in page order): shown or not, measured
PANELS = """[...document.querySelectorAll('.tabset-panel')].map((panel) => {
  const box = panel.getBoundingClientRect();
  return {id: panel.id, display: getComputedStyle(panel).display, height: box.height,
          top: box.top};
})"""
# Each tab label: its text, its row and what marks it selected
LABELS = """[...document.querySelectorAll('.tabset-tab')].map((label) => {
  const style = getComputedStyle(label), box = label.getBoundingClientRect();
  return {text: label.innerText.trim(), top: Math.round(box.top), right: box.right,
          underline: style.borderBottomColor, background: style.backgroundColor,
          outline: style.outlineStyle, outlineWidth: style.outlineWidth};
})"""
TRANSPARENT = "rgba(0, 0, 0, 0)"
FOCUSED = """(() => {
  const element = document.activeElement;
  return {tag: element.tagName, id: element.id, name: element.name, checked: !!element.checked};
})()"""


@pytest.fixture(scope="module")
def tabs_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("tabsets")
    write(root / "content" / "posts" / "tabs.md", POST)
    result = build(BuildOptions(root=root, out=root / "public"))
    assert [str(d) for d in result.diagnostics if d.kind == "pandoc"] == []
    page = next((root / "public").rglob("tabs/index.html"))
    with serve(root / "public", "/") as base:
        yield base + page.relative_to(root / "public").parent.as_posix() + "/"


def shown(panels: list[dict]) -> list[str]:
    return [panel["id"] for panel in panels if panel["display"] != "none" and panel["height"] > 0]


def underlined(labels: list[dict]) -> list[bool]:
    """Which labels of the first tabset are marked selected."""
    return [label["underline"] != TRANSPARENT for label in labels[:3]]


def open_tabs(browser, url: str, width: int = 900, media: str = "screen"):
    page = browser.new_page(viewport={"width": width, "height": 700})
    page.emulate_media(media=media)
    page.goto(url, wait_until="load")
    return page


def test_a_click_on_a_tab_shows_its_panel_alone(browser, tabs_url):
    page = open_tabs(browser, tabs_url)
    try:
        assert shown(page.evaluate(PANELS)) == ["numpy", "two"]  # the first, and the .active one
        labels = page.evaluate(LABELS)
        assert underlined(labels) == [True, False, False]
        assert labels[4]["background"] != labels[3]["background"]  # the selected pill
        page.click("label[for$='-1-2']")
        panels = page.evaluate(PANELS)
        assert shown(panels) == ["pytorch-style", "two"]
        assert panels[0]["display"] == "none" and panels[0]["height"] == 0
        assert page.is_visible("#pytorch-style pre") and not page.is_visible("#numpy pre")
        assert underlined(page.evaluate(LABELS)) == [False, True, False]
        page.click("label[for$='-2-1']")
        assert shown(page.evaluate(PANELS)) == ["pytorch-style", "one"]  # each tabset its own
    finally:
        page.close()


def test_the_keyboard_reaches_the_tabs_and_arrows_move_between_them(browser, tabs_url):
    page = open_tabs(browser, tabs_url)
    try:
        for _ in range(20):
            page.keyboard.press("Tab")
            if page.evaluate(FOCUSED)["tag"] == "INPUT":
                break
        focused = page.evaluate(FOCUSED)
        assert focused["tag"] == "INPUT" and focused["id"].endswith("-1-1"), focused
        ring = page.evaluate(LABELS)[0]
        assert ring["outline"] == "solid" and ring["outlineWidth"] == "2px", ring
        page.keyboard.press("ArrowRight")
        assert page.evaluate(FOCUSED)["id"].endswith("-1-2") and page.evaluate(FOCUSED)["checked"]
        assert shown(page.evaluate(PANELS))[0] == "pytorch-style"
        assert page.evaluate(LABELS)[0]["outline"] == "none"
        page.keyboard.press("ArrowLeft")
        page.keyboard.press("ArrowLeft")  # from the first, round to the last
        assert page.evaluate(FOCUSED)["id"].endswith("-1-3")
        assert shown(page.evaluate(PANELS))[0].startswith("a-third-tab")
        group = page.evaluate(FOCUSED)["name"]
        page.keyboard.press("Tab")  # one Tab leaves the group
        assert page.evaluate(FOCUSED)["name"] != group
    finally:
        page.close()


@pytest.mark.parametrize("fragment", ["why-flip", "pytorch-style"])
def test_a_link_into_a_hidden_panel_opens_it_and_lands_there(browser, tabs_url, fragment):
    page = open_tabs(browser, tabs_url + "#" + fragment)
    try:
        assert shown(page.evaluate(PANELS)) == ["pytorch-style", "two"]
        top = page.evaluate(f"document.getElementById('{fragment}').getBoundingClientRect().top")
        assert -1 < top < 50, top
        assert underlined(page.evaluate(LABELS)) == [False, True, False]
    finally:
        page.close()
    page = open_tabs(browser, tabs_url)
    try:
        page.click(f"a[href='#{fragment}']")  # a link on the same page
        assert shown(page.evaluate(PANELS)) == ["pytorch-style", "two"]
        top = page.evaluate(f"document.getElementById('{fragment}').getBoundingClientRect().top")
        assert -1 < top < 50, top
    finally:
        page.close()


def test_on_a_narrow_window_the_tabs_wrap_and_nothing_sticks_out(browser, tabs_url):
    page = open_tabs(browser, tabs_url, width=320)
    try:
        overflow = page.evaluate(probes.OVERFLOW)
        assert overflow["scrollWidth"] <= overflow["clientWidth"], overflow
        labels = page.evaluate(LABELS)[:3]
        assert len({label["top"] for label in labels}) > 1, labels
        assert max(label["right"] for label in labels) <= 320
    finally:
        page.close()


def test_on_paper_every_panel_shows_under_its_title(browser, tabs_url):
    page = open_tabs(browser, tabs_url, media="print")
    try:
        panels = page.evaluate(PANELS)
        assert shown(panels) == [panel["id"] for panel in panels] and len(panels) == 5
        titles = page.evaluate("""[...document.querySelectorAll('.tabset-tab')].map((label) =>
            [getComputedStyle(label).display, label.getBoundingClientRect().top
             < label.nextElementSibling.getBoundingClientRect().top])""")
        assert titles == [["block", True]] * 5
        radios = page.evaluate("""[...document.querySelectorAll('.tabset-radio')]
            .map((radio) => getComputedStyle(radio).display)""")
        assert set(radios) == {"none"}
    finally:
        page.close()


def test_axe_finds_nothing_serious_before_or_after_a_pick(browser, tabs_url, axe_source):
    page = open_tabs(browser, tabs_url)
    try:
        page.add_script_tag(path=str(axe_source))
        for state in ("first", "picked"):
            serious = [(violation["id"], [node["html"][:120] for node in violation["nodes"]])
                       for violation in page.evaluate(probes.AXE)
                       if violation["impact"] in ("serious", "critical")]
            assert serious == [], (state, serious)
            page.click("label[for$='-1-3']")
            page.click("label[for$='-2-1']")
    finally:
        page.close()
