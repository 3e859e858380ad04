"""Figures and animations: deterministic files named by content, captioned, with alt text."""
from __future__ import annotations

import io
import re

from PIL import Image

from plugins.run import shutdown

from .conftest import cell

TWO_FIGURES = ("import matplotlib.pyplot as plt\n"
               "plt.figure(); plt.plot([0, 1, 0])\n"
               "plt.figure(); plt.bar([1, 2], [3, 4])\n")
ANIMATION = ("import matplotlib.pyplot as plt\n"
             "from matplotlib.animation import FuncAnimation\n"
             "fig, ax = plt.subplots(figsize=(2, 1.5))\n"
             "ax.set_xlim(0, 1); ax.set_ylim(0, 1)\n"
             "dot, = ax.plot([], [], 'o')\n"
             "FuncAnimation(fig, lambda i: dot.set_data([i / 5], [i / 5]), frames=6, interval=100)\n")


def assets_by_suffix(context, suffix: str) -> list[bytes]:
    return [data for name, data in context.assets.items() if name.endswith(suffix)]


def test_figures_are_byte_for_byte_identical_across_two_fresh_workers(site):
    markdown = cell(TWO_FIGURES, "fig-alt: two plots") + cell(
        "plt.figure(); plt.plot([2, 1])\n", "fig-format: png", "fig-alt: a line")
    runs = []
    for _ in range(2):
        shutdown()
        runs.append(site.render(markdown, cached=False).context.assets)
    assert runs[0] == runs[1]
    assert len(assets_by_suffix(site.render(markdown, cached=False).context, ".svg")) == 2
    for name, data in runs[0].items():
        assert re.fullmatch(r"run-[0-9a-f]{16}\.(svg|png)", name)
    svg = next(data for name, data in runs[0].items() if name.endswith(".svg")).decode()
    assert "<dc:date>" not in svg


def test_each_figure_of_a_block_is_shown_in_order_with_its_caption_and_alt(site):
    rendered = site.render(cell(TWO_FIGURES, "fig-cap: [A *line*, Some bars]",
                                "fig-alt: [a line, two bars]"), cached=False)
    figures = re.findall(r'<figure class="run-figure">\n<img src="\./(run-\w+\.svg)" '
                         r'alt="([^"]*)" loading="lazy">\n<figcaption>(.*?)</figcaption>',
                         rendered.html)
    assert [(alt, caption) for _, alt, caption in figures] == [
        ("a line", "A <em>line</em>"), ("two bars", "Some bars")]
    assert [name for name, _, _ in figures] == list(rendered.context.assets)


def test_one_caption_for_several_figures_groups_them(site):
    html = site.render(cell(TWO_FIGURES, "fig-cap: Both", "fig-alt: plots"), cached=False).html
    assert html.count("<figure") == 1
    assert html.count("<img") == 2
    assert "<figcaption>Both</figcaption>" in html


def test_figure_size_options_set_the_drawing_size(site):
    def png_size(width: float, height: float) -> tuple[int, int]:
        context = site.render(cell("import matplotlib.pyplot as plt\nplt.plot([1, 2])\n",
                                   f"fig-width: {width}", f"fig-height: {height}",
                                   "fig-format: png", "fig-alt: a line"), cached=False).context
        [png] = assets_by_suffix(context, ".png")
        return Image.open(io.BytesIO(png)).size

    small, wide = png_size(3, 2), png_size(9, 2)
    assert wide[0] > 2.5 * small[0]
    assert abs(wide[1] - small[1]) < 0.1 * small[1]


def test_animation_becomes_a_gif_with_a_poster_and_alt_text(site):
    rendered = site.render(cell(ANIMATION, "fig-alt: a dot moving up", "fig-cap: Motion"),
                           cached=False)
    [gif] = assets_by_suffix(rendered.context, ".gif")
    [poster] = assets_by_suffix(rendered.context, ".png")
    animation = Image.open(io.BytesIO(gif))
    assert animation.is_animated and animation.n_frames == 6
    assert Image.open(io.BytesIO(poster)).format == "PNG"
    assert assets_by_suffix(rendered.context, ".svg") == []  # its figure is not also a still
    assert re.search(r'<figure class="run-animation">\n<picture><source srcset="\./run-\w+\.png" '
                     r'media="\(prefers-reduced-motion: reduce\)"><img src="\./run-\w+\.gif" '
                     r'alt="a dot moving up" loading="lazy"></picture>\n'
                     r'<figcaption>Motion</figcaption>', rendered.html)


def test_a_figure_without_alt_text_is_a_warning_and_the_caption_stands_in(site):
    bare = site.render(cell("import matplotlib.pyplot as plt\nplt.plot([1])\n"), cached=False)
    [warning] = bare.context.diagnostics
    assert warning.kind == "run" and "alt text" in warning.message and warning.hint
    assert warning.location.line == 1
    captioned = site.render(cell("import matplotlib.pyplot as plt\nplt.plot([1])\n",
                                 "fig-cap: The caption"), cached=False)
    assert captioned.context.diagnostics == []
    assert 'alt="The caption"' in captioned.html


def test_output_false_emits_no_figure_files(site):
    rendered = site.render(cell("import matplotlib.pyplot as plt\nplt.plot([1])\n",
                                "output: false"), cached=False)
    assert rendered.context.assets == {}
    assert "<figure" not in rendered.html


def test_figures_come_from_the_cache_unchanged(site):
    markdown = cell(TWO_FIGURES, "fig-alt: plots")
    first = site.render(markdown).context.assets
    assert site.render(markdown).context.assets == first
