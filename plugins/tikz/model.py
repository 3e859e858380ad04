"""The records a TikZ picture becomes: transforms, laid-out nodes, strokes; and the one error type.

All lengths are TeX points (1/72.27 in) in TikZ's frame, y pointing up; only ``svg.py`` flips y.
"""
from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

# TeX's largest dimension (\maxdimen): anything beyond is an error in TeX too.
MAX_DIMENSION_PT = 16383.99998
# Bounds that keep every input, however hostile, to a few milliseconds of work per block.
MAX_FOREACH_ITERATIONS = 10_000
MAX_ELEMENTS = 20_000          # nodes + path pieces + grid lines in one picture
MAX_SOURCE_CHARS = 200_000     # a block's text after \foreach expansion
MAX_NODE_TEXT = 5_000          # one node's text (a label, not a page of prose)
MAX_NESTING = 32               # scopes, \foreach, styles calling styles, expression depth
MAX_OPTIONS = 50_000           # options applied (styles that use a style twice grow exponentially)


class TikzError(Exception):
    """Input the built-in renderer cannot draw; ``line`` is 0-based within the block's body.

    ``command`` names the unsupported TikZ command or option when that is the reason, so the
    warning can say exactly what to remove or replace.
    """

    def __init__(self, message: str, *, line: int, hint: str = "", command: str = ""):
        super().__init__(message)
        self.message = message
        self.line = line
        self.hint = hint
        self.command = command


def check_dimension(value: float, what: str, *, line: int) -> float:
    """Reject NaN, infinities and lengths TeX itself could not hold."""
    if not math.isfinite(value) or abs(value) > MAX_DIMENSION_PT:
        raise TikzError(f"{what} is out of range (TeX's limit is ±16383.99998pt)",
                        line=line, hint="use coordinates of a reasonable size, in cm, mm or pt")
    return value


Point = tuple[float, float]


@dataclass(frozen=True)
class Affine:
    """x' = a x + c y + e, y' = b x + d y + f (the order of SVG's matrix(a b c d e f))."""

    a: float = 1.0
    b: float = 0.0
    c: float = 0.0
    d: float = 1.0
    e: float = 0.0
    f: float = 0.0

    def apply(self, point: Point) -> Point:
        x, y = point
        return (self.a * x + self.c * y + self.e, self.b * x + self.d * y + self.f)

    def apply_vector(self, vector: Point) -> Point:
        x, y = vector
        return (self.a * x + self.c * y, self.b * x + self.d * y)

    def then(self, other: Affine) -> Affine:
        """This transform followed by ``other`` (TikZ applies a scope's keys in that order)."""
        return Affine(
            a=other.a * self.a + other.c * self.b, b=other.b * self.a + other.d * self.b,
            c=other.a * self.c + other.c * self.d, d=other.b * self.c + other.d * self.d,
            e=other.a * self.e + other.c * self.f + other.e,
            f=other.b * self.e + other.d * self.f + other.f)

    def inverse(self) -> Affine | None:
        """The transform undoing this one; None when it collapses the plane."""
        determinant = self.a * self.d - self.b * self.c
        if abs(determinant) < 1e-12:
            return None
        a, b, c, d = self.d / determinant, -self.b / determinant, -self.c / determinant, self.a / determinant
        return Affine(a, b, c, d, -(a * self.e + c * self.f), -(b * self.e + d * self.f))

    def scale_factor(self) -> float:
        """The length scale of the linear part (for circle radii under uniform scaling)."""
        return math.sqrt(abs(self.a * self.d - self.b * self.c))


IDENTITY = Affine()


@dataclass(frozen=True)
class TextRun:
    """A piece of a text line in one font: what to show and how to place it.

    ``gap_before`` is TeX's math spacing before the run (pt), ``shift`` the baseline offset
    (pt, up), ``size`` the font size (pt). Widths are only used for layout, never emitted:
    the browser's font draws the glyphs.
    """

    text: str
    size: float
    shift: float = 0.0
    gap_before: float = 0.0
    bold: bool = False
    italic: bool = False
    monospace: bool = False


@dataclass(frozen=True)
class TextLine:
    runs: tuple[TextRun, ...]
    width: float
    height: float
    depth: float
    x: float = 0.0         # from the left of the text box
    baseline: float = 0.0  # below the first line's baseline
    rules: tuple[TextRule, ...] = ()  # fraction bars


@dataclass(frozen=True)
class TextRule:
    """A fraction's bar in a line of text: from ``x`` (pt from the line's start), its bottom
    ``shift`` above the baseline."""

    x: float
    shift: float
    width: float
    thickness: float


@dataclass(frozen=True)
class TextBox:
    """A node's typeset text: TeX's box width/height/depth and the lines inside it."""

    width: float
    height: float
    depth: float
    lines: tuple[TextLine, ...] = ()
    align: str = "center"   # how lines sit in the box: left, center, right
    top_baseline: float = 0.0  # first line's baseline, above the box's baseline

    @property
    def text(self) -> str:
        return " ".join("".join(run.text for run in line.runs) for line in self.lines).strip()


@dataclass(frozen=True)
class Stroke:
    """How a path or a node border is painted (``None`` paints mean: not drawn / not filled)."""

    draw: object | None = None   # colors.Paint
    fill: object | None = None   # colors.Paint
    line_width: float = 0.4
    dash: tuple[float, ...] = ()
    opacity: float = 1.0
    draw_opacity: float = 1.0
    fill_opacity: float = 1.0
    rounded: float = 0.0
    line_cap: str = "butt"
    line_join: str = "miter"


@dataclass(frozen=True)
class Node:
    """A laid-out node: its centre, its shape's half extents (inner border), its text."""

    name: str
    center: Point
    half_width: float
    half_height: float
    outer_sep: float
    shape: str               # rectangle, circle, coordinate
    rotate: float
    stroke: Stroke
    text: TextBox
    text_paint: object       # colors.Paint
    text_opacity: float

    def local_to_canvas(self, point: Point) -> Point:
        angle = math.radians(self.rotate)
        x, y = point
        return (self.center[0] + x * math.cos(angle) - y * math.sin(angle),
                self.center[1] + x * math.sin(angle) + y * math.cos(angle))

    def border_towards(self, target: Point) -> Point:
        """Where a line from the centre to ``target`` leaves the node (outer sep included)."""
        angle = math.radians(self.rotate)
        dx, dy = target[0] - self.center[0], target[1] - self.center[1]
        # into the node's own frame, where the shape is axis-aligned
        lx = dx * math.cos(angle) + dy * math.sin(angle)
        ly = -dx * math.sin(angle) + dy * math.cos(angle)
        return self.local_to_canvas(self.local_border(lx, ly))

    def local_border(self, dx: float, dy: float) -> Point:
        if self.shape == "coordinate" or (dx == 0 and dy == 0):
            return (0.0, 0.0)
        if self.shape == "circle":
            radius = self.half_width + self.outer_sep
            length = math.hypot(dx, dy)
            return (dx / length * radius, dy / length * radius)
        half_x, half_y = self.half_width + self.outer_sep, self.half_height + self.outer_sep
        scale = min(half_x / abs(dx) if dx else math.inf, half_y / abs(dy) if dy else math.inf)
        return (dx * scale, dy * scale)


@dataclass(frozen=True)
class Arrow:
    """An arrow tip: its kind (to, stealth, latex, bar) at ``tip`` pointing along ``direction``."""

    kind: str
    tip: Point
    direction: Point   # unit vector, pointing out of the line at the tip
    line_width: float


@dataclass(frozen=True)
class PathPiece:
    """One drawn piece: SVG path data in TikZ coordinates (y up), with its stroke and tips."""

    commands: tuple[tuple, ...]   # ("M", p) ("L", p) ("C", p1, p2, p) ("Z",) ("circle", c, r)
    stroke: Stroke
    arrows: tuple[Arrow, ...] = ()


@dataclass(frozen=True)
class Clip:
    """A ``\\clip``: ``items`` (what follows it to the end of its scope) drawn only inside the
    path ``commands`` (PathPiece's commands, nonzero winding)."""

    commands: tuple[tuple, ...]
    items: tuple[Node | PathPiece | Clip, ...]


Item = Node | PathPiece | Clip


@dataclass(frozen=True)
class Diagram:
    """A whole picture: paint order is the order of ``items`` (nodes, paths and clipped groups
    interleaved)."""

    items: tuple[Item, ...]
    bbox: tuple[float, float, float, float]   # min x, min y, max x, max y (pt, y up)
    named: Mapping[str, Node] = field(default_factory=lambda: MappingProxyType({}), compare=False)

    def drawn(self) -> Iterator[Node | PathPiece]:
        """Every node and path in paint order, clipped or not."""
        stack = [iter(self.items)]
        while stack:
            item = next(stack[-1], None)
            if item is None:
                stack.pop()
            elif isinstance(item, Clip):
                stack.append(iter(item.items))
            else:
                yield item
