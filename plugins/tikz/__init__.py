"""TikZ pictures drawn at build time as inline SVG, without a TeX installation.

``md.use(tikz_plugin)`` reads two spellings of a picture:

* Jekyll's ``{% tikz NAME %} ... {% endtikz %}`` block (a block rule), and
* a ```` ```{tikz} ```` fence whose first lines may be ``#| caption: ...``, ``#| id: ...`` and
  ``#| alt: ...`` options, as in Quarto (a core rule turns the fence into the same tokens).

Both become ``tikz_figure_open``, ``tikz_picture``, an optional ``figcaption`` holding an inline
token (so captions get Markdown and math like any paragraph), and ``tikz_figure_close``. The
``tikz_picture`` render rule hands the picture to ``draw``, which lays it out with ``parser`` and
writes it with ``svg`` (or hands it to real TeX with ``renderer="tex"``), caching the SVG by
content; ``draw`` is imported with the first picture, so a build without one never loads the
layout engine. A picture outside the supported subset is a ``kind="tikz"`` warning at its
``post.md:LINE`` naming the command, and the page shows the TikZ source as code instead.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import yaml
from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from generator.context import render_context
from generator.errors import ConfigError, SourceLocation

__all__ = ["tikz_plugin"]

RENDERERS = ("builtin", "tex")
FENCE_INFO = "{tikz}"
FENCE_OPTIONS = ("caption", "id", "alt")

_OPEN_TAG = re.compile(r"\{%-?\s*tikz(?:\s+(?P<name>[^%]*?))?\s*-?%\}\s*$")
_CLOSE_TAG = re.compile(r"\s*\{%-?\s*endtikz\s*-?%\}\s*$")
_OPTION_LINE = re.compile(r"#\|\s?(.*)$")
_OPTION = re.compile(r"(?P<key>[A-Za-z][A-Za-z0-9_-]*)\s*:(?P<value>.*)")
_HTML_ID = re.compile(r"[A-Za-z][A-Za-z0-9_:.-]*")


def tikz_plugin(md: MarkdownIt, *, renderer: str = "builtin", tex_timeout: float = 30.0) -> None:
    """Draw TikZ pictures as inline SVG.

    :param renderer: ``"builtin"`` lays pictures out in Python (no TeX needed, the subset in
        docs/tikz.md); ``"tex"`` runs ``latex`` and ``dvisvgm`` for full TikZ, falling back to
        the built-in renderer with a warning where they are not installed.
    :param tex_timeout: seconds each of ``latex`` and ``dvisvgm`` may take per picture.
    """
    if renderer not in RENDERERS:
        raise ConfigError(f"plugins.tikz.renderer is {renderer!r}", location=SourceLocation("site.toml"),
                          hint=f"use one of: {', '.join(RENDERERS)}")
    if not isinstance(tex_timeout, (int, float)) or not 0 < tex_timeout <= 600:
        raise ConfigError(f"plugins.tikz.tex_timeout is {tex_timeout!r}",
                          location=SourceLocation("site.toml"), hint="use a number of seconds in (0, 600]")
    # First in the block chain: a `{% tikz %}` line also looks like a `{...}` block-attribute
    # line to mdit-py-plugins' attrs_block, which would otherwise swallow it.
    md.block.ruler.before("table", "tikz_liquid", _liquid_block_rule,
                          {"alt": ["paragraph", "reference", "blockquote", "list"]})
    md.core.ruler.after("block", "tikz_fence", _fence_to_figure)
    # the page's fence rule as it is now, before later plugins wrap it: it shows pictures that
    # cannot be drawn as highlighted LaTeX
    fence_rule = md.renderer.rules["fence"]
    md.add_render_rule("tikz_picture", _picture_renderer(renderer, float(tex_timeout), fence_rule))


# --- reading ---------------------------------------------------------------------------------

def _liquid_block_rule(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    if state.is_code_block(start_line):
        return False
    start = state.bMarks[start_line] + state.tShift[start_line]
    opening = _OPEN_TAG.match(state.src, start, state.eMarks[start_line])
    if not opening:
        return False
    closing_line = start_line + 1
    while closing_line < end_line:
        line_start = state.bMarks[closing_line] + state.tShift[closing_line]
        if state.sCount[closing_line] < state.blkIndent:
            break
        if _CLOSE_TAG.match(state.src, line_start, state.eMarks[closing_line]):
            break
        closing_line += 1
    if closing_line >= end_line or not _CLOSE_TAG.match(
            state.src, state.bMarks[closing_line] + state.tShift[closing_line], state.eMarks[closing_line]):
        if not silent:
            render_context(state.env).warn(
                start_line, "{% tikz %} block without {% endtikz %}; shown as text", kind="tikz",
                hint="close the picture with {% endtikz %} on a line of its own")
        return False
    if silent:
        return True
    name = (opening.group("name") or "").strip()
    body = state.getLines(start_line + 1, closing_line, state.blkIndent, False)
    _push_figure(state.tokens, state.level, body, body_line=start_line + 1,
                 map_=[start_line, closing_line + 1], name=name, options={}, block_state=state)
    state.line = closing_line + 1
    return True


def _fence_to_figure(state: StateCore) -> None:
    """Replace each ```` ```{tikz} ```` fence by the figure tokens (before inline parsing)."""
    tokens: list[Token] = []
    for token in state.tokens:
        if token.type != "fence" or token.info.strip() != FENCE_INFO:
            tokens.append(token)
            continue
        line = token.map[0] if token.map else 0
        options, body, option_lines = _fence_options(token.content, line, state.env)
        _push_figure(tokens, token.level, body, body_line=line + 1 + option_lines,
                     map_=token.map, name="", options=options, block_state=None)
    state.tokens = tokens


def _fence_options(content: str, fence_line: int, env: Any) -> tuple[dict[str, str], str, int]:
    """Leading ``#| key: value`` lines; returns the options, the picture and the line count.

    Each line is read on its own, the value being the rest of the line, so a caption may hold
    colons and dollar signs as written; a quoted value is read as a YAML string (escapes work).
    """
    lines = content.split("\n")
    count = 0
    while count < len(lines) and _OPTION_LINE.match(lines[count].strip()):
        count += 1
    context = render_context(env)
    options: dict[str, str] = {}
    for index in range(count):
        line = fence_line + 1 + index
        option = _OPTION_LINE.match(lines[index].strip()).group(1)  # type: ignore[union-attr]
        match = _OPTION.fullmatch(option.strip())
        if not match:
            context.warn(line, f"cannot read the option line '#| {option.strip()}'", kind="tikz",
                         hint="write options as '#| caption: A kernel', one per line")
            continue
        key, value = match.group("key"), match.group("value").strip()
        if key not in FENCE_OPTIONS:
            context.warn(line, f"unknown {{tikz}} option '{key}'", kind="tikz",
                         hint=f"the options are: {', '.join(FENCE_OPTIONS)}")
            continue
        if value[:1] in ("'", '"'):
            try:
                value = str(yaml.safe_load(value))
            except yaml.YAMLError:
                context.warn(line, f"the quoted value of '{key}' is not closed", kind="tikz",
                             hint="close the quote, or write the value without quotes")
                continue
        if key == "id" and not _HTML_ID.fullmatch(value):
            context.warn(line, f"'{value}' is not a usable id", kind="tikz",
                         hint="ids start with a letter: letters, digits, - _ : .")
            continue
        options[key] = value
    return options, "\n".join(lines[count:]), count


def _push_figure(tokens: list[Token], level: int, body: str, *, body_line: int,
                 map_: Sequence[int] | None, name: str, options: dict[str, str],
                 block_state: StateBlock | None) -> None:
    """The figure's tokens; with a block state, through ``state.push`` (so nesting is kept)."""
    figure_id = options.get("id") or (f"tikz-{name}" if name and _HTML_ID.fullmatch(f"tikz-{name}") else "")
    caption = options.get("caption", "")
    title = options.get("alt") or caption or (f"TikZ diagram {name}" if name else "TikZ diagram")

    depth = 0

    def push(kind: str, tag: str, nesting: int) -> Token:
        nonlocal depth
        if block_state is not None:
            return block_state.push(kind, tag, nesting)
        depth += min(nesting, 0)
        token = Token(kind, tag, nesting, level=level + depth)
        depth += max(nesting, 0)
        tokens.append(token)
        return token

    opening = push("tikz_figure_open", "figure", 1)
    opening.attrSet("class", "tikz-figure")
    if figure_id:
        opening.attrSet("id", figure_id)
    opening.map = list(map_) if map_ else None
    picture = push("tikz_picture", "", 0)
    picture.content = body
    picture.meta = {"body_line": body_line, "title": title}
    picture.map = list(map_) if map_ else None
    picture.block = True
    if caption:
        push("tikz_caption_open", "figcaption", 1)
        inline = push("inline", "", 0)
        inline.content = caption
        inline.map = list(map_) if map_ else None
        inline.children = []
        push("tikz_caption_close", "figcaption", -1)
    push("tikz_figure_close", "figure", -1).block = True
    opening.block = True


# --- drawing ---------------------------------------------------------------------------------

def _picture_renderer(renderer: str, tex_timeout: float, fence_rule: Any):
    def render_picture(self, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        from .draw import render_picture as draw  # the layout engine loads with the first picture
        return draw(tokens[idx], options, env, renderer=renderer, tex_timeout=tex_timeout,
                    fence_rule=fence_rule)
    return render_picture
