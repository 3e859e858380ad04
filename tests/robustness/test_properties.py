"""Property tests over the whole Markdown + math pipeline (``MarkdownRenderer`` with
``RenderSettings``, every plugin installed): for any post, the render either gives well-formed
HTML with nothing live in it, or raises a Stride error with a location; never another exception,
never an "internal error".

Code execution is off (``execute=False``): generated posts may hold ```{python} fences, whose
behaviour is the subject of test_code_cases.py. Each post is written to disk and read back with
``read_source`` as a build reads it. The alphabets include U+E000/U+E001, the characters of
Stride's trusted-HTML placeholder: an author's copy must never be taken for one; and the form
feed (U+000C), which HTML allows but YAML does not (test_figure_cases::
test_a_form_feed_in_a_conv_block_is_a_located_error). The snippets include Liquid's
`{% highlight %}` tags, alone and paired on one line (test_markup_cases::
test_warnings_after_an_inline_highlight_tag_keep_their_line)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from generator.discover import read_source
from generator.errors import StrideError
from generator.frontmatter import parse_source
from generator.markdown import MarkdownRenderer
from generator.render_settings import RenderSettings

from .conftest import live_code, parse_html

# CI replays the same examples every run (a red CI is a real, reproducible bug); elsewhere each run
# explores new ones.
SETTINGS = dict(deadline=None, database=None, derandomize=bool(os.environ.get("CI")),
                suppress_health_check=[HealthCheck.too_slow])

# What Markdown, HTML, TeX, Liquid and the plugins give meaning to, plus letters and odd Unicode.
SPECIAL = list("<>&\"'`=*_[](){}!#$\\^|~:-+./%@?;,\n\n\n \t") + ["  ", "\n\n", "    "]
LETTERS = list("abcxyzABCon0123 ") + ["é", "ß", "漢", "\u202e", "\u00a0", "\ufeff", "\U0001d400",
                                      "\x00", "\x01", "\x1b", "\x7f", "\x85", "\ufdd0",
                                      "\uffff", "\r", "\x0c", "\ue000", "\ue001", "\ue0000\ue001"]
ALPHABET = st.sampled_from(SPECIAL + LETTERS)


def text(max_size: int):
    return st.lists(ALPHABET, max_size=max_size).map("".join)


SNIPPETS = [
    # raw HTML, hostile and not
    "<script>alert(1)</script>", "<SCRIPT>", "</script>", "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">a</a>', '<a href="java&#x09;script:x">',
    "<iframe src=x></iframe>",  # unclosed: test_markup_cases' xfail on raw-text elements
    "<svg><script>x</script></svg>", "<math><mi>x</mi></math>", "<style>", "<!--", "-->",
    '<div onclick="x">', "</div>", "<details open ontoggle=x>", "<b>", "</b>", "<br/>",
    '<span style="color:red">', "</span>", "<![CDATA[x]]>", "<?php x ?>", "<p title='</p><script>'>",
    # Markdown structure
    "# H", "## H {#id}", "> q", "- item", "1. item", "* * *", "| a | b |\n|---|---|\n| 1 | 2 |",
    "[a](javascript:alert(1))", "[a](https://example.com)", "![i](x.png)", "<https://x.y>",
    "[^1]", "[^1]: note", "[ref]: /x", "*a*", "**b**", "~~s~~", "`code`", "- [ ] task",
    "Term\n: definition", "*w*{onclick=x}", '{onclick="x"}', "{.c #i}", "{: .k}", "<!--more-->",
    "```", "```python\nx = 1\n```", "~~~", "```{python}\nprint(1)\n```", "    indented",
    # math
    "$x$", "$$", "$$x^2$$", "\\(", "\\)", "\\[", "\\]", "$\\frac{a}{b}$", "$\\text{<b>}$",
    "$\\href{javascript:x}{y}$", "$\\begin{align}a&=b\\\\c\\end{align}$", "\\begin{equation}",
    "\\end{equation}", "$\\label{x}\\eqref{x}$", "$\\newcommand{\\a}{\\a}\\a$", "$\\verb|x|$",
    "$\\big$", "$a_{b^{c}}$", "$\\left(\\right.$", "$\\mathbb{R}$", "$\\operatorname{on}$",
    # figures
    "```{tikz}\n\\draw (0,0) -- (1,1);\n```", "```{tikz}\n\\node {<b>x</b>};\n```",
    "```{conv}\ninput: [[1, 2], [3, 4]]\nkernel: [[1]]\n```", "```{conv}\ninput: x\n```",
    "{% tikz %}", "{% endtikz %}",
    # Liquid / Hugo / kramdown
    "{{ page.title }}", "{% raw %}", "{% endraw %}", "{% include x.html %}", "{{< figure src=\"x.png\" >}}", "{{< ref \"x\" >}}", "{{% x %}}",
    "{% post_url x %}", "{{ site.url }}", "*[HTML]: Hyper", "{:toc}",
    "{% highlight python %}", "{% endhighlight %}", "{% highlight c %}x{% endhighlight %}",
]
PIECES = st.one_of(st.sampled_from(SNIPPETS), text(12))
FRONT = "---\ntitle: T\ndate: 2024-01-01\n---\n"

_renderer: MarkdownRenderer | None = None
COUNTS: dict[str, int] = {}


def renderer(root: Path) -> MarkdownRenderer:
    global _renderer
    if _renderer is None:
        _renderer = MarkdownRenderer(RenderSettings(site_root=root, cache_root=None, execute=False))
    return _renderer


def check_render(text: str, root: Path, counter: str) -> None:
    COUNTS[counter] = COUNTS.get(counter, 0) + 1
    path = root / "content" / "posts" / "p.md"
    path.write_text(text, encoding="utf-8", newline="")
    try:
        source = read_source(path, root, root / "content", "post", None)
        rendered = renderer(root).render(parse_source(source))
    except StrideError as error:
        assert error.location is not None and error.location.path == "content/posts/p.md", error
        assert not error.message.startswith("internal error"), error
        return
    for fragment in (rendered.html, rendered.summary_html):
        tree = parse_html(fragment, fragment=True)
        assert live_code(tree) == [], fragment
        assert "\ue000" not in fragment and "\ue001" not in fragment  # no stray placeholder
    for diagnostic in rendered.diagnostics:
        assert diagnostic.location.path == "content/posts/p.md"
        assert 0 <= diagnostic.location.line <= source.text.count("\n") + 2, diagnostic


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("properties")
    (folder / "content" / "posts").mkdir(parents=True)
    return folder


@settings(max_examples=600, **SETTINGS)
@given(body=text(300))
def test_any_text_renders_safely_or_fails_with_a_located_error(root, body):
    check_render(FRONT + body, root, "text")


@settings(max_examples=800, **SETTINGS)
@given(pieces=st.lists(PIECES, max_size=14), separators=st.lists(
    st.sampled_from(["", " ", "\n", "\n\n"]), min_size=14, max_size=14))
def test_any_mix_of_constructs_renders_safely_or_fails_with_a_located_error(root, pieces,
                                                                           separators):
    body = "".join(piece + separator for piece, separator in zip(pieces, separators))
    check_render(FRONT + body, root, "constructs")


FRONTMATTERS = st.one_of(
    st.just(FRONT), st.just(""), st.just("---\n"), st.just("+++\ntitle = \"T\"\n+++\n"),
    st.builds(lambda key, value: f"---\n{key}: {value}\n---\n",
              st.sampled_from(["title", "date", "tags", "slug", "path", "draft", "summary",
                               "math_escapes", "excerpt_separator", "x"]),
              text(20)),
    st.builds(lambda text: f"---\n{text}\n---\n", text(60)),
)


@settings(max_examples=400, **SETTINGS)
@given(front=FRONTMATTERS, pieces=st.lists(PIECES, max_size=6))
def test_any_frontmatter_and_body(root, front, pieces):
    check_render(front + "\n".join(pieces), root, "frontmatter")
