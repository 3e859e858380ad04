"""Pandoc's bracketed citations, ``[@key]``, ``[see @key, p. 3; @other]``, ``[-@key]``.

Stride reads no bibliography (``bibliography:``, a CSL style), so a citation cannot become
"(Smith 2004)" and a reference list. It is shown as what it names: the bracket with the keys
and their locators, without the ``@`` (``[Smith2004 p.3]``), in a ``<span class="citation"
data-cites="...">`` a theme can style, and one warning per post says so at the first one. A
bracket that only holds cross-references (``[-@eq-x]``, ``[Fig. @fig-x]``) is the cross-reference
rules'; a bracket followed by ``(`` or ``[`` is a link's text; a bare ``@word`` is left as text
(it may be a handle or an e-mail, and only a bibliography would tell).
"""
from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline

from generator.context import render_context

QUARTO_KIND = "quarto"
# Pandoc's citation key: a letter, digit or `_`, then also punctuation that does not end it.
_KEY = r"[\w][\w:.#$%&+?<>~/-]*?"
_CITATION = re.compile(rf"\[(?P<body>[^\[\]\n]*?(?<![\w@])-?@{_KEY}(?=[\s;,\]])[^\[\]\n]*)\](?![(\[])")
_KEY_IN_BODY = re.compile(rf"(?<![\w@])(?P<suppress>-?)@(?P<key>{_KEY})(?=[\s;,\]]|$)")
_CROSS_REFERENCE = re.compile(r"(?:fig|sec|eq|tbl|lst|thm|lem|cor|prp|cnj|def|exm|exr|sol|rem)-")


def citations_plugin(md: MarkdownIt) -> None:
    """Show Pandoc's ``[@key]`` citations as their keys, with one warning per post."""
    md.inline.ruler.before("link", "pandoc_citation", _citation_rule)
    md.core.ruler.push("pandoc_citations_report", _report)
    md.add_render_rule("pandoc_citation", _render_citation)


def _citation_rule(state: StateInline, silent: bool) -> bool:
    if state.src[state.pos] != "[":
        return False
    found = _CITATION.match(state.src, state.pos, state.posMax)
    if found is None:
        return False
    keys = [key.group("key") for key in _KEY_IN_BODY.finditer(found.group("body"))]
    if not keys or all(_CROSS_REFERENCE.match(key) for key in keys):
        return False
    if not silent:
        token = state.push("pandoc_citation", "span", 0)
        token.content = found.group("body")
        token.meta = {"keys": keys, "line": state.src.count("\n", 0, state.pos)}
    state.pos = found.end()
    return True


def _report(state: StateCore) -> None:
    citations = [(block, child) for block in state.tokens if block.type == "inline"
                 for child in block.children or () if child.type == "pandoc_citation"]
    if not citations:
        return
    block, first = citations[0]
    line = (block.map[0] if block.map else 0) + first.meta["line"]
    count = len(citations)
    render_context(state.env).warn(
        line, f"{count} citation{'s' if count != 1 else ''} ([@{first.meta['keys'][0]}]"
        f"{' ...' if count != 1 else ''}) shown as {'their' if count != 1 else 'its'} keys: "
        "Stride does not read bibliographies", kind=QUARTO_KIND,
        hint="write the reference out (Author, Year) and list the works at the end of the post")


def _render_citation(self, tokens, index, options, env) -> str:
    citation = tokens[index]
    shown = _KEY_IN_BODY.sub(lambda key: key.group("key"), citation.content)
    cites = " ".join(citation.meta["keys"])
    return (f'<span class="citation" data-cites="{escapeHtml(cites)}">'
            f"[{escapeHtml(shown)}]</span>")
