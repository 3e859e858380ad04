import re
from pathlib import Path

import pytest
from markdown_it.utils import read_fixture_file

from .helpers import render

FIXTURES = Path(__file__).parent / "fixtures" / "markdown.md"


@pytest.mark.parametrize("line,title,source,expected", read_fixture_file(FIXTURES),
                         ids=[f[1] for f in read_fixture_file(FIXTURES)])
def test_markdown_fixture(line, title, source, expected):
    # A title line of "---" would be frontmatter; fixtures start with prose.
    assert render("\n" + source).html.strip() == expected.strip()


def test_unsafe_html_is_reported_with_its_line():
    rendered = render("---\ntitle: t\n---\nfine\n\n<img src=x onerror=alert(1)>\n")
    [warning] = [d for d in rendered.diagnostics if d.kind == "html"]
    assert str(warning.location) == "content/posts/post.md:6"
    assert "onerror" in warning.message


def test_event_attribute_in_span_is_reported():
    rendered = render("---\ntitle: t\n---\n[x]{onclick=\"y\"}\n")
    assert [d.location.line for d in rendered.diagnostics if d.kind == "html"] == [4]


def test_summary_stops_at_more_marker():
    rendered = render("---\ntitle: t\n---\nFirst part.\n\n<!--more-->\n\nSecond part.\n")
    assert "First part." in rendered.summary_html
    assert "Second" not in rendered.summary_html
    assert "<!--more-->" not in rendered.html and "Second part." in rendered.html


def test_a_summary_cut_inside_a_callout_closes_what_it_opened():
    """The callout's markup is Stride's own, put back after the sanitizer: cut at the marker,
    it was left open, and the index page's article with it."""
    rendered = render("---\ntitle: t\n---\n::: {.callout-note}\n## Note\n\nFirst.\n\n"
                      "<!--more-->\n\n- Second.\n:::\n\nAfter.\n")
    summary = rendered.summary_html
    assert "First." in summary and "Second" not in summary
    assert summary.count("<div") == summary.count("</div>") == 2
    assert summary.endswith("</div></div>")
    assert rendered.html.count("<div") == rendered.html.count("</div>")


def test_summary_defaults_to_first_paragraph():
    rendered = render("---\ntitle: t\n---\n## Intro\n\nOpening words.\n\nMore.\n")
    assert rendered.summary_html == "<p>Opening words.</p>"


def test_a_summary_keeps_no_link_to_a_place_in_its_post():
    """Index pages show the summary away from its post: a footnote mark would point at a note
    that is not there (and repeat its id), an equation reference at an equation that is not."""
    rendered = render("---\ntitle: t\n---\n$$\nx = 1 \\label{eq:one}\n$$\n\n"
                      "By \\eqref{eq:one}, [more](#later) and [out](https://example.org/).[^n]\n\n"
                      "## Later\n\n[^n]: A note.\n")
    assert 'href="#' in rendered.html and 'id="fnref' in rendered.html
    assert "By " in rendered.summary_html and "more" in rendered.summary_html
    assert 'href="#' not in rendered.summary_html and "fnref" not in rendered.summary_html
    assert 'href="https://example.org/"' in rendered.summary_html


def test_a_drawing_in_a_summary_keeps_its_clip_path_under_an_id_of_its_post():
    """A clip path whose id was dropped leaves its picture unclipped on index pages."""
    picture = ("```{tikz}\n\\begin{tikzpicture}\n\\clip (0,0) rectangle (1,1);\n"
               "\\fill (0.5,0.5) circle (1);\n\\end{tikzpicture}\n```\n")
    rendered = render("---\ntitle: t\n---\n## Setup\n\n" + picture + "\n<!--more-->\n\nRest.\n")
    summary = rendered.summary_html
    [clip] = re.findall(r'<clipPath id="([^"]+)"', summary)
    assert f'clip-path="url(#{clip})"' in summary
    [on_its_page] = re.findall(r'<clipPath id="([^"]+)"', rendered.html)
    assert clip.startswith(on_its_page + "-") and clip != on_its_page
    assert summary.count(' id="') == 1  # the heading's id is gone


def test_toc_and_word_count():
    rendered = render("---\ntitle: t\n---\n# One\n\nfour words are here\n\n## Two `code`\n")
    assert [(e.level, e.anchor, e.text) for e in rendered.toc] == [(1, "one", "One"),
                                                                   (2, "two-code", "Two code")]
    assert rendered.word_count >= 4


def test_root_relative_links_follow_the_base_path():
    rendered = render("---\ntitle: t\n---\n[a](/about/) ![i](/img/x.png) [b](/blog/x/) [c](//cdn.example/x)\n",
                      base_path="/blog/")
    assert 'href="/blog/about/"' in rendered.html
    assert 'src="/blog/img/x.png"' in rendered.html
    assert 'href="/blog/x/"' in rendered.html
    assert 'href="//cdn.example/x"' in rendered.html


def test_placeholder_characters_in_a_post_cannot_forge_trusted_output():
    rendered = render("---\ntitle: t\n---\nText \ue0000\ue001 and `\ue0001\ue001`\n\n$x$\n")
    assert "\ue000" not in rendered.html and "\ufffd0\ufffd" in rendered.html
    assert rendered.html.count("<math") == 1


def test_author_image_without_alt_text_is_reported():
    rendered = render('---\ntitle: t\n---\n<p align="center">\n  <img src="./a.gif">\n</p>\n\n'
                      'Inline <img src="b.png" alt="b"> is fine.\n')
    assert [(d.kind, d.location.line) for d in rendered.diagnostics if d.kind == "a11y"] == [("a11y", 4)]


def test_trusted_output_never_lands_inside_an_attribute():
    # An unclosed quote in the author's HTML swallows what follows into an attribute value.
    rendered = render("---\ntitle: t\n---\n<p title='unclosed>\n\n$x$ and ```{conv}``` text\n")
    html5 = __import__("html5lib").HTMLParser(strict=False)
    html5.parseFragment(rendered.html)
    assert html5.errors == []
    assert "&lt;p title='unclosed&gt;" in rendered.html  # the unfinished tag is shown as text
    assert rendered.html.count("<math") == 1 and "text</p>" in rendered.html


def test_the_first_heading_that_skips_a_level_is_reported_with_its_line():
    def skips(body: str) -> list[tuple[int, str]]:
        rendered = render("---\ntitle: t\ndate: 2024-01-01\n---\n" + body)
        return [(d.location.line, d.message) for d in rendered.diagnostics
                if d.kind == "headings"]

    assert skips("## A\n\n### B\n\n## C\n\n# D\n\n## E\n") == []
    assert skips("Intro.\n\n### Under the title\n\n##### Deeper\n") == [
        (7, "a heading skips from h1 to h3: ### right under the title")]
    assert skips("## A\n\n> #### In a quote\n") == [
        (7, "a heading skips from h2 to h4: #### right under a ## heading")]
    # a tabset's headings are its tabs' labels, not headings of the page
    assert skips("::: {.panel-tabset}\n\n### Python\n\nx\n\n:::\n\n## After\n") == []
