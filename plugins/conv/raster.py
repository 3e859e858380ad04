"""Pillow backend: a ``Scene`` as an animated GIF or a static PNG (its last frame).

Frames are drawn on a transparent RGBA canvas (the page shows through, light or dark). The GIF
shares one palette made from the colours of all frames, so that colours do not shift between
frames; pixels less than half opaque become its transparent index; and when no pixel ever turns
transparent, frames after the first keep only what changed. Pillow's bundled font
(``ImageFont.load_default(size)``) keeps the bytes identical across machines, whatever fonts
they have installed.
"""
from __future__ import annotations

import io
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .scene import ROLE_COLOURS, Polygon, Polyline, Rect, Scene, Shape, Text

TRANSPARENT_INDEX = 255
TRANSPARENT_KEY = (255, 0, 255)  # never a role colour, so no drawn pixel maps to it
DASH, GAP = 4, 3


@lru_cache(maxsize=16)
def font(size: int) -> ImageFont.FreeTypeFont:
    """Pillow's bundled font at ``size`` pixels (used for drawing and for measuring layouts)."""
    return ImageFont.load_default(size)


def _rgb(role: str) -> tuple[int, int, int]:
    value = ROLE_COLOURS[role].lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _dashed_segment(draw: ImageDraw.ImageDraw, start: tuple[float, float],
                    end: tuple[float, float], colour: tuple[int, int, int], width: int) -> None:
    (x0, y0), (x1, y1) = start, end
    length = max(abs(x1 - x0), abs(y1 - y0))
    position = 0.0
    while position < length:
        stop = min(position + DASH, length)
        a, b = position / length, stop / length
        draw.line([(x0 + (x1 - x0) * a, y0 + (y1 - y0) * a),
                   (x0 + (x1 - x0) * b, y0 + (y1 - y0) * b)], fill=colour, width=width)
        position += DASH + GAP


def _draw(draw: ImageDraw.ImageDraw, shape: Shape) -> None:
    if isinstance(shape, Rect):
        box = [shape.x, shape.y, shape.x + shape.width - 1, shape.y + shape.height - 1]
        if shape.fill:
            draw.rectangle(box, fill=_rgb(shape.fill))
        if shape.stroke and shape.dashed:
            x0, y0, x1, y1 = box
            colour, width = _rgb(shape.stroke), round(shape.stroke_width)
            for start, end in (((x0, y0), (x1, y0)), ((x1, y0), (x1, y1)),
                               ((x1, y1), (x0, y1)), ((x0, y1), (x0, y0))):
                _dashed_segment(draw, start, end, colour, width)
        elif shape.stroke:
            draw.rectangle(box, outline=_rgb(shape.stroke), width=round(shape.stroke_width))
    elif isinstance(shape, Text):
        anchor = {"start": "lm", "middle": "mm", "end": "rm"}[shape.anchor]
        draw.text((shape.x, shape.y), shape.text, fill=_rgb(shape.color),
                  font=font(round(shape.size)), anchor=anchor)
    elif isinstance(shape, Polyline):
        draw.line(list(shape.points), fill=_rgb(shape.color), width=round(shape.width),
                  joint="curve")
    elif isinstance(shape, Polygon):
        draw.polygon(list(shape.points), fill=_rgb(shape.fill))


def _canvas(scene: Scene) -> Image.Image:
    return Image.new("RGBA", (scene.width, scene.height), (0, 0, 0, 0))


def _frame(scene: Scene, index: int) -> Image.Image:
    image = _canvas(scene)
    draw = ImageDraw.Draw(image)
    for shape in scene.frame_shapes(index):
        _draw(draw, shape)
    return image


def _frames(scene: Scene) -> list[Image.Image]:
    """Every frame, drawing the static shapes once and each revealed shape once."""
    base = _canvas(scene)
    base_draw = ImageDraw.Draw(base)
    for shape in scene.static:
        _draw(base_draw, shape)
    reveals = iter(scene.reveals)
    pending = next(reveals, None)
    frames = []
    for index, shapes in enumerate(scene.frames):
        while pending is not None and pending[0] <= index:
            _draw(base_draw, pending[1])
            pending = next(reveals, None)
        frame = base.copy()
        frame_draw = ImageDraw.Draw(frame)
        for shape in shapes:
            _draw(frame_draw, shape)
        frames.append(frame)
    return frames


def _opaque_colours(frames: list[Image.Image]) -> tuple[np.ndarray, np.ndarray]:
    """The distinct colours of the pixels that will be drawn (alpha >= 128) and their counts.

    Frame 0 is counted whole, later frames only where they differ from the frame before: the
    same set of colours for a fraction of the work.
    """
    seen, previous = [], None
    for frame in frames:
        pixels = np.asarray(frame).astype(np.uint32)
        packed = (pixels[..., 0] << 16) | (pixels[..., 1] << 8) | pixels[..., 2]
        drawn = pixels[..., 3] >= 128
        seen.append(packed[drawn if previous is None else drawn & (packed != previous)])
        previous = packed
    return np.unique(np.concatenate(seen), return_counts=True)


def _shared_palette(frames: list[Image.Image]) -> Image.Image:
    """One palette for every frame: the role colours exactly, then the blends antialiasing made.

    A colour may appear in one frame only (a product area shaded mid-animation), so every frame
    counts; when the blends do not fit, median cut reduces them while the flat role colours
    stay exact.
    """
    roles = list(dict.fromkeys(_rgb(role) for role in ROLE_COLOURS))
    packed, counts = _opaque_colours(frames)
    order = np.lexsort((packed, -counts))  # most frequent first, ties by value: deterministic
    blends = [colour for colour in ((int(value) >> 16, (int(value) >> 8) & 255, int(value) & 255)
                                    for value in packed[order]) if colour not in roles]
    room = TRANSPARENT_INDEX - len(roles)
    if len(blends) > room:
        strip = Image.new("RGB", (len(blends), 1))
        strip.putdata(blends)
        reduced = strip.quantize(colors=room, method=Image.Quantize.MEDIANCUT,
                                 dither=Image.Dither.NONE).getpalette()[: 3 * room]
        blends = [tuple(reduced[index:index + 3]) for index in range(0, len(reduced), 3)]
    colours = roles + blends
    colours += colours[:1] * (TRANSPARENT_INDEX - len(colours))  # pad with a used colour
    palette = Image.new("P", (1, 1))
    palette.putpalette([channel for colour in colours for channel in colour]
                       + list(TRANSPARENT_KEY))
    return palette


def _indexed(frame: Image.Image, palette: Image.Image) -> Image.Image:
    indexed = frame.convert("RGB").quantize(palette=palette, dither=Image.Dither.NONE)
    clear = frame.getchannel("A").point(lambda alpha: 255 if alpha < 128 else 0)
    indexed.paste(TRANSPARENT_INDEX, mask=clear)
    return indexed


def _disposal(indexed: list[Image.Image]) -> int:
    """How each frame leaves the canvas: 1 (kept) unless a pixel turns transparent, else 2.

    With 1, Pillow stores each frame as the rectangle that changed, drawn over the previous
    frame, which is only right if no pixel goes from opaque to transparent (loop included); with
    2 the canvas is cleared after every frame, so every frame is stored whole.
    """
    opaque = [np.asarray(frame) != TRANSPARENT_INDEX for frame in indexed]
    for previous, current in zip(opaque[-1:] + opaque[:-1], opaque):
        if (previous & ~current).any():
            return 2
    return 1


def _only_changes(indexed: list[Image.Image]) -> list[Image.Image]:
    """Frames after the first with every unchanged pixel transparent ("keep what is there").

    Right only when frames are kept (disposal 1) and no pixel turns transparent: long runs of
    the transparent index are what LZW compresses best, so this shrinks the GIF severalfold.
    """
    arrays = [np.asarray(frame) for frame in indexed]
    changes = [indexed[0]]
    for previous, current in zip(arrays, arrays[1:]):
        delta = Image.fromarray(np.where(current == previous, TRANSPARENT_INDEX, current)
                                .astype(np.uint8), mode="P")
        delta.putpalette(indexed[0].getpalette())
        changes.append(delta)
    return changes


def render_gif(scene: Scene) -> bytes:
    frames = _frames(scene)
    palette = _shared_palette(frames)
    indexed = [_indexed(frame, palette) for frame in frames]
    disposal = _disposal(indexed)
    if disposal == 1:
        indexed = _only_changes(indexed)
    output = io.BytesIO()
    indexed[0].save(output, format="GIF", save_all=True, append_images=indexed[1:],
                    duration=list(scene.durations_ms), loop=0, disposal=disposal,
                    transparency=TRANSPARENT_INDEX, optimize=False)
    return output.getvalue()


def render_png(scene: Scene) -> bytes:
    output = io.BytesIO()
    _frame(scene, len(scene.frames) - 1).save(output, format="PNG", optimize=True)
    return output.getvalue()
