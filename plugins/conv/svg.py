"""SVG backend: a ``Scene`` as one self-contained SVG animated with CSS.

Hand-written because the structure is tiny and fixed (rects, text, polylines) and no SVG
library adds anything but a dependency. The *base* style is the last frame (every output cell
shown, the other frames hidden); the animation is added only inside
``@media (prefers-reduced-motion: no-preference)``, so readers who ask for less motion get a
still, complete figure. Each frame group (and each group of cells revealed at the same frame)
has its own keyframes that switch ``visibility`` at its start and end, with ``step-end`` timing
so nothing fades. Muted labels and outlines switch tone under ``prefers-color-scheme: dark``.
"""
from __future__ import annotations

from html import escape

from .scene import ROLE_COLOURS, Polygon, Polyline, Rect, Scene, Shape, Text

FONT = "DejaVu Sans, Verdana, Helvetica, Arial, sans-serif"
MUTED_LIGHT, MUTED_DARK = "#6b7078", "#a3a8b0"


def _number(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _paint(fill: str | None, stroke: str | None) -> str:
    """Fill and stroke attributes of roles; the muted role is themed through CSS classes."""
    attributes, classes = [], []
    for attribute, role, muted_class in (("fill", fill, "m"), ("stroke", stroke, "ms")):
        if role == "muted":
            classes.append(muted_class)
        elif role is not None:
            attributes.append(f'{attribute}="{ROLE_COLOURS[role]}"')
        elif attribute == "fill":
            attributes.append('fill="none"')
    if classes:
        attributes.append(f'class="{" ".join(classes)}"')
    return " " + " ".join(attributes)


def _shape(shape: Shape) -> str:
    if isinstance(shape, Rect):
        dash = ' stroke-dasharray="4 3"' if shape.dashed else ""
        width = f' stroke-width="{_number(shape.stroke_width)}"' if shape.stroke else ""
        return (f'<rect x="{_number(shape.x)}" y="{_number(shape.y)}" '
                f'width="{_number(shape.width)}" height="{_number(shape.height)}"'
                f'{_paint(shape.fill, shape.stroke)}{width}{dash}/>')
    if isinstance(shape, Text):
        return (f'<text x="{_number(shape.x)}" y="{_number(shape.y)}" '
                f'font-size="{_number(shape.size)}" text-anchor="{shape.anchor}"'
                f'{_paint(shape.color, None)}>{escape(shape.text)}</text>')
    points = " ".join(f"{_number(x)},{_number(y)}" for x, y in shape.points)
    if isinstance(shape, Polyline):
        return (f'<polyline points="{points}"{_paint(None, shape.color)} '
                f'stroke-width="{_number(shape.width)}" stroke-linejoin="round"/>')
    assert isinstance(shape, Polygon)
    return f'<polygon points="{points}"{_paint(shape.fill, None)}/>'


def _keyframes(name: str, start: float, end: float | None) -> str:
    """Hidden, visible from ``start`` percent, hidden again from ``end`` (None: to the end)."""
    steps = f"{_number(start)}%{{visibility:visible}}"
    if start > 0:
        steps = "0%{visibility:hidden}" + steps
    if end is not None:
        steps += f"{_number(end)}%{{visibility:hidden}}"
    return f"@keyframes {name}{{{steps}}}"


def render_svg(scene: Scene) -> bytes:
    total = sum(scene.durations_ms)
    starts = [sum(scene.durations_ms[:index]) * 100 / total for index in range(len(scene.frames))]
    last = len(scene.frames) - 1
    animations = []
    body = [_shape(shape) for shape in scene.static]

    revealed: dict[int, list[Shape]] = {}
    for first, shape in scene.reveals:
        revealed.setdefault(first, []).append(shape)
    for first in sorted(revealed):
        if first > 0:
            animations.append(_keyframes(f"r{first}", starts[first], None))
            animations.append(f"#r{first}{{animation-name:r{first}}}")
        body.append(f'<g id="r{first}" class="r">' + "".join(map(_shape, revealed[first])) + "</g>")
    for index, shapes in enumerate(scene.frames):
        end = None if index == last else starts[index + 1]
        animations.append(_keyframes(f"f{index}", starts[index], end))
        animations.append(f"#f{index}{{animation-name:f{index}}}")
        kind = "f last" if index == last else "f"
        body.append(f'<g id="f{index}" class="{kind}">' + "".join(map(_shape, shapes)) + "</g>")

    style = (
        f"text{{font-family:{FONT};dominant-baseline:central}}"
        f".m{{fill:{MUTED_LIGHT}}}.ms{{stroke:{MUTED_LIGHT}}}"
        f"@media (prefers-color-scheme:dark){{.m{{fill:{MUTED_DARK}}}.ms{{stroke:{MUTED_DARK}}}}}"
        ".f{visibility:hidden}.f.last{visibility:visible}"
        "@media (prefers-reduced-motion:no-preference){"
        f".f,.r{{animation-duration:{total}ms;animation-timing-function:step-end;"
        "animation-iteration-count:infinite}"
        + "".join(animations) + "}"
    )
    alt = escape(scene.alt)
    document = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{scene.width}" height="{scene.height}" '
        f'viewBox="0 0 {scene.width} {scene.height}" role="img" aria-label="{alt}">'
        f"<title>{alt}</title><style>{style}</style>" + "".join(body) + "</svg>\n"
    )
    return document.encode("utf-8")
