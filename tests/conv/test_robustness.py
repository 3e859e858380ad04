"""Whatever a block holds, the author gets HTML or a PluginError: never a library traceback."""
from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.errors import PluginError

from .helpers import fenced, render

scalars = (st.integers(-3, 5) | st.floats(-2, 2) | st.sampled_from([float("nan"), float("inf")])
           | st.sampled_from(["same", "full", "valid", "sobel_x", "gauss", "x", "1 2\n3 4", "",
                              "t", "exp(t)", "1/t", "t.real", "report", "svg", "png",
                              "result", "unrolled", "steps", "sizes", "transposed",
                              "convolution"]) | st.booleans() | st.none())
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4), max_leaves=12)
grid_keys = st.sampled_from(["input", "kernel", "mode", "padding", "stride", "dilation",
                             "output_padding", "show", "format", "expect", "check", "tolerance",
                             "caption", "frame_ms", "id"])
signal_values = st.fixed_dictionaries({}, optional={
    "h": values, "x": values, "t": values, "tau": values, "discrete": st.booleans(),
    "frames": st.integers(-1, 5), "samples": st.integers(40, 60)})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(grid_keys, values, max_size=8)
       | st.fixed_dictionaries({"signal": signal_values},
                               optional={"show": values, "expect": values, "format": values}))
def test_any_block_renders_or_raises_a_plugin_error(block):
    body = "".join(f"{key}: {json.dumps(value)}\n" for key, value in block.items())
    try:
        html, _ = render(fenced(body))
    except PluginError as error:
        assert error.location is not None and error.message and error.hint
    else:
        assert html.startswith('<div class="conv conv-')


small_grids = st.integers(1, 4).flatmap(lambda width: st.lists(
    st.lists(st.integers(-3, 3), min_size=width, max_size=width), min_size=1, max_size=4))
options = {
    "mode": st.sampled_from(["correlation", "convolution", "transposed"]),
    "padding": st.integers(0, 2) | st.sampled_from(["same", "full", "valid", [0, 1, 2, 0]]),
    "stride": st.integers(1, 3) | st.just([1, 2]),
    "dilation": st.integers(1, 2),
    "output_padding": st.integers(0, 1),
    "show": st.lists(st.sampled_from(["animation", "steps", "result", "kernel",
                                      "flipped_kernel", "unrolled", "sizes"]), max_size=4),
    "format": st.sampled_from(["gif", "svg", "png"]),
    "expect": small_grids,
    "check": st.sampled_from(["fail", "report"]),
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_grids | st.lists(st.integers(-3, 3), min_size=1, max_size=5),
       small_grids | st.lists(st.integers(-3, 3), min_size=1, max_size=3) | st.just("sobel_x"),
       st.fixed_dictionaries({}, optional=options))
def test_well_formed_blocks_render_or_explain(source, kernel, extra):
    block = {"input": source, "kernel": kernel, **extra}
    body = "".join(f"{key}: {json.dumps(value)}\n" for key, value in block.items())
    try:
        html, context = render(fenced(body))
    except PluginError as error:
        assert error.location is not None and error.message and error.hint
    else:
        assert html.startswith('<div class="conv conv-')
        assert ("animation" in extra.get("show", ["animation"])) == bool(context.assets)
