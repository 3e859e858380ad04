"""Pandoc's grid tables, and its ``~subscript~`` and ``^superscript^``.

```
+---------+-------------+
| Symbol  | Formula     |
+=========+=============+
| $k_a$   | $\\ln 2 /   |
|         | t_{1/2}$    |
+---------+-------------+
```

A grid table's columns are where its first border line has ``+``; a row runs from one border
line to the next, and the lines of a cell are joined, so a cell's text (math included) may
wrap. Rows above a ``+===+`` line are the header. The cells are inline Markdown (Pandoc also
allows lists and paragraphs in them; here they are joined into one line). A table whose lines
do not keep to the first line's columns (a row or column span) is not read as a table and warns.
"""
from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline

from generator.context import render_context

PANDOC_KIND = "pandoc"
_BORDER = re.compile(r"\+(?:[-=:]+\+)+[ \t]*\Z")
_SCRIPT = re.compile(r"(?P<mark>[~^])(?P<text>(?:[^\s~^\\]|\\.)+?)(?P=mark)")


def grid_tables_plugin(md: MarkdownIt) -> None:
    """Pandoc's grid tables, subscripts (``H~2~O``) and superscripts (``2^10^``)."""
    md.block.ruler.before("paragraph", "pandoc_grid_table", _grid_table,
                          {"alt": ["paragraph", "reference", "blockquote", "list"]})
    md.inline.ruler.after("emphasis", "pandoc_script", _script)


def _line(state: StateBlock, number: int) -> str:
    return state.src[state.bMarks[number] + state.tShift[number]:state.eMarks[number]]


def _grid_table(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    if state.sCount[start_line] - state.blkIndent >= 4:
        return False
    first = _line(state, start_line)
    if not first.startswith("+") or not _BORDER.match(first):
        return False
    columns = [index for index, char in enumerate(first.rstrip()) if char == "+"]
    rows: list[list[list[str]]] = []  # rows of cells of lines
    header_rows = 0
    current: list[list[str]] | None = None
    number = start_line + 1
    while number < end_line:
        line = _line(state, number).rstrip()
        if _BORDER.match(line):
            if [i for i, char in enumerate(line) if char == "+"] != columns:
                return _not_a_table(state, start_line, silent, "its rows span columns")
            if current is not None:
                rows.append(current)
            current = None
            if "=" in line:
                header_rows = len(rows)
            number += 1
            if number >= end_line or not _line(state, number).startswith(("|", "+")):
                break
            continue
        if not line.startswith("|") or len(line) < columns[-1] + 1 or any(
                line[i] != "|" for i in columns):
            return _not_a_table(state, start_line, silent, "its cells do not keep to its columns")
        if current is None:
            current = [[] for _ in columns[:-1]]
        for cell, (left, right) in zip(current, zip(columns, columns[1:])):
            cell.append(line[left + 1:right].strip())
        number += 1
    else:
        return False  # never closed by a border line
    if current is not None or not rows:
        return False
    if silent:
        return True
    table = state.push("table_open", "table", 1)
    table.map = [start_line, number]
    sections = [("thead", "th", rows[:header_rows]), ("tbody", "td", rows[header_rows:])]
    for section, cell_tag, section_rows in sections:
        if not section_rows:
            continue
        state.push(f"{section}_open", section, 1)
        for row in section_rows:
            state.push("tr_open", "tr", 1)
            for cell in row:
                state.push(f"{cell_tag}_open", cell_tag, 1)
                inline = state.push("inline", "", 0)
                inline.content = " ".join(part for part in cell if part)
                inline.map = [start_line, number]
                inline.children = []
                state.push(f"{cell_tag}_close", cell_tag, -1)
            state.push("tr_close", "tr", -1)
        state.push(f"{section}_close", section, -1)
    state.push("table_close", "table", -1)
    state.line = number
    return True


def _not_a_table(state: StateBlock, line: int, silent: bool, why: str) -> bool:
    if not silent:
        render_context(state.env).warn(
            line, f"a Pandoc grid table is shown as text: {why}", kind=PANDOC_KIND,
            hint="write it as a pipe table (| a | b |), or split the spanning cells")
    return False


def _script(state: StateInline, silent: bool) -> bool:
    """``H~2~O`` and ``2^10^``: no spaces inside (``\\ `` escapes one); ``~~`` is strikethrough
    and ``^[`` an inline footnote, which other rules read."""
    source = state.src
    mark = source[state.pos]
    if mark not in "~^" or source.startswith(("~~", "^["), state.pos):
        return False
    found = _SCRIPT.match(source, state.pos, state.posMax)
    if found is None:
        return False
    if not silent:
        tag = "sub" if mark == "~" else "sup"
        state.push(f"{tag}_open", tag, 1)
        text = state.push("text", "", 0)
        text.content = re.sub(r"\\(.)", r"\1", found.group("text"))
        state.push(f"{tag}_close", tag, -1)
    state.pos = found.end()
    return True
