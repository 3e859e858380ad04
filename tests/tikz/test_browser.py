"""The SVG as Chromium draws it: real selectable text, TeX's size, colours that follow a theme."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from plugins.tikz.parser import interpret
from plugins.tikz.svg import PX_PER_PT, describe, render_svg

from ..conftest import CHROMIUM, CHROMIUM_ARGS

playwright = pytest.importorskip("playwright.sync_api")

PICTURE = r"""
\node[draw, fill=blue!20, minimum size=1cm] (k) at (0,0) {$x_i$};
\draw[->] (k) -- (2,0) node[right] {feature};
\draw[blue, thick] (0,-1) -- (2,-1);
"""
THEMES = {"light": "color-scheme: light; color: rgb(0, 0, 0); background: rgb(255, 255, 255); "
                   "--tikz-paper: rgb(255, 255, 255)",
          "dark": "color-scheme: dark; color: rgb(240, 240, 240); background: rgb(16, 16, 16); "
                  "--tikz-paper: rgb(16, 16, 16)"}


@pytest.fixture(scope="module")
def tab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed")
    diagram = interpret(PICTURE)
    svg = render_svg(diagram, title="A kernel cell", description=describe(diagram))
    body = "".join(f'<div id="{name}" style="{style}">{svg}</div>' for name, style in THEMES.items())
    path = tmp_path_factory.mktemp("tikz") / "page.html"
    path.write_text(f'<!doctype html><meta charset="utf-8"><body style="margin:0">{body}</body>',
                    encoding="utf-8")
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(path.as_uri())
        yield page
        browser.close()


def _rgb(css: str) -> tuple[int, ...]:
    """A computed colour, ``rgb(r, g, b)`` or (from color-mix) ``color(srgb r g b)``, in 0..255."""
    inside = css[css.index("(") + 1:css.index(")")]
    if css.startswith("color("):
        return tuple(round(float(part) * 255) for part in inside.split()[1:4])
    return tuple(round(float(part)) for part in inside.split(",")[:3])


def test_text_is_real_and_selectable(tab) -> None:
    text = tab.evaluate("document.querySelector('#light svg').textContent")
    assert "feature" in text and "𝑥" in text
    tab.evaluate("""() => { const range = document.createRange();
        range.selectNodeContents(document.querySelector('#light svg text:last-of-type'));
        getSelection().removeAllRanges(); getSelection().addRange(range); }""")
    assert tab.evaluate("getSelection().toString()") == "feature"


def test_the_figure_has_the_size_of_the_tex_figure(tab) -> None:
    diagram = interpret(PICTURE)
    width_pt = diagram.bbox[2] - diagram.bbox[0]
    box = tab.evaluate("(() => { const r = document.querySelector('#light svg').getBoundingClientRect();"
                       " return [r.width, r.height]; })()")
    assert box[0] == pytest.approx(width_pt * PX_PER_PT, abs=0.5)


def test_colours_follow_the_theme(tab) -> None:
    colours = {}
    for theme in THEMES:
        colours[theme] = tab.evaluate(f"""(() => {{
            const svg = document.querySelector('#{theme} svg');
            const rect = getComputedStyle(svg.querySelector('rect'));
            const text = getComputedStyle(svg.querySelector('text'));
            const line = getComputedStyle(svg.querySelectorAll('path')[2]);
            return [rect.fill, rect.stroke, text.fill, line.stroke]; }})()""")
    light_fill, light_stroke, light_text, light_blue = (_rgb(c) for c in colours["light"])
    dark_fill, dark_stroke, dark_text, dark_blue = (_rgb(c) for c in colours["dark"])
    assert light_fill == (204, 204, 255)              # blue!20 on white, as xcolor prints it
    assert sum(dark_fill) < 250 and dark_fill[2] > dark_fill[0]   # a dark blue on a dark page
    assert light_stroke == light_text == (0, 0, 0)
    assert dark_stroke == dark_text == (240, 240, 240)  # black ink becomes the text colour
    assert light_blue == (0, 0, 255)
    assert dark_blue[2] == 255 and dark_blue[0] > 100   # lightened to read on the dark page


def test_a_clip_hides_what_lies_outside_it(tab, tmp_path) -> None:
    # the fill reaches 2 cm past the clip; the SVG's overflow is visible, so only the clip hides it
    diagram = interpret(r"\clip (0,0) rectangle (1,1); \fill[blue] (0,0) rectangle (3,1);")
    svg = render_svg(diagram, title="clip", description=describe(diagram), id_prefix="p")
    path = tmp_path / "clip.html"
    path.write_text(f'<!doctype html><meta charset="utf-8"><body style="margin:20px">{svg}</body>',
                    encoding="utf-8")
    page = tab.context.browser.new_page()
    page.goto(path.as_uri())
    hit = page.evaluate("""(cm) => { const box = document.querySelector('svg').getBoundingClientRect();
        const at = (x) => document.elementFromPoint(box.left + x * cm, box.top + box.height / 2);
        return [at(0.5).tagName, at(2).tagName]; }""", 72.27 / 2.54 * PX_PER_PT)
    page.close()
    assert hit == ["path", "BODY"]


@pytest.mark.parametrize("fraction", [r"\frac{1}{s+a}", r"\frac{x^2}{2}", r"H(s) = \frac{K}{1 + sT}"])
def test_a_fraction_bar_lies_between_its_parts_in_the_browser(tab, tmp_path, fraction) -> None:
    """The parts are placed by TeX's widths with the browser's glyphs, the bar by TeX's widths:
    in Chromium the bar must run under the whole numerator and over the whole denominator."""
    diagram = interpret(rf"\node[draw] at (0,0) {{${fraction}$}};")
    svg = render_svg(diagram, title="fraction", description=describe(diagram))
    path = tmp_path / "fraction.html"
    path.write_text(f'<!doctype html><meta charset="utf-8"><body style="margin:20px">{svg}</body>',
                    encoding="utf-8")
    page = tab.context.browser.new_page()
    page.goto(path.as_uri())
    bar, parts = page.evaluate("""() => {
        const box = (e) => { const r = e.getBoundingClientRect();
                             return [r.left, r.right, r.top, r.bottom]; };
        const bar = document.querySelector('svg text + rect');
        return [box(bar), [...document.querySelectorAll('svg tspan')].slice(-2).map(box)]; }""")
    page.close()
    (left, right, top, bottom), (first, second) = bar, parts
    over, under = sorted((first, second), key=lambda part: part[2])
    slack = 1.0  # px: glyph advances differ from TeX's widths by a little
    for part in (over, under):
        assert left - slack <= part[0] and part[1] <= right + slack, (bar, part)
    # a tspan's box is its font's line box, not its ink: compare the parts' middles
    assert (over[2] + over[3]) / 2 < top and (under[2] + under[3]) / 2 > bottom, \
        (bar, over, under)
