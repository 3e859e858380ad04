"""Tables whose cells hold math: the rule that keeps math spans whole is GFM's everywhere else."""
from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.rules_block.table import table as markdown_it_table

from plugins.math import math_plugin
from plugins.math.syntax import _find_unescaped
from plugins.math.tables import split_row

# Table-shaped text with neither math nor code spans: there the two rules must agree exactly.
PIECES = st.sampled_from([
    "|", "| ", " |", "-", "---", ":", ":-", "-:", "a", "b c", "\\|", "\t", "    ", "  ", "> ",
    "- ", "1. ", "# ", "*", "**", "_", "<b>", "&amp;", "|---|---|", "| x | y |", "|:-:|",
])
LINES = st.lists(st.lists(PIECES, max_size=6).map("".join), max_size=8).map("\n".join)


def _renderers() -> tuple[MarkdownIt, MarkdownIt]:
    stride = MarkdownIt("commonmark").enable("table").use(math_plugin)
    reference = MarkdownIt("commonmark").enable("table").use(math_plugin)
    reference.block.ruler.at("table", markdown_it_table, {"alt": ["paragraph", "reference"]})
    return stride, reference


STRIDE, REFERENCE = _renderers()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(LINES)
@example("| a |\n- |\n")  # a delimiter row may not start like a list item
@example("- x\n\n  a | b\n  --|--\n  c | d\ne | f\n")  # a row less indented than its list ends it
def test_tables_without_spans_render_as_markdown_it_renders_them(source: str) -> None:
    assert STRIDE.render(source) == REFERENCE.render(source)


def test_the_reference_really_is_markdown_it_and_differs_on_math() -> None:
    source = "| a |\n|---|\n| $|x|$ |\n"
    assert "<td>$</td>" in REFERENCE.render(source)
    assert "<td><math" in STRIDE.render(source)


def test_cells_split_outside_spans_only() -> None:
    assert split_row(r"| $|x|$ | `a|b` | c \| d | \(|y|\) |") == [
        "", " $|x|$ ", " `a|b` ", " c | d ", r" \(|y|\) ", ""]
    assert split_row(r"$\|x\|$ | `c\|d`") == [r"$\|x\|$ ", " `c|d`"]
    # An escaped backslash does not escape the pipe after it, as in cmark-gfm.
    assert split_row(r"a \\| b") == ["a \\\\", " b"]


# The search for a closing delimiter, which the cell splitter shares with the inline math rule.
def _find_unescaped_by_pairs(source: str, needle: str, start: int, stop: int) -> int:
    """The plain definition: walk the text, a backslash taking the next character with it."""
    position = start
    while position <= stop - len(needle):
        if source.startswith(needle, position):
            return position
        position += 2 if source[position] == "\\" else 1
    return -1


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="\\$()a", max_size=30), st.sampled_from(["$", "$$", "\\)", "\\]"]),
       st.integers(0, 30), st.integers(0, 30))
def test_the_closing_delimiter_search_agrees_with_its_definition(source, needle, start, stop):
    stop = min(stop, len(source))  # as the rules call it: within the text
    start = min(start, stop)
    assert _find_unescaped(source, needle, start, stop) == \
        _find_unescaped_by_pairs(source, needle, start, stop)
