"""TeX that is hostile, broken or enormous: it becomes MathML with nothing live in it, or a
`warning[math]` at its line with the formula shown as escaped text; the build goes on."""
from __future__ import annotations

import pytest

from .conftest import add_post, build_site, live_code, parse_html, post_body, warnings_of

MATHML = "{http://www.w3.org/1998/Math/MathML}"


def math_page(site, body: str):
    """Build a one-post site with ``body`` at line 5; the body's parsed HTML and the warnings."""
    add_post(site, "p.md", body + "\n")
    result = build_site(site)
    html = post_body(result.output.joinpath("2024", "01", "p", "index.html").read_text())
    tree = parse_html(html, fragment=True)
    assert live_code(tree) == []
    return html, tree, [w.split("\n")[0] for w in warnings_of(result)]


def texts(tree, tag: str) -> list[str]:
    return ["".join(e.itertext()) for e in tree.iter(f"{MATHML}{tag}")]


@pytest.mark.parametrize("tex", [r"\text{<script>alert(1)</script>}",
                                 r"\text{</math><script>alert(1)</script>}",
                                 r"\mathrm{\text{<img src=x>}}"])
def test_markup_inside_text_is_text(site, tex):
    html, tree, warnings = math_page(site, f"${tex}$")
    assert warnings == []
    assert [t for t in texts(tree, "mtext") if "<" in t][0].startswith(("<script>", "</math>", "<img"))
    annotation = texts(tree, "annotation")
    assert annotation == [tex]  # the TeX source kept exactly, as text


def test_href_to_javascript_is_not_a_link(site):
    html, tree, warnings = math_page(site, r"$\href{javascript:alert(1)}{x}$")
    assert [e for e in tree.iter() if isinstance(e.tag, str) and "href" in e.attrib] == []
    assert texts(tree, "mi") == ["x"]


@pytest.mark.parametrize("tex", [r"\style{background:url(javascript:alert(1))}{x}",
                                 r"\class{evil}{x}", r"\htmlData{onclick=alert(1)}{x}"])
def test_style_class_and_data_commands_set_no_attribute(site, tex):
    html, tree, warnings = math_page(site, f"${tex}$")
    assert texts(tree, "mi") == ["x"]
    math = tree.find(f".//{MATHML}math")
    assert all(not {"style", "onclick", "data-onclick"} & set(e.attrib) and "evil" not in
               e.get("class", "") for e in math.iter())


def test_raw_ampersand_outside_a_table(site):
    html, tree, warnings = math_page(site, "Text $a & b$.")
    assert warnings == ["content/posts/p.md:5: warning[math]: unsupported TeX & outside a table "
                        "in 'a & b'"]
    assert texts(tree, "annotation") == ["a & b"]


def test_big_without_a_delimiter_is_reported(site):
    html, tree, warnings = math_page(site, r"$x \big$")
    assert len(warnings) == 1 and warnings[0].startswith("content/posts/p.md:5: warning[math]: ")
    assert "\\big" in warnings[0]


def test_big_with_a_delimiter_stretches_it(site):
    html, tree, warnings = math_page(site, r"$\big( x \big)$")
    assert warnings == []
    assert [o.get("minsize") for o in tree.iter(f"{MATHML}mo")] == ["1.2em", "1.2em"]


def test_verb_is_monospace_text(site):
    html, tree, warnings = math_page(site, r"$\verb|<script>|$")
    assert warnings == []
    assert texts(tree, "mtext") == ["<script>"]


def test_a_thousand_nested_braces(site):
    tex = "{" * 1000 + "x" + "}" * 1000
    html, tree, warnings = math_page(site, f"${tex}$")
    assert warnings == ["content/posts/p.md:5: warning[math]: braces, environments and "
                        "\\left..\\right nested more than 100 deep in "
                        f"'{'{' * 79}…'"]
    assert tree.find(".//code").get("class") == "math-error"
    assert tree.find(".//code").text == f"${tex}$"


def test_a_200_kb_formula(site):
    tex = "x+" * 100_000 + "x"
    html, tree, warnings = math_page(site, f"Intro.\n\n$$\n{tex}\n$$")
    assert warnings == ["content/posts/p.md:7: warning[math]: formula is 200001 characters long, "
                        f"over the 200000 limit in '{tex[:79]}…'"]
    assert tree.find(f".//{MATHML}math") is None
    assert "".join(tree.find(".//code").itertext()).count("x+") == 100_000


def test_a_macro_used_101_times(site):
    # latex2mathml stops after 100 expansions of one macro; Stride expands macros itself
    html, tree, warnings = math_page(site, "$" + r"\newcommand{\f}{x}" + r"\f" * 101 + "$")
    assert warnings == []
    assert texts(tree, "mi") == ["x"] * 101


def test_a_macro_bomb_stops_at_the_expansion_limit(site):
    defs = r"\newcommand{\a}{xx}" + "".join(
        rf"\newcommand{{\{b}}}{{\{a}\{a}\{a}\{a}\{a}\{a}\{a}\{a}}}"
        for a, b in zip("abcdefgh", "bcdefghi"))  # \i would be 2 * 8^8 x's
    html, tree, warnings = math_page(site, f"${defs}\\i$")
    assert len(warnings) == 1
    assert warnings[0].startswith("content/posts/p.md:5: warning[math]: more than 5000 macro "
                                  "expansions in one formula (last: ")
    assert tree.find(".//code").get("class") == "math-error"
    assert len(html) < 10_000


def test_a_macro_that_expands_into_itself(site):
    add_post(site, "p.md", "$" + r"\newcommand{\r}{\r x}\r" + "$\n")
    [warning] = warnings_of(build_site(site))
    assert warning == ("content/posts/p.md:5: warning[math]: more than 5000 macro expansions in one "
                       "formula (last: \\r) in '\\newcommand{\\r}{\\r x}\\r'\n"
                       "  hint: check that \\r does not expand into itself")


def test_unclosed_brace(site):
    html, tree, warnings = math_page(site, r"Text $\frac{a$ more.")
    assert warnings == ["content/posts/p.md:5: warning[math]: a '{' is never closed in '\\frac{a'"]
    assert tree.find(".//code").text == r"$\frac{a$"


def test_label_with_markup_makes_a_plain_id(site):
    html, tree, warnings = math_page(
        site, "$$\n\\begin{equation}\\label{\"><script>}x\\end{equation}\n$$")
    ids = [e.get("id") for e in tree.iter() if isinstance(e.tag, str) and e.get("id")]
    assert ids == ["eq-script"]


@pytest.mark.parametrize("tex", [r"\{t : onset = 0\}", r"\{x \mid onload= 1\}",
                                 r"\text{<img src=x onerror=alert(1)>}"])
def test_words_starting_with_on_in_a_formula_are_not_unsafe_html(site, tex):
    html, tree, warnings = math_page(site, f"${tex}$")
    assert warnings == []
