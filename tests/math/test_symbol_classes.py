"""TeX spaces a symbol by its class, which LaTeX's own files declare (``\\DeclareMathSymbol{\\top}
{\\mathord}...``); latex2mathml writes many ordinary symbols as ``<mo>``, which a browser spaces
as operators. The set ``plugins/math/mathml.py`` turns back into ordinary atoms is checked here
against those declarations, read from the TeX installation (CI installs it)."""
from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import latex2mathml.converter
import pytest

from plugins.math.convert import convert_tex
from plugins.math.mathml import ORDINARY_SYMBOLS

DECLARATION = re.compile(r"\\DeclareMathSymbol\{?\\(\w+)\}?\s*\{?\\(math\w+)\}?")
ONE_OPERATOR = re.compile(r"<math[^>]*><mrow><mo[^>]*>([^<]*)</mo></mrow></math>")


def declared_classes() -> dict[str, str]:
    if shutil.which("kpsewhich") is None:
        pytest.skip("no TeX installation (kpsewhich) to read LaTeX's symbol declarations from")
    found = subprocess.run(["kpsewhich", "fontmath.ltx", "amssymb.sty"], capture_output=True,
                           text=True, check=False).stdout.split()
    if len(found) != 2:
        pytest.skip("fontmath.ltx or amssymb.sty is not installed")
    classes: dict[str, str] = {}
    for path in found:
        for command, kind in DECLARATION.findall(Path(path).read_text(encoding="latin-1")):
            classes.setdefault(command, kind)
    return classes


def test_the_ordinary_symbols_are_those_latex_declares_ordinary_and_latex2mathml_makes_operators():
    ordinary, other = set(), set()
    for command, kind in declared_classes().items():
        try:
            converted = latex2mathml.converter.convert("\\" + command)
        except Exception:  # noqa: BLE001 - a command that takes arguments: no symbol of its own
            continue
        written = ONE_OPERATOR.fullmatch(converted)
        if written is not None:
            (ordinary if kind == "mathord" else other).add(html.unescape(written.group(1)))
    assert ordinary & other == set()  # one character, one class: the set can be by character
    assert ORDINARY_SYMBOLS == ordinary


@pytest.mark.parametrize("tex", [r"a \top b", r"x^\top y", r"\angle ABC", r"\forall x \exists y"])
def test_an_ordinary_symbol_is_an_identifier_spaced_as_a_letter(tex):
    markup = convert_tex(tex, False).markup
    assert not re.search(r"<mo[^>]*>[⊤∠∀∃]</mo>", markup) and re.search(r"<mi>[⊤∠∀∃]</mi>", markup)
