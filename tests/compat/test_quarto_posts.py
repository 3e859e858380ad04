"""What measuring real Quarto blogs found (docs/migrating.md, "Measured"), one test per fault,
through the whole Markdown stage with the post as a `.qmd` file."""
from __future__ import annotations

import re
from pathlib import Path

from generator.frontmatter import parse_source
from generator.markdown import MarkdownRenderer, RenderSettings
from generator.records import Rendered
from tests.site.helpers import source_file

FRONTMATTER = "---\ntitle: t\ndate: 2024-01-01\n---\n"  # 4 lines: body line k is file line 4 + k


def render(body: str, root: Path = Path("/tmp"), name: str = "content/posts/p/index.qmd",
           frontmatter: str = FRONTMATTER) -> Rendered:
    renderer = MarkdownRenderer(RenderSettings(site_root=root, cache_root=None, execute=False))
    return renderer.render(parse_source(source_file(frontmatter + body, root, name)))


def warnings(rendered: Rendered, kind: str) -> list:
    return [d for d in rendered.diagnostics if d.kind == kind]


def test_math_in_an_inline_footnote_is_rendered() -> None:
    # Pandoc's `^[...]` with math stopped the post: "internal error: KeyError: 'html'".
    rendered = render("Text.^[When $r\\ge 1$, see ^[nested $x^2$].]\n")
    notes = rendered.html[rendered.html.index('<section class="footnotes">'):]
    assert notes.count("<math") == 2 and "$" not in notes
    assert not warnings(rendered, "math")
