"""KaTeX's screenshotter corpus stays at least 97% clean (the coverage target of issue 3)."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "math_corpus.py"
_spec = importlib.util.spec_from_file_location("math_corpus", SCRIPT)
math_corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(math_corpus)


@pytest.fixture(scope="module")
def cases() -> list[dict]:
    if not math_corpus.DEFAULT_CORPUS.exists():
        pytest.skip(f"the corpus is not at {math_corpus.DEFAULT_CORPUS}")
    return json.loads(math_corpus.DEFAULT_CORPUS.read_text(encoding="utf-8"))


def unclean(cases: list[dict], render) -> list[str]:
    names = []
    for case in cases:
        html, notes = render(case["tex"], bool(case["display"]))
        if notes or math_corpus.problems_in(html, case["tex"]):
            names.append(case["name"])
    return names


def test_plugin_output_is_clean_for_97_percent(cases) -> None:
    failing = unclean(cases, math_corpus.render_with_plugin)
    assert len(failing) <= 0.03 * len(cases), failing


def test_the_grader_rejects_what_latex2mathml_alone_produces(cases) -> None:
    # the same checks fail most raw latex2mathml output: leaked \commands, mathvariant, etc.
    assert len(unclean(cases, math_corpus.render_raw)) > 0.4 * len(cases)
