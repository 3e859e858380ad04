"""Page-level behaviour: numbering, labels and references, macros, escapes, options, memo."""
from __future__ import annotations

import pytest

from generator.errors import ConfigError
from plugins.math.convert import convert_tex
from plugins.math.tex import tokenize

from .conftest import render

ALIGN = "$$\n\\begin{align}\na &= b \\label{%s}\n\\end{align}\n$$\n"


def messages(page) -> list[str]:
    return [str(w) for w in page.warnings if w.kind == "math"]


def test_duplicate_label_warns_at_the_second_with_file_and_line() -> None:
    page = render("Intro.\n\n" + ALIGN % "eq:x" + "\n" + ALIGN % "eq:x", line_offset=4)
    [warning] = messages(page)
    assert warning.startswith("post.md:13: warning[math]: duplicate \\label{eq:x}, "
                              "first defined at post.md:7")
    assert page.html.count('id="eq-x"') == 1


def test_undefined_reference_warns_and_shows_question_marks() -> None:
    page = render("See $\\eqref{eq:nowhere}$.\n")
    [warning] = messages(page)
    assert "post.md:1" in warning and "\\eqref{eq:nowhere}: no equation has this label" in warning
    assert "<mtext>(??)</mtext>" in page.html


def test_undefined_bare_reference_in_prose_warns_at_its_line() -> None:
    page = render("Intro.\n\nSee \\ref{fig:nowhere} here.\n")
    [warning] = messages(page)
    assert "post.md:3" in warning and "\\ref{fig:nowhere}: no equation has this label" in warning
    assert "<mtext>??</mtext>" in page.html


def test_label_on_an_unnumbered_equation_warns_and_references_show_question_marks() -> None:
    page = render("$$\n\\begin{align*}\nx \\label{eq:y}\n\\end{align*}\n$$\n"
                  "See $\\eqref{eq:y}$.\n")
    [warning] = messages(page)
    assert "\\label{eq:y} is on an equation without a number" in warning
    assert '<a href="#eq-y">(??)</a>' in page.html
    off = render("$$\n\\begin{equation}\nx \\label{eq:z}\n\\end{equation}\n$$\n", numbering=False)
    assert "numbering is off" in str(off.warnings[0])


def test_numbers_run_through_the_page_and_eqref_links() -> None:
    source = ("$$\n\\begin{equation}a\\end{equation}\n$$\n\n" + ALIGN % "eq:b" +
              "\nBy $\\eqref{eq:b}$ and $\\ref{eq:b}$.\n")
    page = render(source)
    assert '<mtd class="math-eqno"><mtext>(1)</mtext>' in page.html
    assert '<mtr id="eq-b">' in page.html and "<mtext>(2)</mtext>" in page.html
    assert '<a class="math-ref" href="#eq-b">(2)</a>' in page.html and '<a class="math-ref" href="#eq-b">2</a>' in page.html


def test_numbering_off_keeps_tags() -> None:
    page = render("$$\n\\begin{gather}\na \\\\\nb \\tag{T}\n\\end{gather}\n$$\n", numbering=False)
    assert "math-eqno" in page.html and "<mtext>(T)</mtext>" in page.html
    assert "<mtext>(1)</mtext>" not in page.html


def test_site_macros_and_post_newcommand_hold_for_the_rest_of_the_post() -> None:
    page = render("$\\newcommand{\\vb}[1]{\\mathbf{#1}} \\R$ then $\\vb{v} \\in \\R^n$\n",
                  macros={r"\R": r"\mathbb{R}"})
    assert page.html.count("<mi>ℝ</mi>") == 2 and "<mi>𝐯</mi>" in page.html
    assert messages(page) == []
    assert "merror" in render("$\\vb{v}$\n").html  # a new post starts without the definition


def test_expansions_are_shared_by_posts_but_definitions_stay_in_theirs() -> None:
    assert "merror" in render("$\\vc{v}$\n").html  # the undefined expansion is memoised...
    page = render("$\\newcommand{\\vc}[1]{\\mathbf{#1}}$ and $\\vc{v}$\n")
    assert "<mi>𝐯</mi>" in page.html  # ...and not used once a post defines the macro
    assert "merror" in render("$\\vc{v}$\n").html


def test_memoised_expansions_belong_to_their_site_macros() -> None:
    assert "<mi>ℝ</mi>" in render("$\\R$\n", macros={r"\R": r"\mathbb{R}"}).html
    assert "<mi>ℛ</mi>" in render("$\\R$\n", macros={r"\R": r"\mathcal{R}"}).html


def test_a_site_macro_that_defines_one_defines_it_for_its_post_only() -> None:
    macros = {r"\setup": r"\newcommand{\y}{Y}"}
    assert "<mi>Y</mi>" in render("$\\setup x$ then $\\y$\n", macros=macros).html
    assert "merror" in render("$\\y$\n", macros=macros).html


def test_a_repeated_formula_is_tokenized_once(monkeypatch) -> None:
    import plugins.math.page as page

    calls = []
    monkeypatch.setattr(page._SiteMacros, "_memo", {})
    monkeypatch.setattr(page, "tokenize", lambda tex: calls.append(tex) or tokenize(tex))
    render("$a_{memo} + b$, again $a_{memo} + b$ and $c_{memo}$\n")
    assert calls == ["a_{memo} + b", "c_{memo}"]


@pytest.mark.parametrize("options", [{"macros": {"R": "x"}}, {"tex_escapes": "gatsby"},
                                     {"macros": {r"\R": "{"}}])
def test_bad_site_options_are_config_errors(options) -> None:
    with pytest.raises(ConfigError) as caught:
        render("$x$\n", **options)
    assert caught.value.location is not None and caught.value.hint


@pytest.mark.parametrize(("page_vars", "site", "rows"), [
    ({}, "auto", 2),                            # "\\\\" is remark evidence: one row break
    ({"math_escapes": "none"}, "auto", 3),      # the post opts out: two row breaks
    ({}, "none", 3),                            # the site opts out
    ({"math_escapes": "remark"}, "none", 2),    # the post opts in
])
def test_escape_mode_per_post_and_site(page_vars, site, rows) -> None:
    page = render("$a \\\\\\\\ b$\n", page_vars=page_vars, tex_escapes=site)
    assert page.html.count("<mtr>") == rows


def test_remark_star_escape_and_tex_discretionary_times() -> None:
    # remark: \* is *, which TeX sets as \ast
    assert '<mo lspace="0" rspace="0">\u2217</mo></msup>' in render("$\\gamma^\\*$\n").html
    page = render("$a \\* b$\n", tex_escapes="none")  # TeX: \* is an invisible break hint
    assert "*" not in page.html.split("<annotation")[0] and messages(page) == []


def test_unknown_frontmatter_mode_warns_and_uses_the_site_mode() -> None:
    page = render("$a \\\\\\\\ b$\n", page_vars={"math_escapes": "gatsby"})
    assert any("math_escapes" in m for m in messages(page))


def test_unsupported_command_warns_and_renders_the_rest() -> None:
    page = render("Text\nmore $a + \\nosuchthing{b}$\n")
    [warning] = messages(page)
    assert warning.startswith("post.md:2: warning[math]: unsupported TeX \\nosuchthing")
    assert '<merror class="math-unsupported"><mtext>\\nosuchthing</mtext></merror>' in page.html
    assert "<mi>a</mi><mo>+</mo>" in page.html


@pytest.mark.parametrize("tex", ["$x \\big$", "$x \\Bigg$", "$\\bigl x$"])
def test_big_without_a_delimiter_warns_at_its_line(tex) -> None:
    page = render("Text\nmore " + tex + "\n")
    [warning] = messages(page)
    assert warning.startswith("post.md:2: warning[math]: unsupported TeX \\")
    assert "without a delimiter" in warning
    assert "<mi>x</mi>" in page.html  # the rest is shown, a letter after it included


def test_big_with_a_null_delimiter_is_silent() -> None:
    assert messages(render("$\\big. x \\big|$\n")) == []


def test_identical_tex_is_converted_once() -> None:
    convert_tex.cache_clear()
    render("$\\frac{a}{b}$ and $\\frac{a}{b}$ and\n\n$$\\frac{a}{b}$$\n")
    info = convert_tex.cache_info()
    assert info.misses == 2 and info.hits == 1  # inline twice (one miss, one hit), display once
