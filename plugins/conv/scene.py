"""A figure as a list of shapes, so that one layout feeds both backends (Pillow and SVG).

A ``Scene`` has shapes drawn in every frame (``static``), shapes drawn in one frame only
(``frames[i]``) and shapes that appear at a frame and stay (``reveals``: an output cell once it
is computed). Colours are *roles*; each backend maps a role to its colours (the SVG one adds a
dark-mode variant, the raster one picks tones that read on light and dark pages alike).
"""
from __future__ import annotations

from dataclasses import dataclass

Point = tuple[float, float]


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    fill: str | None = None      # role, None: transparent
    stroke: str | None = None    # role, None: no outline
    stroke_width: float = 1.0
    dashed: bool = False


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    size: float
    color: str
    anchor: str = "middle"       # "start", "middle" or "end"; y is the text's vertical middle
    bold: bool = False


@dataclass(frozen=True)
class Polyline:
    points: tuple[Point, ...]
    color: str
    width: float = 2.0


@dataclass(frozen=True)
class Polygon:
    points: tuple[Point, ...]
    fill: str


Shape = Rect | Text | Polyline | Polygon


@dataclass(frozen=True)
class Scene:
    width: int
    height: int
    static: tuple[Shape, ...]
    frames: tuple[tuple[Shape, ...], ...]
    reveals: tuple[tuple[int, Shape], ...]  # (first frame shown, shape), by first frame
    durations_ms: tuple[int, ...]           # one per frame
    alt: str

    def frame_shapes(self, index: int) -> list[Shape]:
        """Everything visible in frame ``index``, in drawing order."""
        shown = [shape for first, shape in self.reveals if first <= index]
        return [*self.static, *shown, *self.frames[index]]


# Colours of the roles: strong fills with dark text (they read on light and dark pages), a
# mid-grey for outlines and labels that stays visible on white and on near-black.
ROLE_COLOURS = {
    "input": "#6fa8dc",
    "input_text": "#0b1f33",
    "window": "#2b5f9e",
    "window_text": "#ffffff",
    "window_padding": "#7b8794",
    "empty": "#eef1f4",
    "output": "#4dd0e1",
    "output_text": "#06292e",
    "products": "#d5d9de",
    "products_text": "#111111",
    "kernel": "#2a6fdb",
    "flipped": "#d93025",
    "badge": "#ffffff",
    "muted": "#8a8f98",
    "signal_h": "#2a6fdb",
    "signal_x": "#d93025",
    "signal_x2": "#e37400",
    "signal_y": "#2e9d3a",
    "area": "#9fd8a4",
}
