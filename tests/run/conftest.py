"""Helpers for the run plugin's tests: render a post from a real folder on disk."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from generator.context import RenderContext
from plugins.run import run_plugin

POST_PATH = "content/posts/demo/index.md"


@dataclass(frozen=True)
class Rendered:
    html: str
    context: RenderContext


@dataclass(frozen=True)
class Site:
    """A post folder and a cache folder under one temporary root."""

    root: Path

    @property
    def post_dir(self) -> Path:
        return self.root / "content" / "posts" / "demo"

    @property
    def cache_root(self) -> Path:
        return self.root / ".stride-cache"

    def render(self, markdown: str, *, cached: bool = True, refresh: bool = False,
               context_execute: bool = True, line_offset: int = 0,
               frontmatter: dict | None = None, **options) -> Rendered:
        """Render ``markdown`` as this site's post (``frontmatter``: its page variables);
        ``options`` go to ``run_plugin``."""
        options.setdefault("timeout", 10)
        md = MarkdownIt("commonmark").use(run_plugin, **options)
        context = RenderContext(source_path=POST_PATH, source_dir=self.post_dir,
                                line_offset=line_offset, refresh=refresh, execute=context_execute,
                                cache_root=self.cache_root if cached else None,
                                page_vars=dict(frontmatter or {}))
        return Rendered(md.render(markdown, {"stride": context}), context)


@pytest.fixture
def site(tmp_path: Path) -> Site:
    created = Site(tmp_path)
    created.post_dir.mkdir(parents=True)
    return created


def cell(code: str, *options: str) -> str:
    """A ```{python} fence around ``code`` with ``#|`` option lines."""
    header = "".join(f"#| {option}\n" for option in options)
    return f"```{{python}}\n{header}{code}```\n"
