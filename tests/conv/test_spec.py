"""Reading blocks: the forms numbers may take, presets, and errors that point at the right line."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plugins.conv.spec import BlockError, SignalSpec, parse_block

from .helpers import LIMITS, spec_of


def parse(text: str):
    return parse_block(text, **LIMITS)


def error_of(text: str) -> BlockError:
    with pytest.raises(BlockError) as caught:
        parse(text)
    return caught.value


def test_whitespace_rows_and_blank_line_separated_channels():
    spec = parse("input: |\n  1 2 3\n  4 5 6\n\n  7 8 9\n  0 1 2\nkernel: [[1, 0], [0, 1]]\n")
    assert spec.input == (((1, 2, 3), (4, 5, 6)), ((7, 8, 9), (0, 1, 2)))
    assert not spec.one_dimensional


def test_list_forms_give_the_same_tensor():
    rows = [[1, 2], [3, 4]]
    as_list = spec_of(input=rows, kernel=[[1]])
    as_text = parse("input: |\n  1 2\n  3 4\nkernel: [[1]]\n")
    as_channel_list = spec_of(input=[rows], kernel=[[1]])
    assert as_list.input == as_text.input == as_channel_list.input == (((1, 2), (3, 4)),)


def test_one_dimensional_forms():
    flat = spec_of(input=[1, 2, 3], kernel=[1, -1], padding=1, stride=2)
    assert flat.one_dimensional and flat.input == (((1, 2, 3),),)
    assert flat.padding == (0, 0, 1, 1) and flat.stride == (1, 2)
    channels = spec_of(input=["1 2 3", "4 5 6"], kernel="box")
    assert channels.one_dimensional and len(channels.input) == 2
    assert channels.kernel == (((1 / 3, 1 / 3, 1 / 3),),)


@pytest.mark.parametrize("kernel, expected", [
    ("sobel_x", ((1, 0, -1), (2, 0, -2), (1, 0, -1))),
    ("sobel_y", ((1, 2, 1), (0, 0, 0), (-1, -2, -1))),
    ("arange", ((0, 1, 2), (3, 4, 5), (6, 7, 8))),
    ("gauss", ((1 / 16, 2 / 16, 1 / 16), (2 / 16, 4 / 16, 2 / 16), (1 / 16, 2 / 16, 1 / 16))),
    ({"preset": "box", "size": 2}, ((0.25, 0.25), (0.25, 0.25))),
    ({"preset": "identity", "size": 3}, ((0, 0, 0), (0, 1, 0), (0, 0, 0))),
])
def test_presets(kernel, expected):
    spec = spec_of(input=[[0] * 5] * 5, kernel=kernel)
    assert spec.kernel == (expected,)
    assert spec.kernel_name == (kernel if isinstance(kernel, str) else kernel["preset"])


numbers = st.integers(-1000, 1000) | st.floats(-1e6, 1e6, allow_nan=False).map(
    lambda value: round(value, 3))
channel_lists = st.tuples(st.integers(1, 3), st.integers(2, 6), st.integers(1, 6)).flatmap(
    lambda shape: st.lists(st.lists(st.lists(numbers, min_size=shape[2], max_size=shape[2]),
                                    min_size=shape[1], max_size=shape[1]),
                           min_size=shape[0], max_size=shape[0]))


@settings(max_examples=60)
@given(channel_lists)
def test_text_rows_round_trip(channels):
    blocks = ["\n".join("  " + "  ".join(repr(value) for value in row) for row in matrix)
              for matrix in channels]
    spec = parse("input: |\n" + "\n\n".join(blocks) + "\nkernel: [[1]]\n")
    assert spec.input == tuple(tuple(tuple(float(v) for v in row) for row in m) for m in channels)


@pytest.mark.parametrize("text, line, message, hint", [
    ("input: [[1, 2]]\nkernal: [[1]]\n", 1, "unknown key `kernal`", "did you mean `kernel`?"),
    ("input: [[1, 2]\nkernel: [[1]]\n", 1, "not valid YAML", "YAML"),
    # an unclosed fence's prose: at the line YAML could not read, not one past the block
    ("input: [[1, 2]]\nkernel: [[1]]\n\nMore prose.\n", 3, "could not find expected ':'", "YAML"),
    ('input: [[1, 2]]\nkernel: [[1]]\ncaption: "a\x0cb"\n', 2,
     "holds the character U+000C, which YAML does not allow", "escape"),
    ("input: |\n  1 2\n  3\nkernel: [[1]]\n", 0, "rows of different lengths", "same number"),
    ("input: |\n  1 x\nkernel: [[1]]\n", 0, "not numbers", "separated by spaces"),
    ("input: [[1, 2]]\nkernel: [1, 2]\n", 1, "both be 1-D or both 2-D", "1-D"),
    ("input: [[[1]], [[2]]]\nkernel: [[[1]], [[2]], [[3]]]\n", 1, "3 channels", "one per channel"),
    ("input: [[1]]\nkernel: sobel\n", 1, "unknown 2-D kernel preset", "sobel_x"),
    ("input: [[1]]\nkernel: {preset: sobel_x, size: 5}\n", 1, "3 wide only", "drop `size`"),
    ("input: [[1]]\nkernel: [[1]]\nmode: convolve\n", 2, "not one of correlation", "mode:"),
    ("input: [[1]]\nkernel: [[1]]\npadding: half\n", 2, "not one of valid, same, full", "number"),
    ("input: [[1]]\nkernel: [[1]]\nstride: 0\n", 2, "integer from 1", ""),
    ("input: [[1]]\nkernel: [[1]]\nshow: [anim]\n", 2, "unknown view 'anim'", "animation"),
    ("input: [[1]]\nkernel: [[1]]\nid: ../escape\n", 2, "cannot name a file", "letters"),
    ("input: [[1]]\nkernel: [[1]]\nmode: correlation\noutput_padding: 1\n", 3,
     "applies to `mode: transposed` only", ""),
    ("- 1\n- 2\n", 0, "must be a YAML mapping", "input:"),
    ("row: &row [1, 2]\ninput: [*row, *row]\nkernel: [[1]]\n", 0, "aliases", "write the values"),
    ("input: [[.nan, 1]]\nkernel: [[1]]\n", 0, "finite number, not nan", ""),
    ("input: [[1" + "0" * 400 + "]]\nkernel: [[1]]\n", 0, "not a huge integer", ""),
    ("kernel: [[1]]\n", None, "no `input:`", "input:"),
    ("signal:\n  h: t\n  x: t.real\n  t: [0, 1]\n", 2, "`x`: Attribute", "expression in t"),
    ("signal:\n  h: t\n  x: t\n  t: [1, 0]\n", 3, "start < stop", ""),
    ("signal:\n  h: t\n  x: t\n  t: [0, 10]\n  discrete: true\n  frames: 4\n", 5,
     "takes the integers of its ranges; drop `frames`", ""),
    ("signal:\n  h: t\n  x: t\n  t: [0, 10]\n  tau: [0, 9999]\n  discrete: true\n", 3,
     "10000 of tau; the limits are 400 and 4000", "shorter"),
    ("signal:\n  h: t\n  x: [t, t, t, t, t, t, t, t, t]\n  t: [0, 1]\n", 2,
     "`x` has 9 channels; give 1 to 8", ""),
    ("signal:\n  h: t\n  x: t\n  t: [0, 1]\nexpect: [1]\n", 4, "applies to discrete signals",
     "discrete: true"),
])
def test_errors_name_the_line_and_what_to_do(text, line, message, hint):
    error = error_of(text)
    assert message in error.message
    assert error.line == line
    assert hint in error.hint


def test_oversized_inputs_meet_a_clear_limit():
    wide = "input: |\n" + "".join("  " + " ".join(["1"] * 100) + "\n" for _ in range(100))
    error = error_of(wide + "kernel: [[1]]\n")
    assert "100x100; the limit is 64 per side" in error.message
    assert "max_input_side" in error.hint
    huge = "input: |\n" + ("  " + "1 " * 500 + "\n") * 300
    assert "the limit is 262144" in error_of(huge + "kernel: [[1]]\n").message


def test_signal_block():
    spec = parse("signal:\n  h: 2*exp(-t/2)*step(t)\n  x: [rect(t), tri(t)]\n  t: [-2, 15]\n")
    assert isinstance(spec, SignalSpec)
    assert spec.x == ("rect(t)", "tri(t)") and spec.frames == 25 and spec.tau_range == (-2, 15)
    assert (spec.h_line, spec.x_line) == (1, 2)
    discrete = parse("signal:\n  h: t\n  x: t\n  t: [0, 9]\n  discrete: true\n")
    assert discrete.frames == 10


def test_exponent_numbers_yaml_reads_as_text_are_numbers():
    assert spec_of(input=[[1, 2]], kernel=[[1]]).input == parse(
        "input: [[1e0, 2e0]]\nkernel: [[1]]\n").input
