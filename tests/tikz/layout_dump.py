"""A readable text form of a laid-out picture, for fixture files (numbers in pt, 2 decimals)."""
from __future__ import annotations

from plugins.tikz.colors import Paint
from plugins.tikz.model import Clip, Diagram, Node, PathPiece, Stroke


def _n(value: float) -> str:
    text = f"{value:.2f}"
    return "0.00" if text == "-0.00" else text


def _paint(paint: Paint | None) -> str:
    return "none" if paint is None else paint.css()


def _stroke(stroke: Stroke) -> str:
    parts = [f"draw={_paint(stroke.draw)}", f"fill={_paint(stroke.fill)}"]
    if stroke.draw is not None:
        parts.append(f"width={_n(stroke.line_width)}")
    if stroke.dash:
        parts.append("dash=" + ",".join(_n(d) for d in stroke.dash))
    if stroke.rounded:
        parts.append(f"rounded={_n(stroke.rounded)}")
    for name in ("opacity", "draw_opacity", "fill_opacity"):
        if getattr(stroke, name) < 1:
            parts.append(f"{name}={_n(getattr(stroke, name))}")
    return " ".join(parts)


def _command(command: tuple) -> str:
    if command[0] == "circle":
        return f"circle ({_n(command[1][0])},{_n(command[1][1])}) r={_n(command[2])}"
    return command[0] + "".join(f" ({_n(p[0])},{_n(p[1])})" for p in command[1:])


def dump(diagram: Diagram) -> str:
    lines = ["bbox " + " ".join(_n(v) for v in diagram.bbox)]
    _items(diagram.items, lines)
    return "\n".join(lines)


def _items(items: tuple, lines: list[str]) -> None:
    for item in items:
        if isinstance(item, Clip):
            lines.append("clip")
            lines.append("  " + " ".join(_command(c) for c in item.commands))
            _items(item.items, lines)
            lines.append("end clip")
        elif isinstance(item, Node):
            lines.append(f"node {item.name or '-'} {item.shape} at ({_n(item.center[0])},{_n(item.center[1])}) "
                         f"size {_n(2 * item.half_width)}x{_n(2 * item.half_height)}"
                         + (f" rotate={_n(item.rotate)}" if item.rotate else "")
                         + f" {_stroke(item.stroke)}")
            box = item.text
            if box.lines and any(line.runs for line in box.lines):
                lines.append(f"  text box {_n(box.width)}x{_n(box.height)}+{_n(box.depth)} align={box.align} "
                             f"color={_paint(item.text_paint)}"
                             + (f" opacity={_n(item.text_opacity)}" if item.text_opacity < 1 else ""))
                for line in box.lines:
                    runs = " | ".join(
                        repr(run.text) + f"@{_n(run.size)}"
                        + (f" dx={_n(run.gap_before)}" if abs(run.gap_before) > 5e-3 else "")
                        + (f" up={_n(run.shift)}" if abs(run.shift) > 5e-3 else "")
                        + (" bold" if run.bold else "") + (" italic" if run.italic else "")
                        + (" mono" if run.monospace else "")
                        for run in line.runs)
                    lines.append(f"    line x={_n(line.x)} down={_n(line.baseline)} w={_n(line.width)}: {runs}")
        elif isinstance(item, PathPiece):
            lines.append(f"path {_stroke(item.stroke)}")
            lines.append("  " + " ".join(_command(c) for c in item.commands))
            for arrow in item.arrows:
                lines.append(f"  tip {arrow.kind} at ({_n(arrow.tip[0])},{_n(arrow.tip[1])}) "
                             f"dir ({_n(arrow.direction[0])},{_n(arrow.direction[1])})")
