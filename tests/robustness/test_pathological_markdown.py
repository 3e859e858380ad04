"""Inputs that make markdown-it's parsers quadratic: a post must fail with a clear error naming
it (a size or work budget), not hold the build for minutes."""
from __future__ import annotations

import pytest

from .conftest import add_post, run_cli


def test_an_eighth_of_a_megabyte_of_unclosed_footnote_brackets(site):
    add_post(site, "p.md", "[^" * 65_536 + "\n")
    result = run_cli("--root", str(site))
    assert result.returncode == 1
    assert result.stderr.startswith("error: content/posts/p.md")
    assert "\n  hint: " in result.stderr and "Traceback" not in result.stderr
    assert not (site / "public").exists()


def test_deeply_nested_block_quotes_render(site):
    add_post(site, "p.md", ">" * 100_000 + " deep\n")
    result = run_cli("--root", str(site))
    assert result.returncode == 0, result.stderr
    assert (site / "public" / "2024" / "01" / "p" / "index.html").is_file()


def test_deeply_nested_lists_render(site):
    add_post(site, "p.md", "".join("  " * depth + "- x\n" for depth in range(200)))
    result = run_cli("--root", str(site))
    assert result.returncode == 0, result.stderr


def test_a_long_paragraph_after_an_unclosed_citation_bracket_renders(site):
    """One `[` before 60,000 `@key`s and no `]`: the citation rule once searched it with a
    pattern that backtracked quadratically (minutes); now two linear scans."""
    add_post(site, "p.md", "[see" + " @smith" * 60_000 + "\n")
    result = run_cli("--root", str(site))
    assert result.returncode == 0, result.stderr
    assert (site / "public" / "2024" / "01" / "p" / "index.html").is_file()
