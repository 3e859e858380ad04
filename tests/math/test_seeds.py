"""The math of the three seed posts renders clean: converted, well-formed, nothing leaked."""
from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest

from .conftest import render, seed_body

MATH = re.compile(r"<math\b.*?</math>", re.DOTALL)
NS = "{http://www.w3.org/1998/Math/MathML}"


def clean_math(html: str) -> list[ElementTree.Element]:
    """Every <math> in ``html``, checked: well-formed, no leaked command, Core variants only."""
    trees = [ElementTree.fromstring(markup) for markup in MATH.findall(html)]
    for tree in trees:
        for element in tree.iter():
            if element.tag == f"{NS}annotation":
                continue
            assert not re.search(r"\\[A-Za-z]+", element.text or ""), ElementTree.tostring(element)
            assert element.get("mathvariant") in (None, "normal")
            assert element.tag != f"{NS}merror"
    return trees


@pytest.mark.parametrize("seed", ["000", "001", "002"])
def test_seed_math_renders_clean(seed: str) -> None:
    page = render(seed_body(seed))
    assert [str(w) for w in page.warnings if w.kind == "math"] == []
    assert "math-error" not in page.html
    assert clean_math(page.html)


def test_seed_000_remark_escapes_numbers_and_forward_reference() -> None:
    page = render(seed_body("000"))
    # \eqref{eq:sample} comes before the equation it names, which is the page's first number.
    assert '<a class="math-ref" href="#eq-sample">(1)</a>' in page.html
    assert page.html.index('href="#eq-sample"') < page.html.index('id="eq-sample"')
    # the remark escapes are undone: \\{ is a brace, \\\\ a row break, align\* is align*
    assert r"\{ -1, 0, 1 \}" in page.html and r"\\\\" not in page.html
    numbers = re.findall(r'<mtd class="math-eqno"><mtext>\((\d+)\)</mtext>', page.html)
    assert numbers == ["1", "2", "3", "4", "5"]  # equation, align (1 row), align (2 rows), split
    # colours: \color{blue}{corr} colours its argument only, \color{red}8 its matrix cell
    assert '<mstyle mathcolor="blue"><mrow><mi>c</mi><mi>o</mi><mi>r</mi><mi>r</mi></mrow></mstyle>' \
        in page.html
    assert '<mstyle mathcolor="red"><mrow><mn>8</mn></mrow></mstyle>' in page.html


def test_seed_001_double_dollars_in_sentences_are_inline() -> None:
    page = render(seed_body("001"))
    assert 'display="block"' not in page.html
    assert "convolution in systems and signals is an operation of a function <math" in page.html.lower()


def test_seed_002_display_after_text_keeps_the_prose() -> None:
    page = render(seed_body("002"))
    assert "<p>The kernel is <math" in page.html
    assert "<p>and the input matrix is  <math" in page.html
    assert page.html.count('<div class="math-display" tabindex="0">') == 6
