"""A post's text for the site's search index (``/search/N.json``, read by ``search.js``).

``html_to_text`` turns a post's rendered HTML into the plain text a reader searches: tags
stripped, entities decoded, whitespace collapsed; a formula is its TeX source (the MathML's
``application/x-tex`` annotation), not the glyphs of its layout; code keeps its text; drawings
(inline SVG), footnote marks, their back-links (↩) and heading anchors leave no trace.

Written by hand, as a few regular expressions over HTML Stride itself serialized (markdown-it's
output, nh3's, the plugins'), the way ``generator.markdown`` already reads it (``TAG``): every
`<` of text there is escaped as ``&lt;``, attribute values are quoted, ``<math>`` never nests.
On that input a parser buys nothing and costs the build: on the 1000-post benchmark corpus
(posts of 1,300 words with formulas and code) this takes 0.42-0.49 ms a post, lxml's parser
walking the tree for the same text 0.68-0.71 ms (and 22 ms to import in every render worker;
Stride has it only through citeproc-py), the standard library's html.parser 2.2 ms; a post's
whole render is about 5.5 ms. The fixtures in ``tests/site/fixtures/search_text.md`` hold
what it must do. The text is made once per render, in the render workers, and cached with the
render (``Rendered.text``).
"""
from __future__ import annotations

import html
import re

# Whole elements that hold no prose, each removed only from a post that has one (a substring
# test costs far less than a pattern tried at every `<`): drawings (TikZ's labels are glyph
# positions; Stride's drawings never nest), styles and scripts, comments, footnote marks ("[1]")
# and back-links (↩), heading anchors.
DROPPED = (
    ("<svg", re.compile(r"<svg\b.*?</svg>", re.S)),
    ("<style", re.compile(r"<style\b.*?</style>", re.S)),
    ("<script", re.compile(r"<script\b.*?</script>", re.S)),
    ("<!--", re.compile(r"<!--.*?-->", re.S)),
    ('<sup class="footnote-ref">', re.compile(r'<sup class="footnote-ref">.*?</sup>', re.S)),
    ("footnote-backref", re.compile(r'<a\b[^>]*\sclass="footnote-backref"[^>]*>.*?</a>', re.S)),
    ("header-anchor", re.compile(r'<a\b[^>]*\sclass="header-anchor[" ][^>]*>.*?</a>', re.S)),
)
MATH = re.compile(r"<math\b((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>(.*?)</math>", re.S)
TEX = re.compile(r'<annotation\b[^>]*\sencoding="application/x-tex"[^>]*>(.*?)</annotation>', re.S)
ALTTEXT = re.compile(r'\salttext="([^"]*)"')
# A block's start and end tags leave a space, so "<li>a</li><li>b</li>" reads "a b", not "ab",
# and an author's "<div>a<div>b</div></div>" reads "a b"; any other tag (em, code, span, a...)
# leaves nothing: "<em>x</em>y" is "xy". Attribute values are quoted and may hold `>`.
ATTRIBUTES = r"""(?:[^>"']|"[^"]*"|'[^']*')*>"""
BLOCK_TAG = re.compile(r"</?(?:p|li|h[1-6]|t[dhr]|d[dt]|div|pre|blockquote|figcaption|caption"
                       r"|summary|label|section|table|[ou]l|dl|details|figure|aside|br|hr)\b"
                       + ATTRIBUTES)
TAG = re.compile(r"</?[A-Za-z][^\s>/]*" + ATTRIBUTES)


def _formula(match: re.Match) -> str:
    """A formula as its TeX source; else its alttext (the conv plugin's matrices); else the
    text of its tokens. Spaced, so that it never runs into the word before or after it."""
    tex = TEX.search(match.group(2))
    if tex is not None:
        return f" {tex.group(1)} "
    alttext = ALTTEXT.search(match.group(1))
    if alttext is not None:
        return f" {alttext.group(1)} "
    return f" {TAG.sub(' ', match.group(2))} "


def html_to_text(fragment: str) -> str:
    """The plain text of a fragment of HTML that Stride rendered (see the module's note)."""
    text = fragment
    for needle, pattern in DROPPED:
        if needle in text:
            text = pattern.sub("", text)
    if "<math" in text:
        text = MATH.sub(_formula, text)
    text = TAG.sub("", BLOCK_TAG.sub(" ", text))
    # Entities last: a decoded `&lt;b&gt;` is text, never a tag to strip.
    return " ".join(html.unescape(text).split())


def search_text(fragment: str, words: int = 0) -> str:
    """A post's text for the index: ``html_to_text``, cut after its first ``words`` words
    when that is not 0 (a smaller index for a large site)."""
    text = html_to_text(fragment)
    if words:
        parts = text.split(" ", words)
        if len(parts) > words:
            text = " ".join(parts[:words])
    return text
