"""The numbers of every mode against independent computations (scipy and direct loops)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.signal import convolve2d, correlate2d

from plugins.conv.geometry import forward_matrix, plan, unrolled_matrix
from plugins.conv.spec import BlockError

from .helpers import spec_of

MAX_CELLS = 100_000
SEED_INPUT = [[1, 2, 2, 1, 0], [3, 3, 3, 3, 0], [3, 0, 0, 2, 2], [0, 3, 0, 3, 3], [2, 2, 2, 3, 2]]


def dilated(kernel: np.ndarray, dilation: tuple[int, int]) -> np.ndarray:
    channels, k_h, k_w = kernel.shape
    spread = np.zeros((channels, dilation[0] * (k_h - 1) + 1, dilation[1] * (k_w - 1) + 1))
    spread[:, ::dilation[0], ::dilation[1]] = kernel
    return spread


def scipy_forward(x, k, mode, padding, stride, dilation):
    """Pad, slide a dilated kernel with scipy (convolve2d for convolution), then subsample."""
    top, bottom, left, right = padding
    k = np.broadcast_to(k, (x.shape[0], *k.shape[1:]))
    slide = correlate2d if mode == "correlation" else convolve2d
    total = sum(slide(np.pad(channel, ((top, bottom), (left, right))), weights, mode="valid")
                for channel, weights in zip(x, dilated(k, dilation)))
    return total[::stride[0], ::stride[1]]


def loop_forward(x, k, mode, padding, stride, dilation):
    """The definition, one output at a time: sum of window cells times (flipped) weights."""
    top, bottom, left, right = padding
    k = np.broadcast_to(k, (x.shape[0], *k.shape[1:]))
    if mode == "convolution":
        k = k[:, ::-1, ::-1]
    padded = np.pad(x, ((0, 0), (top, bottom), (left, right)))
    channels, k_h, k_w = k.shape
    out_h = (padded.shape[1] - dilation[0] * (k_h - 1) - 1) // stride[0] + 1
    out_w = (padded.shape[2] - dilation[1] * (k_w - 1) - 1) // stride[1] + 1
    out = np.zeros((out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            out[i, j] = sum(padded[c, i * stride[0] + m * dilation[0],
                                   j * stride[1] + n * dilation[1]] * k[c, m, n]
                            for c in range(channels) for m in range(k_h) for n in range(k_w))
    return out


def loop_transposed(x, k, padding, stride, dilation, output_padding):
    """Scatter every input cell times the kernel into the output, then crop the padding."""
    channels, in_h, in_w = x.shape
    k = np.broadcast_to(k, (channels, *k.shape[1:]))
    k_h, k_w = k.shape[1:]
    top, bottom, left, right = padding
    full = np.zeros(((in_h - 1) * stride[0] + dilation[0] * (k_h - 1) + 1 + output_padding[0],
                     (in_w - 1) * stride[1] + dilation[1] * (k_w - 1) + 1 + output_padding[1]))
    for c in range(channels):
        for r in range(in_h):
            for q in range(in_w):
                for m in range(k_h):
                    for n in range(k_w):
                        full[r * stride[0] + m * dilation[0],
                             q * stride[1] + n * dilation[1]] += x[c, r, q] * k[c, m, n]
    return full[top:full.shape[0] - bottom, left:full.shape[1] - right]


matrices = st.integers(1, 3).flatmap(lambda channels: st.tuples(
    st.integers(1, 7), st.integers(1, 7), st.integers(1, 4), st.integers(1, 4),
    st.sampled_from([1, channels])).flatmap(lambda shape: st.tuples(
        st.lists(st.lists(st.lists(st.integers(-9, 9), min_size=shape[1], max_size=shape[1]),
                          min_size=shape[0], max_size=shape[0]),
                 min_size=channels, max_size=channels),
        st.lists(st.lists(st.lists(st.integers(-5, 5), min_size=shape[3], max_size=shape[3]),
                          min_size=shape[2], max_size=shape[2]),
                 min_size=shape[4], max_size=shape[4]))))
sides = st.tuples(*[st.integers(0, 3)] * 4)
pairs = st.tuples(st.integers(1, 3), st.integers(1, 3))


@settings(max_examples=150, deadline=None)
@given(matrices, st.sampled_from(["correlation", "convolution"]), sides, pairs, pairs)
def test_forward_modes_match_scipy(data, mode, padding, stride, dilation):
    x, k = (np.asarray(part, dtype=float) for part in data)
    spec = spec_of(input=data[0], kernel=data[1], mode=mode, padding=list(padding),
                   stride=list(stride), dilation=list(dilation))
    extents = [d * (size - 1) + 1 for d, size in zip(dilation, k.shape[1:])]
    padded = [x.shape[1] + padding[0] + padding[1], x.shape[2] + padding[2] + padding[3]]
    if any(p < e for p, e in zip(padded, extents)):
        with pytest.raises(BlockError, match="the kernel spans"):
            plan(spec, max_cells=MAX_CELLS)
        return
    computed = plan(spec, max_cells=MAX_CELLS)
    expected = scipy_forward(x, k, mode, padding, stride, dilation)
    np.testing.assert_allclose(computed.result, expected)
    np.testing.assert_allclose(computed.result, loop_forward(x, k, mode, padding, stride, dilation))
    for axis, i, p, kernel, s, d in ((computed.rows, x.shape[1], padding[:2], k.shape[1],
                                      stride[0], dilation[0]),
                                     (computed.columns, x.shape[2], padding[2:], k.shape[2],
                                      stride[1], dilation[1])):
        assert axis.output == (i + sum(p) - d * (kernel - 1) - 1) // s + 1
    # The unrolled matrix, built tap by tap from the input's side, gives the same numbers.
    np.testing.assert_allclose(unrolled_matrix(computed) @ x.ravel(), expected.ravel())


@settings(max_examples=120, deadline=None)
@given(matrices, st.tuples(*[st.integers(0, 2)] * 4), pairs, pairs, pairs)
def test_transposed_matches_scatter_loop_and_adjoint(data, padding, stride, dilation, extra):
    x, k = (np.asarray(part, dtype=float) for part in data)
    output_padding = tuple(e % s for e, s in zip(extra, stride))  # must stay below the stride
    spec = spec_of(input=data[0], kernel=data[1], mode="transposed", padding=list(padding),
                   stride=list(stride), dilation=list(dilation),
                   output_padding=list(output_padding))
    extents = [d * (size - 1) + 1 for d, size in zip(dilation, k.shape[1:])]
    expected = loop_transposed(x, k, padding, stride, dilation, output_padding)
    # Padding beyond d(k-1) on a side, or crops that leave no output, are refused.
    if (max(padding[:2]) > extents[0] - 1 or max(padding[2:]) > extents[1] - 1
            or expected.size == 0):
        with pytest.raises(BlockError, match="would drop whole input|crops more than"):
            plan(spec, max_cells=MAX_CELLS)
        return
    computed = plan(spec, max_cells=MAX_CELLS)
    np.testing.assert_allclose(computed.result, expected)
    assert computed.rows.output == (x.shape[1] - 1) * stride[0] - padding[0] - padding[1] \
        + extents[0] + output_padding[0]
    # A transposed convolution is the adjoint of the forward one: y = C^T x.
    k = np.broadcast_to(k, (x.shape[0], *k.shape[1:]))
    adjoint = sum(forward_matrix(k[c], expected.shape, padding, stride, dilation).T
                  @ x[c].ravel() for c in range(x.shape[0]))
    np.testing.assert_allclose(computed.result.ravel(), adjoint)


def test_seed_000_correlation_and_convolution():
    correlation = plan(spec_of(input=SEED_INPUT, kernel="arange"), max_cells=MAX_CELLS)
    np.testing.assert_array_equal(correlation.result, [[60, 56, 52], [39, 61, 66], [54, 78, 82]])
    convolution = plan(spec_of(input=SEED_INPUT, kernel="arange", mode="convolution"),
                       max_cells=MAX_CELLS)
    np.testing.assert_array_equal(convolution.weights[0], [[8, 7, 6], [5, 4, 3], [2, 1, 0]])
    np.testing.assert_array_equal(convolution.result,
                                  convolve2d(np.asarray(SEED_INPUT), np.arange(9).reshape(3, 3),
                                             mode="valid"))


def test_seed_002_sobel_product_is_not_what_the_post_claims():
    seed_input = [[1, 0, -1, 1], [1, 2, -2, 0], [1, 1, -1, 1], [0, 1, 1, 0]]
    computed = plan(spec_of(input=seed_input, kernel="sobel_x"), max_cells=MAX_CELLS)
    matrix = unrolled_matrix(computed)
    assert matrix.shape == (4, 16)
    # The post's own 4x16 matrix is right...
    np.testing.assert_array_equal(matrix, [
        [1, 0, -1, 0, 2, 0, -2, 0, 1, 0, -1, 0, 0, 0, 0, 0],
        [0, 1, 0, -1, 0, 2, 0, -2, 0, 1, 0, -1, 0, 0, 0, 0],
        [0, 0, 0, 0, 1, 0, -1, 0, 2, 0, -2, 0, 1, 0, -1, 0],
        [0, 0, 0, 0, 0, 1, 0, -1, 0, 2, 0, -2, 0, 1, 0, -1]])
    # ...its product is not: worked by hand, e.g. output[0, 1] = 0 - 1 + 4 + 0 + 1 - 1 = 3.
    np.testing.assert_array_equal(matrix @ np.ravel(seed_input), [10, 3, 6, 3])
    assert computed.result.ravel().tolist() != [122, 148, 126, 134]


@pytest.mark.parametrize("padding, size", [("valid", 3), ("same", 5), ("full", 7)])
def test_named_paddings(padding, size):
    computed = plan(spec_of(input=SEED_INPUT, kernel="box", padding=padding), max_cells=MAX_CELLS)
    assert computed.result.shape == (size, size)
    np.testing.assert_allclose(computed.result,
                               correlate2d(np.asarray(SEED_INPUT, dtype=float),
                                           np.full((3, 3), 1 / 9), mode=padding))


def test_same_padding_with_stride_follows_the_ceiling_rule():
    computed = plan(spec_of(input=SEED_INPUT, kernel="box", padding="same", stride=2),
                    max_cells=MAX_CELLS)
    assert computed.result.shape == (3, 3)  # ceil(5 / 2)
    assert (computed.rows.pad_before, computed.rows.pad_after) == (1, 1)


def test_one_dimensional_block_moves_along_columns_only():
    computed = plan(spec_of(input=[1, 2, 3, 4, 5], kernel=[1, 0, -1], padding=1, stride=2),
                    max_cells=MAX_CELLS)
    assert computed.result.shape == (1, 3)
    np.testing.assert_array_equal(computed.result[0],
                                  np.correlate(np.pad([1, 2, 3, 4, 5], 1), [1, 0, -1])[::2])


def test_channels_are_summed():
    channels = [[[1, 2], [3, 4]], [[10, 20], [30, 40]]]
    computed = plan(spec_of(input=channels, kernel=[[1]]), max_cells=MAX_CELLS)
    np.testing.assert_array_equal(computed.result, [[11, 22], [33, 44]])
