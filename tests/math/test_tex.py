"""The TeX reader: tokens, macro definitions and expansion, remark escapes."""
from __future__ import annotations

import pytest

from plugins.math.escapes import undo_remark_escapes, uses_remark_escapes
from plugins.math.tex import Macro, TexError, expand, parse_macros, serialize, tokenize


def expanded(tex: str, macros: dict[str, Macro] | None = None) -> str:
    return serialize(expand(tokenize(tex), {} if macros is None else macros)).strip()


def test_tokens_keep_control_words_whole_and_drop_comments() -> None:
    assert tokenize("\\alpha  x % note\n\\\\ \\verb|a b|") == [
        "\\alpha", "x", " ", "\\\\", " ", "\\verb|a b|"]
    assert serialize(["\\alpha", "x", "\\,", "y"]) == "\\alpha x\\,y"


@pytest.mark.parametrize(("tex", "result"), [
    (r"\newcommand{\vb}[1]{\mathbf{#1}} \vb{v}", r"\mathbf{v}"),
    (r"\newcommand\half{\frac12}\half", r"\frac12"),
    (r"\newcommand{\o}[2][k]{#1_#2} \o{i} \o[j]{i}", "k_i j_i"),
    (r"\def\pair#1#2{(#1,#2)} \pair ab", "(a,b)"),
    (r"\DeclareMathOperator{\sgn}{sgn} \sgn x", r"\operatorname{sgn}x"),
    (r"\renewcommand{\x}{y}\x", "y"),
])
def test_definitions_expand(tex: str, result: str) -> None:
    assert expanded(tex) == result


def test_definitions_persist_in_the_macro_table() -> None:
    macros: dict[str, Macro] = {}
    expanded(r"\newcommand{\R}{\mathbb{R}}", macros)
    assert expanded(r"x \in \R", macros) == r"x \in\mathbb{R}"


def test_site_macros_take_their_arity_from_the_body() -> None:
    macros = parse_macros({r"\norm": r"\lVert #1 \rVert", r"\R": r"\mathbb{R}"})
    assert macros[r"\norm"].arity == 1 and macros[r"\R"].arity == 0
    assert expanded(r"\norm{\R}", macros) == r"\lVert\mathbb{R} \rVert"


@pytest.mark.parametrize(("tex", "message"), [
    (r"\newcommand{x}{y}", "needs a command name"),
    (r"\newcommand{\x}[a]{y}", "argument count"),
    (r"\def x{y}", "followed by a command name"),
    (r"\newcommand{\x}[1]{#1}\x", "missing its argument"),
    (r"\def\x{\x}\x", "macro expansions"),
    ("}", "no matching '{'"),
    ("{", "never closed"),
])
def test_errors_say_what_is_wrong(tex: str, message: str) -> None:
    with pytest.raises(TexError) as caught:
        expanded(tex)
    assert message in caught.value.message and caught.value.hint


def test_remark_escapes_undo_only_their_own() -> None:
    assert undo_remark_escapes(r"a \\\\ b \\{ c \\} \* \_ \, \;") == r"a \\ b \{ c \} * _ \, \;"
    assert uses_remark_escapes([r"x", r"\begin{align\*}"])
    assert uses_remark_escapes([r"\\{ 1 \\}"])
    assert not uses_remark_escapes([r"a \\ b", r"\{ x \}", r"\,"])
