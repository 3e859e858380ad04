"""The allowlist sanitizer for what authors write (Markdown, raw HTML, attributes), built on nh3.

Plugin output (MathML, SVG, figures) is produced by Stride itself from escaped inputs and is
kept out of this pass (see ``generator.markdown``); everything else an author wrote goes through
it, so `<script>`, `on*=` handlers and `javascript:` URLs never reach a page.
"""
from __future__ import annotations

import html
import re

import nh3

TAGS = (set(nh3.ALLOWED_TAGS) | {
    "span", "div", "figure", "figcaption", "img", "picture", "source", "video", "audio", "track",
    "details", "summary", "section", "aside", "abbr", "sup", "sub", "mark", "kbd", "samp", "var",
    "input", "label", "del", "ins", "s", "u", "small", "time", "cite", "dfn", "q", "caption",
    "colgroup", "col", "thead", "tbody", "tfoot", "center", "nav",
}) - {"script", "style", "iframe", "object", "embed", "form", "button", "textarea", "select"}

GLOBAL_ATTRIBUTES = {"class", "id", "style", "title", "align", "lang", "dir", "role", "width",
                     "height", "aria-label", "aria-hidden", "aria-describedby"}
ATTRIBUTES = {
    "*": GLOBAL_ATTRIBUTES,
    "a": {"href", "name", "rel", "target"},
    "img": {"src", "alt", "loading", "decoding", "srcset", "sizes"},
    "source": {"src", "srcset", "type", "media"},
    "video": {"src", "controls", "loop", "muted", "autoplay", "playsinline", "poster"},
    "audio": {"src", "controls", "loop", "muted"},
    "track": {"src", "kind", "srclang", "label"},
    "input": {"type", "checked", "disabled"},
    "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan", "scope"},
    "table": {"tabindex"}, "pre": {"tabindex"},
    "ol": {"start", "type", "reversed"}, "li": {"value"},
    "time": {"datetime"}, "abbr": {"title"}, "q": {"cite"}, "blockquote": {"cite"},
    "col": {"span"}, "colgroup": {"span"}, "details": {"open", "name"},
}
STYLE_PROPERTIES = {
    "color", "background", "background-color", "text-align", "vertical-align", "font-weight",
    "font-style", "font-size", "font-family", "text-decoration", "text-transform", "width",
    "max-width", "min-width", "height", "max-height", "margin", "margin-left", "margin-right",
    "margin-top", "margin-bottom", "padding", "padding-left", "padding-right", "padding-top",
    "padding-bottom", "border", "border-radius", "border-color", "display", "float", "clear",
    "white-space", "line-height", "opacity",
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}

DANGEROUS = re.compile(
    r"<\s*(script|iframe|object|embed|style|form|meta|link|base)\b"
    r"|\son[a-z]+\s*="
    r"|\b(javascript|vbscript|data)\s*:(?!image/(png|gif|jpe?g|webp);)", re.I)


# Elements whose content an HTML parser reads as raw text up to their end tag: left unclosed in
# one raw-HTML token, they would swallow everything after it. None of them is ever published.
RAW_TEXT_NAMES = "script|style|iframe|textarea|xmp|noembed|noframes|noscript|plaintext|title"
RAW_TEXT_ELEMENT = re.compile(
    rf"<({RAW_TEXT_NAMES})\b[^>]*>.*?(?:</\1\s*>|\Z)|</(?:{RAW_TEXT_NAMES})\s*>", re.I | re.S)


def defuse_raw_text(fragment: str) -> str:
    """Remove raw-text elements from one raw-HTML token, each ending at the token's end at the
    latest, so an unclosed `<iframe>` cannot take the rest of the post with it."""
    return RAW_TEXT_ELEMENT.sub("", fragment)


RAW_TEXT_START = re.compile(rf"^<({RAW_TEXT_NAMES})\b", re.I)


def raw_text_element(tag: str) -> str | None:
    """The name of the raw-text element this inline tag opens, if it opens one."""
    match = RAW_TEXT_START.match(tag)
    return match.group(1).lower() if match else None


def confine_tags(fragment: str) -> str:
    """An author's raw-HTML block that ends inside a tag (an unclosed `<p title='...`) would take
    everything after it into that tag: show the unfinished tag as text instead."""
    state, tag_start, quote = "text", 0, ""
    for index, char in enumerate(fragment):
        if state == "text":
            following = fragment[index + 1: index + 2]
            if char == "<" and (following.isalpha() or following in ("/", "!")):
                state, tag_start = "tag", index
        elif state == "tag":
            if char in "\"'":
                state, quote = "quote", char
            elif char == ">":
                state = "text"
        elif char == quote:
            state = "tag"
    if state == "text":
        return fragment
    return fragment[:tag_start] + html.escape(fragment[tag_start:])


# Built once: nh3.clean builds its allowlists anew on every call, a tenth of a post's sanitizing.
_CLEANER = nh3.Cleaner(tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
                       filter_style_properties=STYLE_PROPERTIES, link_rel=None,
                       strip_comments=True)


def sanitize(html: str) -> str:
    return _CLEANER.clean(html)


def danger_in(fragment: str) -> str | None:
    """What an author's raw HTML contains that the sanitizer will remove, for the warning.

    Also found when hidden the way browsers would still read it: character references
    (``&#106;avascript:``) and tabs or line breaks inside a URL scheme (``java&#x09;script:``).
    """
    match = DANGEROUS.search(fragment) or DANGEROUS.search(_as_browsers_read(fragment))
    return match.group(0).strip() if match else None


def _as_browsers_read(fragment: str) -> str:
    return re.sub(r"[\t\n\r]", "", html.unescape(fragment))
