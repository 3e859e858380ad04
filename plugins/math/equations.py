"""Display equations: their rows, numbers, tags and labels, and the table that lays them out.

A display formula is read into an ``Equation`` before anything is converted, so that a page can
number all its equations (and learn every ``\\label``) first and resolve ``\\eqref`` anywhere,
including references to equations further down the page.

Numbers sit in a last table column and a matching empty first column keeps the equation
centred, as AMS LaTeX places them; ``math.css`` gives those two columns their widths.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .convert import convert_tex, find_environment_end, split_cells, split_rows
from .tex import NUMBERED_ENVIRONMENTS, group_text, read_argument, serialize

_ALIGNED_KINDS = frozenset({"align", "alignat", "flalign", "eqnarray"})


@dataclass(frozen=True)
class EquationRow:
    """One line of a display: its TeX without ``\\tag``/``\\label``/``\\nonumber``."""

    tokens: tuple[str, ...]
    numbered: bool = False          # takes the page's next number
    tag: str | None = None          # ``\tag{x}`` text, shown instead of a number
    tag_verbatim: bool = False      # ``\tag*{x}``: shown without parentheses
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Equation:
    """A display formula: ``kind`` is the numbered environment (``align``...) or None."""

    kind: str | None
    rows: tuple[EquationRow, ...]

    @property
    def has_numbers(self) -> bool:
        return any(row.numbered or row.tag is not None for row in self.rows)


def read_equation(tokens: Sequence[str]) -> Equation:
    """Find the numbered environment at the formula's top level (if any) and read its rows.

    Material before ``\\begin`` or after ``\\end`` (seed 000 writes ``$$ \\star * \\begin{equation}``)
    joins the first or last row, so nothing the author wrote is lost.
    """
    depth = 0
    for index, token in enumerate(tokens):
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
        elif token == r"\begin" and depth == 0:
            name_tokens, body_start = read_argument(tokens, index + 1)
            name = group_text(name_tokens)
            kind = name.removesuffix("*")
            if kind not in NUMBERED_ENVIRONMENTS:
                continue
            end = find_environment_end(tokens, body_start, name)
            _, after = read_argument(tokens, end + 1)
            body = list(tokens[body_start:end])
            if kind == "alignat":
                _, consumed = read_argument(body, 0)
                body = body[consumed:]
            prefix, suffix = list(tokens[:index]), list(tokens[after:])
            rows = [body] if kind == "equation" else split_rows(body)
            rows[0] = prefix + rows[0]
            rows[-1] = rows[-1] + suffix
            numbered = not name.endswith("*")
            if kind == "multline":
                return _multline(rows, numbered)
            return Equation(kind, tuple(_row(row, numbered) for row in rows))
    return Equation(None, (_row(list(tokens), False),))


def _multline(rows: list[list[str]], numbered: bool) -> Equation:
    """``multline`` has one number, on its last line, whatever line holds the ``\\label``."""
    read = [_row(row, numbered) for row in rows]
    labels = tuple(label for row in read for label in row.labels)
    tags = [row for row in read if row.tag is not None]
    last = read[-1]
    last = EquationRow(last.tokens, numbered and all(row.numbered for row in read),
                       tags[0].tag if tags else None, tags[0].tag_verbatim if tags else False,
                       labels)
    others = [EquationRow(row.tokens) for row in read[:-1]]
    return Equation("multline", (*others, last))


def _row(tokens: list[str], numbered: bool) -> EquationRow:
    kept: list[str] = []
    labels: list[str] = []
    tag: str | None = None
    verbatim = False
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token in (r"\nonumber", r"\notag"):
            numbered = False
            index += 1
        elif token == r"\label":
            argument, index = read_argument(tokens, index + 1)
            labels.append(group_text(argument))
        elif token == r"\tag":
            star = index + 1
            verbatim = star < len(tokens) and tokens[star] == "*"
            argument, index = read_argument(tokens, star + 1 if verbatim else star)
            tag = serialize(argument).strip()
        else:
            kept.append(token)
            index += 1
    return EquationRow(tuple(kept), numbered and tag is None, tag, verbatim, tuple(labels))


def label_id(label: str) -> str:
    """An HTML id for a ``\\label``: ``eq:sample`` -> ``eq-sample``, ``energy`` -> ``eq-energy``."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", label).strip("-")
    return slug if slug.startswith("eq-") else f"eq-{slug or 'label'}"


@dataclass(frozen=True)
class RenderedEquation:
    markup: str
    unsupported: tuple[str, ...]
    numbered: bool = False  # a column of numbers at the right margin


def render_equation(equation: Equation, numbers: Sequence[str | None],
                    ids: Sequence[str | None]) -> RenderedEquation:
    """Lay out ``equation``; ``numbers[i]`` is row i's shown number ("(3)") and ``ids[i]`` its id."""
    unsupported: list[str] = []

    def convert(tokens: Sequence[str]) -> str:
        converted = convert_tex(serialize(tokens), True)
        unsupported.extend(converted.unsupported)
        return converted.markup

    if equation.kind in (None, "equation") and not equation.has_numbers and not any(ids):
        return RenderedEquation(convert(equation.rows[0].tokens), tuple(unsupported))
    numbered = any(numbers)
    aligned = equation.kind in _ALIGNED_KINDS
    parts = [f'<mtable class="math-equations math-{equation.kind or "equation"}" '
             'displaystyle="true">']
    last = len(equation.rows) - 1
    width = max(len(split_cells(row.tokens)) for row in equation.rows) if aligned else 1
    for index, row in enumerate(equation.rows):
        row_id = f' id="{ids[index]}"' if ids[index] else ""
        parts.append(f"<mtr{row_id}>")
        if numbered:
            parts.append('<mtd class="math-eqpad"></mtd>')
        if aligned:
            cells = split_cells(row.tokens)
            cells += [[]] * (width - len(cells))  # the number column must stay the last one
            for column, cell in enumerate(cells):
                # an even column starts after "&": "{}" gives "=" its binary-relation spacing
                tokens = ["{", "}", *cell] if column % 2 else cell
                align = "math-l" if column % 2 else "math-r"
                parts.append(f'<mtd class="{align}">{convert(tokens)}</mtd>')
        else:
            align = "math-c"
            if equation.kind == "multline" and last:
                align = "math-l" if index == 0 else "math-r" if index == last else "math-c"
            parts.append(f'<mtd class="{align}">{convert(row.tokens)}</mtd>')
        if numbered:
            number = numbers[index]
            # a \tag may hold math ("\tag{$\ast$}"), so numbers are read as TeX text
            content = convert_tex(f"\\text{{{number}}}", False).markup if number else ""
            parts.append(f'<mtd class="math-eqno">{content}</mtd>')
        parts.append("</mtr>")
    parts.append("</mtable>")
    return RenderedEquation("".join(parts), tuple(unsupported), numbered)
