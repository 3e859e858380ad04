"""Shared helpers of the conv tests: blocks from Python values, a render with a fresh context."""
from __future__ import annotations

import json
from pathlib import Path

from markdown_it import MarkdownIt

from generator.context import ENV_KEY, RenderContext
from plugins.conv import conv_plugin
from plugins.conv.spec import parse_block

LIMITS = {"max_side": 64, "max_channels": 8}


def block(**keys) -> str:
    """A block body from Python values (JSON is YAML)."""
    return "".join(f"{key}: {json.dumps(value)}\n" for key, value in keys.items())


def spec_of(**keys):
    return parse_block(block(**keys), **LIMITS)


def render(markdown: str, *, cache_root: Path | None = None, line_offset: int = 0,
           source_path: str = "content/posts/demo/post.md", **options
           ) -> tuple[str, RenderContext]:
    md = MarkdownIt("commonmark").use(conv_plugin, **options)
    context = RenderContext(source_path=source_path, source_dir=Path("."),
                            line_offset=line_offset, cache_root=cache_root)
    return md.render(markdown, {ENV_KEY: context}), context


def fenced(body: str) -> str:
    return "```{conv}\n" + body + "```\n"
