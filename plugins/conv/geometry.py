"""The arithmetic of a discrete convolution block: sizes, the picture, the numbers.

Every mode is computed the way its figure draws it, as a strided, dilated sliding window
(cross-correlation) over a *picture grid*:

- ``correlation``: the picture is the zero-padded input, the weights are the kernel;
- ``convolution``: the same picture, the weights are the kernel flipped on both axes;
- ``transposed``: the picture is the input with ``stride - 1`` zeros inserted between its cells
  and ``dilation*(k-1) - padding`` zeros around it, the weights are the flipped kernel, and the
  window moves by one cell (the zero-insertion picture of Dumoulin & Visin's conv_arithmetic).

Sizes follow the standard arithmetic, per axis (``i`` input, ``k`` kernel, ``p`` padding,
``s`` stride, ``d`` dilation, ``a`` output padding)::

    forward:     o = floor((i + p_before + p_after - d(k-1) - 1) / s) + 1
    transposed:  o = (i - 1) s - p_before - p_after + d(k-1) + a + 1

The unrolled matrix is built separately, tap by tap from the *input*'s point of view, so that
tests can check one construction against the other (and the transposed mode against the
adjoint of the forward matrix).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .spec import BlockError, GridSpec

@dataclass(frozen=True)
class Axis:
    """One axis of the arithmetic, the numbers the ``sizes`` view writes out."""

    name: str            # "rows" or "columns"
    size: int            # input length
    kernel: int
    pad_before: int
    pad_after: int
    stride: int
    dilation: int
    output_padding: int
    output: int

    @property
    def extent(self) -> int:
        """How many input cells a dilated kernel spans: d(k-1) + 1."""
        return self.dilation * (self.kernel - 1) + 1


@dataclass(frozen=True)
class Plan:
    """Everything a figure or a view needs, computed once from a ``GridSpec``.

    Arrays are channels-first; ``picture`` is the grid the window moves over, ``is_input``
    tells its input cells from the zeros (padding, and the zeros a transposed block inserts);
    ``weights`` are what the window multiplies by (the flipped kernel for convolution and
    transposed); ``products[c, i, j]`` is the window-times-weights of output cell (i, j).
    """

    spec: GridSpec
    rows: Axis
    columns: Axis
    picture: np.ndarray          # (C, H, W) float
    is_input: np.ndarray         # (H, W) bool
    weights: np.ndarray          # (C, kh, kw)
    window_stride: tuple[int, int]  # the block's stride; 1 for transposed (the zeros do it)
    products: np.ndarray         # (C, out_h, out_w, kh, kw)
    result: np.ndarray           # (out_h, out_w)

    @property
    def flipped(self) -> bool:
        return self.spec.mode in ("convolution", "transposed")

    def window_cells(self, out_row: int, out_column: int) -> list[tuple[int, int]]:
        """Picture cells under the window of an output cell, in kernel order."""
        (sh, sw), (dh, dw) = self.window_stride, self.spec.dilation
        kh, kw = self.weights.shape[1:]
        return [(out_row * sh + m * dh, out_column * sw + n * dw)
                for m in range(kh) for n in range(kw)]


def resolve_padding(spec: GridSpec, in_h: int, in_w: int, k_h: int, k_w: int
                    ) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) for an explicit or named padding.

    ``same`` is TensorFlow's rule (output = ceil(input / stride), the odd cell after), ``full``
    pads d(k-1) on both sides so every partial overlap is an output.
    """
    if not isinstance(spec.padding, str):
        return spec.padding
    if spec.mode == "transposed":
        raise BlockError(f"`padding: {spec.padding}` is defined for correlation and convolution",
                         hint="a transposed block takes the padding of the convolution it "
                              "transposes: a number or [top, bottom, left, right]")
    sides = []
    for size, kernel, stride, dilation in ((in_h, k_h, spec.stride[0], spec.dilation[0]),
                                           (in_w, k_w, spec.stride[1], spec.dilation[1])):
        extent = dilation * (kernel - 1) + 1
        if spec.padding == "valid":
            total = 0
        elif spec.padding == "full":
            total = 2 * (extent - 1)
        else:
            total = max((math.ceil(size / stride) - 1) * stride + extent - size, 0)
        before = total // 2 if spec.padding != "full" else extent - 1
        sides.append((before, total - before))
    (top, bottom), (left, right) = sides
    if spec.one_dimensional:
        top = bottom = 0
    return top, bottom, left, right


def _axis(name: str, spec: GridSpec, index: int, size: int, kernel: int, before: int,
          after: int) -> Axis:
    stride, dilation = spec.stride[index], spec.dilation[index]
    extent = dilation * (kernel - 1) + 1
    if spec.mode == "transposed":
        if spec.output_padding[index] >= stride:
            raise BlockError(f"output_padding {spec.output_padding[index]} along the {name} must "
                             f"be smaller than the stride {stride}",
                             hint="output padding only picks among the input sizes a strided "
                                  "convolution maps to the same output")
        if max(before, after) > extent - 1:
            raise BlockError(f"padding {max(before, after)} along the {name} is more than "
                             f"dilation*(kernel-1) = {extent - 1}: the transposed output would "
                             f"drop whole input {name}",
                             hint=f"use padding <= {extent - 1}")
        output = (size - 1) * stride - before - after + extent + spec.output_padding[index]
        if output < 1:
            raise BlockError(f"the transposed output would have {output} {name}: padding "
                             f"{before} + {after} crops more than the {output + before + after} "
                             f"{name} the input spreads to", hint="use less padding")
    else:
        padded = size + before + after
        if padded < extent:
            raise BlockError(f"the kernel spans {extent} {name} (dilation {dilation} x "
                             f"(kernel {kernel} - 1) + 1) but the padded input has only {padded}",
                             hint="use a smaller kernel or dilation, or more padding")
        output = (padded - extent) // stride + 1
    return Axis(name, size, kernel, before, after, stride, dilation,
                spec.output_padding[index], output)


def plan(spec: GridSpec, *, max_cells: int) -> Plan:
    """Sizes, picture and numbers of a grid block; ``BlockError`` for impossible combinations.

    ``max_cells`` bounds the picture and the output (a transposed convolution grows its input).
    """
    source = np.asarray(spec.input, dtype=float)
    kernel = np.asarray(spec.kernel, dtype=float)
    channels, in_h, in_w = source.shape
    k_h, k_w = kernel.shape[1:]
    top, bottom, left, right = resolve_padding(spec, in_h, in_w, k_h, k_w)
    rows = _axis("rows", spec, 0, in_h, k_h, top, bottom)
    columns = _axis("columns", spec, 1, in_w, k_w, left, right)
    if spec.mode == "transposed":
        picture_h = (in_h - 1) * rows.stride + 1 + 2 * (rows.extent - 1) - top - bottom \
            + rows.output_padding
        picture_w = (in_w - 1) * columns.stride + 1 + 2 * (columns.extent - 1) - left - right \
            + columns.output_padding
    else:
        picture_h, picture_w = in_h + top + bottom, in_w + left + right
    for label, cells in (("padded input", picture_h * picture_w),
                         ("output", rows.output * columns.output)):
        if cells > max_cells:
            raise BlockError(f"the {label} would have {cells} cells; the limit is {max_cells}",
                             hint="use a smaller input, stride or padding")

    kernel = np.broadcast_to(kernel, (channels, k_h, k_w))
    weights = kernel[:, ::-1, ::-1] if spec.mode in ("convolution", "transposed") else kernel
    picture = np.zeros((channels, picture_h, picture_w))
    is_input = np.zeros((picture_h, picture_w), dtype=bool)
    if spec.mode == "transposed":
        origin = (rows.extent - 1 - top, columns.extent - 1 - left)
        step = (rows.stride, columns.stride)
        window_stride = (1, 1)
    else:
        origin, step = (top, left), (1, 1)
        window_stride = spec.stride
    placed = (slice(origin[0], origin[0] + (in_h - 1) * step[0] + 1, step[0]),
              slice(origin[1], origin[1] + (in_w - 1) * step[1] + 1, step[1]))
    picture[(slice(None), *placed)] = source
    is_input[placed] = True

    out_rows = np.arange(rows.output)[:, None] * window_stride[0] \
        + np.arange(k_h)[None, :] * rows.dilation          # (out_h, kh)
    out_columns = np.arange(columns.output)[:, None] * window_stride[1] \
        + np.arange(k_w)[None, :] * columns.dilation       # (out_w, kw)
    windows = picture[:, out_rows[:, None, :, None], out_columns[None, :, None, :]]
    with np.errstate(over="ignore", invalid="ignore"):
        products = windows * weights[:, None, None, :, :]
        result = products.sum(axis=(0, 3, 4))
    if not np.isfinite(result).all():
        raise BlockError("the result overflows: its values are beyond the largest 64-bit "
                         "float (about 1.8e308), so they would not be finite numbers",
                         line=spec.input_line, hint="scale the input or the kernel down")
    return Plan(spec=spec, rows=rows, columns=columns, picture=picture, is_input=is_input,
                weights=np.ascontiguousarray(weights), window_stride=window_stride,
                products=products, result=result)


def forward_matrix(kernel: np.ndarray, in_shape: tuple[int, int],
                   padding: tuple[int, int, int, int], stride: tuple[int, int],
                   dilation: tuple[int, int]) -> np.ndarray:
    """The (out_h*out_w) x (in_h*in_w) matrix of a strided, dilated, padded cross-correlation.

    Built tap by tap: output (i, j) reads input (i*s + m*d - top, j*s + n*d - left) with weight
    kernel[m, n] when that cell is inside the input (padding cells are zeros and drop out).
    """
    in_h, in_w = in_shape
    k_h, k_w = kernel.shape
    top, bottom, left, right = padding
    out_h = (in_h + top + bottom - dilation[0] * (k_h - 1) - 1) // stride[0] + 1
    out_w = (in_w + left + right - dilation[1] * (k_w - 1) - 1) // stride[1] + 1
    matrix = np.zeros((out_h * out_w, in_h * in_w))
    for i in range(out_h):
        for j in range(out_w):
            for m in range(k_h):
                for n in range(k_w):
                    r = i * stride[0] + m * dilation[0] - top
                    c = j * stride[1] + n * dilation[1] - left
                    if 0 <= r < in_h and 0 <= c < in_w:
                        matrix[i * out_w + j, r * in_w + c] += kernel[m, n]
    return matrix


def unrolled_matrix(plan_: Plan) -> np.ndarray:
    """The matrix M with ``result.ravel() == M @ input.ravel()`` (channels side by side).

    Correlation uses the kernel, convolution the flipped kernel; a transposed convolution is the
    transpose (adjoint) of the forward correlation matrix that maps its output shape back to its
    input shape.
    """
    spec = plan_.spec
    kernel = np.broadcast_to(np.asarray(spec.kernel, dtype=float), plan_.weights.shape)
    rows, columns = plan_.rows, plan_.columns
    padding = (rows.pad_before, rows.pad_after, columns.pad_before, columns.pad_after)
    blocks = []
    for channel_kernel in kernel:
        if spec.mode == "transposed":
            forward = forward_matrix(channel_kernel, (rows.output, columns.output), padding,
                                     spec.stride, spec.dilation)
            blocks.append(forward.T)
        else:
            used = channel_kernel[::-1, ::-1] if spec.mode == "convolution" else channel_kernel
            blocks.append(forward_matrix(used, (rows.size, columns.size), padding, spec.stride,
                                         spec.dilation))
    return np.hstack(blocks)
