"""The plugin in a Markdown render: seed 002, caching, safety, options, composition."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from generator.context import ENV_KEY, RenderContext
from generator.errors import ConfigError
from plugins.tikz import texrender, tikz_plugin

from ..conftest import SEEDS

SVG = re.compile(r"<svg\b.*?</svg>", re.DOTALL)
NS = "{http://www.w3.org/2000/svg}"


def render(markdown: str, *, cache_root: Path | None = None, refresh: bool = False,
           **options) -> tuple[str, RenderContext]:
    context = RenderContext(source_path="post.md", source_dir=Path("."), cache_root=cache_root,
                            refresh=refresh)
    md = MarkdownIt("commonmark").use(tikz_plugin, **options)
    return md.render(markdown, {ENV_KEY: context}), context


def svg_texts(svg: str) -> list[tuple[str, float, float]]:
    root = ElementTree.fromstring(svg)
    return [("".join(text.itertext()), float(text.get("x")), float(text.get("y")))
            for text in root.iter(f"{NS}text")]


@pytest.mark.skipif(not SEEDS.is_dir(), reason="shared/seeds is not beside the repository")
def test_seed_002_draws_its_kernel_with_nine_values_and_label() -> None:
    html, context = render((SEEDS / "002_8fbaf3e9a1517d87.txt").read_text())
    assert [d for d in context.diagnostics if d.kind == "tikz"] == []
    (svg,) = SVG.findall(html)
    texts = svg_texts(svg)
    assert texts[0][0] == "kernel (3x3)"
    values = texts[1:]
    assert [text for text, _, _ in values] == ["1", "0", "-1", "2", "0", "-2", "1", "0", "-1"]
    # a 3x3 grid of 0.5 cm cells (14.226 pt), y up in TikZ is y down in SVG
    cell = 72.27 / 2.54 * 0.5
    for index, (_, x, _) in enumerate(values):
        assert x == pytest.approx((index % 3) * cell, abs=0.01)
    rows = [y for _, _, y in values]
    assert rows[0] > rows[3] > rows[6]  # the first row is at the bottom
    rects = ElementTree.fromstring(svg).findall(f"{NS}rect")
    assert len(rects) == 9
    assert {(r.get("width"), r.get("height"), r.get("stroke-width")) for r in rects} == {("14.226", "14.226", "0.8")}
    label_y = texts[0][2]
    assert label_y < min(float(r.get("y")) for r in rects)  # the label sits above the grid


def test_the_cache_is_read_and_refresh_bypasses_it(tmp_path: Path) -> None:
    markdown = "```{tikz}\n\\node[draw] at (0,0) {cached};\n```\n"
    first, _ = render(markdown, cache_root=tmp_path)
    (entry,) = [path for path in (tmp_path / "tikz").rglob("*") if path.is_file()]
    entry.write_text("<p>planted</p>")
    second, _ = render(markdown, cache_root=tmp_path)
    assert "<p>planted</p>" in second and "cached</text>" not in second
    refreshed, _ = render(markdown, cache_root=tmp_path, refresh=True)
    assert refreshed == first


def test_a_changed_picture_is_not_served_from_the_cache(tmp_path: Path) -> None:
    render("```{tikz}\n\\node at (0,0) {one};\n```\n", cache_root=tmp_path)
    html, _ = render("```{tikz}\n\\node at (0,0) {two};\n```\n", cache_root=tmp_path)
    assert ">two</text>" in html


def test_unsupported_pictures_warn_with_the_line_and_the_page_goes_on(tmp_path: Path) -> None:
    secret = tmp_path / "secret.tex"
    secret.write_text("SECRET-CONTENT")
    markdown = f"# Title\n\n```{{tikz}}\n\\node at (0,0) {{a}};\n\\input{{{secret}}}\n```\n\nAfter.\n"
    html, context = render(markdown)
    (warning,) = context.diagnostics
    assert (warning.location.line, warning.kind) == (5, "tikz")
    assert "\\input" in warning.message and warning.hint
    assert "SECRET-CONTENT" not in html
    assert '<code class="language-latex">' in html and "<p>After.</p>" in html


def test_options_are_validated() -> None:
    with pytest.raises(ConfigError, match="renderer"):
        MarkdownIt().use(tikz_plugin, renderer="inkscape")
    with pytest.raises(ConfigError, match="tex_timeout"):
        MarkdownIt().use(tikz_plugin, tex_timeout=0)


def test_tex_renderer_without_tex_falls_back_with_a_warning(monkeypatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    html, context = render("```{tikz}\n\\node at (0,0) {a};\n```\n", renderer="tex")
    (warning,) = context.diagnostics
    assert "latex or dvisvgm is not installed" in warning.message
    assert 'class="tikz"' in html


def test_fence_rules_added_later_still_see_other_fences() -> None:
    """{tikz} fences are rewritten before rendering, so a later fence wrapper composes."""
    md = MarkdownIt("commonmark").use(tikz_plugin)
    original = md.renderer.rules["fence"]

    def shout(tokens, idx, options, env):
        return original(tokens, idx, options, env).upper()

    md.add_render_rule("fence", lambda self, tokens, idx, options, env: shout(tokens, idx, options, env))
    context = RenderContext(source_path="post.md", source_dir=Path("."))
    html = md.render("```{tikz}\n\\node at (0,0) {a};\n```\n\n```py\nx\n```\n", {ENV_KEY: context})
    assert 'class="tikz"' in html and "<PRE><CODE CLASS=\"LANGUAGE-PY\">X" in html


def test_blocks_inside_lists_and_quotes_keep_their_nesting() -> None:
    html, context = render("- item\n\n  {% tikz n %}\n  \\node at (0,0) {a};\n  {% endtikz %}\n\n"
                           "> ```{tikz}\n> \\node at (0,0) {b};\n> ```\n")
    assert context.diagnostics == []
    assert re.search(r"<li>.*<figure class=\"tikz-figure\" id=\"tikz-n\">.*</figure>\s*</li>", html, re.S)
    assert re.search(r"<blockquote>\s*<figure class=\"tikz-figure\">.*</figure>\s*</blockquote>", html, re.S)


def test_jekyll_blocks_are_read_before_block_attributes() -> None:
    """attrs_block reads `{...}` lines as attributes; a `{% tikz %}` line must reach us first."""
    from mdit_py_plugins.attrs import attrs_block_plugin

    md = MarkdownIt("commonmark").use(attrs_block_plugin).use(tikz_plugin)
    context = RenderContext(source_path="post.md", source_dir=Path("."))
    html = md.render("{% tikz n %}\n\\node at (0,0) {a};\n{% endtikz %}\n\n{% tikz open %}\n",
                     {ENV_KEY: context})
    assert 'id="tikz-n"' in html and ">a</text>" in html
    assert [d.location.line for d in context.diagnostics] == [5]


@pytest.mark.skipif(not texrender.available(), reason="latex and dvisvgm are not installed")
def test_tex_renderer_draws_full_tikz_and_reports_tex_errors(tmp_path: Path) -> None:
    html, context = render("```{tikz}\n\\draw (0,0) to[out=90,in=180] (1,1);\n```\n\n"
                           "```{tikz}\n\\node {\\undefinedcommand};\n```\n",
                           renderer="tex", cache_root=tmp_path)
    assert html.count('class="tikz tikz-tex"') == 1
    (warning,) = context.diagnostics
    assert "Undefined control sequence" in warning.message and warning.location.line == 6


CLIPPED = "```{tikz}\n\\clip (0,0) circle (1);\n\\fill (0,0) rectangle (2,2);\n```\n\n"


def _ids(html: str) -> list[str]:
    return re.findall(r'\sid="([^"]+)"', html)


def test_clip_ids_are_deterministic_and_unique_on_the_page(tmp_path: Path) -> None:
    other = CLIPPED.replace("circle (1)", "circle (2)")
    html, context = render(CLIPPED + other + CLIPPED, cache_root=tmp_path)
    assert context.diagnostics == []
    ids = _ids(html)
    assert len(ids) == 3 and len(set(ids)) == 3
    for svg in SVG.findall(html):   # each group is clipped by its own picture's path
        (clip_id,) = _ids(svg)
        assert f'clip-path="url(#{clip_id})"' in svg
    again, _ = render(CLIPPED + other + CLIPPED, cache_root=tmp_path)   # from the cache
    fresh, _ = render(CLIPPED + other + CLIPPED)
    assert again == fresh == html


@pytest.mark.skipif(not texrender.available(), reason="latex and dvisvgm are not installed")
def test_tex_rendered_copies_of_a_picture_do_not_share_ids(tmp_path: Path) -> None:
    html, context = render(CLIPPED + CLIPPED, renderer="tex", cache_root=tmp_path)
    assert context.diagnostics == []
    ids = _ids(html)
    assert ids and len(ids) == len(set(ids))
