"""Pandoc's grid tables, and its ``~subscript~`` and ``^superscript^``.

```
+---------+-------------+--------+
| Symbol  | Formula     | Unit   |
+:========+:===========:+=======:+
| $k_a$   | $\\ln 2 /   | 1/h    |
|         | t_{1/2}$    |        |
+---------+-------------+--------+
| spans two columns     | -      |
+=======================+========+
| a table foot          | -      |
+=======================+========+
```

Pandoc took its grid tables from reStructuredText, whose table parser in docutils finds the
cells, row and column spans included: this rule lets it do so (imported with the first grid
table a process meets) and adds what Pandoc added: the column alignments (colons in the
``+===+`` line under the head, or in the first line of a table without one), and a table foot
(the rows between the last two ``+===+`` lines, when the last is the table's bottom line). A
cell holds block Markdown (paragraphs, lists, math, a nested table); a cell of one paragraph is
shown without ``<p>``, as Pandoc shows it.
"""
from __future__ import annotations

import re
from typing import NamedTuple

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline

from generator.context import render_context

PANDOC_KIND = "pandoc"
_BORDER = re.compile(r"\+(?:[-=:]+\+)+[ \t]*\Z")
_SCRIPT = re.compile(r"(?P<mark>[~^])(?P<text>(?:[^\s~^\\]|\\.)+?)(?P=mark)")
_ALIGNMENTS = {(True, False): "left", (False, True): "right", (True, True): "center"}


def grid_tables_plugin(md: MarkdownIt) -> None:
    """Pandoc's grid tables, subscripts (``H~2~O``) and superscripts (``2^10^``)."""
    md.block.ruler.before("paragraph", "pandoc_grid_table", _grid_table,
                          {"alt": ["paragraph", "reference", "blockquote", "list"]})
    md.inline.ruler.after("emphasis", "pandoc_script", _script)


class _Cell(NamedTuple):
    line: int          # the table's line its text starts on
    text: str
    rowspan: int
    colspan: int
    column: int


class _Grid(NamedTuple):
    head: list[list[_Cell]]
    body: list[list[_Cell]]
    foot: list[list[_Cell]]
    alignments: list[str | None]


def _line(state: StateBlock, number: int) -> str:
    return state.src[state.bMarks[number] + state.tShift[number]:state.eMarks[number]]


def _grid_table(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    if state.sCount[start_line] - state.blkIndent >= 4:
        return False
    first = _line(state, start_line).rstrip()
    if not _BORDER.match(first) or start_line > 0 \
            and _line(state, start_line - 1).startswith(("+", "|")):
        return False  # (a border inside a table that could not be read is no table's start)
    number = start_line + 1
    while number < end_line and _line(state, number).startswith(("+", "|")):
        number += 1
    lines = [_line(state, n).rstrip() for n in range(start_line, number)]
    problem = _shape_problem(lines)
    if problem is not None:
        return _not_a_table(state, start_line + problem[0], silent, problem[1])
    if silent:
        return True
    grid = _read_grid(lines)
    if not isinstance(grid, _Grid):
        return _not_a_table(state, start_line + grid[0], silent, grid[1])
    table = state.push("table_open", "table", 1)
    table.map = [start_line, number]
    for section, cell_tag, rows in (("thead", "th", grid.head), ("tbody", "td", grid.body),
                                    ("tfoot", "td", grid.foot)):
        if not rows:
            continue
        state.push(f"{section}_open", section, 1)
        for row in rows:
            state.push("tr_open", "tr", 1)
            for cell in row:
                _push_cell(state, cell_tag, cell, start_line, grid.alignments[cell.column])
            state.push("tr_close", "tr", -1)
        state.push(f"{section}_close", section, -1)
    state.push("table_close", "table", -1)
    state.line = number
    return True


def _shape_problem(lines: list[str]) -> tuple[int, str] | None:
    """Where the lines stop being a rectangle closed by a border, which docutils' parser
    assumes (reStructuredText checks it before calling it), and why."""
    width = len(lines[0])
    for index, line in enumerate(lines):
        if len(line) != width or line[-1] not in "+|":
            return index, f"line {index + 1} of the table does not end where its first line does"
    if len(lines) < 3:
        return 0, "it has no rows"
    if not _BORDER.match(lines[-1]):
        return len(lines) - 1, "its last line is not a border (+---+)"
    return None


def _read_grid(lines: list[str]) -> _Grid | tuple[int, str]:
    """The table's cells by part, or the line and the reason docutils could not read it."""
    from docutils.parsers.rst.tableparser import GridTableParser, TableMarkupError
    from docutils.statemachine import StringList

    parts = [index for index, line in enumerate(lines) if "=" in line and _BORDER.match(line)]
    foot_from = parts[-2] if len(parts) >= 2 and parts[-1] == len(lines) - 1 else None
    head_end = parts[0] if parts and parts[0] != len(lines) - 1 else None
    aligned = lines[head_end] if head_end is not None else lines[0]
    # docutils knows one head separator and no colons: give it plain borders elsewhere
    plain = [line.replace(":", "=" if index == head_end else "-") if _BORDER.match(line) else line
             for index, line in enumerate(lines)]
    plain = [line.replace("=", "-") if index != head_end and _BORDER.match(line) else line
             for index, line in enumerate(plain)]
    try:
        widths, head_rows, body_rows = GridTableParser().parse(StringList(plain))
    except TableMarkupError as error:
        return getattr(error, "offset", 0), str(error).rstrip(".")
    except Exception:  # noqa: BLE001 - its own assertions fail on some grids it cannot read
        return 0, "its borders do not close its cells"
    alignments = [_ALIGNMENTS.get((segment.startswith(":"), segment.endswith(":")))
                  for segment in aligned.strip("+ \t").split("+")]
    if len(alignments) != len(widths):
        alignments = [None] * len(widths)
    head = [_cells(row) for row in head_rows]
    body = [_cells(row) for row in body_rows]
    foot: list[list[_Cell]] = []
    if foot_from is not None and foot_from != head_end:
        foot = [row for row in body if row and row[0].line > foot_from]
        body = body[:len(body) - len(foot)]
    elif foot_from is not None:  # a head and a foot, no body
        foot, body = body, []
    return _Grid(head, body, foot, alignments)


def _cells(row: list) -> list[_Cell]:
    cells = []
    for column, cell in enumerate(row):
        if cell is None:  # covered by a cell spanning into it
            continue
        more_rows, more_columns, offset, block = cell
        cells.append(_Cell(offset, "\n".join(block).strip("\n"), more_rows + 1,
                           more_columns + 1, column))
    return cells


def _push_cell(state: StateBlock, tag: str, cell: _Cell, start_line: int,
               alignment: str | None) -> None:
    opening = state.push(f"{tag}_open", tag, 1)
    if cell.rowspan > 1:
        opening.attrs["rowspan"] = str(cell.rowspan)
    if cell.colspan > 1:
        opening.attrs["colspan"] = str(cell.colspan)
    if alignment:
        opening.attrs["style"] = f"text-align:{alignment}"
    first_line = start_line + cell.line
    context = render_context(state.env)
    context.line_maps.append(lambda line: line + first_line)  # what the cell's rules report
    first_token = len(state.tokens)
    try:
        state.md.block.parse(cell.text, state.md, state.env, state.tokens)
    finally:
        context.line_maps.pop()
    inner = state.tokens[first_token:]
    for token in inner:
        if token.map is not None:
            token.map = [token.map[0] + first_line, token.map[1] + first_line]
    if len(inner) == 3 and inner[0].type == "paragraph_open":
        inner[0].hidden = inner[2].hidden = True  # one paragraph is the cell's text (Plain)
    state.push(f"{tag}_close", tag, -1)


def _not_a_table(state: StateBlock, line: int, silent: bool, why: str) -> bool:
    if not silent:
        render_context(state.env).warn(
            line, f"a Pandoc grid table is shown as text: {why}", kind=PANDOC_KIND,
            hint="draw every line of the table as wide as its first, each row closed by a "
                 "+---+ line whose + marks stand where the cells' | do")
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
