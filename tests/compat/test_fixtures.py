"""Input -> HTML for each dialect (fixture files: title, Markdown, expected HTML)."""
from __future__ import annotations

from pathlib import Path

import pytest
from markdown_it.utils import read_fixture_file

from generator.context import ENV_KEY

from .conftest import make_context

FIXTURES = Path(__file__).parent / "fixtures"


def _cases():
    for path in sorted(FIXTURES.glob("*.md")):
        for line, title, source, expected in read_fixture_file(path):
            yield pytest.param(source, expected, id=f"{path.stem}:{line}:{title}")


@pytest.mark.parametrize(("source", "expected"), list(_cases()))
def test_fixture(markdown, source: str, expected: str) -> None:
    assert markdown.render(source, {ENV_KEY: make_context()}) == expected
