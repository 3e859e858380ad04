"""Arrow tips drawn with PGF's own geometry (``pgfcorearrows.code.tex``: to, stealth, latex).

Each tip is defined in a frame whose origin is where the shortened line ends and whose x axis
points along the line; ``reach`` is how far the tip extends beyond that origin, so the line is
shortened by ``reach`` and the tip lands exactly on the path's end point, as in PGF.
"""
from __future__ import annotations

from dataclasses import dataclass

from .model import Point

TIP_NAMES = {"to", "stealth", "latex", ">"}


@dataclass(frozen=True)
class TipShape:
    reach: float
    commands: tuple[tuple, ...]   # ("M", p) ("L", p) ("C", p1, p2, p) ("Z",), tip-local frame
    filled: bool
    stroke_width: float           # for stroked tips (the "to" tip strokes with 0.8 line width)


def tip_shape(kind: str, line_width: float) -> TipShape:
    unit = 0.28 + 0.3 * line_width
    if kind == "stealth":
        return TipShape(5 * unit, (("M", (5 * unit, 0.0)), ("L", (-3 * unit, 4 * unit)),
                                   ("L", (0.0, 0.0)), ("L", (-3 * unit, -4 * unit)), ("Z",)),
                        filled=True, stroke_width=0.0)
    if kind == "latex":
        return TipShape(9 * unit, (
            ("M", (9 * unit, 0.0)),
            ("C", (6.3333 * unit, 0.5 * unit), (2 * unit, 2 * unit), (-unit, 3.75 * unit)),
            ("L", (-unit, -3.75 * unit)),
            ("C", (2 * unit, -2 * unit), (6.3333 * unit, -0.5 * unit), (9 * unit, 0.0)), ("Z",)),
            filled=True, stroke_width=0.0)
    # "to", TikZ's default ">" tip: Computer Modern's \rightarrow head, stroked with round caps
    return TipShape(0.21 + 0.625 * line_width, (
        ("M", (-3 * unit, 4 * unit)),
        ("C", (-2.75 * unit, 2.5 * unit), (0.0, 0.25 * unit), (0.75 * unit, 0.0)),
        ("C", (0.0, -0.25 * unit), (-2.75 * unit, -2.5 * unit), (-3 * unit, -4 * unit))),
        filled=False, stroke_width=0.8 * line_width)


def place(shape: TipShape, tip: Point, direction: Point) -> tuple[tuple, ...]:
    """The tip's commands in picture coordinates, its reach ending at ``tip``."""
    dx, dy = direction
    origin = (tip[0] - dx * shape.reach, tip[1] - dy * shape.reach)

    def to_canvas(point: Point) -> Point:
        x, y = point
        return (origin[0] + x * dx - y * dy, origin[1] + x * dy + y * dx)

    return tuple((command[0], *(to_canvas(p) for p in command[1:])) for command in shape.commands)
