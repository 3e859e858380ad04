"""Laying out a grid block's animation as a ``Scene``: one frame per output cell.

Conventions of the conv_arithmetic figures: the input (blue) with padding drawn as dashed empty
cells, the window shaded, the output (cyan) filling in cell by cell. Each frame also shows the
weights the window multiplies by (as small badges in the window and as their own grid: blue for
a correlation's kernel, red and named "flipped kernel" for a convolution or transposed
convolution) and the products, with their sum written under them.
"""
from __future__ import annotations

import numpy as np

from .geometry import Plan
from .raster import font
from .scene import Rect, Scene, Shape, Text

MARGIN = 12
LABEL_HEIGHT = 22
CAPTION_HEIGHT = 30
SUM_HEIGHT = 18
LABEL_SIZE = 13


def format_number(value: float) -> str:
    """Integers without a decimal point, other values with up to 3 significant digits."""
    value = float(value)
    if value.is_integer():
        return str(int(value))
    text = f"{value:.3g}"
    return "0" if text in ("-0", "0") else text


def drawn_number(value: float) -> str:
    """A number as a figure shows it: with a true minus sign, which small type keeps legible."""
    return format_number(value).replace("-", "\u2212")


def format_grid(values: np.ndarray) -> str:
    """A small matrix inline: [[1, 2], [3, 4]] (a 1-row matrix as a flat list)."""
    rows = np.atleast_2d(values)
    inner = ["[" + ", ".join(format_number(value) for value in row) + "]" for row in rows]
    return inner[0] if len(inner) == 1 else "[" + ", ".join(inner) + "]"


def fitted_size(text: str, width: float, size: float) -> float:
    """The largest font size up to ``size`` at which ``text`` fits in ``width`` pixels."""
    while size > 7 and font(round(size)).getlength(text) > width:
        size -= 1
    return size


def _cell_text(x: float, y: float, cell: float, text: str, colour: str, *, scale: float = 0.4
               ) -> Text:
    size = fitted_size(text, cell * 0.88, cell * scale)
    return Text(x + cell / 2, y + cell / 2, text, size, colour)


def weights_label(plan: Plan) -> str:
    """What the window multiplies by, named as such: "kernel" or "flipped kernel"."""
    return "flipped kernel" if plan.flipped else "kernel"


def _weights_title(plan: Plan) -> str:
    preset = plan.spec.kernel_name
    return weights_label(plan) + (f" ({preset})" if preset != "kernel" else "")


def describe(plan: Plan) -> str:
    """Alt text: what the figure shows, with the numbers when they are few."""
    spec, rows, columns = plan.spec, plan.rows, plan.columns
    def shape(height: int, width: int) -> str:
        return f"length {width}" if spec.one_dimensional else f"{height}x{width}"
    channels = len(spec.input)
    what = {"correlation": "cross-correlation (the kernel is not flipped)",
            "convolution": "convolution (the kernel is flipped on both axes before sliding)",
            "transposed": "transposed convolution, drawn as a stride-1 convolution with the "
                          "flipped kernel over the input with zeros inserted between its cells"
            }[spec.mode]
    padding = _padding_text(plan) or "no padding"
    stride = _pair_text(spec.stride, spec.one_dimensional)
    dilation = _pair_text(spec.dilation, spec.one_dimensional)
    kernel = np.asarray(spec.kernel)
    weights = (f"a {shape(rows.kernel, columns.kernel)} kernel "
               f"{format_grid(kernel[0]) if kernel[0].size <= 25 else ''}" if len(kernel) == 1
               else f"{len(kernel)} {shape(rows.kernel, columns.kernel)} kernels, one per channel,")
    text = (f"{what}: {weights} slide{'s' if len(kernel) == 1 else ''} over a "
            f"{shape(rows.size, columns.size)} input"
            f"{f' with {channels} channels (summed)' if channels > 1 else ''}, {padding}, "
            f"stride {stride}, dilation {dilation}. Each of the {plan.result.size} frames shades "
            f"the window, shows its products with the {weights_label(plan)} and fills one cell "
            f"of the {shape(rows.output, columns.output)} output")
    if plan.result.size <= 36:
        text += f", which ends as {format_grid(plan.result)}"
    return " ".join(text.split()) + "."


def _picture_label(plan: Plan) -> str:
    spec, rows, columns = plan.spec, plan.rows, plan.columns
    size = f"length {columns.size}" if spec.one_dimensional else f"{rows.size}x{columns.size}"
    parts = [f"input {size}"]
    if spec.mode == "transposed":
        parts.append("zeros inserted" if max(spec.stride) > 1 else "zero-padded")
    elif _padding_text(plan):
        parts.append(_padding_text(plan))
    if spec.mode != "transposed" and max(spec.stride) > 1:
        parts.append(f"stride {_pair_text(spec.stride, spec.one_dimensional)}")
    if max(spec.dilation) > 1:
        parts.append(f"dilation {_pair_text(spec.dilation, spec.one_dimensional)}")
    return ", ".join(parts)


def _padding_text(plan: Plan) -> str:
    """"padding 1", or every side when they differ; empty without padding."""
    rows, columns = plan.rows, plan.columns
    sides = {"left": columns.pad_before, "right": columns.pad_after}
    if not plan.spec.one_dimensional:
        sides = {"top": rows.pad_before, "bottom": rows.pad_after, **sides}
    values = set(sides.values())
    if values == {0}:
        return ""
    if len(values) == 1:
        return f"padding {values.pop()}"
    return "padding " + ", ".join(f"{side} {value}" for side, value in sides.items())


def _pair_text(pair: tuple[int, int], one_dimensional: bool) -> str:
    return str(pair[1]) if one_dimensional or pair[0] == pair[1] else f"{pair[0]}x{pair[1]}"


def _captions(plan: Plan) -> list[str]:
    """The line under each frame: which output cell it fills, and with what."""
    channels = plan.picture.shape[0]
    summed = f"sum over {channels} channels" if channels > 1 else "sum of the products"
    out_h, out_w = plan.result.shape
    return [f"output{f'[{j}]' if plan.spec.one_dimensional else f'[{i}, {j}]'} = {summed} = "
            f"{drawn_number(plan.result[i, j])}" for i in range(out_h) for j in range(out_w)]


def grid_scene(plan: Plan, *, cell: int, frame_ms: int) -> Scene:
    """The animation of a grid block; frame i fills output cell i (row-major order).

    Everything that changes from frame to frame lies on opaque cells or panels (empty cells
    have a light neutral fill, the sums and the caption sit on grey panels), so a GIF can store
    each frame as the rectangle that changed instead of a full frame.
    """
    channels, picture_h, picture_w = plan.picture.shape
    k_h, k_w = plan.weights.shape[1:]
    out_h, out_w = plan.result.shape
    weight_role = "flipped" if plan.flipped else "kernel"
    gap = max(cell, 24)

    x_picture = MARGIN
    x_kernel = x_picture + picture_w * cell + gap
    title_width = font(LABEL_SIZE).getlength(_weights_title(plan)) + 12
    x_products = x_kernel + max(k_w * cell + gap, title_width)
    x_output = x_products + k_w * cell + gap
    captions = _captions(plan)
    caption_width = max(font(LABEL_SIZE + 1).getlength(text) for text in captions) + 16
    width = round(max(x_output + out_w * cell, MARGIN + caption_width) + MARGIN)
    # One channel's row of panels: the grids, the sum written under the products, a label.
    band = max(picture_h, k_h + 1) * cell + LABEL_HEIGHT + 6
    y_top = MARGIN + LABEL_HEIGHT
    channel_tops = [y_top + index * band for index in range(channels)]
    height = max(channel_tops[-1] + max(picture_h, k_h + 1) * cell,
                 y_top + out_h * cell) + CAPTION_HEIGHT + MARGIN
    caption_y = height - MARGIN - CAPTION_HEIGHT / 2

    static: list[Shape] = []
    def label(x: float, y: float, text: str, role: str = "muted") -> None:
        static.append(Text(x, y - LABEL_HEIGHT / 2, text, LABEL_SIZE, role, anchor="start"))

    for channel, top in enumerate(channel_tops):
        prefix = f"channel {channel + 1}: " if channels > 1 else ""
        label(x_picture, top, f"{prefix}{_picture_label(plan)}")
        label(x_kernel, top, _weights_title(plan), weight_role)
        label(x_products, top, "products")
        for r in range(picture_h):
            for c in range(picture_w):
                x, y = x_picture + c * cell, top + r * cell
                if plan.is_input[r, c]:
                    static.append(Rect(x, y, cell, cell, fill="input", stroke="window"))
                    static.append(_cell_text(x, y, cell, drawn_number(plan.picture[channel, r, c]),
                                             "input_text"))
                else:
                    static.append(Rect(x, y, cell, cell, fill="empty", stroke="muted",
                                       dashed=True))
        for m in range(k_h):
            for n in range(k_w):
                x, y = x_kernel + n * cell, top + m * cell
                static.append(Rect(x, y, cell, cell, fill="badge", stroke=weight_role))
                static.append(_cell_text(x, y, cell, drawn_number(plan.weights[channel, m, n]),
                                         weight_role))
                static.append(Rect(x_products + n * cell, y, cell, cell, fill="empty",
                                   stroke="muted"))
        static.append(Rect(x_products, top + k_h * cell + 4, k_w * cell, SUM_HEIGHT,
                           fill="products"))
    label(x_output, y_top, "output")
    for i in range(out_h):
        for j in range(out_w):
            static.append(Rect(x_output + j * cell, y_top + i * cell, cell, cell, fill="empty",
                               stroke="muted"))
    static.append(Rect(MARGIN, caption_y - SUM_HEIGHT / 2 - 2, caption_width, SUM_HEIGHT + 4,
                       fill="products"))

    frames: list[tuple[Shape, ...]] = []
    reveals: list[tuple[int, Shape]] = []
    for index in range(out_h * out_w):
        i, j = divmod(index, out_w)
        value = plan.result[i, j]
        shapes: list[Shape] = []
        taps = plan.window_cells(i, j)
        for channel, top in enumerate(channel_tops):
            for tap, (r, c) in enumerate(taps):
                m, n = divmod(tap, k_w)
                x, y = x_picture + c * cell, top + r * cell
                if plan.is_input[r, c]:
                    shapes.append(Rect(x, y, cell, cell, fill="window", stroke="window"))
                    # Up and left of the centre, clear of the weight badge in the corner.
                    shapes.append(_cell_text(x - cell * 0.12, y - cell * 0.1, cell,
                                             drawn_number(plan.picture[channel, r, c]),
                                             "window_text", scale=0.36))
                else:
                    shapes.append(Rect(x, y, cell, cell, fill="window_padding", stroke="muted",
                                       dashed=True))
                badge = drawn_number(plan.weights[channel, m, n])
                badge_size = fitted_size(badge, cell * 0.5, cell * 0.26)
                badge_width = max(font(round(badge_size)).getlength(badge) + 4, cell * 0.3)
                badge_height = badge_size + 3
                shapes.append(Rect(x + cell - badge_width - 1, y + cell - badge_height - 1,
                                   badge_width, badge_height, fill="badge"))
                shapes.append(Text(x + cell - 1 - badge_width / 2, y + cell - 1 - badge_height / 2,
                                   badge, badge_size, weight_role))
                product = plan.products[channel, i, j, m, n]
                px, py = x_products + n * cell, top + m * cell
                shapes.append(Rect(px, py, cell, cell, fill="products", stroke="muted"))
                shapes.append(_cell_text(px, py, cell, drawn_number(product), "products_text"))
            (r0, c0), (r1, c1) = taps[0], taps[-1]
            shapes.append(Rect(x_picture + c0 * cell, top + r0 * cell, (c1 - c0 + 1) * cell,
                               (r1 - r0 + 1) * cell, stroke=weight_role, stroke_width=3))
            sum_text = f"sum {drawn_number(plan.products[channel, i, j].sum())}"
            shapes.append(Text(x_products + 6, top + k_h * cell + 4 + SUM_HEIGHT / 2, sum_text,
                               fitted_size(sum_text, k_w * cell - 8, LABEL_SIZE - 1),
                               "products_text", anchor="start"))
        x, y = x_output + j * cell, y_top + i * cell
        shapes.append(Rect(x, y, cell, cell, stroke=weight_role, stroke_width=3))
        shapes.append(Text(MARGIN + 8, caption_y, captions[index], LABEL_SIZE + 1,
                           "products_text", anchor="start"))
        frames.append(tuple(shapes))
        reveals.append((index, Rect(x, y, cell, cell, fill="output", stroke="muted")))
        reveals.append((index, _cell_text(x, y, cell, drawn_number(value), "output_text")))

    durations = [frame_ms] * len(frames)
    durations[-1] = frame_ms * 4  # hold the finished output before the loop starts again
    return Scene(width=width, height=height, static=tuple(static), frames=tuple(frames),
                 reveals=tuple(reveals), durations_ms=tuple(durations), alt=describe(plan))
