"""The ```{conv} block: convolution figures and views that compute their own numbers.

```
md.use(conv_plugin, default_format="gif")
```

A fenced block whose info is ``{conv}`` holds YAML (see ``docs/conv.md``): an input and a kernel
(or a ``signal:`` with expressions), a mode, padding, stride and dilation, what to show. The
plugin computes the result with numpy, checks the author's ``expect:`` against it, draws the
animation (GIF/PNG with Pillow, SVG by hand), caches the drawing in ``ctx.cache("conv", ...)``
and writes it beside the post with ``ctx.add_asset``. Every other fence is handed to the
``fence`` rule that was installed before this plugin, so fence plugins compose in any order.

This module only checks the site's options and installs the rule; the work is ``block``'s,
imported with the first ``{conv}`` block, so a build without one never loads numpy or Pillow.
"""
from __future__ import annotations

from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

from generator.errors import ConfigError

__all__ = ["conv_plugin"]

INFO = "{conv}"
# What a figure is drawn as: the site's `default_format` and a block's `format:` name one.
FORMATS = ("gif", "svg", "png")


@dataclass(frozen=True)
class ConvOptions:
    """The site's ``[plugins.conv]`` settings, checked once when the plugin is installed."""

    default_format: str
    cell_px: int
    frame_ms: int
    max_input_side: int
    max_channels: int
    max_frames: int

    @property
    def max_cells(self) -> int:
        """Cells a padded or stretched picture may have (a transposed block grows its input)."""
        return (4 * self.max_input_side) ** 2


def conv_plugin(md: MarkdownIt, *, default_format: str = "gif", cell_px: int = 36,
                frame_ms: int = 700, max_input_side: int = 64, max_channels: int = 8,
                max_frames: int = 400) -> None:
    """Render ```{conv} fences; delegate every other fence to the existing ``fence`` rule.

    ``default_format``: gif | svg | png when a block has no ``format:``; ``cell_px``: size of a
    grid cell in pixels; ``frame_ms``: time per frame (the last frame is held four times as
    long); ``max_input_side``, ``max_channels``: the largest input/kernel a block may give;
    ``max_frames``: the most frames an animation may have (one per output cell).
    """
    if default_format not in FORMATS:
        raise ConfigError(f"plugins.conv.default_format is {default_format!r}",
                          hint=f"use one of {', '.join(FORMATS)}")
    for name, value, low, high in (("cell_px", cell_px, 16, 96), ("frame_ms", frame_ms, 20, 60_000),
                                   ("max_input_side", max_input_side, 1, 256),
                                   ("max_channels", max_channels, 1, 64),
                                   ("max_frames", max_frames, 1, 5000)):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ConfigError(f"plugins.conv.{name} is {value!r}",
                              hint=f"use an integer from {low} to {high}")
    options = ConvOptions(default_format=default_format, cell_px=cell_px, frame_ms=frame_ms,
                          max_input_side=max_input_side, max_channels=max_channels,
                          max_frames=max_frames)
    fence = md.renderer.rules["fence"]

    def render_fence(renderer, tokens: list[Token], idx: int, md_options, env) -> str:
        token = tokens[idx]
        if token.info.split(maxsplit=1)[:1] != [INFO]:
            return fence(tokens, idx, md_options, env)
        from .block import render_block  # numpy and Pillow load here, with the first block
        return render_block(token, env, options)

    md.add_render_rule("fence", render_fence)
