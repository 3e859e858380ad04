"""TikZ and conv blocks that are unterminated, unbounded, out of range or hostile: a warning (TikZ:
the source is shown as code) or an error (conv) at the post's line, never a hang, an OOM or live
markup."""
from __future__ import annotations

import pytest

from generator.errors import PluginError

from .conftest import (add_post, build_site, live_code, only_error, parse_html, post_body,
                       warnings_of)

SVG = "{http://www.w3.org/2000/svg}"
NOT_DRAWN = "warning[tikz]: TikZ picture not drawn: "


def figure_page(site, body: str):
    add_post(site, "p.md", body)
    result = build_site(site)
    html = post_body(result.output.joinpath("2024", "01", "p", "index.html").read_text())
    tree = parse_html(html, fragment=True)
    assert live_code(tree) == []
    return html, tree, [w.split("\n")[0] for w in warnings_of(result)]


def tikz(source: str) -> str:
    """A {tikz} fence at line 5, its picture from line 6."""
    return f"```{{tikz}}\n{source}\n```\n"


def shown_as_code(tree) -> str:
    code = tree.find(".//figure/pre/code")
    assert code is not None and code.get("class") == "language-latex"
    return "".join(code.itertext())


def test_unterminated_tikz_fence_swallows_the_rest_and_says_where(site):
    html, tree, warnings = figure_page(site, "```{tikz}\n\\draw (0,0) -- (1,1);\n\nMore prose.\n")
    assert warnings == [f"content/posts/p.md:8: {NOT_DRAWN}unexpected text 'More prose.'"]
    assert shown_as_code(tree) == "\\draw (0,0) -- (1,1);\n\nMore prose.\n"


def test_jekyll_tikz_block_is_drawn(site):
    html, tree, warnings = figure_page(site, "{% tikz x %}\n\\draw (0,0) -- (1,1);\n{% endtikz %}\n")
    assert warnings == []
    assert tree.find(f".//{SVG}svg") is not None


def test_unterminated_jekyll_tikz_block_is_reported(site):
    html, tree, warnings = figure_page(site, "{% tikz x %}\n\\draw (0,0) -- (1,1);\n\nProse.\n")
    assert warnings == ["content/posts/p.md:5: warning[tikz]: {% tikz %} block without "
                        "{% endtikz %}; shown as text"]


def test_foreach_over_a_hundred_million_items_is_refused(site):
    source = "\\foreach \\i in {1,...,100000000} { \\draw (0,0) -- (\\i,0); }"
    html, tree, warnings = figure_page(site, tikz(source))
    assert warnings == [f"content/posts/p.md:6: {NOT_DRAWN}\\foreach list {{1,...,100000000}} "
                        "has more than 10000 values"]
    assert shown_as_code(tree) == source + "\n"


def test_nested_foreach_is_bounded_in_total(site):
    source = ("\\foreach \\i in {1,...,9000} { \\foreach \\j in {1,...,9000} "
              "{ \\draw (\\i,\\j) -- (0,0); } }")
    html, tree, warnings = figure_page(site, tikz(source))
    assert len(warnings) == 1 and warnings[0].startswith(f"content/posts/p.md:6: {NOT_DRAWN}")
    assert tree.find(f".//{SVG}svg") is None


@pytest.mark.parametrize("source, command", [
    ("\\input{/etc/passwd}\n\\draw (0,0) -- (1,1);", "\\input"),
    ("\\immediate\\write18{touch /tmp/stride-pwned}\n\\draw (0,0) -- (1,1);", "\\immediate"),
    ("\\write18{touch /tmp/stride-pwned}", "\\write"),
    ("\\openin\\f=/etc/passwd", "\\openin"),
])
def test_file_and_shell_commands_are_unsupported_and_run_nothing(site, source, command):
    html, tree, warnings = figure_page(site, tikz(source))
    assert warnings == [f"content/posts/p.md:6: {NOT_DRAWN}unsupported command {command}"]
    assert "root:" not in html  # /etc/passwd was not read


def test_nan_coordinate(site):
    html, tree, warnings = figure_page(site, tikz("\\draw (nan,0) -- (1,1);"))
    assert warnings == [f"content/posts/p.md:6: {NOT_DRAWN}unknown name 'nan' in 'nan'"]


@pytest.mark.parametrize("coordinate, problem", [
    ("1e308", "is out of range (TeX's limit is ±16383.99998pt)"),
    ("20000", "is out of range (TeX's limit is ±16383.99998pt)"),
    ("(2^1023)*4", "'(2^1023)*4' does not evaluate to a finite number"),
])
def test_huge_coordinate_is_out_of_range(site, coordinate, problem):
    html, tree, warnings = figure_page(site, tikz(f"\\draw (0,0) -- ({coordinate},1);"))
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(f"content/posts/p.md:6: {NOT_DRAWN}")
    assert warnings[0].endswith(problem)


def test_markup_in_node_text_is_text(site):
    html, tree, warnings = figure_page(
        site, tikz("\\node at (0,0) {</text><script>alert(1)</script>};"))
    assert warnings == []
    [text] = tree.iter(f"{SVG}text")
    assert "".join(text.itertext()) == "</text><script>alert(1)</script>"


def test_markup_in_caption_and_alt_is_removed_or_escaped(site):
    body = tikz('#| caption: "<script>alert(1)</script>"\n#| alt: "\\"><script>alert(2)</script>"\n'
                "\\draw (0,0) -- (1,1);")
    html, tree, warnings = figure_page(site, body)
    assert warnings == ["content/posts/p.md:5: warning[html]: removed unsafe HTML: <script"]
    assert tree.find(f".//{SVG}title").text == '"><script>alert(2)</script>'


def test_attribute_injection_through_a_colour_is_refused(site):
    html, tree, warnings = figure_page(site, tikz('\\draw[color={red" onload="alert(1)}] (0,0) -- (1,1);'))
    assert warnings == [f"content/posts/p.md:6: {NOT_DRAWN}unknown colour 'red\" onload=\"alert(1)'"]


# ------------------------------------------------------------------------------------- conv

def conv(yaml_text: str) -> str:
    """A {conv} fence at line 5, its YAML from line 6."""
    return f"```{{conv}}\n{yaml_text}\n```\n"


def conv_error(site, body: str) -> PluginError:
    add_post(site, "p.md", body)
    error = only_error(site)
    assert isinstance(error, PluginError), error
    return error


def test_unterminated_conv_fence_is_an_error_at_the_first_line_it_cannot_read(site):
    error = conv_error(site, "```{conv}\ninput: [[1, 2], [3, 4]]\nkernel: [[1]]\n\nMore prose.\n")
    assert str(error).split("\n")[0] == (
        "content/posts/p.md:9: the block is not valid YAML: could not find expected ':'")


def test_input_beyond_the_side_limit(site):
    rows = "[" + ", ".join("[" + ", ".join(["1"] * 100) + "]" for _ in range(100)) + "]"
    error = conv_error(site, conv(f"input: {rows}\nkernel: [[1]]"))
    assert str(error).split("\n")[0] == "content/posts/p.md:6: `input` is 100x100; the limit is 64 per side"


def test_ten_thousand_squared_input_is_refused_by_size_before_parsing(site):
    # 10^4 x 10^4 cannot be written in a post (2 MB); the largest that can is refused by the
    # block's own size limit before YAML reads it.
    rows = "[" + ", ".join("[" + ", ".join(["1"] * 700) + "]" for _ in range(700)) + "]"
    block = f"input: {rows}\nkernel: [[1]]"
    error = conv_error(site, conv(block))
    assert str(error).split("\n")[0] == (  # the block's text ends with its newline
        f"content/posts/p.md:5: the block is {len(block) + 1} characters long; the limit is 262144")


@pytest.mark.parametrize("key, value, low", [("padding", 100_000_000, 0), ("dilation", 10**8, 1),
                                             ("stride", 10**8, 1)])
def test_geometry_beyond_its_limit(site, key, value, low):
    error = conv_error(site, conv(f"input: [[1, 2], [3, 4]]\nkernel: [[1]]\n{key}: {value}"))
    assert str(error).split("\n")[0] == (
        f"content/posts/p.md:8: `{key}` must be an integer from {low} to 4096, not {value}")


def test_nan_input(site):
    error = conv_error(site, conv("input: [[.nan, 1], [1, 1]]\nkernel: [[1]]"))
    assert str(error).split("\n")[0] == "content/posts/p.md:6: `input` must be a finite number, not nan"


def test_overflowing_result_is_an_error(site):
    error = conv_error(site, conv("input: [[1.0e+308, 1.0e+308], [1.0e+308, 1.0e+308]]\n"
                                  "kernel: [[10.0, 10.0], [10.0, 10.0]]"))
    assert error.location.line in (6, 7)
    assert "inf" not in error.message or "finite" in error.message


def test_markup_in_a_conv_caption_is_escaped(site):
    html, tree, warnings = figure_page(
        site, conv('input: [[1, 2], [3, 4]]\nkernel: [[1]]\ncaption: "</figcaption><script>alert(1)</script>"'))
    assert tree.find(".//figcaption").text == "</figcaption><script>alert(1)</script>"


def test_an_id_that_would_inject_an_attribute_is_refused(site):
    error = conv_error(site, conv('input: [[1, 2], [3, 4]]\nkernel: [[1]]\nid: "x\\" onload=\\"alert(1)"'))
    assert str(error).split("\n")[0] == (
        "content/posts/p.md:8: `id` 'x\" onload=\"alert(1)' cannot name a file")


def test_a_form_feed_in_a_conv_block_is_a_located_error(site):
    error = conv_error(site, conv('input: [[1, 2], [3, 4]]\nkernel: [[1]]\ncaption: "a\x0cb"'))
    assert not error.message.startswith("internal error")
    assert error.location.line == 8
