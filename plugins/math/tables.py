"""GFM pipe tables whose cells keep their math whole.

markdown-it-py's table rule splits a row at every unescaped ``|``, as GitHub does, so
``| $|x|$ |`` falls apart into three cells and ``$\\|x\\|_2$`` loses its norm bars to the pipe
escape. Pandoc (Quarto) and kramdown (Jekyll) never split inside a math span or a code span,
and math authors' tables are full of ``|x|``, ``P(A|B)`` and norms. The rule has no hook for
its cell splitter, so this module is the GFM table rule written again around one that knows
the spans. Everything else (the delimiter row, alignments, how rows end, the tokens) follows
markdown-it-py, and a property test holds the two to the same tokens on tables without spans.

Inside a math span the text is kept exactly as written, so the formula sees ``\\|``. Outside
one, ``\\|`` is a literal pipe, as in GFM, code spans included.
"""
from __future__ import annotations

import re

from markdown_it.rules_block import StateBlock

from .syntax import inline_math_at

_ALIGNMENT = re.compile(r"^:?-+:?$")
_DELIMITER_ROW_CHARACTERS = frozenset("|-: \t")
# Past this many cells filled in for short rows, the table ends: a few short lines must not
# expand into megabytes of empty cells (markdown-it-py's limit, for the same reason).
_MAX_FILLED_CELLS = 0x10000
# The characters at which a row's scan has something to decide.
_SIGNIFICANT = re.compile(r"[|`$\\]")
_BACKTICKS = re.compile("`+")


def math_table_rule(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    if start_line + 2 > end_line:
        return False
    delimiter_line = start_line + 1
    if state.sCount[delimiter_line] < state.blkIndent or state.is_code_block(delimiter_line):
        return False
    aligns = _alignments(_line(state, delimiter_line))
    if aligns is None:
        return False
    header = _line(state, start_line).strip()
    if state.is_code_block(start_line) or not _has_cell_pipe(header):
        return False
    header_cells = _trim_edges(split_row(header))
    if not header_cells or len(header_cells) != len(aligns):
        return False
    if silent:
        return True

    outer_parent = state.parentType
    state.parentType = "table"
    # A table ends where a blockquote would: the rules that may interrupt one end it.
    terminators = state.md.block.ruler.getRules("blockquote")

    table = state.push("table_open", "table", 1)
    table.map = [start_line, 0]
    state.push("thead_open", "thead", 1).map = [start_line, start_line + 1]
    _push_row(state, start_line, "th", header_cells, aligns)
    state.push("thead_close", "thead", -1)

    body = None
    filled = 0
    line = start_line + 2
    while line < end_line:
        if state.sCount[line] < state.blkIndent:
            break
        if any(terminator(state, line, end_line, True) for terminator in terminators):
            break
        text = _line(state, line).strip()
        if not text or state.is_code_block(line):
            break
        cells = _trim_edges(split_row(text))
        filled += len(aligns) - len(cells)
        if filled > _MAX_FILLED_CELLS:
            break
        if body is None:
            body = state.push("tbody_open", "tbody", 1)
            body.map = [start_line + 2, 0]
        _push_row(state, line, "td", cells, aligns)
        line += 1
    if body is not None:
        state.push("tbody_close", "tbody", -1)
        body.map[1] = line
    state.push("table_close", "table", -1)
    table.map[1] = line
    state.parentType = outer_parent
    state.line = line
    return True


def split_row(row: str) -> list[str]:
    """A row's cells, split at the pipes outside math and code spans, ``\\|`` made ``|`` outside
    math. Cells are not trimmed; an edge pipe leaves an empty first or last cell."""
    cells: list[str] = []
    cell: list[str] = []
    copied = 0  # row[:copied] is in cells or cell
    position = 0
    while (found := _SIGNIFICANT.search(row, position)) is not None:
        position = found.start()
        char = row[position]
        if char == "|":
            cell.append(row[copied:position])
            cells.append("".join(cell))
            cell = []
            copied = position = position + 1
        elif char == "`":
            run = _BACKTICKS.match(row, position).end() - position
            closing = re.compile(f"(?<!`)`{{{run}}}(?!`)").search(row, position + run)
            if closing is None:  # literal backticks
                position += run
                continue
            cell.append(row[copied:position])
            cell.append(row[position:closing.end()].replace("\\|", "|"))
            copied = position = closing.end()
        elif char == "\\" and row.startswith("\\|", position):
            cell.append(row[copied:position])  # the pipe itself starts the next copy
            copied = position + 1
            position += 2
        elif (span := inline_math_at(row, position, len(row))) is not None:
            position = span.end
        else:  # a lone "$", or a backslash escaping the next character
            position += 2 if char == "\\" else 1
    cell.append(row[copied:])
    cells.append("".join(cell))
    return cells


def _line(state: StateBlock, line: int) -> str:
    return state.src[state.bMarks[line] + state.tShift[line]:state.eMarks[line]]


def _alignments(delimiter_row: str) -> list[str] | None:
    """The columns' alignments, or None when the line is not a delimiter row."""
    if len(delimiter_row) < 2:
        return None
    first, second = delimiter_row[0], delimiter_row[1]
    if first not in "|-:" or (first == "-" and second in " \t"):  # "- x" starts a list
        return None
    if not set(delimiter_row) <= _DELIMITER_ROW_CHARACTERS:  # (after the cheap test: every line)
        return None
    parts = delimiter_row.split("|")
    aligns = []
    for index, part in enumerate(parts):
        part = part.strip()
        if not part:
            if index in (0, len(parts) - 1):  # "|---|" has empty edges; "---||---" is no row
                continue
            return None
        if not _ALIGNMENT.match(part):
            return None
        if part.endswith(":"):
            aligns.append("center" if part.startswith(":") else "right")
        else:
            aligns.append("left" if part.startswith(":") else "")
    return aligns


def _has_cell_pipe(header: str) -> bool:
    """Whether the header has a pipe of its own: one inside math does not make a table."""
    return len(split_row(header)) > 1 or "\\|" in header


def _trim_edges(cells: list[str]) -> list[str]:
    if cells and cells[0] == "":
        cells.pop(0)
    if cells and cells[-1] == "":
        cells.pop()
    return cells


def _push_row(state: StateBlock, line: int, tag: str, cells: list[str], aligns: list[str]) -> None:
    state.push("tr_open", "tr", 1).map = [line, line + 1]
    for column, align in enumerate(aligns):
        opening = state.push(f"{tag}_open", tag, 1)
        if align:
            opening.attrs = {"style": f"text-align:{align}"}
        inline = state.push("inline", "", 0)
        inline.map = [line, line + 1]
        inline.content = cells[column].strip() if column < len(cells) else ""
        inline.children = []
        state.push(f"{tag}_close", tag, -1)
    state.push("tr_close", "tr", -1)
