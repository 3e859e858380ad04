"""Quarto's equation cross-references: ``$$ ... $$ {#eq-name}`` and ``@eq-name``."""
from __future__ import annotations

from .conftest import render


def test_a_reference_to_no_equation_warns_with_its_line_and_shows_as_quarto_does() -> None:
    page = render("$$ x $$ {#eq-known}\n\nFirst @eq-known,\nthen @eq-unknown.\n")
    assert '<strong class="math-ref-missing">?@eq-unknown</strong>' in page.html
    [warning] = page.warnings
    assert warning.location.line == 4
    assert "@eq-unknown" in warning.message and "{#eq-unknown}" in warning.hint


def test_a_labelled_starred_environment_is_numbered_as_one_equation() -> None:
    page = render("$$\n\\begin{align*}\na &= b \\\\\nc &= d\n\\end{align*}\n$$ {#eq-starred}\n\n"
                  "See @eq-starred.\n")
    assert page.html.count('<mtd class="math-eqno">') == 1
    assert '<a class="math-ref" href="#eq-starred">Equation\u00a01</a>' in page.html
    assert not page.warnings


def test_the_label_is_not_part_of_the_formula() -> None:
    page = render("$$\nE = mc^2\n$$ {#eq-energy}\n")
    assert "eq-energy" not in page.html.split("<annotation")[1]
    assert 'id="eq-energy"' in page.html
