"""Helpers shared by the math tests: render Markdown with the plugin, as the pipeline does."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from generator.context import ENV_KEY, RenderContext
from generator.errors import Diagnostic
from plugins.math import math_plugin

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"


@dataclass(frozen=True)
class Page:
    html: str
    warnings: tuple[Diagnostic, ...]


def render(source: str, *, page_vars: dict[str, Any] | None = None, line_offset: int = 0,
           **options: Any) -> Page:
    md = MarkdownIt("commonmark").enable("table").use(math_plugin, **options)
    context = RenderContext(source_path="post.md", source_dir=Path("."), line_offset=line_offset,
                            page_vars=page_vars or {})
    html = md.render(source, {ENV_KEY: context})
    return Page(html, tuple(context.diagnostics))


def seed_body(name: str) -> str:
    """A seed post without its frontmatter (split on the '---' fences, as the tests' own reader)."""
    matches = sorted(SEEDS.glob(f"{name}_*.txt"))
    if not matches:
        pytest.skip(f"seed {name} is not available at {SEEDS}")
    text = matches[0].read_text(encoding="utf-8")
    if text.startswith("---\n"):
        return text.split("---\n", 2)[2]
    return text
