"""Pandoc's fenced divs and Quarto's callouts.

```
::: {#id .class key="value"}        ::: {.callout-tip collapse="true"}
Markdown blocks                     ## A title, *Markdown* and $math$
:::                                 Markdown blocks
                                    :::
```

A fence is a line of three or more colons. With attributes after it (``{...}`` or one bare
word, a class) it opens a div; alone, it closes the innermost open div, whatever the number of
colons, so an inner div may use as many colons as the outer one. This is Pandoc's rule, and
why the block rule is written here rather than taken from mdit-py-plugins' ``container``
plugin: ``container`` matches an opening fence to the next fence at least as long, by scanning
raw lines, so an inner div needs fewer colons, a ``:::`` inside a fenced code block ends the
div, and it reads no attributes. Here the opening rule lets markdown-it tokenize the lines
that follow as the div's content, and the closing fence is itself a block rule that stops that
tokenizing: only a fence that stands where a block of the div's own content could start
closes it, so code blocks, math, lists and quotes inside keep their lines. A div never closed
runs to the end of its container (the post, or the list item or quote it opened in) with a
warning naming its opening line, as Pandoc does.

The ``{...}`` is read as Pandoc reads it (``read_attributes``), not with mdit-py-plugins'
``attrs`` parser, which follows djot: it refuses ``{`` and ``}`` inside a quoted value, so the
most common title of a math callout, ``title="The $\\hat{x}$ bound"``, would not parse, and it
refuses single quotes and bare values such as ``50%``, which Pandoc accepts.

Callouts are divs with a class ``callout-note``, ``-tip``, ``-warning``, ``-important`` or
``-caution``: ``<div class="callout callout-note" role="note">`` holding a title and a body;
``collapse="true"``/``"false"`` puts them in a ``<details>`` (closed/open) whose ``<summary>``
is the title, so they open without a script. The title is ``title="..."``, else a heading
that is the callout's first block (Quarto's ``## Title``), else the type's name; it is parsed
as inline Markdown, math included.

Quarto's tabsets, ``::: {.panel-tabset}``: the div's first heading sets the tabs' level, and
each heading of that level starts a tab whose panel runs to the next one (deeper headings stay
in the panel); what comes before the first heading is left out, as Quarto leaves it out, with
a warning. A tab is a radio ``<input>`` and its ``<label>`` followed by its panel, so the theme
shows one panel at a time with ``:checked`` selectors and no script. No radio starts checked:
until the reader picks a tab the theme shows the panel holding the page's ``:target`` (a link
into a panel selects it), else the one whose heading carries ``.active``, else the first. The
radios' ``name`` and ids carry a digest of the post's path and the tabset's number in the post,
so tabsets never share a group, on the post's page or in summaries on an index page. The tab
heading's id goes to its panel, so a link to the tab still lands; the heading itself is gone,
hence out of the table of contents and of ``number-sections``.

Trust: the tags rendered here are plugin output, which the build keeps out of the HTML
sanitizer (it would strip ``data-*``, the ``open`` of a ``<details>``, a radio's ``name`` and
a label's ``for``). So what an author writes reaches them only as escaped attribute values
under a fixed set of names (a tab heading's ``id`` and classes, on its panel): ``id``,
``class``, ``lang``, ``dir``, ``title`` and ``data-*``. Other keys become ``data-KEY``;
``on*`` handlers and ``style`` are dropped with a warning, because nothing would check them
(a class, styled by the theme, or a raw ``<div style>``, which the sanitizer checks, does the
same job). The rendering applies the same names again, so attributes that other syntax
(``{: ...}``, ``{...}`` on the line above) hangs on these tokens are held to them too. The
content between the tags is ordinary Markdown and is sanitized with the page.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from generator.context import env_store, render_context

PANDOC_KIND = "pandoc"
ENV_KEY = "stride_compat_divs"
CALLOUT_TITLES = {"note": "Note", "tip": "Tip", "warning": "Warning",
                  "important": "Important", "caution": "Caution"}
_CALLOUT_CLASSES = {f"callout-{kind}": kind for kind in CALLOUT_TITLES}

_FENCE = re.compile(r":{3,}")
_CLASS_WORD = re.compile(r"(?P<word>\S*?[^\s:])[\s:]*")
_AFTER_ATTRIBUTES = re.compile(r"[ \t]*:*[ \t]*")
# Pandoc's attribute syntax: an identifier begins with a letter; a value is quoted (either
# quote) or bare, and a backslash escapes the punctuation after it.
_IDENTIFIER = r"[^\W\d_][\w:.-]*"
_ATTRIBUTE = re.compile(rf"""
    \#(?P<id>{_IDENTIFIER})
  | \.(?P<class>{_IDENTIFIER})
  | (?P<key>{_IDENTIFIER})=(?: "(?P<double>(?:[^"\\]|\\.)*)"
                            | '(?P<single>(?:[^'\\]|\\.)*)'
                            | (?P<bare>(?:[^\s}}"'\\]|\\.)*) )
""", re.X)
_SEPARATOR = re.compile(r"\s*")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
# What a plain div keeps under its own name; every other key becomes data-KEY.
_HTML_ATTRIBUTES = frozenset({"lang", "dir", "title"})
_PUBLISHED = re.compile(r"id|class|lang|dir|title|role|open|hidden|data-[a-z0-9_.-]+")
# Quarto's conditional content: which `when-format`/`unless-format` values name a web page.
_WEB_FORMATS = frozenset({"html", "html4", "html5"})
# The theme draws every callout one way, with its type's icon unless icon="false"
_QUARTO_LOOKS = frozenset({"appearance", "icon"})
_TOKEN_TYPES = ("fenced_div", "callout", "callout_details", "callout_title", "callout_body")
TABSET_CLASS = "panel-tabset"
# Quarto's class on the heading of the tab that is selected first
_ACTIVE_TAB = "active"
_TABSET_TOKEN_TYPES = ("tabset_label", "tabset_panel")

Warn = Callable[[str, str], None]


@dataclass
class OpenDiv:
    """A div whose content is being tokenized: its opening line and its content's nesting level
    in ``state``."""

    state: StateBlock
    line: int
    level: int
    closed_at: int | None = None


@dataclass
class DivsEnv:
    """The divs open around the line being parsed, innermost last."""

    open: list[OpenDiv] = field(default_factory=list)


def divs_env(env: MutableMapping[str, Any]) -> DivsEnv:
    return env_store(env, ENV_KEY, DivsEnv)


@dataclass(frozen=True)
class Fence:
    """A line that begins with three colons: a closing fence, an opening one with the
    attributes as written, or neither (``problem`` says why)."""

    attributes: Mapping[str, str] | None = None
    problem: str = ""

    @property
    def closing(self) -> bool:
        return self.attributes is None and not self.problem


class AttributeSyntaxError(ValueError):
    """A ``{...}`` that is not Pandoc's attribute syntax; the message says where."""


def read_attributes(text: str) -> tuple[dict[str, str], int]:
    """Pandoc's ``{#id .class key="value" key='value' key=bare}`` at the start of ``text``:
    the attributes (``id``, ``class`` with its words joined, the keys as written, in order)
    and the index after the closing ``}``."""
    attributes: dict[str, str] = {}
    classes: list[str] = []
    position = _SEPARATOR.match(text, 1).end()
    while position < len(text) and text[position] != "}":
        found = _ATTRIBUTE.match(text, position)
        if found is None:
            raise AttributeSyntaxError(
                f"`{text[position:position + 20]}` is not #id, .class or key=value")
        if found["id"]:
            attributes["id"] = found["id"]
        elif found["class"]:
            classes.append(found["class"])
        else:
            quoted = next(v for v in (found["double"], found["single"], found["bare"], "")
                          if v is not None)
            value = _ESCAPE.sub(r"\1", quoted)
            if found["key"] == "class":
                classes.extend(value.split())
            else:
                attributes[found["key"]] = value
        position = found.end()
        separator = _SEPARATOR.match(text, position).end()
        if separator == position and position < len(text) and text[position] != "}":
            raise AttributeSyntaxError(f"`{text[position:position + 20]}` needs a space before it")
        position = separator
    if position >= len(text):
        raise AttributeSyntaxError("the `{` is never closed by a `}`")
    if classes:
        attributes["class"] = " ".join(classes)
    return attributes, position + 1


def read_fence(line: str) -> Fence | None:
    """Read one line (indentation removed); None when it does not begin with ``:::``."""
    colons = _FENCE.match(line)
    if colons is None:
        return None
    rest = line[colons.end():].strip()
    if not rest:
        return Fence()
    if rest.startswith("{"):
        try:
            attributes, end = read_attributes(rest)
        except AttributeSyntaxError as error:
            return Fence(problem=f"its attributes cannot be read: {error}")
        if not _AFTER_ATTRIBUTES.fullmatch(rest, end):
            return Fence(problem=f"`{rest[end:].strip()}` follows its attributes")
        return Fence(attributes)
    word = _CLASS_WORD.fullmatch(rest)
    if word is None:
        return Fence(problem="only one word (a class) or {attributes} may follow the colons")
    return Fence({"class": word.group("word")})


@dataclass(frozen=True)
class Div:
    """An opening fence's attributes, sorted: what the HTML carries and what Stride reads."""

    attributes: Mapping[str, str]
    callout: str = ""               # note, tip, warning, important, caution; "" for a plain div
    title: str | None = None        # Markdown; None: a first heading, else the type's name
    collapse: bool | None = None    # None: always open; True: starts closed; False: starts open


def read_div(written: Mapping[str, str], warn: Warn) -> Div:
    """Sort an opening fence's attributes; ``warn(message, hint)`` reports what is dropped."""
    classes = written.get("class", "").split()
    callout = next((_CALLOUT_CLASSES[name] for name in classes if name in _CALLOUT_CLASSES), "")
    attributes: dict[str, str] = {"id": written["id"]} if written.get("id") else {}
    if callout:
        attributes.update({"class": " ".join(["callout", *classes]), "role": "note"})
    elif classes:
        attributes["class"] = " ".join(classes)
    title: str | None = None
    collapse: bool | None = None
    if _hidden_on_the_web(classes, written):
        attributes["hidden"] = ""
    for key, value in written.items():
        name = key.lower()
        if name in ("id", "class") or (callout and name in _QUARTO_LOOKS):
            if callout and name == "icon" and value.lower() == "false":
                attributes["class"] += " callout-no-icon"
            continue
        if callout and name == "title":
            title = value
        elif callout and name == "collapse":
            if value.lower() in ("true", "false"):
                collapse = value.lower() == "true"
            else:
                warn(f'collapse="{value}" is neither true nor false; the callout does not '
                     "collapse", 'write collapse="true" (starts closed) or "false" (starts open)')
        elif name.startswith("on"):
            warn(f"removed unsafe HTML: the event handler `{key}=` on a fenced div",
                 "pages never run scripts from posts; remove the attribute")
        elif name == "style":
            warn("`style=` on a fenced div is not published: nothing would check its CSS",
                 "give the div a class and style the class in the theme's CSS, or write the "
                 "div as raw HTML, <div style=\"...\">, which the sanitizer checks")
        else:
            own_name = name in _HTML_ATTRIBUTES or name.startswith("data-")
            html_name = name if own_name else f"data-{name}"
            if _PUBLISHED.fullmatch(html_name):
                attributes[html_name] = value
            else:
                warn(f"`{key}=` on a fenced div is not a name an HTML attribute can have; it "
                     "is dropped", "use letters, digits, `-` and `_` in attribute names")
    return Div(attributes, callout, title, collapse)


def _hidden_on_the_web(classes: list[str], written: Mapping[str, str]) -> bool:
    """Quarto's ``.hidden`` (kept in the page, never shown: the place for TeX macros), and
    ``.content-visible``/``.content-hidden`` with ``when-format``/``unless-format``, read for
    an HTML page (other conditions, ``when-meta`` or ``when-profile``, show the content)."""
    if "hidden" in classes:
        return True
    for condition_class, shown in (("content-visible", True), ("content-hidden", False)):
        if condition_class not in classes:
            continue
        for key, web_means in (("when-format", True), ("unless-format", False)):
            if key in written:
                is_web = written[key].strip().lower().split(":")[0] in _WEB_FORMATS
                return (is_web == web_means) != shown
        return not shown and not any(key.startswith(("when-", "unless-")) for key in written)
    return False


# ----------------------------------------------------------------------------------------------
# The block rule
# ----------------------------------------------------------------------------------------------
def _fenced_div(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    if state.is_code_block(start_line):
        return False
    start = state.bMarks[start_line] + state.tShift[start_line]
    if not state.src.startswith(":::", start):
        return False
    line = state.src[start:state.eMarks[start_line]]
    fence = read_fence(line)
    assert fence is not None
    if fence.closing:
        return _closing_fence(state, start_line, end_line, silent)
    if fence.problem:
        if not silent:
            render_context(state.env).warn(
                start_line, f"`{line.strip()}` is not a fenced div: {fence.problem}; the line "
                "is shown as text", kind=PANDOC_KIND,
                hint='an opening fence is `:::` and then {#id .class key="value"} or one word')
        return False
    if not silent:
        assert fence.attributes is not None
        _open_div(state, start_line, end_line, line.strip(), fence.attributes)
    return True


def _closing_fence(state: StateBlock, line: int, end_line: int, silent: bool) -> bool:
    # Divs opened by another parse sharing this env (an included file) are not closed here.
    divs = [div for div in divs_env(state.env).open if div.state is state]
    if silent:
        # It ends a paragraph, list or quote inside an open div, as in Pandoc.
        return bool(divs)
    if divs and divs[-1].level == state.level:
        divs[-1].closed_at = line
        state.line = end_line  # ends the tokenizing of the div's content
        return True
    if divs:
        message = ("a closing fence `:::` inside a list or quote cannot close the div opened "
                   f"at line {render_context(state.env).location(divs[-1].line).line} "
                   "outside it; it is shown as text")
        hint = "put the closing fence after the list or quote, at the div's own indentation"
    else:
        message = "a closing fence `:::` with no open div; it is shown as text"
        hint = 'remove it, or open a div above it with `::: {.class}`'
    render_context(state.env).warn(line, message, kind=PANDOC_KIND, hint=hint)
    return False


def _open_div(state: StateBlock, start_line: int, end_line: int, fence: str,
              written: Mapping[str, str]) -> None:
    context = render_context(state.env)

    def warn(message: str, hint: str) -> None:
        context.warn(start_line, message, kind=PANDOC_KIND, hint=hint)

    div = read_div(written, warn)
    first = len(state.tokens)
    if div.callout:
        state.push("callout_open", "div", 1).attrs = dict(div.attributes)
        if div.collapse is not None:
            details = state.push("callout_details_open", "details", 1)
            if not div.collapse:
                details.attrSet("open", "")
        body_at = len(state.tokens)
        state.push("callout_body_open", "div", 1).attrSet("class", "callout-body")
    else:
        state.push("fenced_div_open", "div", 1).attrs = dict(div.attributes)

    divs = divs_env(state.env).open
    opened = OpenDiv(state, start_line, state.level)
    divs.append(opened)
    parent_type, state.parentType = state.parentType, "fenced_div"
    try:
        state.md.block.tokenize(state, start_line + 1, end_line)
    finally:
        state.parentType = parent_type
        divs.pop()
    if opened.closed_at is not None:
        next_line = opened.closed_at + 1
    else:
        next_line = max(start_line + 1, min(state.line, end_line))
        at_end = next_line >= len(state.bMarks) - 1
        warn(f"`{fence}` is never closed: it runs to the end of the "
             f"{'post' if at_end else 'list item or quote it is in'}",
             "close it with a line of three colons, `:::`")

    if div.callout:
        state.push("callout_body_close", "div", -1)
        if div.collapse is not None:
            state.push("callout_details_close", "details", -1)
        state.push("callout_close", "div", -1)
        _insert_title(state, div, body_at, start_line)
    else:
        state.push("fenced_div_close", "div", -1)
    state.tokens[first].map = [start_line, next_line]
    state.line = next_line


def _insert_title(state: StateBlock, div: Div, body_at: int, line: int) -> None:
    """The callout's title, before its body: the attribute's, else the body's first block if
    it is a heading (taken out of the body, and so out of the table of contents), else the
    type's name."""
    tokens = state.tokens
    level = tokens[body_at].level
    first_block = tokens[body_at + 1:body_at + 4]
    heading_id = None
    if div.title is not None:
        inline = Token("inline", "", 0, content=div.title, map=[line, line + 1], children=[])
    elif first_block and first_block[0].type == "heading_open":
        inline = first_block[1]
        del tokens[body_at + 1:body_at + 4]
        heading_id = (_strip_heading_attributes(inline) or {}).get("id")
    else:
        inline = Token("inline", "", 0, content=CALLOUT_TITLES[div.callout],
                       map=[line, line + 1], children=[])
    tag = "p" if div.collapse is None else "summary"
    opening = Token("callout_title_open", tag, 1, attrs={"class": "callout-title"},
                    block=True, level=level, map=inline.map)
    if heading_id:  # `## Title {#id}`: a link to #id reaches the title
        opening.attrSet("id", heading_id)
    inline.level = level + 1
    closing = Token("callout_title_close", tag, -1, block=True, level=level)
    tokens[body_at:body_at] = [opening, inline, closing]


_UNNUMBERED_SHORTHAND = re.compile(r"(?<=[{\s])-(?=[\s}])")


def _strip_heading_attributes(inline: Token) -> dict[str, str] | None:
    """A heading's trailing ``{#id .class key=value}`` (Pandoc's and kramdown's) taken off its
    text; returns the attributes (None when there are none)."""
    opening = inline.content.rfind("{")
    if opening < 0 or not inline.content.rstrip().endswith("}"):
        return None
    written = inline.content[opening:].rstrip()
    try:  # Pandoc's "-" alone is short for .unnumbered
        attributes, end = read_attributes(_UNNUMBERED_SHORTHAND.sub(".unnumbered", written))
    except AttributeSyntaxError:
        return None
    if end != len(_UNNUMBERED_SHORTHAND.sub(".unnumbered", written)):
        return None
    inline.content = inline.content[:opening].rstrip()
    return attributes


def _heading_attributes(state: Any) -> None:
    """Pandoc's attributes after a heading, ``## Appendix {#sec-refs .unnumbered .appendix}``:
    the id and classes go on the heading (``.unnumbered``, or ``{-}``, keeps it out of
    ``number-sections``; ``.unlisted`` and ``.appendix`` mean nothing more here). Other keys are
    dropped."""
    tokens = state.tokens
    for index, token in enumerate(tokens[:-1]):
        if token.type != "heading_open" or tokens[index + 1].type != "inline":
            continue
        attributes = _strip_heading_attributes(tokens[index + 1])
        if attributes is None:
            continue
        if attributes.get("id"):
            token.attrSet("id", attributes["id"])
        if attributes.get("class"):
            token.attrSet("class", attributes["class"])


# ----------------------------------------------------------------------------------------------
# Quarto's tabsets
# ----------------------------------------------------------------------------------------------
def _tabsets(state: StateCore) -> None:
    """Turn each ``.panel-tabset`` div's content into tabs; it runs once the headings have their
    ids and before ``number-sections`` and the table of contents count them."""
    tokens = state.tokens
    openings = [token for token in tokens if token.type == "fenced_div_open"
                and TABSET_CLASS in str(token.attrGet("class") or "").split()]
    if not openings:
        return
    context = render_context(state.env)
    post = context.post_digest()
    # Rebuilding a tabset moves the tokens after its opening, a nested tabset's among them:
    # each opening is looked up when its turn comes.
    for number, opening in enumerate(openings, start=1):
        at = next((index for index, token in enumerate(tokens) if token is opening), None)
        if at is not None:  # None: left out with the text before an outer tabset's first tab
            _make_tabset(tokens, at, f"tabset-{post}-{number}", context.warn)


def _make_tabset(tokens: list[Token], opening: int, name: str,
                 warn: Callable[..., None]) -> None:
    div = tokens[opening]
    line = div.map[0] if div.map else None
    depth, children, closing = 0, [], len(tokens)
    for index in range(opening, len(tokens)):
        if depth == 1 and tokens[index].type == "heading_open":
            children.append(index)
        depth += tokens[index].nesting
        if depth == 0:
            closing = index
            break
    if not children:
        warn(line, "a `.panel-tabset` div holds no heading, so it has no tabs; its content is "
             "shown as a plain div", kind=PANDOC_KIND,
             hint="start each tab with a heading, `## Tab title`, right inside the div")
        return
    tab_tag = tokens[children[0]].tag
    starts = [index for index in children if tokens[index].tag == tab_tag]
    if starts[0] > opening + 1:
        dropped = tokens[opening + 1]
        warn(dropped.map[0] if dropped.map else line,
             "the text before a tabset's first heading is not shown (Quarto leaves it out too)",
             kind=PANDOC_KIND, hint="move it above the `::: {.panel-tabset}` line, or into a tab")
    active = [index for index in starts
              if _ACTIVE_TAB in str(tokens[index].attrGet("class") or "").split()]
    selected = active[0] if active else starts[0]
    tabs: list[Token] = []
    for number, start in enumerate(starts, start=1):
        end = starts[number] if number < len(starts) else closing
        title = tokens[start + 1]
        if not title.content.strip():  # a label with no text would leave its tab nameless
            warn(tokens[start].map[0] if tokens[start].map else line,
                 f"a tab's heading is empty: its tab is labelled 'Tab {number}'",
                 kind=PANDOC_KIND, hint="give the heading a title, e.g. `## Results`")
            title.content = f"Tab {number}"
            title.children = [Token("text", "", 0, content=title.content)]
        tabs += _tab(tokens, start, end, f"{name}-{number}", name, start == selected)
    tokens[opening + 1:closing] = tabs


def _tab(tokens: list[Token], start: int, end: int, radio_id: str, name: str,
         selected: bool) -> list[Token]:
    """One tab from the heading at ``start`` and the blocks after it, up to ``end``: its radio,
    its label (the heading's text) and its panel (those blocks)."""
    heading, title = tokens[start], tokens[start + 1]
    level = heading.level
    radio_class = "tabset-radio tabset-selected-first" if selected else "tabset-radio"
    radio = Token("tabset_radio", "input", 0, level=level, block=True, attrs={
        "type": "radio", "class": radio_class, "name": name, "id": radio_id})
    label = Token("tabset_label_open", "label", 1, level=level, block=True, map=heading.map,
                  attrs={"class": "tabset-tab", "for": radio_id})
    classes = [word for word in str(heading.attrGet("class") or "").split() if word != _ACTIVE_TAB]
    panel = Token("tabset_panel_open", "div", 1, level=level, block=True,
                  attrs={"class": " ".join(["tabset-panel", *classes])})
    if heading.attrGet("id"):  # a link to the tab's heading lands on its panel
        panel.attrSet("id", heading.attrGet("id"))
    content = tokens[start + 3:end]
    for token in content:
        token.level += 1
    return [radio, label, title,
            Token("tabset_label_close", "label", -1, level=level, block=True),
            panel, *content, Token("tabset_panel_close", "div", -1, level=level, block=True)]


# ----------------------------------------------------------------------------------------------
# Rendering
# ----------------------------------------------------------------------------------------------
def _render_tag(self: Any, tokens: list[Token], index: int, options: Any, env: Any) -> str:
    token = tokens[index]
    if token.nesting == -1:
        return f"</{token.tag}>\n"
    attributes = "".join(f' {name}="{escapeHtml(str(value))}"'
                         for name, value in token.attrs.items() if _PUBLISHED.fullmatch(name))
    following = tokens[index + 1] if index + 1 < len(tokens) else None
    return f"<{token.tag}{attributes}>" + ("" if following and following.type == "inline" else "\n")


def _render_tabset_tag(self: Any, tokens: list[Token], index: int, options: Any,
                       env: Any) -> str:
    """A tabset's radio, label or panel: Stride's names and values, and the tab heading's id
    and classes, escaped."""
    token = tokens[index]
    if token.nesting == -1:
        return f"</{token.tag}>\n"
    attributes = "".join(f' {name}="{escapeHtml(str(value))}"'
                         for name, value in token.attrs.items())
    return f"<{token.tag}{attributes}>" + ("" if token.type == "tabset_label_open" else "\n")


def fenced_divs_plugin(md: MarkdownIt) -> None:
    """Pandoc's fenced divs (``::: {#id .class key="value"}`` ... ``:::``), Quarto's callouts
    (``::: {.callout-note}``, with a title and ``collapse``) and hidden or conditional content
    (``.hidden``, ``.content-visible when-format="html"``), tabsets (``.panel-tabset``), and
    Pandoc's heading attributes."""
    md.block.ruler.before("fence", "fenced_div", _fenced_div,
                          {"alt": ["paragraph", "reference", "blockquote", "list"]})
    md.core.ruler.after("block", "pandoc_heading_attributes", _heading_attributes)
    # after the heading ids are given (their panels take them), before sections are numbered
    core_rules = [rule.name for rule in md.core.ruler.__rules__]
    md.core.ruler.after("anchor" if "anchor" in core_rules else "inline", "quarto_tabsets",
                        _tabsets)
    for token_type in _TOKEN_TYPES:
        md.add_render_rule(f"{token_type}_open", _render_tag)
        md.add_render_rule(f"{token_type}_close", _render_tag)
    md.add_render_rule("tabset_radio", _render_tabset_tag)
    for token_type in _TABSET_TOKEN_TYPES:
        md.add_render_rule(f"{token_type}_open", _render_tabset_tag)
        md.add_render_rule(f"{token_type}_close", _render_tabset_tag)
