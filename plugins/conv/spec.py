"""Reading a ``{conv}`` block: YAML text in, a frozen, normalised spec out.

The block body is YAML (``yaml.SafeLoader``). Every error is a ``BlockError`` that knows the
0-based line *inside the block* it is about; the fence rule turns it into a ``PluginError`` at
``post.md:LINE``. The spec is pure data (tuples, not arrays) so that it can be compared and
serialised into a cache key.
"""
from __future__ import annotations

import difflib
import math
import re
import sys
from dataclasses import dataclass
from typing import Any

import yaml

from . import FORMATS
from .expressions import ExpressionError, parse_expression

MODES = ("correlation", "convolution", "transposed")
VIEWS = ("animation", "steps", "result", "kernel", "flipped_kernel", "unrolled", "sizes")
SIGNAL_VIEWS = ("animation", "result")
CHECKS = ("fail", "report")
PADDING_NAMES = ("valid", "same", "full")
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")
MAX_BLOCK_CHARS = 256 * 1024
MAX_SIGNAL_FRAMES = 400
MAX_SIGNAL_SAMPLES = 4000

GRID_KEYS = ("input", "kernel", "mode", "padding", "stride", "dilation", "output_padding", "show",
             "format", "id", "expect", "check", "tolerance", "caption", "frame_ms")
SIGNAL_KEYS = ("signal", "show", "format", "id", "expect", "check", "tolerance", "caption",
               "frame_ms")
SIGNAL_SUBKEYS = ("h", "x", "t", "tau", "discrete", "frames", "samples")

Tensor = tuple[tuple[tuple[float, ...], ...], ...]  # channels x rows x columns


class BlockError(Exception):
    """A problem in a block; ``line`` is 0-based inside the block body (None: the whole block)."""

    def __init__(self, message: str, *, line: int | None = None, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.line = line
        self.hint = hint


@dataclass(frozen=True)
class Common:
    """The keys every block form shares (what to show, how, and what the author claims)."""

    show: tuple[str, ...]
    format: str | None            # None: the site's default_format
    id: str | None
    expect: tuple | None          # nested tuples of floats, as written
    expect_line: int | None
    check: str
    tolerance: float
    caption: str
    frame_ms: int | None


@dataclass(frozen=True)
class GridSpec:
    """A discrete 1-D or 2-D block: numbers in, numbers out.

    1-D data is stored as one row (``one_dimensional`` says so): the arithmetic is the same,
    only padding/stride/dilation given as single numbers apply to the columns alone.
    ``padding`` is an int 4-tuple (top, bottom, left, right) or one of ``PADDING_NAMES``.
    """

    input: Tensor
    kernel: Tensor
    kernel_name: str               # "kernel" or the preset it came from ("sobel_x")
    one_dimensional: bool
    mode: str
    padding: tuple[int, int, int, int] | str
    stride: tuple[int, int]
    dilation: tuple[int, int]
    output_padding: tuple[int, int]
    common: Common
    input_line: int | None = None  # block line of `input:`, for messages about the result


@dataclass(frozen=True)
class SignalSpec:
    """A ``signal:`` block: y(t) = sum over channels of (h * x_c)(t), from expressions in t."""

    h: str
    x: tuple[str, ...]
    t_range: tuple[float, float]
    tau_range: tuple[float, float]
    discrete: bool
    frames: int
    samples: int
    common: Common
    h_line: int | None   # block lines of `h:` and `x:`, for messages about the expressions
    x_line: int | None


def parse_block(text: str, *, max_side: int, max_channels: int) -> GridSpec | SignalSpec:
    """Parse a block body; raises ``BlockError`` with the block line of the problem.

    ``max_side`` bounds every side of the input and kernel, ``max_channels`` their channels:
    a limit checked here, before any array is built, is a clear message instead of a
    memory error.
    """
    if len(text) > MAX_BLOCK_CHARS:
        raise BlockError(f"the block is {len(text)} characters long; the limit is "
                         f"{MAX_BLOCK_CHARS}",
                         hint="conv blocks are for teaching-sized examples: use a smaller input")
    mapping, lines = _load_yaml(text)
    if "signal" in mapping:
        return _parse_signal(mapping, lines, max_channels=max_channels)
    return _parse_grid(mapping, lines, max_side=max_side, max_channels=max_channels)


# --- YAML --------------------------------------------------------------------------------------

def _load_yaml(text: str) -> tuple[dict[str, Any], dict[str, int]]:
    """The top-level mapping and the block line of each key (nested ones as ``signal.h``)."""
    loader = None
    try:
        loader = yaml.SafeLoader(text)  # reads the whole text: refuses characters YAML does not
        node = loader.get_single_node()
        _refuse_aliases(node)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as error:
        raise BlockError(f"the block is not valid YAML: {error.problem or error.context}",
                         line=_error_line(text, error),
                         hint="the block body is YAML: `key: value` lines, lists as [1, 2, 3]; "
                              "quote text that contains ':' or '#'") from None
    except yaml.reader.ReaderError as error:
        character = (f"U+{error.character:04X}" if isinstance(error.character, int)
                     else repr(error.character))
        raise BlockError(f"the block is not valid YAML: it holds the character {character}, "
                         "which YAML does not allow",
                         line=_last_line(text[:error.position]),
                         hint="remove it; in a double-quoted string, write it as an escape "
                              "such as \"\\f\" or \"\\x07\"") from None
    except yaml.YAMLError as error:  # any other: still said at the block, never a traceback
        raise BlockError(f"the block is not valid YAML: {error}",
                         hint="the block body is YAML: `key: value` lines") from None
    finally:
        if loader is not None:
            loader.dispose()
    if not isinstance(data, dict):
        raise BlockError("the block must be a YAML mapping of keys such as `input:` and `kernel:`",
                         line=0, hint="start with `input: |` followed by rows of numbers")
    lines = {}
    for key, value in node.value:
        lines[str(key.value)] = key.start_mark.line
        if isinstance(value, yaml.MappingNode):
            for sub_key, _ in value.value:
                lines[f"{key.value}.{sub_key.value}"] = sub_key.start_mark.line
    return {str(key): value for key, value in data.items()}, lines


def _last_line(text: str) -> int:
    """The 0-based line on which ``text`` ends."""
    return text.count("\n")


def _error_line(text: str, error: yaml.MarkedYAMLError) -> int | None:
    """The block line a YAML error is about, always a line of the block.

    At the end of the text the scanner's problem mark lies past the last line (where it found
    nothing): the context mark (``while scanning a simple key``) says where the trouble began.
    """
    last = _last_line(text.rstrip("\n"))
    mark = error.problem_mark
    if (mark is None or mark.line > last) and error.context_mark is not None:
        mark = error.context_mark
    return None if mark is None else min(mark.line, last)


def _refuse_aliases(root: yaml.Node | None) -> None:
    """Aliases can nest into exponentially large data from a few lines ("billion laughs")."""
    seen: set[int] = set()
    pending = [root] if root is not None else []
    while pending:
        node = pending.pop()
        if id(node) in seen:
            raise BlockError("YAML anchors and aliases (&name, *name) are not supported in a conv "
                             "block", line=node.start_mark.line, hint="write the values out")
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            pending.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            pending.extend(item for pair in node.value for item in pair)


def _check_keys(mapping: dict[str, Any], allowed: tuple[str, ...], lines: dict[str, int],
                where: str) -> None:
    for key in mapping:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            suggestion = f"did you mean `{close[0]}`? " if close else ""
            raise BlockError(f"unknown key `{key}` in {where}", line=lines.get(key),
                             hint=f"{suggestion}allowed keys: {', '.join(allowed)}")


# --- the common keys ---------------------------------------------------------------------------

def _parse_common(mapping: dict[str, Any], lines: dict[str, int], *, views: tuple[str, ...],
                  default_show: tuple[str, ...]) -> Common:
    show = mapping.get("show", list(default_show))
    if isinstance(show, str):
        show = [show]
    if not isinstance(show, list) or not show:
        raise BlockError("`show` must be a view or a list of views", line=lines.get("show"),
                         hint=f"views: {', '.join(views)}")
    for view in show:
        if view not in views:
            raise BlockError(f"`show` has an unknown view {view!r}", line=lines.get("show"),
                             hint=f"views: {', '.join(views)}")
    figure_format = _choice(mapping, "format", FORMATS, lines, default=None)
    identifier = mapping.get("id")
    if identifier is not None and (not isinstance(identifier, str)
                                   or not ID_PATTERN.fullmatch(identifier)):
        raise BlockError(f"`id` {identifier!r} cannot name a file", line=lines.get("id"),
                         hint="use letters, digits, '_' and '-' (it becomes `<id>.gif`)")
    expect = mapping.get("expect")
    if expect is not None:
        expect = _freeze_numbers(expect, "expect", lines)
    tolerance = _number(mapping.get("tolerance", 1e-9), "tolerance", lines)
    if tolerance < 0:
        raise BlockError("`tolerance` must not be negative", line=lines.get("tolerance"),
                         hint="the largest accepted absolute difference, e.g. `tolerance: 0.001`")
    caption = mapping.get("caption", "")
    if not isinstance(caption, str):
        raise BlockError("`caption` must be text", line=lines.get("caption"),
                         hint="quote it: `caption: \"...\"`")
    frame_ms = mapping.get("frame_ms")
    if frame_ms is not None:
        frame_ms = _integer(frame_ms, "frame_ms", lines, minimum=20, maximum=60_000)
    return Common(show=tuple(dict.fromkeys(show)), format=figure_format, id=identifier,
                  expect=expect, expect_line=lines.get("expect"),
                  check=_choice(mapping, "check", CHECKS, lines, default="fail"),
                  tolerance=tolerance, caption=caption, frame_ms=frame_ms)


def _choice(mapping: dict[str, Any], key: str, choices: tuple[str, ...], lines: dict[str, int],
            *, default: str | None) -> str | None:
    value = mapping.get(key, default)
    if value is not default and value not in choices:
        raise BlockError(f"`{key}: {value}` is not one of {', '.join(choices)}",
                         line=lines.get(key), hint=f"write `{key}: {choices[0]}`")
    return value


def _number(value: Any, key: str, lines: dict[str, int]) -> float:
    if isinstance(value, str):  # YAML 1.1 reads 1e3 (no dot) as text; authors mean a number
        try:
            value = float(value)
        except ValueError:
            pass
    if (isinstance(value, bool) or not isinstance(value, (int, float))
            or abs(value) > sys.float_info.max or not math.isfinite(value)):
        shown = "a huge integer" if isinstance(value, int) and abs(value) > 10**20 else repr(value)
        raise BlockError(f"`{key}` must be a finite number, not {shown}", line=lines.get(key),
                         hint="numbers only: 3, -1.5, 2e-3 (no text, nan or infinity)")
    return float(value)


def _integer(value: Any, key: str, lines: dict[str, int], *, minimum: int,
             maximum: int = 4096) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise BlockError(f"`{key}` must be an integer from {minimum} to {maximum}, not {value!r}",
                         line=lines.get(key), hint=f"for example `{key}: {max(minimum, 1)}`")
    return value


def _freeze_numbers(value: Any, key: str, lines: dict[str, int]) -> tuple:
    """Claimed values as nested tuples of floats: nested lists, or text rows (one row: 1-D)."""
    if isinstance(value, str):
        blocks = _text_blocks(value)
        if len(blocks) != 1:
            raise BlockError(f"`{key}` as text must be one block of rows", line=lines.get(key),
                             hint="the output has one channel: remove the blank lines")
        rows = _text_rows(blocks[0], key, lines)
        value = rows[0] if len(rows) == 1 else rows
    if not isinstance(value, list):
        raise BlockError(f"`{key}` must be a list of numbers or rows, not {value!r}",
                         line=lines.get(key), hint=f"for example `{key}: [[60, 56], [39, 61]]`")
    return tuple(_freeze_numbers(item, key, lines) if isinstance(item, list)
                 else _number(item, key, lines) for item in value)


# --- numbers: nested lists and whitespace rows -------------------------------------------------

def _text_blocks(text: str) -> list[str]:
    """Blank lines separate channels."""
    return [block for block in re.split(r"\n\s*\n", text.strip()) if block.strip()]


def _text_rows(block: str, key: str, lines: dict[str, int]) -> list[list[float]]:
    rows = []
    for row in block.strip().splitlines():
        try:
            rows.append([float(cell) for cell in re.split(r"[\s,]+", row.strip()) if cell])
        except ValueError:
            raise BlockError(f"`{key}` has a row that is not numbers: {row.strip()!r}",
                             line=lines.get(key),
                             hint="write rows of numbers separated by spaces") from None
    return rows


def _channels_of(value: Any, key: str, lines: dict[str, int]
                 ) -> tuple[list[list[list[float]]], bool]:
    """A channel list (channels x rows x columns) and whether the data is 1-D.

    Forms: a list of numbers (1-D); a list of rows (2-D); a list of 2-D channels; text rows,
    blank lines between channels (one-line channels are 1-D); a list of such texts.
    """
    line = lines.get(key)
    if isinstance(value, str):
        channels = [_text_rows(block, key, lines) for block in _text_blocks(value)]
        if not channels:
            raise BlockError(f"`{key}` is empty", line=line,
                             hint="write rows of numbers under `" + key + ": |`")
        return channels, all(len(channel) == 1 for channel in channels)
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        channels = [_text_rows(item, key, lines) for item in value]
        if any(not channel for channel in channels):
            raise BlockError(f"`{key}` has an empty channel", line=line,
                             hint="every text in the list is one channel of rows of numbers")
        return channels, all(len(channel) == 1 for channel in channels)
    depth = _depth(value)
    if depth == 1:
        return [[value]], True
    if depth == 2:
        return [value], False
    if depth == 3:
        return value, False
    raise BlockError(f"`{key}` must be numbers: a list, rows, channels of rows, or text rows",
                     line=line, hint=f"for example `{key}: [[1, 2], [3, 4]]`")


def _depth(value: Any) -> int:
    depth = 0
    while isinstance(value, list) and value:
        depth += 1
        value = value[0]
    return depth if not isinstance(value, list) else 0


def _tensor(channels: list, key: str, lines: dict[str, int], *, max_side: int,
            max_channels: int) -> Tensor:
    line = lines.get(key)
    if len(channels) > max_channels:
        raise BlockError(f"`{key}` has {len(channels)} channels; the limit is {max_channels}",
                         line=line, hint="figures show a few channels; use fewer")
    shape = None
    frozen = []
    for number, channel in enumerate(channels, start=1):
        if not isinstance(channel, list) or not channel or not all(
                isinstance(row, list) and row for row in channel):
            raise BlockError(f"`{key}` channel {number} is not a list of rows", line=line,
                             hint=f"channels are grids: `{key}: [[[1, 2], [3, 4]], [[5, 6], "
                                  "[7, 8]]]`")
        widths = {len(row) for row in channel}
        if len(widths) != 1:
            raise BlockError(f"`{key}` has rows of different lengths ({sorted(widths)})", line=line,
                             hint="every row needs the same number of values")
        channel_shape = (len(channel), len(channel[0]))
        if max(channel_shape) > max_side:
            raise BlockError(f"`{key}` is {channel_shape[0]}x{channel_shape[1]}; the limit is "
                             f"{max_side} per side", line=line,
                             hint="conv figures are for teaching-sized examples (the site's "
                                  "`max_input_side` option sets the limit)")
        if shape is not None and channel_shape != shape:
            raise BlockError(f"`{key}` channels differ in shape ({shape} and {channel_shape})",
                             line=line, hint="every channel needs the same rows and columns")
        shape = channel_shape
        frozen.append(tuple(tuple(_number(cell, key, lines) for cell in row) for row in channel))
    return tuple(frozen)


# --- kernel presets ----------------------------------------------------------------------------

def _binomial(size: int) -> list[float]:
    return [float(math.comb(size - 1, index)) for index in range(size)]


PRESET_2D = {
    "sobel_x": lambda size: [[1, 0, -1], [2, 0, -2], [1, 0, -1]],
    "sobel_y": lambda size: [[1, 2, 1], [0, 0, 0], [-1, -2, -1]],
    "prewitt_x": lambda size: [[1, 0, -1], [1, 0, -1], [1, 0, -1]],
    "prewitt_y": lambda size: [[1, 1, 1], [0, 0, 0], [-1, -1, -1]],
    "laplace": lambda size: [[0, 1, 0], [1, -4, 1], [0, 1, 0]],
    "identity": lambda size: [[1.0 if (r, c) == (size // 2, size // 2) else 0.0
                               for c in range(size)] for r in range(size)],
    "box": lambda size: [[1 / size**2] * size for _ in range(size)],
    "gauss": lambda size: [[a * b / 4 ** (size - 1) for b in _binomial(size)]
                           for a in _binomial(size)],
    "arange": lambda size: [[float(r * size + c) for c in range(size)] for r in range(size)],
}
PRESET_1D = {
    "diff": lambda size: [1, 0, -1],
    "identity": lambda size: [1.0 if index == size // 2 else 0.0 for index in range(size)],
    "box": lambda size: [1 / size] * size,
    "gauss": lambda size: [weight / 2 ** (size - 1) for weight in _binomial(size)],
    "arange": lambda size: [float(index) for index in range(size)],
}
FIXED_SIZE_PRESETS = ("sobel_x", "sobel_y", "prewitt_x", "prewitt_y", "laplace", "diff")


def _preset(value: Any, one_dimensional: bool, lines: dict[str, int], max_side: int
            ) -> tuple[list, str]:
    """``kernel: sobel_x`` or ``kernel: {preset: gauss, size: 5}``: the kernel and its name."""
    line = lines.get("kernel")
    presets = PRESET_1D if one_dimensional else PRESET_2D
    if isinstance(value, str):
        name, size = value.strip(), 3
    else:
        extra = set(value) - {"preset", "size"}
        if extra:
            raise BlockError(f"a kernel preset takes `preset` and `size`, not {sorted(extra)}",
                             line=line, hint="write `kernel: {preset: gauss, size: 5}`")
        name, size = value.get("preset"), value.get("size", 3)
    if name not in presets:
        close = difflib.get_close_matches(str(name), presets, n=1)
        suggestion = f"did you mean `{close[0]}`? " if close else ""
        raise BlockError(f"unknown {'1-D' if one_dimensional else '2-D'} kernel preset {name!r}",
                         line=line, hint=f"{suggestion}presets: {', '.join(presets)}")
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= max_side:
        raise BlockError(f"preset size must be an integer from 1 to {max_side}, not {size!r}",
                         line=line, hint="write `kernel: {preset: gauss, size: 5}`")
    if name in FIXED_SIZE_PRESETS and size != 3:
        raise BlockError(f"the `{name}` preset is 3 wide only", line=line,
                         hint="drop `size`, or write the kernel out as numbers")
    kernel = presets[name](size)
    return ([[kernel]] if one_dimensional else [kernel]), name


# --- the grid form -----------------------------------------------------------------------------

def _pair(value: Any, key: str, lines: dict[str, int], one_dimensional: bool, *, minimum: int,
          default: int) -> tuple[int, int]:
    """``stride: 2`` or ``stride: [2, 1]`` (rows, columns); 1-D data moves along columns only."""
    value = default if value is None else value
    if isinstance(value, list):
        if one_dimensional or len(value) != 2:
            forms = "one integer" if one_dimensional else "one integer or [rows, columns]"
            raise BlockError(f"`{key}` must be {forms}", line=lines.get(key),
                             hint=f"write `{key}: 2`" + ("" if one_dimensional
                                                         else f" or `{key}: [2, 1]`"))
        return (_integer(value[0], key, lines, minimum=minimum),
                _integer(value[1], key, lines, minimum=minimum))
    single = _integer(value, key, lines, minimum=minimum)
    return (default if one_dimensional else single, single)


def _padding(value: Any, lines: dict[str, int], one_dimensional: bool
             ) -> tuple[int, int, int, int] | str:
    line = lines.get("padding")
    if isinstance(value, str):
        if value not in PADDING_NAMES:
            raise BlockError(f"`padding: {value}` is not one of {', '.join(PADDING_NAMES)}",
                             line=line, hint="or give a number of zero cells, e.g. `padding: 1`")
        return value
    if isinstance(value, list):
        expected = 2 if one_dimensional else 4
        if len(value) != expected:
            form = "[left, right]" if one_dimensional else "[top, bottom, left, right]"
            raise BlockError(f"`padding` as a list must be {form}", line=line,
                             hint="or one number for every side, e.g. `padding: 1`")
        sides = [_integer(side, "padding", lines, minimum=0) for side in value]
        return (0, 0, *sides) if one_dimensional else tuple(sides)
    side = _integer(value, "padding", lines, minimum=0)
    return (0, 0, side, side) if one_dimensional else (side, side, side, side)


def _parse_grid(mapping: dict[str, Any], lines: dict[str, int], *, max_side: int,
                max_channels: int) -> GridSpec:
    _check_keys(mapping, GRID_KEYS, lines, "a conv block")
    for required in ("input", "kernel"):
        if required not in mapping:
            raise BlockError(f"the block has no `{required}:`", line=None,
                             hint="a conv block needs `input:` and `kernel:` (or a `signal:`)")
    channels, one_dimensional = _channels_of(mapping["input"], "input", lines)
    source = _tensor(channels, "input", lines, max_side=max_side, max_channels=max_channels)
    raw_kernel = mapping["kernel"]
    if isinstance(raw_kernel, dict) or (isinstance(raw_kernel, str)
                                        and not re.search(r"\d", raw_kernel)):
        kernel_channels, kernel_name = _preset(raw_kernel, one_dimensional, lines, max_side)
    else:
        kernel_channels, kernel_one_dimensional = _channels_of(raw_kernel, "kernel", lines)
        kernel_name = "kernel"
        if kernel_one_dimensional != one_dimensional:
            raise BlockError("`kernel` and `input` must both be 1-D or both 2-D",
                             line=lines.get("kernel"),
                             hint="1-D: `input: [1, 2, 3]`, `kernel: [1, -1]`")
    kernel = _tensor(kernel_channels, "kernel", lines, max_side=max_side,
                     max_channels=max_channels)
    if len(kernel) not in (1, len(source)):
        raise BlockError(f"`kernel` has {len(kernel)} channels but `input` has {len(source)}",
                         line=lines.get("kernel"),
                         hint="give one kernel (used for every channel) or one per channel")
    mode = _choice(mapping, "mode", MODES, lines, default="correlation")
    output_padding = _pair(mapping.get("output_padding"), "output_padding", lines,
                           one_dimensional, minimum=0, default=0)
    if mode != "transposed" and "output_padding" in mapping:
        raise BlockError("`output_padding` applies to `mode: transposed` only",
                         line=lines.get("output_padding"),
                         hint="drop it, or add `mode: transposed`")
    common = _parse_common(mapping, lines, views=VIEWS, default_show=("animation",))
    return GridSpec(
        input=source, kernel=kernel, kernel_name=kernel_name, one_dimensional=one_dimensional,
        mode=mode, padding=_padding(mapping.get("padding", 0), lines, one_dimensional),
        stride=_pair(mapping.get("stride"), "stride", lines, one_dimensional, minimum=1,
                     default=1),
        dilation=_pair(mapping.get("dilation"), "dilation", lines, one_dimensional, minimum=1,
                       default=1),
        output_padding=output_padding, common=common, input_line=lines.get("input"))


# --- the signal form ---------------------------------------------------------------------------

def _parse_signal(mapping: dict[str, Any], lines: dict[str, int], *, max_channels: int
                  ) -> SignalSpec:
    _check_keys(mapping, SIGNAL_KEYS, lines, "a signal block")
    signal = mapping["signal"]
    line = lines.get("signal")
    if not isinstance(signal, dict):
        raise BlockError("`signal` must be a mapping with `h:`, `x:` and `t:`", line=line,
                         hint="signal:\n  h: 2*exp(-t/2)*step(t)\n  x: rect(t - 1)\n  t: [-2, 15]")
    sub_lines = {key.removeprefix("signal."): number for key, number in lines.items()
                 if key.startswith("signal.")}
    _check_keys(signal, SIGNAL_SUBKEYS, sub_lines, "`signal`")
    for required in ("h", "x", "t"):
        if required not in signal:
            raise BlockError(f"`signal` has no `{required}:`", line=line,
                             hint="`h:` and `x:` are expressions in t, `t:` is [start, stop]")
    h = signal["h"]
    x = signal["x"] if isinstance(signal["x"], list) else [signal["x"]]
    if not 1 <= len(x) <= max_channels:
        raise BlockError(f"`x` has {len(x)} channels; give 1 to {max_channels}",
                         line=sub_lines.get("x"),
                         hint="one expression, or a list of expressions (one per channel)")
    for expression in (h, *x):
        if not isinstance(expression, (str, int, float)) or isinstance(expression, bool):
            raise BlockError(f"`h`/`x` must be expressions in t, not {expression!r}", line=line,
                             hint="for example `h: 2*exp(-t/2)*step(t)`")
    discrete = signal.get("discrete", False)
    if not isinstance(discrete, bool):
        raise BlockError("`discrete` must be true or false", line=sub_lines.get("discrete"),
                         hint="write `discrete: true`")
    t_range = _range(signal["t"], "t", sub_lines)
    tau_range = _range(signal.get("tau", list(t_range)), "tau", sub_lines)
    if discrete and not all(float(bound).is_integer() for bound in (*t_range, *tau_range)):
        raise BlockError("a discrete signal needs integer `t` and `tau` ranges",
                         line=sub_lines.get("t"), hint="write `t: [-2, 15]`")
    if discrete:
        for key in ("frames", "samples"):
            if key in signal:
                raise BlockError(f"a discrete signal takes the integers of its ranges; drop "
                                 f"`{key}`", line=sub_lines.get(key),
                                 hint="set the frames with the `t` range, e.g. `t: [-2, 10]`")
        frames = int(t_range[1] - t_range[0]) + 1
        samples = int(tau_range[1] - tau_range[0]) + 1
        if frames > MAX_SIGNAL_FRAMES or samples > MAX_SIGNAL_SAMPLES:
            raise BlockError(f"the ranges hold {frames} values of t and {samples} of tau; the "
                             f"limits are {MAX_SIGNAL_FRAMES} and {MAX_SIGNAL_SAMPLES}",
                             line=sub_lines.get("t"), hint="use shorter ranges")
    else:
        frames = _integer(signal.get("frames", 25), "frames", sub_lines, minimum=2,
                          maximum=MAX_SIGNAL_FRAMES)
        samples = _integer(signal.get("samples", 400), "samples", sub_lines, minimum=50,
                           maximum=MAX_SIGNAL_SAMPLES)
    common = _parse_common(mapping, lines, views=SIGNAL_VIEWS, default_show=("animation",))
    if common.expect is not None and not discrete:
        raise BlockError("`expect` applies to discrete signals (a continuous y(t) has no list of "
                         "values to compare)", line=common.expect_line,
                         hint="add `discrete: true` to `signal`, or drop `expect`")
    for key, sources in (("h", [h]), ("x", x)):
        for source in sources:
            try:
                parse_expression(str(source))
            except ExpressionError as error:
                raise BlockError(f"`{key}`: {error}", line=sub_lines.get(key),
                                 hint="write an expression in t with + - * / **, comparisons "
                                      "and exp, sin, cos, step, rect, tri, sinc...") from None
    return SignalSpec(h=str(h), x=tuple(str(item) for item in x), t_range=t_range,
                      tau_range=tau_range, discrete=discrete, frames=frames, samples=samples,
                      common=common, h_line=sub_lines.get("h"), x_line=sub_lines.get("x"))


def _range(value: Any, key: str, lines: dict[str, int]) -> tuple[float, float]:
    if (not isinstance(value, list) or len(value) != 2
            or not all(isinstance(bound, (int, float)) and not isinstance(bound, bool)
                       for bound in value) or not value[0] < value[1]):
        raise BlockError(f"`{key}` must be [start, stop] with start < stop, not {value!r}",
                         line=lines.get(key), hint=f"write `{key}: [-2, 15]`")
    return float(value[0]), float(value[1])
