"""xcolor colour expressions (``blue!20``, ``red!50!black``, ``\\definecolor``) as themeable paints.

A TikZ figure is drawn in black on white. On a page with a dark theme those two must follow the
page: black becomes the text colour and white the background. So a colour is not kept as one RGB
triple but as a mix of three parts, which is exactly what xcolor's ``!`` expressions build:

* ``ink``: black, emitted as CSS ``currentColor``;
* ``paper``: white, emitted as ``var(--tikz-paper, Canvas)``;
* ``chroma``: everything else, one RGB colour with its share (lightened on dark pages).

``blue!20`` is then 20 % chroma (blue) and 80 % paper, which a dark theme turns into a dark blue
instead of a pale rectangle that would swallow light text. SVG gets the light-mode RGB as a
presentation attribute (for readers without CSS) and the mix as a ``style`` declaration.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from .model import TikzError

RGB = tuple[float, float, float]
# how far a chromatic colour moves towards white under a dark colour scheme
DARK_LIGHTENING = 0.45


@dataclass(frozen=True)
class Paint:
    """A colour as shares of ink (black), paper (white) and one chromatic colour; shares sum to 1."""

    ink: float = 0.0
    paper: float = 0.0
    chroma: float = 0.0
    chroma_rgb: RGB = (0.0, 0.0, 0.0)

    def rgb(self) -> RGB:
        """The colour on white paper with black ink, as TeX would print it."""
        return tuple(self.paper + self.chroma * channel for channel in self.chroma_rgb)  # type: ignore[return-value]

    def hex(self) -> str:
        return "#" + "".join(f"{round(max(0.0, min(1.0, c)) * 255):02x}" for c in self.rgb())

    def css(self) -> str:
        """The CSS colour that keeps the light-mode look and follows a dark theme.

        Under a dark ``color-scheme`` the chromatic part is also lightened (``light-dark()``):
        pure blue lines and labels are unreadable on a dark page, while a ``blue!20`` fill,
        mostly paper, stays dark enough for light text on it.
        """
        if self.chroma < 1e-9:
            return self._mix(self.chroma_rgb)
        lightened = tuple(channel + DARK_LIGHTENING * (1 - channel) for channel in self.chroma_rgb)
        return f"light-dark({self._mix(self.chroma_rgb)},{self._mix(lightened)})"

    def _mix(self, chroma_rgb: tuple[float, ...]) -> str:
        ink_css, paper_css = "currentColor", "var(--tikz-paper,Canvas)"
        if self.chroma < 1e-9:
            if self.paper < 1e-9:
                return ink_css
            if self.ink < 1e-9:
                return paper_css
            return f"color-mix(in srgb,{ink_css} {_percent(self.ink)},{paper_css})"
        chroma_css = "#" + "".join(f"{round(c * 255):02x}" for c in chroma_rgb)
        rest = self.ink + self.paper
        if rest < 1e-9:
            return chroma_css
        neutral = Paint(ink=self.ink / rest, paper=self.paper / rest)._mix(chroma_rgb)
        return f"color-mix(in srgb,{chroma_css} {_percent(self.chroma)},{neutral})"

    @property
    def is_ink(self) -> bool:
        return self.chroma < 1e-9 and self.paper < 1e-9


def _percent(share: float) -> str:
    return f"{share * 100:.4g}%"


def mix(first: Paint, second: Paint, share_of_first: float) -> Paint:
    """xcolor's ``first!p!second``: p % of the first colour, the rest of the second."""
    p, q = share_of_first, 1.0 - share_of_first
    chroma = p * first.chroma + q * second.chroma
    if chroma < 1e-12:
        chroma_rgb: RGB = (0.0, 0.0, 0.0)
    else:
        chroma_rgb = tuple((p * first.chroma * a + q * second.chroma * b) / chroma
                           for a, b in zip(first.chroma_rgb, second.chroma_rgb))  # type: ignore[assignment]
    return Paint(ink=p * first.ink + q * second.ink, paper=p * first.paper + q * second.paper,
                 chroma=chroma, chroma_rgb=chroma_rgb)


def from_rgb(rgb: RGB) -> Paint:
    """A user colour: grays become ink/paper mixes (so they follow the theme), others chroma."""
    red, green, blue = rgb
    if abs(red - green) < 1e-9 and abs(green - blue) < 1e-9:
        return Paint(ink=1.0 - red, paper=red)
    return Paint(chroma=1.0, chroma_rgb=rgb)


INK = Paint(ink=1.0)
PAPER = Paint(paper=1.0)

# xcolor's base and "named" colours available without options (xcolor.sty, \definecolor lines).
BASE_COLORS: Mapping[str, Paint] = {
    "black": INK, "white": PAPER,
    "gray": from_rgb((0.5, 0.5, 0.5)), "darkgray": from_rgb((0.25, 0.25, 0.25)),
    "lightgray": from_rgb((0.75, 0.75, 0.75)),
    "red": from_rgb((1, 0, 0)), "green": from_rgb((0, 1, 0)), "blue": from_rgb((0, 0, 1)),
    "cyan": from_rgb((0, 1, 1)), "magenta": from_rgb((1, 0, 1)), "yellow": from_rgb((1, 1, 0)),
    "brown": from_rgb((0.75, 0.5, 0.25)), "lime": from_rgb((0.75, 1, 0)),
    "olive": from_rgb((0.5, 0.5, 0)), "orange": from_rgb((1, 0.5, 0)),
    "pink": from_rgb((1, 0.75, 0.75)), "purple": from_rgb((0.75, 0, 0.25)),
    "teal": from_rgb((0, 0.5, 0.5)), "violet": from_rgb((0.5, 0, 0.5)),
}

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9 ._-]*")


def parse_color(expression: str, defined: Mapping[str, Paint], *, line: int) -> Paint:
    """Evaluate ``c1!p1!c2!p2!...``; a trailing ``c!p`` mixes with white, as in xcolor."""
    parts = [part.strip() for part in expression.split("!")]
    if not parts[0]:
        raise TikzError(f"empty colour expression '{expression}'", line=line,
                        hint="write a colour name such as blue, or a mix such as blue!20")
    current = _named(parts[0], defined, line)
    index = 1
    while index < len(parts):
        share = _share(parts[index], expression, line)
        other = _named(parts[index + 1], defined, line) if index + 1 < len(parts) else PAPER
        current = mix(current, other, share)
        index += 2
    return current


def is_color(expression: str, defined: Mapping[str, Paint]) -> bool:
    """Whether an option key such as ``red`` or ``blue!20`` names a colour."""
    name = expression.split("!", 1)[0].strip()
    return name in defined or name in BASE_COLORS


def _named(name: str, defined: Mapping[str, Paint], line: int) -> Paint:
    paint = defined.get(name) or BASE_COLORS.get(name)
    if paint is None:
        raise TikzError(f"unknown colour '{name}'", line=line,
                        hint="use an xcolor base colour (red, blue!20, ...) or \\definecolor it first")
    return paint


def _share(text: str, expression: str, line: int) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0.0 <= value <= 100.0:  # also false for NaN
        raise TikzError(f"colour mix '{expression}' needs a percentage from 0 to 100, not '{text}'",
                        line=line, hint="write it as blue!20 (20 % blue, 80 % white)")
    return value / 100.0


def define_color(name: str, model: str, spec: str, *, line: int) -> Paint:
    """``\\definecolor{name}{model}{spec}`` for the rgb, RGB, HTML, gray and cmyk models."""
    if not _NAME.fullmatch(name):
        raise TikzError(f"invalid colour name '{name}'", line=line,
                        hint="colour names are letters, digits, '.', '_' and '-'")
    values = [value.strip() for value in spec.split(",")]
    try:
        if model == "HTML":
            if not re.fullmatch(r"[0-9A-Fa-f]{6}", spec.strip()):
                raise ValueError
            rgb = tuple(int(spec.strip()[i:i + 2], 16) / 255 for i in (0, 2, 4))
        elif model == "RGB":
            rgb = tuple(int(v) / 255 for v in values)
        elif model == "rgb":
            rgb = tuple(float(v) for v in values)
        elif model == "gray":
            (level,) = (float(v) for v in values)
            rgb = (level, level, level)
        elif model == "cmyk":
            c, m, y, k = (float(v) for v in values)
            rgb = tuple((1 - min(1.0, v + k)) for v in (c, m, y))
        else:
            raise TikzError(f"unsupported colour model '{model}' in \\definecolor", line=line,
                            hint="use rgb, RGB, HTML, gray or cmyk")
    except ValueError:
        raise TikzError(f"invalid {model} colour '{spec}' in \\definecolor", line=line,
                        hint="for example \\definecolor{accent}{RGB}{31,119,180}") from None
    if len(rgb) != 3 or not all(0.0 <= c <= 1.0 for c in rgb):
        raise TikzError(f"{model} colour '{spec}' is out of range", line=line,
                        hint="rgb/gray/cmyk take 0..1, RGB 0..255, HTML six hex digits")
    return from_rgb(rgb)  # type: ignore[arg-type]
