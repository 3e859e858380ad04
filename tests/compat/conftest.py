"""A small fixed site that every compat test renders against."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.deflist import deflist_plugin

from generator.context import ENV_KEY, RenderContext
from generator.errors import Diagnostic
from plugins.compat import compat_plugin

HERE = Path(__file__).parent
CORPUS = HERE / "corpus"

SITE_VARS = {"title": "Signals & Systems", "author": "Ada", "base_url": "https://example.org/blog/"}
LINK_TABLE = {
    "posts/2019-01-01-conv.md": "/2019/01/01/conv/", "2019-01-01-conv": "/2019/01/01/conv/",
    "posts/2020-04-07-some-post.md": "/2020/04/07/some-post/",
    "2020-04-07-some-post": "/2020/04/07/some-post/",
    "posts/fourier.md": "/posts/fourier/", "fourier": "/posts/fourier/",
    "blog/convnet-convolution/index.md": "/ConvNet-dont-do-Conv/",
    "convnet-convolution": "/ConvNet-dont-do-Conv/",
    "pages/about.md": "/about/", "about": "/about/",
}
STATIC_PATHS = frozenset({"/assets/images/kernel.png", "/assets/files/notes.pdf",
                          "/2019/01/01/conv/flip.gif", "/posts/fourier/spectrum.png",
                          "/ConvNet-dont-do-Conv/corr.gif"})
PAGE_VARS = {"title": "Convolution, flipped", "date": "2019-01-01", "tags": ["dsp"],
             "layout": "post", "params": {"Window": {"name": "Hann"}}}


def make_markdown(**options: Any) -> MarkdownIt:
    """The configuration the issue names: CommonMark, tables, definition lists, heading ids."""
    md = MarkdownIt("commonmark").enable("table")
    md.use(deflist_plugin).use(anchors_plugin, min_level=1, max_level=6)
    return md.use(compat_plugin, **options)


def make_context(*, source_path: str = "content/posts/2019-01-01-conv.md", line_offset: int = 0,
                 page_vars: dict[str, Any] | None = None, site_root: Path | None = None,
                 base_path: str = "/blog/") -> RenderContext:
    root = site_root if site_root is not None else CORPUS / "jekyll"
    return RenderContext(source_path=source_path, source_dir=root / Path(source_path).parent,
                         line_offset=line_offset, site_vars=dict(SITE_VARS),
                         page_vars=dict(PAGE_VARS if page_vars is None else page_vars),
                         base_path=base_path, link_table=dict(LINK_TABLE),
                         static_paths=STATIC_PATHS, site_root=root)


Render = Callable[..., tuple[str, list[Diagnostic]]]


@pytest.fixture(scope="session")
def markdown() -> MarkdownIt:
    return make_markdown()


@pytest.fixture
def render(markdown: MarkdownIt) -> Render:
    def _render(source: str, **context: Any) -> tuple[str, list[Diagnostic]]:
        ctx = make_context(**context)
        html = markdown.render(source, {ENV_KEY: ctx})
        return html, ctx.diagnostics
    return _render
