"""Markdown in, HTML out: the fixture files under fixtures/."""
from __future__ import annotations

from pathlib import Path

import pytest
from markdown_it.utils import read_fixture_file

from plugins.run import worker

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize(("line", "title", "markdown", "expected"),
                         read_fixture_file(FIXTURES / "render.md"))
def test_render(site, line, title, markdown, expected):
    assert site.render(markdown, cached=False).html == expected


@pytest.mark.parametrize(("line", "title", "markdown", "expected"),
                         read_fixture_file(FIXTURES / "execute_off.md"))
@pytest.mark.parametrize("switch", ["plugin", "context"])
def test_execute_off(site, monkeypatch, switch, line, title, markdown, expected):
    def refuse(*args, **kwargs):
        raise AssertionError("a session was started with execution off")

    monkeypatch.setattr(worker, "run_session", refuse)
    options = {"execute": False} if switch == "plugin" else {}
    rendered = site.render(markdown, context_execute=switch != "context", **options)
    assert rendered.html == expected
