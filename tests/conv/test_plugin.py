"""The fence rule end to end: HTML, assets, expect, errors at post.md:LINE, caching, determinism."""
from __future__ import annotations

import io
import re

import pytest
from markdown_it import MarkdownIt
from PIL import Image

import plugins.conv as conv
from generator.errors import ConfigError, PluginError
from plugins.conv import conv_plugin

from .helpers import block, fenced, render

SEED_INPUT = "input: |\n  1 2 2 1 0\n  3 3 3 3 0\n  3 0 0 2 2\n  0 3 0 3 3\n  2 2 2 3 2\n"
SEED_002 = "input: [[1, 0, -1, 1], [1, 2, -2, 0], [1, 1, -1, 1], [0, 1, 1, 0]]\nkernel: sobel_x\n"


def plugin_error(markdown: str, **kwargs) -> PluginError:
    with pytest.raises(PluginError) as caught:
        render(markdown, **kwargs)
    return caught.value


def test_id_names_the_figure_file_and_the_img_points_at_it():
    html, context = render(fenced(SEED_INPUT + "kernel: arange\n"
                                  "id: corr_numerical_no_padding_no_strides\n"))
    assert list(context.assets) == ["corr_numerical_no_padding_no_strides.gif"]
    assert '<img src="./corr_numerical_no_padding_no_strides.gif"' in html
    alt = re.search(r'alt="([^"]*)"', html).group(1)
    assert "cross-correlation" in alt and "5x5 input" in alt
    assert "[[60, 56, 52], [39, 61, 66], [54, 78, 82]]" in alt


def test_id_without_animation_only_writes_the_file():
    html, context = render(fenced(SEED_INPUT + "kernel: arange\nshow: result\nid: only_file\n"))
    assert list(context.assets) == ["only_file.gif"]
    assert "<img" not in html and "<math" in html


def test_unnamed_figures_are_named_by_content():
    _, first = render(fenced(SEED_INPUT + "kernel: arange\n"))
    _, second = render(fenced(SEED_INPUT + "kernel: sobel_x\n"))
    (name_a,), (name_b,) = first.assets, second.assets
    assert re.fullmatch(r"conv-[0-9a-f]{16}\.gif", name_a) and name_a != name_b


def test_two_blocks_cannot_write_different_figures_under_one_id():
    markdown = (fenced(SEED_INPUT + "kernel: arange\nid: same\n") + "\n"
                + fenced(SEED_INPUT + "kernel: box\nid: same\n"))
    error = plugin_error(markdown)
    assert "write `same.gif` with different figures" in error.message
    assert str(error.location) == "content/posts/demo/post.md:12"  # the second fence


@pytest.mark.parametrize("stride, frames", [(1, 9), (2, 4)])
def test_gif_has_one_frame_per_output_cell_and_holds_the_last(stride, frames):
    _, context = render(fenced(SEED_INPUT + f"kernel: arange\nstride: {stride}\n"), frame_ms=500)
    image = Image.open(io.BytesIO(next(iter(context.assets.values()))))
    assert image.n_frames == frames
    durations = []
    for index in range(image.n_frames):
        image.seek(index)
        durations.append(image.info["duration"])
    assert durations == [500] * (frames - 1) + [2000]


def test_png_is_the_last_frame_and_svg_has_every_frame_and_a_still_fallback():
    _, png = render(fenced(SEED_INPUT + "kernel: arange\nformat: png\n"))
    image = Image.open(io.BytesIO(next(iter(png.assets.values()))))
    assert image.format == "PNG" and getattr(image, "n_frames", 1) == 1
    _, svg = render(fenced(SEED_INPUT + "kernel: arange\nformat: svg\n"))
    text = next(iter(svg.assets.values())).decode()
    assert text.count('<g id="f') == 9 and '<g id="f8" class="f last">' in text
    assert "@media (prefers-reduced-motion:no-preference)" in text
    assert text.index("@keyframes") > text.index("prefers-reduced-motion")
    assert "<title>cross-correlation" in text


def test_convolution_draws_the_flipped_kernel_in_red_and_names_it():
    _, context = render(fenced(SEED_INPUT + "kernel: arange\nmode: convolution\nformat: svg\n"))
    text = next(iter(context.assets.values())).decode()
    assert ">flipped kernel (arange)</text>" in text
    red = conv.scene.ROLE_COLOURS["flipped"]
    # The first row of the flipped kernel grid reads 8 7 6, in red.
    assert re.search(rf'fill="{red}">8</text>.*fill="{red}">7</text>.*fill="{red}">6</text>', text)


@pytest.mark.parametrize("image_format", ["gif", "png", "svg"])
def test_figures_are_byte_for_byte_deterministic(image_format):
    body = fenced(SEED_INPUT + f"kernel: gauss\npadding: same\nformat: {image_format}\n")
    _, first = render(body)
    _, second = render(body)
    assert first.assets == second.assets


def test_expect_mismatch_fails_at_the_expect_line_with_both_values():
    markdown = "# Matrix\n\n" + fenced(SEED_002 + "expect: [122, 148, 126, 134]\n")
    error = plugin_error(markdown, line_offset=6)
    # Body line 2 is the fence, the block's line 2 is `expect:`; 6 lines of frontmatter above.
    assert str(error.location) == "content/posts/demo/post.md:12"
    assert "claims [122, 148, 126, 134]" in error.message
    assert "computed result is [[10, 3], [6, 3]]" in error.message
    assert "shapes differ" in error.message
    assert "check: report" in error.hint


def test_expect_with_the_right_shape_counts_the_wrong_values():
    error = plugin_error(fenced(SEED_002 + "expect: [[10, 3], [6, 4]]\n"))
    assert "1 of 4 values differ" in error.message


def test_expect_that_matches_renders_nothing_extra():
    html, _ = render(fenced(SEED_002 + "expect: [[10, 3], [6, 3]]\nshow: result\n"))
    assert "conv-check" not in html


def test_check_report_shows_the_mismatch_instead_of_failing():
    html, _ = render(fenced(SEED_002 + "expect: [[122, 148], [126, 134]]\ncheck: report\n"
                                       "show: result\n"))
    assert 'class="conv-check conv-check-failed"' in html
    assert html.count('class="conv-wrong"') == 4
    assert "<mn class=\"conv-wrong\">122</mn>" in html


def test_ragged_expect_is_refused_at_its_line():
    error = plugin_error(fenced(SEED_002 + "expect: [[10, 3], [6]]\n"))
    assert "`expect` has rows of different lengths" in error.message
    assert str(error.location) == "content/posts/demo/post.md:4"


def test_expect_with_channels_is_refused():
    error = plugin_error(fenced(SEED_002 + "expect: [[[10, 3], [6, 3]]]\ncheck: report\n"))
    assert "`expect` must be a list or a list of rows" in error.message


def test_expect_tolerance():
    body = "input: [[1, 2]]\nkernel: [[0.1]]\nshow: result\n"
    with pytest.raises(PluginError):
        render(fenced(body + "expect: [[0.1, 0.2001]]\n"))
    render(fenced(body + "expect: [[0.1, 0.2001]]\ntolerance: 0.001\n"))


def test_yaml_errors_point_into_the_post():
    error = plugin_error("Intro.\n\n" + fenced("input: [[1, 2]\nkernel: [[1]]\n"), line_offset=3)
    # The parser notices the unclosed list on the next line, the block's line 1.
    assert str(error.location) == "content/posts/demo/post.md:8"
    assert "not valid YAML" in error.message


@pytest.mark.parametrize("body, message, hint", [
    (block(input=[[1, 2], [3, 4]], kernel=[[1, 1, 1]] * 3), "the kernel spans 3 rows",
     "more padding"),
    (block(input=[[1, 2], [3, 4]], kernel=[[1, 1]] * 2, dilation=3), "dilation 3", "padding"),
    (block(input=[[1, 2], [3, 4]], kernel=[[1, 1]] * 2, mode="transposed", padding=2),
     "would drop whole input rows", "padding <= 1"),
    (block(input=[[1, 2], [3, 4]], kernel=[[1, 1]] * 2, mode="transposed", padding="same"),
     "defined for correlation and convolution", "transposes"),
    (block(input=[[1, 2], [3, 4]], kernel=[[1]], mode="transposed", stride=2,
           output_padding=2), "smaller than the stride", "output padding"),
    (block(input=[[1]], kernel=[[1], [1], [1]], mode="transposed", padding=[2, 2, 0, 0]),
     "the transposed output would have -1 rows", "less padding"),
    (block(input=[[1e308, 1e308]], kernel=[[1e308]]), "the result overflows", "scale"),
    (block(input=[[1] * 40] * 40, kernel=[[1]]), "1600 frames; the limit is 400", "stride"),
    (block(input=[[1] * 20] * 20, kernel=[[1] * 3] * 3), "the GIF would be 324 frames of",
     "format: svg"),
    (block(input=[[1] * 40] * 40, kernel=[[1]], mode="transposed", stride=64),
     "the padded input would have", "smaller input"),
    (block(input=[[1] * 12] * 12, kernel=[[1] * 3] * 3, show=["unrolled"]),
     "would print a 100x144 matrix", "smaller example"),
], ids=["kernel-too-big", "dilated-too-big", "transposed-padding", "transposed-same",
        "output-padding", "transposed-cropped", "overflow", "too-many-frames", "gif-too-big",
        "transposed-too-big", "unrolled-too-big"])
def test_impossible_or_oversized_blocks_are_plugin_errors(body, message, hint):
    error = plugin_error("Text.\n\n" + fenced(body))
    assert message in error.message
    assert hint in error.hint
    assert str(error.location).startswith("content/posts/demo/post.md:")


def test_other_fences_are_delegated_to_the_previous_rule():
    md = MarkdownIt("commonmark")
    previous = md.renderer.rules["fence"]

    def marking_fence(renderer, tokens, idx, options, env):
        return "<!-- seen -->" + previous(tokens, idx, options, env)

    md.add_render_rule("fence", marking_fence)
    md.use(conv_plugin)
    html = md.render("```python\nx = 1\n```\n\n" + fenced(SEED_002 + "show: result\n"))
    assert '<!-- seen --><pre><code class="language-python">x = 1\n</code></pre>' in html
    assert html.count("<!-- seen -->") == 1 and '<div class="conv conv-correlation">' in html


def test_figures_come_from_the_cache_without_drawing(tmp_path, monkeypatch):
    body = fenced(SEED_INPUT + "kernel: arange\nid: cached\n")
    _, first = render(body, cache_root=tmp_path)
    (entry,) = [path for path in tmp_path.rglob("*") if path.is_file()]
    # Plant a different (valid) entry under the same key: the next build must show it.
    header = entry.read_bytes().partition(b"\n")[0]
    entry.write_bytes(header + b"\nplanted figure")

    def no_drawing(*args, **kwargs):
        raise AssertionError("a cached figure was drawn again")

    monkeypatch.setattr("plugins.conv.block.grid_scene", no_drawing)
    html, second = render(body, cache_root=tmp_path)
    assert second.assets == {"cached.gif": b"planted figure"}
    assert 'alt="cross-correlation' in html
    assert first.assets["cached.gif"] != b"planted figure"


def test_a_changed_block_misses_the_cache(tmp_path):
    render(fenced(SEED_INPUT + "kernel: arange\n"), cache_root=tmp_path)
    render(fenced(SEED_INPUT + "kernel: arange\nstride: 2\n"), cache_root=tmp_path)
    assert len([path for path in tmp_path.rglob("*") if path.is_file()]) == 2


def test_unreadable_cache_entries_are_drawn_again(tmp_path):
    body = fenced(SEED_INPUT + "kernel: arange\n")
    _, first = render(body, cache_root=tmp_path)
    (entry,) = [path for path in tmp_path.rglob("*") if path.is_file()]
    entry.write_bytes(b"not a conv cache entry")
    _, second = render(body, cache_root=tmp_path)
    assert second.assets == first.assets


@pytest.mark.parametrize("options, name", [
    ({"default_format": "jpg"}, "default_format"), ({"cell_px": 4}, "cell_px"),
    ({"max_frames": True}, "max_frames"),
])
def test_site_options_are_checked(options, name):
    with pytest.raises(ConfigError, match=f"plugins.conv.{name}"):
        MarkdownIt().use(conv_plugin, **options)


def test_continuous_signal_block():
    html, context = render(fenced("signal:\n  h: 2*exp(-t/2)*step(t)\n  x: (t >= 0)*(t < 3)\n"
                                  "  t: [-2, 15]\n  tau: [-5, 16]\nshow: [animation, result]\n"))
    image = Image.open(io.BytesIO(next(iter(context.assets.values()))))
    assert image.n_frames == 25
    assert "convolution of h(t) = 2*exp(-t/2)*step(t)" in html
    assert '<table class="conv-series">' in html


def test_discrete_signal_expect_and_expression_errors():
    body = "signal:\n  h: (t >= 0)*(t < 2)\n  x: (t >= 0)*(t < 3)\n  t: [0, 4]\n" \
           "  discrete: true\nshow: result\n"
    render(fenced(body + "expect: [1, 2, 2, 1, 0]\n"))
    error = plugin_error(fenced(body + "expect: [1, 2, 3, 1, 0]\n"))
    assert "computed result is [1, 2, 2, 1, 0]" in error.message
    error = plugin_error("\n" + fenced("signal:\n  h: log(t)\n  x: t\n  t: [-1, 1]\n"))
    assert str(error.location) == "content/posts/demo/post.md:4"
    assert "`h`: the expression is not finite at t = -1" in error.message


def test_overflowing_result_is_an_error_at_the_input_line(recwarn):
    error = plugin_error("Text.\n\n" + fenced("kernel: [[10.0]]\ninput: [[1e308, 1e308]]\n"))
    assert str(error.location) == "content/posts/demo/post.md:5"
    assert "overflows" in error.message and "finite" in error.message
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_overflowing_signal_output_is_an_error_at_h():
    error = plugin_error(fenced("signal:\n  h: 1e200*step(t)\n  x: 1e200*rect(t)\n  t: [-1, 1]\n"))
    assert "y(t) overflows" in error.message
    assert str(error.location) == "content/posts/demo/post.md:3"
