"""The drawn figures: GIF frames decode to what was drawn, SVG animation and its still fallback."""
from __future__ import annotations

import io
from xml.etree import ElementTree

import numpy as np
import pytest
from PIL import Image

from plugins.conv import raster
from plugins.conv.figures import grid_scene
from plugins.conv.geometry import plan
from plugins.conv.scene import ROLE_COLOURS
from plugins.conv.signal import plan_signal, signal_scene
from plugins.conv.svg import render_svg

from plugins.conv.spec import parse_block

from .helpers import LIMITS, spec_of

BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", "--disable-sync"]


def grid(**keys):
    return grid_scene(plan(spec_of(**keys), max_cells=100_000), cell=30, frame_ms=300)


def drawn_rgba(scene) -> list[np.ndarray]:
    """What each frame should look like once indexed: its colour where opaque, else zeros."""
    frames = raster._frames(scene)
    palette = raster._shared_palette(frames)
    expected = []
    for frame in frames:
        indexed = raster._indexed(frame, palette)
        rgba = np.asarray(indexed.convert("RGBA")).copy()
        rgba[np.asarray(indexed) == raster.TRANSPARENT_INDEX] = 0
        expected.append(rgba)
    return expected


@pytest.mark.parametrize("scene", [
    grid(input=[[1, 2, 3, 4, 5]] * 4, kernel="sobel_y", padding=1, stride=[1, 2]),
    grid(input=[[1, 2], [3, 4]], kernel="arange", mode="transposed", stride=2),
    grid(input=["1 2 3 4 5 6", "0 1 0 1 0 1"], kernel=[1, 0, -1], dilation=2),
    signal_scene(plan_signal(parse_block(
        "signal:\n  h: exp(-t)*step(t)\n  x: rect(t - 1)\n  t: [-1, 4]\n  frames: 6\n",
        **LIMITS)), frame_ms=200),
], ids=["padded-strided", "transposed", "1d-channels", "signal"])
def test_gif_frames_decode_to_the_drawn_frames(scene):
    decoded = Image.open(io.BytesIO(raster.render_gif(scene)))
    assert decoded.n_frames == len(scene.frames)
    for index, expected in enumerate(drawn_rgba(scene)):
        decoded.seek(index)
        frame = np.asarray(decoded.convert("RGBA")).copy()
        frame[frame[..., 3] == 0] = 0
        np.testing.assert_array_equal(frame, expected, err_msg=f"frame {index}")


def test_gif_frames_after_the_first_hold_only_the_changes():
    scene = grid(input=[[1, 2, 3, 4, 5, 6]] * 6, kernel="arange")
    frames = raster._frames(scene)
    palette = raster._shared_palette(frames)
    indexed = [raster._indexed(frame, palette) for frame in frames]
    assert raster._disposal(indexed) == 1
    changes = raster._only_changes(indexed)
    kept = np.mean(np.asarray(changes[1]) == raster.TRANSPARENT_INDEX)
    assert kept > 0.9  # the window moved by one cell: almost everything stays as it was
    decoded = Image.open(io.BytesIO(raster.render_gif(scene)))
    decoded.seek(1)
    assert decoded.disposal_method == 1


def test_signal_gifs_clear_between_frames():
    """Curves on a transparent plot: pixels turn transparent, so each frame is stored whole."""
    scene = signal_scene(plan_signal(parse_block(
        "signal:\n  h: exp(-t)*step(t)\n  x: rect(t - 1)\n  t: [-1, 4]\n  frames: 6\n",
        **LIMITS)), frame_ms=200)
    decoded = Image.open(io.BytesIO(raster.render_gif(scene)))
    decoded.seek(1)
    assert decoded.disposal_method == 2


def test_incremental_frames_equal_frames_drawn_from_scratch():
    scene = grid(input=[[1, 2, 3], [4, 5, 6], [7, 8, 9]], kernel=[[1, 0], [0, -1]], padding=1)
    for index, frame in enumerate(raster._frames(scene)):
        assert frame.tobytes() == raster._frame(scene, index).tobytes()


def test_svg_keyframes_partition_the_loop():
    scene = grid(input=[[1, 2, 3], [4, 5, 6]], kernel=[[1, 1]])
    text = render_svg(scene).decode()
    # Four frames: three of 300 ms, then the last held for 1200 ms, 2100 ms in all.
    assert "animation-duration:2100ms" in text
    assert "@keyframes f0{0%{visibility:visible}14.29%{visibility:hidden}}" in text
    assert ("@keyframes f1{0%{visibility:hidden}14.29%{visibility:visible}"
            "28.57%{visibility:hidden}}") in text
    assert "@keyframes f3{0%{visibility:hidden}42.86%{visibility:visible}}" in text
    assert "@keyframes r3{0%{visibility:hidden}42.86%{visibility:visible}}" in text


@pytest.mark.browser
@pytest.mark.parametrize("motion", ["reduce", "no-preference"])
def test_svg_respects_reduced_motion_in_chromium(tmp_path, motion):
    playwright = pytest.importorskip("playwright.sync_api")
    path = tmp_path / "figure.svg"
    path.write_bytes(render_svg(grid(input=[[1, 2, 3], [4, 5, 6]], kernel=[[1, 1]])))
    script = """[...document.querySelectorAll('g.f, g.r')].map(g => [g.id,
                 getComputedStyle(g).animationName, getComputedStyle(g).visibility])"""
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path="/usr/bin/chromium", args=BROWSER_ARGS)
        try:
            page = browser.new_page(reduced_motion=motion)
            page.goto(path.as_uri())
            groups = {name: (animation, visibility)
                      for name, animation, visibility in page.evaluate(script)}
        finally:
            browser.close()
    frames = [f"f{index}" for index in range(4)]
    if motion == "reduce":  # a still figure: the finished output, nothing moves
        assert all(animation == "none" for animation, _ in groups.values())
        assert [groups[name][1] for name in frames] == ["hidden", "hidden", "hidden", "visible"]
        assert groups["r3"][1] == "visible"
    else:  # every frame and every revealed cell runs its own keyframes
        assert {name: groups[name][0] for name in [*frames, "r1", "r2", "r3"]} == {
            name: name for name in [*frames, "r1", "r2", "r3"]}


@pytest.mark.parametrize("scene", [
    grid(input=[[1, -2], [3, 4]], kernel=[[1]], padding=1),
    signal_scene(plan_signal(parse_block(
        "signal:\n  h: t < 1\n  x: [rect(t), tri(t)]\n  t: [-1, 2]\n  discrete: true\n",
        **LIMITS)), frame_ms=200),
], ids=["grid", "discrete-signal"])
def test_svg_is_well_formed_and_themes_muted_shapes_by_class(scene):
    root = ElementTree.fromstring(render_svg(scene))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.find("{http://www.w3.org/2000/svg}title").text == scene.alt
    muted = [element for element in root.iter() if element.get("class") in ("m", "ms", "m ms")]
    assert muted and all(element.get("fill") != "#8a8f98" for element in muted)


def test_colours_of_any_frame_keep_their_exact_value():
    """The product area is shaded only mid-animation; the shared palette must still hold it."""
    scene = signal_scene(plan_signal(parse_block(
        "signal:\n  h: exp(-t)*step(t)\n  x: rect(t - 1)\n  t: [-1, 8]\n  tau: [-2, 5]\n"
        "  frames: 10\n",
        **LIMITS)), frame_ms=200)
    decoded = Image.open(io.BytesIO(raster.render_gif(scene)))
    area = tuple(int(ROLE_COLOURS["area"][index:index + 2], 16) for index in (1, 3, 5))
    decoded.seek(2)
    colours = {colour for _, colour in decoded.convert("RGB").getcolors(1 << 16)}
    assert area in colours
    decoded.seek(decoded.n_frames - 1)  # x(t - tau) has left the tau range: nothing shaded
    assert area not in {colour for _, colour in decoded.convert("RGB").getcolors(1 << 16)}
