"""Block in, HTML out: the views (result, kernels, sizes, steps, unrolled, checks) as fixtures."""
from __future__ import annotations

from pathlib import Path

import pytest
from markdown_it.utils import read_fixture_file

from .helpers import render

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize("line, title, source, expected",
                         read_fixture_file(FIXTURES / "views.md"),
                         ids=lambda value: value if isinstance(value, str) and "\n" not in value
                         else None)
def test_views(line, title, source, expected):
    html, context = render(source)
    assert html == expected
    assert context.assets == {}  # none of these blocks shows an animation
