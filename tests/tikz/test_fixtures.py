"""Fixture files: TikZ -> layout (fixtures/<construct>.md), Markdown -> HTML and -> warnings."""
from __future__ import annotations

from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from markdown_it.utils import read_fixture_file

from generator.context import ENV_KEY, RenderContext
from plugins.tikz import tikz_plugin
from plugins.tikz.parser import interpret

from .layout_dump import dump

FIXTURES = Path(__file__).parent / "fixtures"
LAYOUT_FILES = ["nodes", "paths", "foreach", "scopes", "colors", "matrix", "math", "positioning", "edges", "calc", "clip"]


def _cases(*names: str):
    return [pytest.param(source, expected, id=f"{name}:{line}:{title}")
            for name in names
            for line, title, source, expected in read_fixture_file(FIXTURES / f"{name}.md")]


def _render(markdown: str) -> tuple[str, RenderContext]:
    context = RenderContext(source_path="post.md", source_dir=Path("."))
    md = MarkdownIt("commonmark").use(tikz_plugin)
    return md.render(markdown, {ENV_KEY: context}), context


@pytest.mark.parametrize(("source", "expected"), _cases(*LAYOUT_FILES))
def test_layout(source: str, expected: str) -> None:
    assert dump(interpret(source)) == expected.rstrip("\n")


@pytest.mark.parametrize(("markdown", "expected"), _cases("plugin"))
def test_markdown_to_html(markdown: str, expected: str) -> None:
    html, context = _render(markdown)
    assert html == expected
    assert context.diagnostics == []


@pytest.mark.parametrize(("markdown", "expected"), _cases("warnings"))
def test_warnings(markdown: str, expected: str) -> None:
    html, context = _render(markdown)
    assert "\n".join(str(diagnostic) for diagnostic in context.diagnostics) == expected.rstrip("\n")
    assert "<svg" not in html
