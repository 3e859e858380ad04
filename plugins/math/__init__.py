"""Server-side math: TeX in Markdown becomes numbered, cross-referenced MathML Core at build time.

``md.use(math_plugin, macros={"\\\\R": "\\\\mathbb{R}"})`` adds the delimiters of ``syntax``, a
core rule that reads every formula of the page in order (remark escapes, macros, numbers and
labels, so ``\\eqref`` works forwards too) and converts it, and render rules that print the
result. Problems are warnings (``kind="math"``) at the formula's ``file:line`` with a visible,
escaped fallback in the page; the build goes on.

The page pass and the converter behind it (``page``, latex2mathml) are imported with the first
page that has math, so a build of posts without math never loads them.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from generator.errors import ConfigError, SourceLocation

from .escapes import MODES
from .syntax import math_block_rule, math_inline_rule, tex_definitions_rule
from .tables import math_table_rule
from .tex import DEFINING_COMMANDS, Macro, TexError, parse_macros

__all__ = ["math_plugin"]

_NO_MACROS: Mapping[str, str] = MappingProxyType({})


def math_plugin(md: MarkdownIt, *, macros: Mapping[str, str] = _NO_MACROS,
                tex_escapes: str = "auto", numbering: bool = True) -> None:
    """Render TeX math as MathML Core.

    :param macros: site-wide macros, ``{"\\\\R": "\\\\mathbb{R}"}``; ``#1``.. are arguments.
    :param tex_escapes: ``"auto"`` detects posts whose math was escaped for remark/Gatsby,
        ``"remark"`` always undoes those escapes, ``"none"`` never does. A post's frontmatter
        ``math_escapes`` overrides it.
    :param numbering: number unstarred ``equation``/``align``/``gather``/``multline`` rows.
    """
    if tex_escapes not in MODES:
        raise ConfigError(f"plugins.math.tex_escapes is {tex_escapes!r}",
                          location=SourceLocation("site.toml"),
                          hint=f"use one of: {', '.join(MODES)}")
    try:
        site_macros = parse_macros(macros)
    except TexError as error:
        raise ConfigError(f"plugins.math.macros: {error.message}", location=SourceLocation("site.toml"),
                          hint=error.hint) from None
    defining = any(token in DEFINING_COMMANDS
                   for macro in site_macros.values() for token in macro.body)
    settings = Settings(site_macros, tex_escapes, numbering,
                        macros_key=None if defining else repr(sorted(macros.items())))
    md.block.ruler.before("fence", "math_block", math_block_rule,
                          {"alt": ["paragraph", "reference", "blockquote", "list"]})
    md.block.ruler.before("paragraph", "tex_definitions", tex_definitions_rule)
    md.inline.ruler.before("escape", "math_inline", math_inline_rule)
    # Same name and interruptions as markdown-it's table rule, so enabling "table" still works.
    md.block.ruler.at("table", math_table_rule, {"alt": ["paragraph", "reference"]})
    md.core.ruler.after("inline", "math_page", lambda state: _render_page(state, settings))
    md.add_render_rule("math_block", _render_block)
    md.add_render_rule("math_inline", _render_inline)


@dataclass(frozen=True)
class Settings:
    """The site's ``[plugins.math]`` options, checked when the plugin is installed."""

    macros: Mapping[str, Macro]
    tex_escapes: str
    numbering: bool
    # The macro definitions as given: formulas expanded with them alone are memoised under it.
    # None when a site macro defines macros itself: then expanding one changes what the next sees.
    macros_key: str | None


def _formulas(tokens: Sequence[Token], env: Mapping[str, Any] | None = None
              ) -> list[tuple[Token, int]]:
    """Every formula of the page in reading order: display blocks, inline math, math in an
    image's description, and math in Pandoc's inline footnotes (``^[...]``), whose tokens the
    footnote plugin keeps in ``env`` until the end of the parse, placed where the note is."""
    notes = (env or {}).get("footnotes", {}).get("list", {})
    found: list[tuple[Token, int]] = []

    def inline(children: Sequence[Token], start: int) -> None:
        for child in children:
            if child.type == "math_inline":
                found.append((child, start + child.meta.get("line", 0)))
            elif child.type == "image" and child.children:  # a figure caption may show it
                found.extend((grandchild, start + child.meta.get("line", 0))
                             for grandchild in child.children
                             if grandchild.type == "math_inline")
            elif child.type == "footnote_ref" and child.meta:
                note = notes.get(child.meta.get("id"))
                if note and note.get("tokens"):
                    inline(note["tokens"], start)

    for token in tokens:
        if token.type == "math_block":
            found.append((token, token.map[0] if token.map else 0))
        elif token.type == "inline" and token.children:
            inline(token.children, token.map[0] if token.map else 0)
    return found


def _render_page(state: StateCore, settings: Settings) -> None:
    if found := _formulas(state.tokens, state.env):
        from .page import render_page  # latex2mathml loads here, with the first page of math
        render_page(state, settings, found)


def _render_block(self: Any, tokens: Sequence[Token], index: int, options: Any, env: Any) -> str:
    if tokens[index].meta.get("definitions"):  # raw TeX macro definitions: nothing to show
        return ""
    return str(tokens[index].meta["html"])


def _render_inline(self: Any, tokens: Sequence[Token], index: int, options: Any, env: Any) -> str:
    return str(tokens[index].meta["html"])
