"""Hypothesis properties: no input crashes or runs away; valid pictures always lay out.

Time per example is bounded by the renderer's own limits (iterations, elements, nesting), so
these tests use no deadline and make no timing assertion.
"""
from __future__ import annotations

import math
import xml.etree.ElementTree as ElementTree

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugins.tikz.colors import BASE_COLORS, parse_color
from plugins.tikz.model import MAX_DIMENSION_PT, Node, PathPiece, TikzError
from plugins.tikz.parser import interpret
from plugins.tikz.svg import describe, render_svg
from plugins.tikz.units import evaluate

FRAGMENTS = [
    r"\node", r"\draw", r"\fill", r"\filldraw", r"\path", r"\coordinate", r"\matrix",
    r"\foreach \x in {1,...,3}", r"\foreach \x in {0,0.5,...,9999}", r"\foreach \x/\y in {a/1}",
    r"\begin{scope}", r"\end{scope}", r"\begin{tikzpicture}", r"\end{tikzpicture}",
    r"\definecolor{c}{rgb}{1,0,0}", r"\tikzset{s/.style={draw}}", r"\input{x}", r"\write18",
    "[", "]", "(", ")", "{", "}", ";", ",", ":", "=", "!", "/", "|", "&", r"\\", "$", "^", "_",
    "--", "-|", "|-", "+(", "++(", "->", "<->", "-stealth", "node", "at", "to", "circle",
    "rectangle", "grid", "cycle", "coordinate", "(a)", "(a.north)", "(a.30)", "(m-1-1)",
    "0", "1", "-2.5", "1e308", "1e-9", "cm", "mm", "pt", "em", "sqrt(", "*", "/0", r"\x", r"\y",
    "draw", "fill=red!20", "thick", "dashed", "rounded corners", "minimum size=2cm",
    "text width=1cm", "align=center", "anchor=north", "rotate=45", "font=\\large", "scale=2",
    "shift={(1,1)}", "step=0.1", "matrix of nodes", "nodes={draw}", "radius=1",
    "above", "midway", "pos=2", "opacity=0.5", "x=1e-9", " ", "\n", "%", "a", "Ω", "<script>",
    "..", "controls", "and", "arc", "(0:90:1)", "(0:1e9:1)", "ellipse", "(1 and 2)", "plot",
    "coordinates", "domain=0:1", "samples=3", "samples=1e9", "smooth", r"{sin(\x r)}",
    "start angle=0", "delta angle=90", "to[bend left]", "to[out=90,in=1e9]", "to[looseness=-1]",
    "label=above:x", "label={[draw]30:y}", "label=nowhere:z", "label distance=1e9pt",
    "sloped", "auto", "swap", "auto=up",
    r"\usetikzlibrary{positioning}", r"\usetikzlibrary{shapes}", "right=of a", "below left=of a",
    "above=1cm of a", "right=2mm and 1cm of a", "left=of {(1,1)}", "right=of nowhere",
    "node distance=1cm", "node distance=1e9 and 2", "on grid", "right of=a", "base right=of a",
    "edge", "edge[->]", "edge[bend left]", "edge[out=0,in=1e9]", "edge node {e}", "edge (a)",
    "edge[to path={x}]", "every edge/.style={dashed}",
    "($", "$)", "($(a)+(1,0)$)", "($(a)!0.5!(b)$)", "($(a)!1cm!(a)$)", "($(a)!0.5!90:(0,1)$)",
    "($2*(a)-(1,1)$)", "($(a)!(1,1)!(a)$)", "($1e9*(1,1)$)", "!", "*(", r"\usetikzlibrary{calc}",
    r"\clip", "clip", "clip=false", r"\clip (0,0) circle (1);",
    "pin=above:x", "pin={[pin edge={red,->}]30:y}", "pin distance=1e9pt", "pin=nowhere:z",
    "([xshift=1mm]a.east)", "([shift={(1,1)}]0,0)", "([yshift=1e9pt]a)", "([rotate=3]a)", "([",
    r"$\frac{1}{2}$", r"\frac", r"\frac{", r"$\hat{x}$", r"\hat", r"\vec{", r"\tfrac{a}",
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join))
def test_fragment_soup_never_crashes(source: str) -> None:
    _interpret_and_render(source)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_never_crashes(source: str) -> None:
    _interpret_and_render(source)


def _interpret_and_render(source: str) -> None:
    try:
        diagram = interpret(source)
    except TikzError as error:
        assert error.message
        assert 0 <= error.line <= source.count("\n")
        return
    svg = render_svg(diagram, title="fuzz", description=describe(diagram))
    root = ElementTree.fromstring(svg)  # well-formed XML
    assert not any(element.tag.endswith("script") for element in root.iter())
    assert all(math.isfinite(value) and abs(value) <= 2 * MAX_DIMENSION_PT for value in diagram.bbox)


OPTION_CHOICES = ["draw", "fill=blue!20", "thick", "dashed", "minimum size=6mm", "inner sep=1pt",
                  "text width=1.5cm", "align=center", "anchor=north west", "anchor=30",
                  "font=\\small", "circle", "rotate=15", "rounded corners", "text=red",
                  "opacity=0.7", "minimum width=1cm", "ultra thick", "draw=green!50!black"]
WORDS = st.sampled_from(["a", "kernel", "3x3", "$x_i$", "$w^{(l)}$", "-1", "0", "$\\alpha$",
                         "long label", "map", "$\\sum_i k_i$", "$\\frac{1}{s+a}$",
                         "$\\hat{y}_i$", "$\\frac{x^2}{\\vec{w}}$"])


@st.composite
def pictures(draw):
    lines = []
    count = draw(st.integers(min_value=1, max_value=8))
    for index in range(count):
        options = draw(st.lists(st.sampled_from(OPTION_CHOICES), max_size=4, unique=True))
        x = draw(st.floats(min_value=-20, max_value=20, allow_nan=False))
        y = draw(st.floats(min_value=-20, max_value=20, allow_nan=False))
        text = " ".join(draw(st.lists(WORDS, max_size=3)))
        lines.append(f"\\node[{', '.join(options)}] (n{index}) at ({x:.3f},{y:.3f}) {{{text}}};")
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        a, b = draw(st.integers(0, count - 1)), draw(st.integers(0, count - 1))
        operation = draw(st.sampled_from(["--", "-|", "|-", "to[bend left]", "to[out=0,in=90]",
                                          ".. controls (1,1) .."]))
        tip = draw(st.sampled_from(["", "->", "<->", "-stealth", "-latex"]))
        label = "" if operation.startswith("..") else draw(
            st.sampled_from(["", "node[above] {m}", "node[pos=0.3,label=below:l] {}"]))
        lines.append(f"\\draw[{tip}] (n{a}) {operation} {label} (n{b}.north);")
    return "\n".join(lines), count


@settings(max_examples=150, deadline=None)
@given(pictures())
def test_valid_pictures_lay_out_inside_their_bounding_box(picture) -> None:
    source, count = picture
    diagram = interpret(source)
    min_x, min_y, max_x, max_y = diagram.bbox
    assert all(isinstance(item, (Node, PathPiece)) for item in diagram.items)
    nodes = [item for item in diagram.items if isinstance(item, Node)]
    assert len([node for node in nodes if node.name]) == count
    for node in nodes:
        corners = [node.local_to_canvas((sx * node.half_width, sy * node.half_height))
                   for sx in (-1, 1) for sy in (-1, 1)]
        for x, y in corners:
            assert min_x - 1e-6 <= x <= max_x + 1e-6 and min_y - 1e-6 <= y <= max_y + 1e-6
    ElementTree.fromstring(render_svg(diagram, title="t", description=describe(diagram)))


NUMBERS = st.floats(min_value=-1000, max_value=1000, allow_nan=False).map(lambda v: round(v, 4))


@given(NUMBERS, NUMBERS, NUMBERS)
def test_expressions_follow_arithmetic(a: float, b: float, c: float) -> None:
    text = f"{a}*{b}-({c})"
    assert math.isclose(evaluate(text, line=0).value, a * b - c, rel_tol=1e-9, abs_tol=1e-9)
    assert math.isclose(evaluate(f"{a}cm + {b}pt", line=0).value, a * 72.27 / 2.54 + b,
                        rel_tol=1e-9, abs_tol=1e-9)


@given(st.lists(st.tuples(st.sampled_from(sorted(BASE_COLORS)), st.integers(0, 100)),
                min_size=1, max_size=4))
def test_colour_mixes_are_convex(parts) -> None:
    expression = "!".join(f"{name}!{share}" for name, share in parts)
    paint = parse_color(expression, {}, line=0)
    assert math.isclose(paint.ink + paint.paper + paint.chroma, 1.0, abs_tol=1e-9)
    assert all(0.0 <= channel <= 1.0 + 1e-9 for channel in paint.rgb())


ADVERSARIAL = {
    "deep braces in an option": "\\node[draw=" + "{" * 50_000 + "red" + "}" * 50_000 + "] {a};",
    "deep braces in node text": "\\node {" + "{" * 50_000 + "x" + "}" * 50_000 + "};",
    "deep parentheses": "\\draw (0,0) -- (" + "(" * 50_000 + "1" + ")" * 50_000 + ",0);",
    "a long formula": "\\node {$" + "a+" * 2_000 + "a$};",
    "nested fractions": "\\node {$" + "\\frac{1}{" * 200 + "x" + "}" * 200 + "$};",
    "a long paragraph": "\\node[text width=2cm] {" + "word " * 900 + "};",
    "styles using styles twice": "\\tikzset{" + ",".join(
        f"s{i}/.style={{s{i + 1},s{i + 1}}}" for i in range(30)) + ",s30/.style={draw}} \\node[s0] {a};",
    "nested loops": "\\foreach \\a in {1,...,100} { \\foreach \\b in {1,...,100} { \\foreach \\c in {1,2} "
                    "{ \\path (\\a,\\b); } } }",
    "a fine grid": "\\draw[step=0.001pt] (0,0) grid (10,10);",
    "many samples": "\\draw[samples=20000, domain=0:1] plot (\\x, {\\x^2});",
    "a long arc": "\\draw (0,0) arc (0:1e6:1);",
}


@pytest.mark.parametrize("source", list(ADVERSARIAL.values()), ids=list(ADVERSARIAL))
def test_adversarial_pictures_finish_within_the_limits(source: str) -> None:
    """Each either draws or stops with a TikzError; the limits keep every one short."""
    _interpret_and_render(source)
