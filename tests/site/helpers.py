"""Render Markdown through the real pipeline stage, without a whole site."""
from __future__ import annotations

from pathlib import Path

from generator.frontmatter import parse_source
from generator.markdown import MarkdownRenderer
from generator.render_settings import RenderSettings
from generator.records import Rendered, SourceFile

_renderers: dict[Path, MarkdownRenderer] = {}


def source_file(text: str, root: Path, name: str = "content/posts/post.md") -> SourceFile:
    path = root / name
    return SourceFile(path=path, rel=name, content_rel=name.removeprefix("content/"), kind="post",
                      text=text, digest="test", mtime=0.0)


def render(text: str, root: Path = Path("/tmp"), **settings) -> Rendered:
    renderer = MarkdownRenderer(RenderSettings(site_root=root, cache_root=None, **settings))
    return renderer.render(parse_source(source_file(text, root)))
