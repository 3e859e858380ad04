"""The search index's text of a post: ``html_to_text`` on fixtures of HTML, and a post's text
through the real render (``Rendered.text``), whole or cut to ``search_words``."""
from __future__ import annotations

from pathlib import Path

import pytest
from markdown_it.utils import read_fixture_file

from generator.search import html_to_text

from .helpers import render

FIXTURES = Path(__file__).parent / "fixtures" / "search_text.md"


@pytest.mark.parametrize("line,title,source,expected", read_fixture_file(FIXTURES),
                         ids=[f[1] for f in read_fixture_file(FIXTURES)])
def test_html_to_text_fixture(line, title, source, expected):
    assert html_to_text(source.rstrip("\n")) == expected.strip()


def test_a_rendered_post_keeps_the_tex_the_code_and_the_words():
    rendered = render("---\ntitle: t\n---\n## Setup\n\nLet $x_k^2$ be *the* energy,[^n] "
                      "computed by `np.sum`:\n\n$$\\sum_k x_k^2 < 1$$\n\n"
                      "```python\nprint(a & b)\n```\n\n[^n]: Parseval's, in fact.\n",
                      search=True)
    assert rendered.text == ("Setup Let x_k^2 be the energy, computed by np.sum: "
                             "\\sum_k x_k^2 < 1 print(a & b) Parseval's, in fact.")


def test_a_site_without_search_renders_no_text():
    assert render("---\ntitle: t\n---\nWords.\n", search=False).text == ""
    assert render("---\ntitle: t\n---\nWords.\n").text == ""  # search is off by default


def test_search_words_keeps_the_first_words_only():
    post = "---\ntitle: t\n---\nOne *two* three.\n\n$x + y$ four.\n"
    assert render(post, search=True, search_words=4).text == "One two three. x"
    assert render(post, search=True, search_words=7).text == render(post, search=True).text \
        == "One two three. x + y four."
