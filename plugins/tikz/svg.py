"""A laid-out picture as inline SVG: real ``<text>``, theme-following colours, TeX's size.

One SVG user unit is one TeX point and the y axis is flipped here, and only here. The
``width``/``height`` attributes convert points to CSS pixels (96 px per inch, 72.27 pt per inch),
so the figure has the size it has in a PDF. Every string from the author is escaped; nothing but
static shapes and text is emitted.
"""
from __future__ import annotations

import html

from . import arrows
from .colors import Paint
from .model import Clip, Diagram, Item, Node, PathPiece, Point, TextLine

PX_PER_PT = 96 / 72.27
# Computer Modern's own shapes first, so glyphs match the metrics the layout used; Latin Modern
# Math is the face the math plugin's stylesheet loads, and it covers Latin and math italic.
FONT_FAMILY = ("'Latin Modern Roman','Latin Modern Math','CMU Serif','Computer Modern Serif',"
               "'STIX Two Math','Times New Roman',serif")
MONO_FAMILY = "'Latin Modern Mono','CMU Typewriter Text',monospace"


def _number(value: float) -> str:
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _xy(point: Point) -> str:
    return f"{_number(point[0])} {_number(-point[1])}"


def _escape_attribute(value: str) -> str:
    """Escape for a double-quoted attribute (single quotes stay readable in font lists)."""
    return html.escape(value, quote=False).replace('"', "&quot;")


def _attributes(pairs: list[tuple[str, str]], style: list[str]) -> str:
    parts = [f'{name}="{_escape_attribute(value)}"' for name, value in pairs]
    if style:
        parts.append(f'style="{_escape_attribute(";".join(style))}"')
    return " ".join(parts)


def _paint(prop: str, paint: Paint, pairs: list[tuple[str, str]], style: list[str]) -> None:
    """``prop``'s light-mode colour as an attribute; the theme-following mix as CSS."""
    if paint.is_ink:
        pairs.append((prop, "currentColor"))
        return
    pairs.append((prop, paint.hex()))
    style.append(f"{prop}:{paint.css()}")


def _path_data(commands: tuple[tuple, ...]) -> str:
    parts = []
    for command in commands:
        kind = command[0]
        if kind in ("M", "L"):
            parts.append(f"{kind}{_xy(command[1])}")
        elif kind == "C":
            parts.append("C" + " ".join(_xy(p) for p in command[1:]))
        elif kind == "Z":
            parts.append("Z")
        elif kind == "circle":
            (cx, cy), r = command[1], command[2]
            radius = _number(r)
            parts.append(f"M{_xy((cx + r, cy))}A{radius} {radius} 0 1 0 {_xy((cx - r, cy))}"
                         f"A{radius} {radius} 0 1 0 {_xy((cx + r, cy))}Z")
    return "".join(parts)


def _stroke_attributes(stroke, pairs: list[tuple[str, str]], style: list[str]) -> None:
    if stroke.fill is not None:
        _paint("fill", stroke.fill, pairs, style)
        if stroke.fill_opacity < 1:
            pairs.append(("fill-opacity", _number(stroke.fill_opacity)))
    else:
        pairs.append(("fill", "none"))
    if stroke.draw is not None:
        _paint("stroke", stroke.draw, pairs, style)
        pairs.append(("stroke-width", _number(stroke.line_width)))
        if stroke.dash:
            pairs.append(("stroke-dasharray", " ".join(_number(d) for d in stroke.dash)))
        if stroke.line_cap != "butt":
            pairs.append(("stroke-linecap", "square" if stroke.line_cap == "rect" else stroke.line_cap))
        if stroke.line_join != "miter":
            pairs.append(("stroke-linejoin", stroke.line_join))
        if stroke.draw_opacity < 1:
            pairs.append(("stroke-opacity", _number(stroke.draw_opacity)))
    if stroke.opacity < 1:
        pairs.append(("opacity", _number(stroke.opacity)))


def _path(piece: PathPiece) -> list[str]:
    pairs: list[tuple[str, str]] = [("d", _path_data(piece.commands))]
    style: list[str] = []
    _stroke_attributes(piece.stroke, pairs, style)
    elements = [f"<path {_attributes(pairs, style)}/>"]
    for arrow in piece.arrows:
        shape = arrows.tip_shape(arrow.kind, arrow.line_width)
        tip_pairs = [("d", _path_data(arrows.place(shape, arrow.tip, arrow.direction)))]
        tip_style: list[str] = []
        paint = piece.stroke.draw or piece.stroke.fill
        if paint is None:
            continue
        if shape.filled:
            _paint("fill", paint, tip_pairs, tip_style)
        else:
            tip_pairs.append(("fill", "none"))
            _paint("stroke", paint, tip_pairs, tip_style)
            tip_pairs += [("stroke-width", _number(shape.stroke_width)),
                          ("stroke-linecap", "round"), ("stroke-linejoin", "round")]
        if piece.stroke.opacity < 1:
            tip_pairs.append(("opacity", _number(piece.stroke.opacity)))
        elements.append(f"<path {_attributes(tip_pairs, tip_style)}/>")
    return elements


def _node(node: Node) -> list[str]:
    elements: list[str] = []
    cx, cy = node.center
    stroke = node.stroke
    if node.shape != "coordinate" and (stroke.draw is not None or stroke.fill is not None):
        pairs: list[tuple[str, str]] = []
        style: list[str] = []
        if node.shape == "circle":
            pairs += [("cx", _number(cx)), ("cy", _number(-cy)), ("r", _number(node.half_width))]
            tag = "circle"
        else:
            pairs += [("x", _number(cx - node.half_width)), ("y", _number(-cy - node.half_height)),
                      ("width", _number(2 * node.half_width)), ("height", _number(2 * node.half_height))]
            if stroke.rounded > 0:
                radius = min(stroke.rounded, node.half_width, node.half_height)
                pairs.append(("rx", _number(radius)))
            tag = "rect"
        _stroke_attributes(stroke, pairs, style)
        elements.append(f"<{tag} {_attributes(pairs, style)}/>")
    elements.extend(_node_text(node))
    if node.rotate and elements:
        transform = f"rotate({_number(-node.rotate)} {_number(cx)} {_number(-cy)})"
        return [f'<g transform="{transform}">', *elements, "</g>"]
    return elements


def _node_text(node: Node) -> list[str]:
    box = node.text
    if not box.lines or not any(line.runs for line in box.lines):
        return []
    cx, cy = node.center
    left = cx - box.width / 2
    first_baseline = cy - (box.height - box.depth) / 2 + box.top_baseline
    elements = []
    for line in box.lines:
        if not line.runs:
            continue
        baseline = first_baseline - line.baseline
        if line.rules:
            # a fraction's parts and bar are placed by TeX's widths from the line's start: the
            # browser's anchoring of a centred line would move the text and not the bar
            x, anchor = left + line.x, "start"
        elif box.align == "center":
            x, anchor = left + line.x + line.width / 2, "middle"
        elif box.align == "right":
            x, anchor = left + line.x + line.width, "end"
        else:
            x, anchor = left + line.x, "start"
        pairs = [("x", _number(x)), ("y", _number(-baseline)), ("font-size", _number(line.runs[0].size))]
        style: list[str] = []
        if anchor != "start":
            pairs.append(("text-anchor", anchor))
        _paint("fill", node.text_paint, pairs, style)  # type: ignore[arg-type]
        if node.text_opacity < 1:
            pairs.append(("opacity", _number(node.text_opacity)))
        elements.append(f"<text {_attributes(pairs, style)}>{_runs(line)}</text>")
        for rule in line.rules:  # fraction bars, placed by TeX's widths like the text's gaps
            pairs = [("x", _number(left + line.x + rule.x)),
                     ("y", _number(-(baseline + rule.shift + rule.thickness))),
                     ("width", _number(rule.width)), ("height", _number(rule.thickness))]
            style = []
            _paint("fill", node.text_paint, pairs, style)  # type: ignore[arg-type]
            if node.text_opacity < 1:
                pairs.append(("opacity", _number(node.text_opacity)))
            elements.append(f"<rect {_attributes(pairs, style)}/>")
    return elements


def _runs(line: TextLine) -> str:
    parts = []
    shift = 0.0
    base_size = line.runs[0].size
    for run in line.runs:
        attributes = []
        if abs(run.gap_before) > 1e-3:
            attributes.append(f'dx="{_number(run.gap_before)}"')
        if abs(run.shift - shift) > 1e-3:
            attributes.append(f'dy="{_number(-(run.shift - shift))}"')
            shift = run.shift
        if abs(run.size - base_size) > 1e-3:
            attributes.append(f'font-size="{_number(run.size)}"')
        if run.bold:
            attributes.append('font-weight="bold"')
        if run.italic:
            attributes.append('font-style="italic"')
        if run.monospace:
            attributes.append(f'font-family="{_escape_attribute(MONO_FAMILY)}"')
        text = html.escape(run.text, quote=False)
        if attributes:
            parts.append(f"<tspan {' '.join(attributes)}>{text}</tspan>")
        else:
            parts.append(text)
    return "".join(parts)


def _items(items: tuple[Item, ...], id_prefix: str, clips: list[int]) -> list[str]:
    """Nodes and paths in paint order; a clip becomes a ``<clipPath>`` and a group it clips,
    numbered in document order (``clips`` counts them)."""
    body: list[str] = []
    for item in items:
        if isinstance(item, Clip):
            clips[0] += 1
            clip_id = f"{id_prefix}-clip{clips[0]}"
            body.append(f'<clipPath id="{_escape_attribute(clip_id)}">'
                        f'<path d="{_path_data(item.commands)}"/></clipPath>')
            body.append(f'<g clip-path="url(#{_escape_attribute(clip_id)})">')
            body.extend(_items(item.items, id_prefix, clips))
            body.append("</g>")
        else:
            body.extend(_node(item) if isinstance(item, Node) else _path(item))
    return body


def render_svg(diagram: Diagram, *, title: str, description: str, id_prefix: str = "tikz") -> str:
    """The picture as one ``<svg>`` element, sized in CSS px like the TeX figure.

    ``id_prefix`` starts the ids of its clipping paths (``PREFIX-clip1``...), so pictures on one
    page need different prefixes.
    """
    min_x, min_y, max_x, max_y = diagram.bbox
    width, height = max(max_x - min_x, 0.0), max(max_y - min_y, 0.0)
    view_box = f"{_number(min_x)} {_number(-max_y)} {_number(width)} {_number(height)}"
    body = _items(diagram.items, id_prefix, [0])
    header = _attributes([
        ("xmlns", "http://www.w3.org/2000/svg"), ("class", "tikz"), ("role", "img"),
        ("viewBox", view_box), ("width", _number(width * PX_PER_PT)),
        ("height", _number(height * PX_PER_PT)), ("overflow", "visible"),
        ("font-family", FONT_FAMILY)],
        # text in the figure is TeX's: no typographic settings inherited from the page's prose
        ["max-width:100%", "height:auto", "font-variant:normal", "font-style:normal",
         "font-weight:normal", "letter-spacing:normal", "word-spacing:normal"])
    return (f"<svg {header}><title>{html.escape(title, quote=False)}</title>"
            f"<desc>{html.escape(description, quote=False)}</desc>{''.join(body)}</svg>")


def describe(diagram: Diagram, *, limit: int = 40) -> str:
    """A plain-text description for screen readers: what the nodes say, in drawing order."""
    drawn = list(diagram.drawn())
    texts = [item.text.text for item in drawn if isinstance(item, Node) and item.text.text]
    paths = sum(1 for item in drawn if isinstance(item, PathPiece))
    summary = (f"Diagram with {len(texts)} label{'' if len(texts) == 1 else 's'} and "
               f"{paths} drawn path{'' if paths == 1 else 's'}")
    if not texts:
        return summary + "."
    shown = texts[:limit]
    more = f", and {len(texts) - limit} more" if len(texts) > limit else ""
    return f"{summary}: {', '.join(shown)}{more}."
