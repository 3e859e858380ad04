"""The three posts Stride was born from (../shared/seeds: one Gatsby, two Jekyll) build with the
compat plugin: nothing leaks, and posts without any dialect syntax come out unchanged."""
from __future__ import annotations

from pathlib import Path

import pytest

from generator.context import ENV_KEY
from plugins.compat.report import find_leaks

from .conftest import make_context, make_markdown
from .test_corpus import PASSTHROUGH, split_frontmatter

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
WITHOUT_DIALECTS = make_markdown(jekyll=False, kramdown=False, hugo=False, site_urls=False)


def render_seed(markdown, name: str) -> tuple[str, list[str]]:
    meta, body, offset = split_frontmatter((SEEDS / name).read_text(encoding="utf-8"))
    ctx = make_context(source_path=f"content/posts/{Path(name).stem}.md", line_offset=offset,
                       page_vars=meta)
    html = markdown.render(body, {ENV_KEY: ctx})
    return html, [str(diagnostic).split("\n")[0] for diagnostic in ctx.diagnostics]


@pytest.mark.parametrize("name", sorted(path.name for path in SEEDS.glob("*.txt")))
def test_seed_leaves_no_old_syntax(markdown, name: str) -> None:
    html, _ = render_seed(markdown, name)
    # the tikz plugin, absent here, owns {% tikz %}: compat must have left it exactly as written
    assert [leak for leak in find_leaks(html) if not PASSTHROUGH.fullmatch(leak)] == []


@pytest.mark.parametrize("name", ["000_a96566120d3ba4b8.txt", "001_d8b692392b1fcfb1.txt"])
def test_seed_without_dialect_syntax_is_unchanged(markdown, name: str) -> None:
    assert render_seed(markdown, name) == render_seed(WITHOUT_DIALECTS, name)


def test_jekyll_seed_warns_about_its_missing_script_only(markdown) -> None:
    _, warnings = render_seed(markdown, "002_8fbaf3e9a1517d87.txt")
    assert warnings == ["content/posts/002_8fbaf3e9a1517d87.md:13: warning[asset]: "
                        "`/js/plotly-latest.min.js` is not a file of this site"]
