"""One ``{conv}`` block to HTML: its YAML read, its numbers computed and checked against
``expect:``, its views written and its figure drawn (or taken from the cache).

The fence rule of the package imports this module when a post has its first ``{conv}`` block,
so numpy and Pillow load only in a build that draws one.
"""
from __future__ import annotations

import dataclasses
import json
from html import escape

import numpy as np
import PIL
from markdown_it.token import Token

from generator.cache import content_key
from generator.context import RenderContext, render_context
from generator.errors import PluginError, SourceLocation

from . import ConvOptions
from .figures import format_grid, grid_scene
from .geometry import Plan, plan
from .raster import render_gif, render_png
from .scene import Scene
from .signal import SignalPlan, plan_signal, signal_scene
from .spec import BlockError, GridSpec, SignalSpec, parse_block
from .svg import render_svg
from .views import (check_view, flipped_kernel_view, kernel_view, result_view, series_view,
                    sizes_view, steps_view, unrolled_view)

PLUGIN_VERSION = "1"
CACHE_VERSION = f"{PLUGIN_VERSION}-pillow{PIL.__version__}-numpy{np.__version__}"
RENDERERS = {"gif": render_gif, "png": render_png, "svg": render_svg}
# Every GIF frame is drawn in memory before the shared palette is known: bound frames x pixels
# (25 frames of 800 x 400 is 8 million; this keeps a build's memory and time in hand).
MAX_GIF_PIXELS = 50_000_000


def _block_location(ctx: RenderContext, token: Token, block_line: int | None) -> SourceLocation:
    """``post.md:LINE`` of a line inside the block (None: the fence's opening line)."""
    if token.map is None:
        return ctx.location()
    fence_line = token.map[0]
    return ctx.location(fence_line if block_line is None else fence_line + 1 + block_line)


def render_block(token: Token, env, options: ConvOptions) -> str:
    ctx = render_context(env)
    spec = None
    try:
        spec = parse_block(token.content, max_side=options.max_input_side,
                           max_channels=options.max_channels)
        # A float overflow (1e308 * 10) is an error of the block, not an `inf` shown as a
        # result with numpy's RuntimeWarning on the build's stderr.
        with np.errstate(over="raise"):
            return _render_spec(ctx, spec, options)
    except FloatingPointError:
        error = BlockError("the numbers overflow: a value computed from them is beyond the "
                           "largest floating-point number (about 1.8e308), so it would not be "
                           "a finite number",
                           line=spec.input_line if isinstance(spec, GridSpec) else spec.h_line,
                           hint="use smaller numbers: scale the input or the kernel down, "
                                "e.g. to the range -1..1")
    except BlockError as caught:
        error = caught
    raise PluginError(error.message, location=_block_location(ctx, token, error.line),
                      hint=error.hint)


def _render_spec(ctx: RenderContext, spec: GridSpec | SignalSpec, options: ConvOptions) -> str:
    if isinstance(spec, GridSpec):
        computed = plan(spec, max_cells=options.max_cells)
        frames = computed.result.size
    else:
        computed = plan_signal(spec)
        frames = len(computed.frame_times)
    common = spec.common
    check = _check_expect(computed)
    figure = ""
    if "animation" in common.show or common.id is not None:
        if frames > options.max_frames:
            raise BlockError(f"the animation would have {frames} frames; the limit is "
                             f"{options.max_frames}",
                             hint="use a smaller input or a larger stride, or show "
                                  "`result` without `animation` and `id`")
        # With an `id` but without `animation`, the file is only written, for a post that
        # shows it with its own <img src="./ID.gif">.
        figure = _figure(ctx, computed, options)
    parts = [figure if view == "animation" else _view(view, computed) for view in common.show]
    parts.append(check)
    mode = spec.mode if isinstance(spec, GridSpec) else "signal"
    return f'<div class="conv conv-{mode}">\n' + "\n".join(filter(None, parts)) + "\n</div>\n"


def _view(view: str, computed: Plan | SignalPlan) -> str:
    if isinstance(computed, SignalPlan):  # `result` is a signal's only view besides the figure
        return series_view("y", computed.frame_times, computed.frame_y)
    return {"result": result_view, "kernel": kernel_view, "flipped_kernel": flipped_kernel_view,
            "sizes": sizes_view, "steps": steps_view, "unrolled": unrolled_view}[view](computed)


def _computed_values(computed: Plan | SignalPlan) -> np.ndarray:
    if isinstance(computed, SignalPlan):
        return computed.frame_y
    return computed.result[0] if computed.spec.one_dimensional else computed.result


def _check_expect(computed: Plan | SignalPlan) -> str:
    """Compare ``expect:`` with the result: a ``PluginError``, or the report view."""
    common = computed.spec.common
    if common.expect is None:
        return ""
    try:
        claimed = np.asarray(common.expect, dtype=float)
    except ValueError:
        raise BlockError("`expect` has rows of different lengths", line=common.expect_line,
                         hint="write the claimed result with the shape of the output") from None
    if claimed.ndim > 2:
        raise BlockError("`expect` must be a list or a list of rows (the output has one channel)",
                         line=common.expect_line, hint="for example `expect: [[60, 56], [39, 61]]`")
    values = _computed_values(computed)
    same_shape = claimed.squeeze().shape == values.squeeze().shape
    wrong = (~np.isclose(claimed.reshape(values.shape), values, rtol=0, atol=common.tolerance)
             if same_shape else None)
    if common.check == "report":
        return check_view(claimed, values, wrong)
    if wrong is None or wrong.any():
        detail = (f"{int(wrong.sum())} of {wrong.size} values differ" if wrong is not None
                  else f"shapes differ: {claimed.shape} claimed, {values.shape} computed")
        raise BlockError(f"expect: the block claims {format_grid(claimed)} but the computed "
                         f"result is {format_grid(values)} ({detail})", line=common.expect_line,
                         hint="every number of a conv block is computed: correct the claim, or "
                              "add `check: report` to show the mismatch in the post instead of "
                              "failing the build")
    return ""


def _figure_inputs(computed: Plan | SignalPlan) -> str:
    """What the drawing depends on, as canonical JSON: the spec without what only the text uses."""
    fields = dataclasses.asdict(computed.spec)
    for name in ("common", "h_line", "x_line"):
        fields.pop(name, None)
    return json.dumps(fields, sort_keys=True)


def _figure(ctx: RenderContext, computed: Plan | SignalPlan, options: ConvOptions) -> str:
    common = computed.spec.common
    image_format = common.format or options.default_format
    frame_ms = common.frame_ms or options.frame_ms
    cache = ctx.cache("conv", CACHE_VERSION)
    key = content_key(_figure_inputs(computed), image_format, str(options.cell_px), str(frame_ms))
    entry = _unpack(cache.get(key))
    if entry is None:
        if isinstance(computed, SignalPlan):
            scene: Scene = signal_scene(computed, frame_ms=frame_ms)
        else:
            scene = grid_scene(computed, cell=options.cell_px, frame_ms=frame_ms)
        pixels = len(scene.frames) * scene.width * scene.height
        if image_format == "gif" and pixels > MAX_GIF_PIXELS:
            raise BlockError(f"the GIF would be {len(scene.frames)} frames of {scene.width}x"
                             f"{scene.height} pixels, {pixels // 1_000_000} million in all; the "
                             f"limit is {MAX_GIF_PIXELS // 1_000_000} million",
                             hint="use `format: svg` (frames as vector drawings), a smaller "
                                  "input or a larger stride")
        entry = ({"width": scene.width, "height": scene.height, "alt": scene.alt},
                 RENDERERS[image_format](scene))
        cache.put(key, _pack(*entry))
    meta, data = entry
    name = f"{common.id or 'conv-' + key[:16]}.{image_format}"
    if ctx.assets.get(name, data) != data:
        raise BlockError(f"two conv blocks of this post write `{name}` with different figures",
                         hint="give each block its own `id`")
    src = ctx.add_asset(name, data)
    # Plain text: this HTML is trusted by the pipeline, so author markup must not enter it.
    caption = f"<figcaption>{escape(common.caption)}</figcaption>" if common.caption else ""
    return (f'<figure class="conv-figure"><img src="{escape(src)}" alt="{escape(meta["alt"])}" '
            f'width="{meta["width"]}" height="{meta["height"]}" loading="lazy" decoding="async">'
            f"{caption}</figure>")


def _pack(meta: dict, data: bytes) -> bytes:
    """A cache entry: one JSON line (size and alt text of the figure), then the figure's bytes."""
    return json.dumps(meta, sort_keys=True).encode("utf-8") + b"\n" + data


def _unpack(payload: bytes | None) -> tuple[dict, bytes] | None:
    """The entry's parts; None for a miss or an entry this version cannot read (drawn again)."""
    if payload is None:
        return None
    header, _, data = payload.partition(b"\n")
    try:
        meta = json.loads(header)
    except ValueError:
        return None
    if not isinstance(meta, dict) or not {"width", "height", "alt"} <= meta.keys():
        return None
    return meta, data
