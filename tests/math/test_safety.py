"""Hostile or broken TeX never yields live HTML, unsafe URLs, malformed markup or a traceback."""
from __future__ import annotations

import re
from xml.etree import ElementTree

import pytest

from .conftest import render

MATH = re.compile(r"<math\b.*?</math>", re.DOTALL)


def math_warnings(page) -> list[str]:
    return [str(w) for w in page.warnings if w.kind == "math"]


@pytest.mark.parametrize("tex", [
    r"\text{<script>alert(1)</script>}",
    r"\mbox{<img src=x onerror=alert(1)>}",
    r"\verb|<script>alert(1)</script>|",
    r"\operatorname{<b>x</b>}",
    r"\text{$<script>$}",
])
def test_markup_in_tex_is_text(tex: str) -> None:
    page = render(f"$${tex}$$\n")
    assert "<script" not in page.html and "<img" not in page.html and "<b>" not in page.html
    for markup in MATH.findall(page.html):
        ElementTree.fromstring(markup)


@pytest.mark.parametrize("tex", [
    r"\href{javascript:alert(1)}{x}",
    r"\url{javascript:alert(1)}",
    r"\style{background:url(javascript:alert(1))}{x}",
    r"\class{x\" onclick=\"alert(1)}{y}",
    r"\htmlStyle{color:red}{x}\htmlId{top}{y}\htmlData{a=b}{z}\cssId{i}{w}",
    r"\color{red;background:url(javascript:alert(1))}{x}",
    r"\includegraphics{javascript:alert(1)}",
])
def test_no_links_styles_or_attributes_from_tex(tex: str) -> None:
    html = render(f"${tex}$\n").html
    for markup in MATH.findall(html):
        tree = ElementTree.fromstring(markup)
        for element in tree.iter():
            assert "href" not in element.attrib and "style" not in element.attrib
            assert not any(name.startswith("on") for name in element.attrib)
            assert element.get("id") in (None,)
    assert "href=" not in html  # the URL may be shown as text, never linked


def test_raw_ampersand_is_escaped() -> None:
    html = render(r"$\text{Q&A} & a \& b$" + "\n").html
    tree = ElementTree.fromstring(MATH.findall(html)[0])
    assert "Q&A" in "".join(tree.itertext())
    assert "Q&amp;A" in html


@pytest.mark.parametrize(("tex", "message"), [
    ("{" * 1000 + "x" + "}" * 1000, "nested more than 100 deep"),
    (r"\begin{matrix}" * 400 + "x" + r"\end{matrix}" * 400, "nested more than 100 deep"),
    (r"\left(" * 300 + "x" + r"\right)" * 300, "nested more than 100 deep"),
    ("x+" * 110_000, "over the 200000 limit"),
    (r"\def\a{\a\a}\a", "macro expansions"),
    ("\\def\\a{" + "x" * 1000 + r"}\def\b{\a\a\a\a\a\a\a\a\a\a}\b\b\b\b\b\b",
     "expands to more than"),
    (r"\frac{1}{2", "never closed"),
    (r"\begin{pmatrix} a", r"no matching \end{pmatrix}"),
    (r"\left( x", "latex2mathml cannot read"),
    (r"x^", "latex2mathml cannot read"),
    (r"\sqrt", "latex2mathml cannot read"),
])
def test_limits_and_errors_warn_with_a_visible_fallback(tex: str, message: str) -> None:
    page = render(f"Before.\n\n$${tex}$$\n\nAfter.\n")
    [warning] = math_warnings(page)
    assert warning.startswith("post.md:3: warning[math]:") and message in warning
    assert '<div class="math-display math-error">' in page.html
    assert "<p>Before.</p>" in page.html and "<p>After.</p>" in page.html


def test_fallback_escapes_the_source() -> None:
    page = render(r"$\frac{<script>}{$" + "\n")
    assert "&lt;script&gt;" in page.html and "<script>" not in page.html
    assert '<code class="math-error">' in page.html


def test_private_use_markers_and_internal_commands_cannot_be_smuggled_in() -> None:
    # U+E000/U+E001 delimit the converter's (and the pipeline's) placeholders
    page = render("$a\ue0000\ue001b$ and $\\@ref{x}{(9)}$\n")
    assert "\ue000" not in page.html and "\ue001" not in page.html
    assert any("\\@ref is internal" in str(w) for w in page.warnings)
    assert 'href="#x"' not in page.html
