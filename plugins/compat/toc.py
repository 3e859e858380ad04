"""The table of contents that kramdown's ``{:toc}``, Jekyll themes' ``{% include toc %}`` and
Hugo themes' ``{{< toc >}}`` ask for: a token placed where the request stood, rendered from the
post's headings once they all have their ids."""
from __future__ import annotations

import html
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.token import Token

TOC_TOKEN = "compat_toc"
# What a source pass (Liquid, Hugo) writes on a line of its own where a TOC was asked for.
TOC_MARKER = "\ue014toc\ue015"


def add_toc(md: MarkdownIt) -> None:
    """Teach ``md`` the TOC token and its marker line; every dialect may call it."""
    if "compat_toc" not in md.block.ruler.get_all_rules():
        md.block.ruler.before("paragraph", "compat_toc", _toc_block,
                              {"alt": ["paragraph", "blockquote", "list"]})
    md.add_render_rule(TOC_TOKEN, render_toc)


def _toc_block(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    start = state.bMarks[start_line] + state.tShift[start_line]
    if state.src[start:state.eMarks[start_line]].strip() != TOC_MARKER:
        return False
    if not silent:
        state.push(TOC_TOKEN, "nav", 0).map = [start_line, start_line + 1]
        state.line = start_line + 1
    return True


def render_toc(self: Any, tokens: list[Token], index: int, options: Any, env: Any) -> str:
    """The post's headings (those with ids, not marked `.no_toc`) as nested lists, with the
    placeholder list's attributes on the outer one. Only escaped text goes in: this HTML is not
    passed through the sanitizer."""
    entries = []
    for position, token in enumerate(tokens):
        if token.type != "heading_open" or not token.attrGet("id"):
            continue
        if "no_toc" in str(token.attrGet("class") or "").split():
            continue
        inline = tokens[position + 1]
        text = "".join(c.content for c in inline.children or []
                       if c.type in ("text", "code_inline") or c.type.startswith("math"))
        entries.append((int(token.tag[1]), str(token.attrGet("id")), text.strip()))
    if not entries:
        return ""
    # kramdown's own id, so a migrated theme's CSS for #markdown-toc still applies
    outer = {"id": "markdown-toc", **tokens[index].attrs}
    outer_attributes = "".join(f' {html.escape(str(name))}="{html.escape(str(value))}"'
                               for name, value in outer.items())
    parts = ['<nav class="toc">\n']
    levels: list[int] = []
    for level, anchor, text in entries:
        if not levels:
            parts.append(f"<ul{outer_attributes}>\n")
            levels.append(level)
        elif level > levels[-1]:
            parts.append("<ul>\n")
            levels.append(level)
        else:
            # a heading above the first one's level stays in the outer list
            while len(levels) > 1 and levels[-1] > level:
                parts.append("</li>\n</ul>\n")
                levels.pop()
            if level > levels[-1]:
                parts.append("<ul>\n")
                levels.append(level)
            else:
                parts.append("</li>\n")
        parts.append(f'<li><a href="#{html.escape(anchor)}">{html.escape(text)}</a>')
    parts.append("</li>\n</ul>\n" * len(levels))
    parts.append("</nav>\n")
    return "".join(parts)
