"""Markdown and raw HTML an author wrote or pasted: what is unsafe is removed and reported at its
line, what is broken is reported, and what the theme prints from metadata is escaped everywhere
(pages, feed, sitemap, meta tags)."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
import yaml

from ..conftest import write
from .conftest import (add_post, assert_safe_page, build_site, live_code, parse_html, post_body,
                       warnings_of)

PAGE = ("2024", "01", "p", "index.html")
HINT = "\n  hint: scripts, on* handlers and javascript: URLs are never published"


def body_of(site, markdown: str):
    """Build a one-post site whose body (from line 5) is ``markdown``; its body HTML and result."""
    add_post(site, "p.md", markdown)
    result = build_site(site)
    page = result.output.joinpath(*PAGE).read_text()
    assert live_code(parse_html(page)) == []
    return post_body(page), result


# Line 5 is the first body line; the snippet is on line 7, between two paragraphs.
@pytest.mark.parametrize("snippet, removed", [
    ("<script>alert(1)</script>", "<script"),
    ("<SCRIPT SRC=//evil.example/x.js></SCRIPT>", "<SCRIPT"),
    ('<iframe src="https://evil.example/"></iframe>', "<iframe"),
    ('<img src="https://example.com/x.png" onerror="alert(2)">', "onerror="),
    ('<a href="JaVaScRiPt:alert(5)">x</a>', "JaVaScRiPt:"),
    ('<a href="java&#x09;script:alert(6)">y</a>', "javascript:"),
    ('<a href="&#106;avascript:alert(1)">z</a>', "javascript:"),
    ('<a href="vbscript:msgbox(1)">v</a>', "vbscript:"),
    ('<a href="data:text/html;base64,PHNjcmlwdD4=">d</a>', "data:"),
    ("<svg><script>alert(7)</script></svg>", "<script"),
    ("<math><mtext><script>alert(8)</script></mtext></math>", "<script"),
    ('<svg><a xlink:href="javascript:alert(1)"><text>t</text></a></svg>', "javascript:"),
    ("<style>body{background:url(javascript:alert(1))}</style>", "<style"),
    ('<div style="background:url(javascript:alert(1))">s</div>', "javascript:"),
    ('<form action="javascript:alert(1)"><button>go</button></form>', "<form"),
    ('<object data="x.swf"></object>', "<object"),
    ('<embed src="x.swf">', "<embed"),
    ('<base href="https://evil.example/">', "<base"),
    ('<meta http-equiv="refresh" content="0;url=https://evil.example/">', "<meta"),
    ('<link rel="stylesheet" href="https://evil.example/x.css">', "<link"),
    ("<details open ontoggle=alert(1)>", "ontoggle="),
    ('<video poster="javascript:alert(1)"></video>', "javascript:"),
    ("<!-- <script>alert(1)</script> -->", "<script"),
])
def test_unsafe_raw_html_is_removed_and_reported_at_its_line(site, snippet, removed):
    html, result = body_of(site, f"Before.\n\n{snippet}\n\nAfter.\n")
    assert warnings_of(result, "html") == [
        f"content/posts/p.md:7: warning[html]: removed unsafe HTML: {removed}{HINT}"]
    assert "alert" not in html and "evil.example" not in html and "msgbox" not in html
    assert "<p>Before.</p>" in html and "<p>After.</p>" in html


def test_safe_raw_html_is_kept_without_a_warning(site):
    snippet = ('<span style="color:blue">blue</span> <a href="https://example.com/" title="t">'
               "link</a> <abbr title=\"Fast Fourier Transform\">FFT</abbr>")
    html, result = body_of(site, snippet + "\n")
    assert warnings_of(result, "html") == []
    assert snippet in html


def test_text_that_looks_like_a_tag_is_escaped(site):
    html, result = body_of(site, "if a<b and c>d: `<script>` and <img src=x onerror=alert(1)//\n")
    assert "<code>&lt;script&gt;</code>" in html
    assert "&lt;img src=x onerror=alert(1)//" in html


def test_event_handler_in_an_attribute_list_is_removed_and_reported(site):
    html, result = body_of(site, 'Some [link](https://example.com/){onclick="alert(4)"} here.\n')
    assert [w.split("\n")[0] for w in warnings_of(result, "html")] == [
        "content/posts/p.md:5: warning[html]: removed unsafe HTML: onclick="]
    assert parse_html(html, fragment=True).find(".//a").attrib == {"href": "https://example.com/"}


def test_attribute_list_after_emphasis_is_plain_text(site):
    # mdit's attrs apply to links, images, code and [spans]{}: here it is text, and nothing is live
    html, result = body_of(site, 'Some *word*{onclick="alert(4)"} here.\n')
    assert warnings_of(result, "html") == []
    assert '<em>word</em>{onclick="alert(4)"}' in html


def test_event_handler_in_a_block_attribute_list_is_reported(site):
    html, result = body_of(site, 'Intro.\n\n{onclick="alert(4)"}\n# Heading\n')
    assert "onclick" not in html
    assert [w.split("\n")[0] for w in warnings_of(result, "html")] == [
        "content/posts/p.md:7: warning[html]: removed unsafe HTML: onclick="]


@pytest.mark.parametrize("link,line", [("[click](javascript:alert(3))", 5),
                                       ("![img](JAVASCRIPT:alert(1))", 5),
                                       ("[ref]\n\n[ref]: javascript:alert(1)", 7)])
def test_markdown_link_to_javascript_is_reported(site, link, line):
    html, result = body_of(site, link + "\n")
    assert "<a" not in html
    assert [w.split("\n")[0] for w in warnings_of(result, "html")] == [
        f"content/posts/p.md:{line}: warning[html]: removed unsafe HTML: javascript:"]


def test_footnote_reference_without_a_definition_is_reported(site):
    html, result = body_of(site, "Text.\n\nA claim[^missing].\n")
    assert "[^missing]" in html  # shown as written
    assert [w.split("\n")[0] for w in warnings_of(result)] == [
        "content/posts/p.md:7: warning[footnote]: footnote [^missing] has no definition"]


def test_duplicate_footnote_definitions_are_reported(site):
    html, result = body_of(site, "A claim[^n].\n\n[^n]: first\n[^n]: second\n")
    assert [w.split("\n")[0] for w in warnings_of(result)] == [
        "content/posts/p.md:8: warning[footnote]: footnote [^n] is defined twice (first at "
        "content/posts/p.md:7)"]


def test_footnotes_link_both_ways(site):
    html, result = body_of(site, "A claim[^a] and another[^b].\n\n[^a]: one\n[^b]: two\n")
    assert 'href="#fn1" id="fnref1"' in html and 'href="#fnref2"' in html
    assert warnings_of(result) == []


EVIL = "</title><script>alert(1)</script>\"'><img src=x onerror=alert(2)>&amp;"


def test_metadata_is_escaped_in_pages_feed_sitemap_and_meta_tags(site):
    write(site / "site.toml", f"title = {json.dumps(EVIL)}\ndescription = {json.dumps(EVIL)}\n"
                              f"author = {json.dumps(EVIL)}\n")
    front = yaml.safe_dump({"title": EVIL, "date": "2024-01-01", "tags": [EVIL, "ok"],
                            "summary": EVIL, "categories": [EVIL]}, allow_unicode=True)
    add_post(site, "2024-01-01-p.md", front=f"---\n{front}---\n", body="Body.\n")
    write(site / "content" / "pages" / "about.md", f"---\n{yaml.safe_dump({'title': EVIL})}---\nHi.\n")
    out = build_site(site).output
    pages = sorted(out.rglob("*.html"))
    assert len(pages) >= 7
    for page in pages:
        assert_safe_page(page)
    post = parse_html((out / "2024" / "01" / "p" / "index.html").read_text())
    assert post.find(".//title").text.startswith(EVIL)
    assert post.find(".//h1").text == EVIL
    metas = {m.get("name") or m.get("property"): m.get("content") for m in post.iter("meta")}
    assert metas["og:title"].startswith(EVIL) and metas["description"] == EVIL
    feed = ET.parse(out / "feed.xml").getroot()
    atom = "{http://www.w3.org/2005/Atom}"
    assert [e.find(f"{atom}title").text for e in feed.iter(f"{atom}entry")] == [EVIL]
    assert feed.find(f"{atom}title").text == EVIL
    ET.parse(out / "sitemap.xml")  # well-formed
    for text_file in ("feed.xml", "sitemap.xml", "robots.txt"):
        raw = (out / text_file).read_text()
        assert "<script" not in raw and "<img" not in raw


def test_control_characters_are_replaced_and_reported(site):
    add_post(site, "p.md", "Fine line.\nColour \x1b[31mred\x1b[0m and a bell\x07.\n",
             title="Tab\tand \x01 start")
    result = build_site(site)
    assert [w.split("\n")[0] for w in warnings_of(result)] == [
        "content/posts/p.md:2:16: warning[discover]: invisible character U+0001 replaced by U+FFFD "
        "(and 3 more)"]
    for page in result.output.rglob("*.html"):
        assert_safe_page(page)  # parses without `invalid-codepoint` errors
    html = post_body(result.output.joinpath(*PAGE).read_text())
    assert "Colour \ufffd[31mred\ufffd[0m and a bell\ufffd." in html


def test_private_use_placeholder_characters_cannot_forge_plugin_output(site):
    # U+E000 N U+E001 is Stride's placeholder for trusted plugin HTML: an author's copy is
    # replaced (U+FFFD), never taken for a placeholder, and never an IndexError.
    html, result = body_of(site, "$x$ and \ue0000\ue001 and \ue0009\ue001\n")
    assert html.count("<math") == 1
    assert " and \ufffd0\ufffd and \ufffd9\ufffd</p>" in html


@pytest.mark.parametrize("opening", ["<iframe src=x>", "<textarea>"])
def test_an_unclosed_raw_text_element_does_not_swallow_the_rest(site, opening):
    add_post(site, "p.md", f"Text {opening}\n\n$$x$$\n\nAfter.\n")
    result = build_site(site)
    page = result.output.joinpath(*PAGE).read_text()
    parse_html(page)  # well-formed
    html = post_body(page)
    assert "<p>After.</p>" in html and "&lt;p&gt;" not in html


def test_warnings_after_an_inline_highlight_tag_keep_their_line(site):
    html, result = body_of(site, "{% highlight python %}{% endhighlight %}<script>alert(1)</script>\n")
    assert [w.split("\n")[0] for w in warnings_of(result, "html")] == [
        "content/posts/p.md:5: warning[html]: removed unsafe HTML: <script"]
