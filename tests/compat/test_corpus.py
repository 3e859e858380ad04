"""Whole posts written in each dialect (tests/compat/corpus/) build to the expected HTML, with the
expected warnings, and nothing of the old syntax is left in the page's text."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

from generator.context import ENV_KEY

from plugins.compat.report import visible_text

from .conftest import CORPUS, make_context

EXPECTED = CORPUS / "expected"
POSTS = {  # post -> the site folder it belongs to
    "jekyll/_posts/2019-01-01-conv.md": "jekyll",
    "jekyll/_posts/2020-04-07-some-post.md": "jekyll",
    "hugo/content/posts/fourier.md": "hugo",
    "gatsby/content/blog/convnet-convolution/index.md": "gatsby",
}
FRONTMATTER = re.compile(r"\A(?P<fence>---|\+\+\+)\n(?P<data>.*?)\n(?P=fence)\n", re.S)
# Tags another plugin owns; this pipeline has no tikz plugin, so they stay as written.
PASSTHROUGH = re.compile(r"\{% (end)?tikz[^%]*%\}")
# What Jekyll, kramdown and Hugo would have consumed; none may reach a page's text.
LEAKS = re.compile(r"\{%|\{\{|\{:|%\}")


def split_frontmatter(text: str) -> tuple[dict, str, int]:
    """(frontmatter, body, lines before the body): YAML between ---, TOML between +++."""
    match = FRONTMATTER.match(text)
    if match is None:
        return {}, text, 0
    data = match.group("data")
    meta = tomllib.loads(data) if match.group("fence") == "+++" else yaml.safe_load(data)
    return meta or {}, text[match.end():], text[:match.end()].count("\n")


def render_post(markdown, relative: str) -> tuple[str, list[str]]:
    meta, body, offset = split_frontmatter((CORPUS / relative).read_text(encoding="utf-8"))
    site = POSTS[relative]
    source_path = "content/" + relative.removeprefix(f"{site}/").removeprefix("content/")
    ctx = make_context(source_path=source_path, line_offset=offset, site_root=CORPUS / site,
                       page_vars={key: str(value) if not isinstance(value, (list, bool)) else value
                                  for key, value in meta.items()})
    html = markdown.render(body, {ENV_KEY: ctx})
    return html, [str(diagnostic).split("\n")[0] for diagnostic in ctx.diagnostics]


def _expected(relative: str, suffix: str) -> Path:
    return EXPECTED / (relative.replace("/", "--").removesuffix(".md") + suffix)


@pytest.mark.parametrize("relative", sorted(POSTS))
def test_post_builds_to_expected_html(markdown, relative: str) -> None:
    html, _ = render_post(markdown, relative)
    assert html == _expected(relative, ".html").read_text(encoding="utf-8")


@pytest.mark.parametrize("relative", sorted(POSTS))
def test_post_reports_expected_warnings(markdown, relative: str) -> None:
    _, warnings = render_post(markdown, relative)
    expected = _expected(relative, ".warnings").read_text(encoding="utf-8").splitlines()
    assert warnings == expected


def literal_text(source: str) -> list[str]:
    """What the author asked to show as written: {% raw %} bodies and Hugo's {{</* */>}}."""
    raw = re.findall(r"\{% raw %\}(.*?)\{% endraw %\}", source, re.S)
    shortcodes = ["{{<" + inner + ">}}" for inner in re.findall(r"\{\{</\*(.*?)\*/>\}\}", source)]
    return raw + shortcodes


@pytest.mark.parametrize("relative", sorted(POSTS))
def test_no_old_syntax_leaks_into_text(markdown, relative: str) -> None:
    html, _ = render_post(markdown, relative)
    text = PASSTHROUGH.sub("", visible_text(html))
    for literal in literal_text((CORPUS / relative).read_text(encoding="utf-8")):
        assert literal in text  # shown as written...
        text = text.replace(literal, "")
    assert LEAKS.findall(text) == []  # ...and nothing else left over
