"""Property tests: any input gives well-formed output and no exception, never a traceback."""
from __future__ import annotations

import re
from xml.etree import ElementTree

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import render

MATH = re.compile(r"<math\b.*?</math>", re.DOTALL)

# Pieces of TeX, valid and broken, so that generated formulas reach deep into the converter.
TEX_PIECES = st.sampled_from([
    "x", "1", "+", "=", "'", "^", "_", "{", "}", "&", r"\\", " ", "<", ">", "&amp;", "$", "%",
    r"\frac", r"\sqrt", r"\left(", r"\right)", r"\middle|", r"\alpha", r"\text{", r"\mathbf",
    r"\begin{matrix}", r"\end{matrix}", r"\begin{align}", r"\end{align}", r"\begin{array}{c|l}",
    r"\end{array}", r"\color{red}", r"\textcolor{blue}", r"\label{a}", r"\eqref{a}", r"\tag{",
    r"\newcommand{\m}[1]{#1#1}", r"\m", r"\def\n#1{\n#1}", r"\n", r"\verb|", r"\xrightarrow[",
    r"\big(", r"\hline", r"\nonumber", r"\operatorname{", r"\href{javascript:x}", r"\*", "\ue000",
])
MARKDOWN_PIECES = st.sampled_from([
    "$", "$$", "\\(", "\\)", "\\[", "\\]", "\n", "\n\n", "`", "```\n", "x", " ", "5", "\\",
    "\\begin{equation}", "\\end{equation}", "> ", "- ", "    ", "*", "_",
])


def assert_well_formed(html: str) -> None:
    for markup in MATH.findall(html):
        ElementTree.fromstring(markup)
    assert "<script" not in html


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(TEX_PIECES, max_size=25).map("".join), st.booleans())
def test_any_tex_renders_well_formed(tex: str, display: bool) -> None:
    source = f"$$\n{tex}\n$$\n" if display else f"\\({tex}\\)\n"
    assert_well_formed(render(source).html)


@settings(max_examples=150, deadline=None)
@given(st.lists(MARKDOWN_PIECES, max_size=30).map("".join))
def test_any_markdown_with_delimiters_parses(source: str) -> None:
    assert_well_formed(render(source).html)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=60))
def test_arbitrary_text_as_math(text: str) -> None:
    assert_well_formed(render(f"\\({text}\\)\n").html)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(TEX_PIECES, max_size=25).map("".join), st.booleans(),
       st.text(alphabet='ab&<>"\'\r\n\t \ue000', max_size=12))
def test_markup_is_what_elementtree_writes(tex: str, display: bool, text: str) -> None:
    """Stride's serialiser skips ElementTree's namespace bookkeeping; what it writes must not
    differ from ``tostring`` by a byte, for latex2mathml's trees and for any text or value."""
    from xml.etree.ElementTree import Element, SubElement, tostring

    from latex2mathml.converter import Converter

    from plugins.math.mathml import _sanitize, _serialize

    try:
        tree = Converter(display="block" if display else "inline").convert_to_element(tex)
    except Exception:  # noqa: BLE001 - broken TeX: the hand-built tree below still runs
        tree = Element("math")
    _sanitize(tree, [])
    extra = SubElement(tree, "mtext", {"class": text, "title": text * 2})
    extra.text, extra.tail = text, text
    assert _serialize(tree) == tostring(tree, encoding="unicode", short_empty_elements=False)
