"""kramdown's extensions as Jekyll posts use them: attribute lists, `{:toc}`, abbreviations,
`{::options /}`, `{::comment}` and `{::nomarkdown}`.

Attribute lists are parsed by markdown-it rules, not by scanning text: a block rule that
recognises a line holding only `{: ...}` (registered as a paragraph, list and blockquote
terminator, so the line ends the element above it exactly as in kramdown) and an inline rule for
`{: ...}` right after an image, link, emphasis or code span. A core rule then moves each list's
attributes onto its element. Attribute words are split with ``shlex`` (kramdown quotes values
with either quote character, which the djot-style parser in ``mdit_py_plugins.attrs`` does not
accept).

Abbreviations (`*[HTML]: Hyper Text Markup Language`) are written by hand, after markdown-it's
own `markdown-it-abbr` (which has no Python port in mdit-py-plugins): a block rule collects the
definitions, the core rule wraps whole-word occurrences in text with `<abbr title>`.
"""
from __future__ import annotations

import html
import re
import shlex
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock, paragraph
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

from generator.context import RenderContext, env_store, render_context

from .toc import TOC_TOKEN, add_toc

KRAMDOWN_KIND = "kramdown"
ENV_KEY = "stride_compat_kramdown"

_BLOCK_IAL = re.compile(r"\{:(?!:)\s*(?P<body>[^{}]*)\}")
_ALD = re.compile(r"\{:(?P<name>[A-Za-z][\w-]*):\s*(?P<body>[^{}]*)\}")
_EXTENSION = re.compile(r"\{::(?P<name>\w+)(?P<body>[^{}]*?)(?P<self_closing>/)?\}")
_EXTENSION_END = re.compile(r"\{:/(?P<name>\w*)\}")
_ABBREVIATION = re.compile(r"\*\[(?P<abbr>[^\]\n]+)\]:[ \t]*(?P<title>.*)")
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z_:][\w:.-]*")
_LIST_TYPES = ("bullet_list_open", "ordered_list_open")
_HEADER_ID = re.compile(r"\s*\{#(?P<id>[A-Za-z][\w:.-]*)\}\s*$")  # kramdown's `## Title {#id}`


@dataclass
class KramdownEnv:
    """The post's abbreviation and attribute-list definitions, found while parsing blocks."""

    abbreviations: dict[str, str] = field(default_factory=dict)
    definitions: dict[str, str] = field(default_factory=dict)  # ALD name -> attribute words


def kramdown_env(env: MutableMapping[str, Any]) -> KramdownEnv:
    return env_store(env, ENV_KEY, KramdownEnv)


@dataclass(frozen=True)
class Attributes:
    """An attribute list's effect: what to set on the element, and whether it asked for a TOC."""

    values: tuple[tuple[str, str], ...] = ()
    classes: tuple[str, ...] = ()
    toc: bool = False


def parse_attribute_list(body: str, definitions: dict[str, str], *,
                         warn: Any, seen: frozenset[str] = frozenset()) -> Attributes:
    """kramdown IAL words: ``#id``, ``.class``, ``key="value"``, ``key='value'``, a reference to
    an attribute list definition, and ``toc``. ``warn(message, hint)`` reports what is dropped."""
    try:
        words = shlex.split(body)
    except ValueError as error:
        warn(f"the attribute list `{{:{body}}}` cannot be read: {error}", "check its quotes")
        return Attributes()
    values: dict[str, str] = {}
    classes: list[str] = []
    toc = False
    for word in words:
        name, equals, value = word.partition("=")
        if word.startswith("#") and len(word) > 1:
            values["id"] = word[1:]
        elif word.startswith(".") and len(word) > 1:
            classes.append(word[1:])
        elif equals:
            if not _ATTRIBUTE_NAME.fullmatch(name):
                warn(f"`{name}` is not an attribute name; it is dropped", "remove it")
            elif name.lower().startswith("on"):
                warn(f"the event handler attribute `{name}` is dropped", "pages never run "
                     "scripts from posts; remove the attribute")
            elif name == "class":
                classes.extend(value.split())
            else:
                values[name] = value
        elif word == "toc":
            toc = True
        elif word in definitions and word not in seen:
            referenced = parse_attribute_list(definitions[word], definitions, warn=warn,
                                              seen=seen | {word})
            values = {**dict(referenced.values), **values}
            classes = [*referenced.classes, *classes]
        else:
            warn(f"`{word}` in `{{:{body}}}` is neither an attribute nor a defined reference; it "
                 "is dropped", "define it with `{:" + word + ": ...}` or remove it")
    return Attributes(tuple(values.items()), tuple(classes), toc)


def _apply(token: Token, attributes: Attributes) -> None:
    for name, value in attributes.values:
        token.attrSet(name, value)
    for css_class in attributes.classes:
        existing = str(token.attrGet("class") or "")
        if css_class not in existing.split():
            token.attrSet("class", f"{existing} {css_class}".strip())


# ----------------------------------------------------------------------------------------------
# Block rules
# ----------------------------------------------------------------------------------------------
def _line(state: StateBlock, line: int) -> str:
    return state.src[state.bMarks[line] + state.tShift[line]:state.eMarks[line]].rstrip()


def _kramdown_block(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    if state.sCount[start_line] - state.blkIndent >= 4 or not state.src.startswith(
            "{:", state.bMarks[start_line] + state.tShift[start_line]):
        return False
    text = _line(state, start_line)
    extension = _EXTENSION.fullmatch(text)
    definition = _ALD.fullmatch(text)
    ial = _BLOCK_IAL.fullmatch(text)
    if extension is None and definition is None and ial is None:
        return False
    if silent:
        return True
    if definition is not None:
        kramdown_env(state.env).definitions[definition.group("name")] = definition.group("body")
        state.line = start_line + 1
    elif ial is not None:
        token = state.push("kramdown_ial", "", 0)
        token.map = [start_line, start_line + 1]
        token.content = ial.group("body")
        state.line = start_line + 1
    else:
        state.line = _extension(state, start_line, end_line, extension)
    return True


# kramdown's span-level elements: a line holding only one of their tags starts a paragraph in
# kramdown, where CommonMark starts an HTML block (its rule 7) that shows the Markdown below it
# as raw text (`<a name="x" />` over `![figure](...)` and `{: .center}`).
_SPAN_TAG_LINE = re.compile(
    r"</?(?:a|abbr|b|bdo|br|cite|code|del|dfn|em|i|img|ins|kbd|mark|q|s|samp|small|span|strong"
    r"|sub|sup|u|var)(?:\s[^<>]*)?/?>\s*", re.I)


# `<a name="x" />` is not a void element in HTML: a browser (and the sanitizer) reads it as an
# opening `<a>` that swallows the text after it. kramdown writes it out as `<a name="x"></a>`.
_SELF_CLOSED_SPAN = re.compile(
    r"<(?P<name>a|abbr|b|bdo|cite|code|del|dfn|em|i|ins|kbd|mark|q|s|samp|small|span|strong|sub"
    r"|sup|u|var)(?P<attributes>\s[^<>]*?)?\s*/>", re.I)


def _close_span_tags(state: StateCore) -> None:
    for token in state.tokens:
        if token.type == "html_block":
            token.content = _SELF_CLOSED_SPAN.sub(r"<\g<name>\g<attributes>></\g<name>>", token.content)
        for child in token.children or ():
            if child.type == "html_inline":
                child.content = _SELF_CLOSED_SPAN.sub(r"<\g<name>\g<attributes>></\g<name>>",
                                                      child.content)


def _span_tag_paragraph(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """A lone span-level tag with more text right below it opens a paragraph, as in kramdown."""
    if state.sCount[start_line] - state.blkIndent >= 4 or start_line + 1 >= end_line:
        return False
    if _SPAN_TAG_LINE.fullmatch(_line(state, start_line)) is None:
        return False
    following = _line(state, start_line + 1)
    # more HTML, or kramdown lines (`{: ...}`, `*[ABBR]:`) that the HTML-block pass already
    # takes back out, keep CommonMark's HTML block
    if (not following or following.startswith(("<", "{:", "*["))
            or state.sCount[start_line + 1] < state.blkIndent):
        return False
    return paragraph(state, start_line, end_line, silent)


def _extension(state: StateBlock, start_line: int, end_line: int, match: re.Match[str]) -> int:
    """``{::options ... /}`` is ignored; ``{::comment}`` drops its lines; ``{::nomarkdown}``
    keeps them as raw HTML (the sanitizer still cleans it)."""
    name = match.group("name")
    if match.group("self_closing") or name == "options":
        return start_line + 1
    line = start_line + 1
    while line < end_line and not _EXTENSION_END.fullmatch(_line(state, line)):
        line += 1
    if name == "nomarkdown":
        token = state.push("html_block", "", 0)
        token.map = [start_line, line]
        token.content = state.getLines(start_line + 1, line, state.blkIndent, True)
    elif name != "comment":
        render_context(state.env).warn(start_line, f"the kramdown extension `{{::{name}}}` is not "
                                       "supported; its content is dropped",
                                       hint="replace it with Markdown", kind=KRAMDOWN_KIND)
    return min(line + 1, end_line)


def _abbreviation_definition(state: StateBlock, start_line: int, end_line: int,
                             silent: bool) -> bool:
    if state.sCount[start_line] - state.blkIndent >= 4 or not state.src.startswith(
            "*[", state.bMarks[start_line] + state.tShift[start_line]):
        return False
    definition = _ABBREVIATION.fullmatch(_line(state, start_line))
    if definition is None:
        return False
    if silent:
        return True
    abbreviation = definition.group("abbr").strip()
    kramdown_env(state.env).abbreviations.setdefault(abbreviation, definition.group("title").strip())
    state.line = start_line + 1
    return True


# ----------------------------------------------------------------------------------------------
# Inline rule: `{: .class}` right after a span element
# ----------------------------------------------------------------------------------------------
def _span_ial(state: StateInline, silent: bool) -> bool:
    if not state.src.startswith("{:", state.pos) or state.src.startswith("{::", state.pos):
        return False
    match = _BLOCK_IAL.match(state.src, state.pos)
    if match is None:
        return False
    if not silent:
        token = state.push("kramdown_span_ial", "", 0)
        token.content = match.group("body")
    state.pos = match.end()
    return True


def _span_extension(state: StateInline, silent: bool) -> bool:
    """kramdown's extensions inside a paragraph: ``{::options /}`` and other self-closing ones
    vanish, ``{::comment}...{:/comment}`` is dropped, ``{::nomarkdown}...{:/}`` is raw HTML."""
    if not state.src.startswith("{::", state.pos):
        return False
    opening = _EXTENSION.match(state.src, state.pos)
    if opening is None or opening.group("name") not in ("options", "comment", "nomarkdown"):
        return False  # kramdown defines no other extension
    end = opening.end()
    body = ""
    if not opening.group("self_closing") and opening.group("name") != "options":
        closing = _EXTENSION_END.search(state.src, opening.end())
        if closing is None:
            return False
        body, end = state.src[opening.end():closing.start()], closing.end()
    if not silent and opening.group("name") == "nomarkdown":
        state.push("html_inline", "", 0).content = body
    state.pos = end
    return True


# ----------------------------------------------------------------------------------------------
# Core rule: attach attribute lists, build the TOC placeholder, wrap abbreviations
# ----------------------------------------------------------------------------------------------
def _matching_open(tokens: list[Token], close_index: int) -> int:
    """The index of the opening token of the element closed at ``close_index``."""
    depth = 0
    for index in range(close_index, -1, -1):
        depth += tokens[index].nesting
        if depth == 0:
            return index
    return close_index


def _block_end_line(tokens: list[Token], open_index: int) -> int | None:
    token = tokens[open_index]
    return token.map[1] if token.map else None


class _Attacher:
    def __init__(self, state: StateCore) -> None:
        self.state = state
        self.ctx: RenderContext = render_context(state.env)
        self.store = kramdown_env(state.env)

    def parse(self, body: str, line: int | None) -> Attributes:
        return parse_attribute_list(body, self.store.definitions, warn=lambda message, hint:
                                    self.ctx.warn(line, message, hint=hint, kind=KRAMDOWN_KIND))

    def run(self) -> None:
        tokens = self.state.tokens
        index = 0
        while index < len(tokens):
            token = tokens[index]
            if token.type == "kramdown_ial":
                index = self._block_ial(tokens, index)
                continue
            if token.type == "heading_open":
                self._header_id(token, tokens[index + 1])
            if token.type == "html_block":
                self._html_block_ials(token)
            if token.type == "inline" and token.children:
                self._span_ials(token)
                if self.store.abbreviations:
                    token.children = _abbreviate(token.children, self.store.abbreviations)
            index += 1

    def _block_ial(self, tokens: list[Token], index: int) -> int:
        ial = tokens[index]
        line = ial.map[0] if ial.map else None
        attributes = self.parse(ial.content, line)
        target = self._preceding(tokens, index, line) if self._follows_text(line) else None
        if target is None:
            target = self._following(tokens, index, line)
        if attributes.toc:
            toc = Token(TOC_TOKEN, "nav", 0, map=ial.map)
            if target is not None and tokens[target].type in _LIST_TYPES and target < index:
                # kramdown's `* TOC` + `{:toc}`: the placeholder list becomes the TOC, keeping
                # the attributes given to the list (`{: class="table-of-content"}` above it)
                toc.attrs = dict(tokens[target].attrs)
                _apply(toc, attributes)
                tokens[target:index + 1] = [toc]
                return target + 1
            tokens[index:index + 1] = [toc]
            return index + 1
        if target is None:
            self.ctx.warn(line, f"the attribute list `{{:{ial.content}}}` is not next to an "
                                "element; it is dropped",
                          hint="put it on the line right below the paragraph, heading, list, "
                               "table or image it is for", kind=KRAMDOWN_KIND)
        else:
            _apply(tokens[target], attributes)
        del tokens[index]
        return index

    def _follows_text(self, line: int | None) -> bool:
        """Whether the source line above ``line`` has text (kramdown wants no blank line)."""
        if not line:
            return False
        lines = self.state.src.split("\n", line)
        return len(lines) > line and bool(lines[line - 1].strip())

    @staticmethod
    def _preceding(tokens: list[Token], index: int, line: int | None) -> int | None:
        """The block right above the attribute list, with no blank line between."""
        if index == 0:
            return None
        previous = tokens[index - 1]
        opening = _matching_open(tokens, index - 1) if previous.nesting == -1 else index - 1
        if tokens[opening].nesting == -1 or tokens[opening].level != tokens[index].level:
            return None
        end_line = _block_end_line(tokens, opening)
        return opening if end_line is not None and end_line == line else None

    @staticmethod
    def _following(tokens: list[Token], index: int, line: int | None) -> int | None:
        """kramdown also accepts the list on the line right before its block."""
        if index + 1 >= len(tokens) or line is None:
            return None
        following = tokens[index + 1]
        if following.nesting == -1 or following.level != tokens[index].level:
            return None
        return index + 1 if following.map and following.map[0] == line + 1 else None

    def _html_block_ials(self, block: Token) -> None:
        """An HTML block runs to the next blank line, so it swallows the kramdown lines written
        right below it: they are taken back out; an attribute list goes to the block's first
        element, definitions are recorded, ``{::options /}`` is dropped."""
        lines = block.content.rstrip("\n").split("\n")
        attribute_lists = []
        while len(lines) > 1:
            last = lines[-1].strip()
            if ial := _BLOCK_IAL.fullmatch(last):
                attribute_lists.append(ial.group("body"))
            elif definition := _ALD.fullmatch(last):
                self.store.definitions[definition.group("name")] = definition.group("body")
            elif abbreviation := _ABBREVIATION.fullmatch(last):
                self.store.abbreviations.setdefault(abbreviation.group("abbr").strip(),
                                                    abbreviation.group("title").strip())
            elif not _EXTENSION.fullmatch(last) or "/}" not in last:
                break
            lines.pop()
        if len(lines) == block.content.rstrip("\n").count("\n") + 1:
            return
        line = block.map[0] + len(lines) if block.map else None
        block.content = "\n".join(lines) + "\n"
        for body in reversed(attribute_lists):
            block.content = _html_with_attributes(block.content, self.parse(body, line))

    @staticmethod
    def _header_id(heading: Token, inline: Token) -> None:
        last = inline.children[-1] if inline.children else None
        if last is None or last.type != "text":
            return
        explicit = _HEADER_ID.search(last.content)
        if explicit is not None:
            heading.attrSet("id", explicit.group("id"))
            last.content = last.content[:explicit.start()]

    def _span_ials(self, inline: Token) -> None:
        children = inline.children or []
        line = inline.map[0] if inline.map else None
        kept: list[Token] = []
        for child in children:
            if child.type != "kramdown_span_ial":
                kept.append(child)
                continue
            attributes = self.parse(child.content, line)
            if kept and kept[-1].type in ("image", "code_inline"):
                _apply(kept[-1], attributes)
            elif kept and kept[-1].nesting == -1:
                _apply(kept[_matching_open(kept, len(kept) - 1)], attributes)
            else:
                self.ctx.warn(line, f"the attribute list `{{:{child.content}}}` follows plain "
                                    "text, which has no element to carry it; it is dropped",
                              hint="put it right after an image, link, emphasis or code span",
                              kind=KRAMDOWN_KIND)
        inline.children = kept


_FIRST_TAG = re.compile(r"\A(?P<open>\s*<[A-Za-z][\w:-]*)(?P<attributes>[^>]*?)(?P<close>/?>)")


def _html_with_attributes(fragment: str, attributes: Attributes) -> str:
    """``fragment`` with ``attributes`` added to its first tag (values escaped; classes merged
    into an existing ``class``; other attributes already there are kept)."""
    tag = _FIRST_TAG.match(fragment)
    if tag is None:
        return fragment
    existing = tag.group("attributes")
    added = ""
    for name, value in attributes.values:
        if not re.search(rf"\s{re.escape(name)}\s*=", existing):
            added += f' {name}="{html.escape(value)}"'
    if attributes.classes:
        classes = html.escape(" ".join(attributes.classes))
        existing, merged = re.subn(
            r"""(?P<name>\sclass\s*=\s*)(?P<quote>["'])(?P<value>.*?)(?P=quote)""",
            lambda m: f"{m['name']}{m['quote']}{m['value']} {classes}{m['quote']}",
            existing, count=1)
        if not merged:
            added += f' class="{classes}"'
    return (tag.group("open") + existing + added + tag.group("close")
            + fragment[tag.end():])


@lru_cache(maxsize=64)
def _abbreviation_pattern(words: frozenset[str]) -> re.Pattern[str]:
    """Whole-word occurrences of any abbreviation, the longest first (``HTML5`` before ``HTML``)."""
    alternatives = "|".join(map(re.escape, sorted(words, key=len, reverse=True)))
    return re.compile(rf"(?<!\w)({alternatives})(?!\w)")


def _abbreviate(children: list[Token], abbreviations: dict[str, str]) -> list[Token]:
    pattern = _abbreviation_pattern(frozenset(abbreviations))
    result: list[Token] = []
    for child in children:
        if child.type != "text" or not pattern.search(child.content):
            result.append(child)
            continue
        cursor = 0
        for match in pattern.finditer(child.content):
            if match.start() > cursor:
                result.append(Token("text", "", 0, content=child.content[cursor:match.start()]))
            opening = Token("abbr_open", "abbr", 1)
            opening.attrSet("title", abbreviations[match.group(1)])
            result.extend([opening, Token("text", "", 0, content=match.group(1)),
                           Token("abbr_close", "abbr", -1)])
            cursor = match.end()
        if cursor < len(child.content):
            result.append(Token("text", "", 0, content=child.content[cursor:]))
    return result


def kramdown_plugin(md: MarkdownIt) -> None:
    """kramdown: ``{: .class #id key="v"}`` after a block or span element, ``{:toc}``,
    ``*[ABBR]: title``, ``{:ref: ...}`` definitions, ``{::options /}`` (ignored),
    ``{::comment}`` and ``{::nomarkdown}``."""
    md.block.ruler.before("paragraph", "kramdown_block", _kramdown_block,
                          {"alt": ["paragraph", "blockquote", "list"]})
    md.block.ruler.before("html_block", "kramdown_span_tag_paragraph", _span_tag_paragraph)
    md.block.ruler.before("reference", "kramdown_abbreviation", _abbreviation_definition,
                          {"alt": ["paragraph", "reference"]})
    # right after "text", so a djot-style attribute rule (mdit-py-plugins' attrs, which would
    # read `{:target="_blank"}` as an attribute named ":target") never sees kramdown's lists
    md.inline.ruler.after("text", "kramdown_span_ial", _span_ial)
    md.inline.ruler.after("kramdown_span_ial", "kramdown_span_extension", _span_extension)
    md.core.ruler.after("inline", "kramdown_attributes", lambda state: _Attacher(state).run())
    md.core.ruler.after("kramdown_attributes", "kramdown_close_span_tags", _close_span_tags)
    add_toc(md)
