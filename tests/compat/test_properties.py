"""Property tests of the parsers and source passes: no library exception escapes, lines stay in
place, and no old syntax survives into a page's text."""
from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.context import ENV_KEY
from plugins.compat.hugo import FigureStore, expand_shortcodes, parse_parameters
from plugins.compat.kramdown import parse_attribute_list
from plugins.compat.includes import IncludeStore
from plugins.compat.liquid import LiquidSyntaxError, parse_condition, parse_expression, render_liquid
from plugins.compat.regions import LinePreservingEdits
from plugins.compat.report import find_leaks

from .conftest import make_context, make_markdown

# The characters of Liquid, Hugo, kramdown, Markdown and TeX syntax, plus the private-use
# characters the plugin's own block markers are made of
SYNTAX_ALPHABET = st.sampled_from(list("{}%<>:/*#.|'\"`=-_ \n\tab1$[]()!\\\ue010\ue011\ue012\ue013\ue014\ue015"))
syntax_soup = st.text(SYNTAX_ALPHABET, max_size=80)
MARKDOWN = make_markdown()
# Hypothesis's per-example deadline is a timed assertion: a busy machine must not fail a test.
untimed = settings(deadline=None)

# Written inside a paragraph's text...
INLINE = [
    "{{ page.title }}", "{{ site.nothing }}", "{{ 'x' | relative_url }}", "{% foo bar %}",
    "{% if page.title %}", "{% if page.nope %}", "{% elsif page.title %}", "{% else %}",
    "{% endif %}", "{% unless page.nope %}", "{% endunless %}", "{% if a == %}",
    "{% for p in site.posts %}", "{% endfor %}", "{% post_url nope %}", "{% link _posts/none.md %}",
    "{% include note.md %}", "{{< youtube x >}}", "{{< /note >}}", "{{< ref \"fourier\" >}}",
    "CNN", "text", "*em*", "![i](/assets/images/kernel.png)", "![i](/x.png){: .c}",
    "`{{ code }}`", "{{< figure src=\"/assets/images/kernel.png\" >}}",
]
# ...or on lines of their own, as posts write them.
BLOCKS = [
    "{: .c}", "{:toc}", "{::options a=\"b\" /}", "*[CNN]: Conv net", "- item", "> quote",
    "## Head", "{% include none.html %}", "{% include figure.html url=\"/a.png\" %}",
    "{% highlight py %}\nx = {{ y }}\n{% endhighlight %}", "| a |\n|---|\n| 1 |",
    "{{< highlight go >}}\nfmt\n{{< /highlight >}}",
    "{{< figure src=\"/assets/images/kernel.png\" caption=\"c\" >}}",
]
inline_runs = st.lists(st.sampled_from(INLINE), min_size=1, max_size=4).map(" ".join)
documents = st.lists(st.tuples(st.one_of(inline_runs, st.sampled_from(BLOCKS)),
                               st.sampled_from(["\n", "\n\n"])),
                     max_size=12).map(lambda parts: "".join(c + s for c, s in parts))


@untimed
@given(syntax_soup)
def test_expression_parser_raises_only_its_own_error(text: str) -> None:
    try:
        parse_expression(text)
    except LiquidSyntaxError:
        pass


@untimed
@given(st.one_of(syntax_soup, st.lists(st.sampled_from(
    ["page.title", "==", "!=", "<", ">=", "contains", "and", "or", "empty", "'a'", "3", "["]),
    max_size=8).map(" ".join)))
def test_condition_parser_raises_only_its_own_error(text: str) -> None:
    try:
        parse_condition(text)
    except LiquidSyntaxError:
        pass


@untimed
@given(syntax_soup)
def test_attribute_list_parser_never_raises(text: str) -> None:
    parse_attribute_list(text, {"ref": ".a ref"}, warn=lambda message, hint: None)


@untimed
@given(syntax_soup)
def test_shortcode_parameters_raise_only_value_error(text: str) -> None:
    try:
        parse_parameters(text)
    except ValueError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.one_of(syntax_soup, documents))
def test_source_passes_keep_every_line_in_place(text: str) -> None:
    ctx = make_context()
    rewritten = expand_shortcodes(render_liquid(text, ctx, IncludeStore()), ctx, FigureStore())
    # a block opened mid-line may move lines down; the line maps take each back to its source line
    last = rewritten.count("\n")
    for original_line in reversed(ctx.line_maps):
        last = original_line(last)
    assert last == text.count("\n")
    assert ctx.line_maps or rewritten.count("\n") == text.count("\n")


@settings(max_examples=200, deadline=None)
@given(syntax_soup)
def test_any_text_renders_without_a_library_exception(text: str) -> None:
    MARKDOWN.render(text, {ENV_KEY: make_context()})


@settings(max_examples=150, deadline=None)
@given(documents)
def test_no_old_syntax_reaches_the_text(document: str) -> None:
    assert find_leaks(MARKDOWN.render(document, {ENV_KEY: make_context()})) == ()


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=30),
       st.lists(st.tuples(st.integers(min_value=0, max_value=29),
                          st.integers(min_value=0, max_value=3),
                          st.integers(min_value=0, max_value=4)), max_size=6))
def test_every_untouched_line_maps_back_to_its_source_line(count: int, edits) -> None:
    """Edits (some adding line breaks, some removing them) on marked lines: each line the edits
    left alone maps back to the line it came from."""
    source = "".join(f"L{index}.\n" for index in range(count))
    starts = [source.index(f"L{index}.") for index in range(count)]
    changes = LinePreservingEdits(source)
    taken = -1
    for line, span, breaks in sorted(edits):
        if line >= count or line <= taken:
            continue
        last = min(line + span, count - 1)
        changes.replace(starts[line], starts[last] + len(f"L{last}."), "X" + "\nX" * breaks)
        taken = last
    result = changes.apply()
    for number, text in enumerate(result.split("\n")):
        if text.startswith("L"):
            assert changes.original_line(number) == int(text[1:-1])


@st.composite
def grid_tables(draw) -> str:
    """Rectangles of grid-table characters: a border first and last, rows between them that
    open with | or +, so that most examples reach docutils' cell scanner."""
    width = draw(st.integers(min_value=3, max_value=14))
    # A line opening with | has no - or :, or it could be a pipe table's delimiter row, and a
    # pipe table drops the cells its header has no column for (GFM): no grid table's doing.
    inner = {"+": st.text(st.sampled_from(list("+-=:| a")), min_size=width - 2, max_size=width - 2),
             "|": st.text(st.sampled_from(list("+=| a")), min_size=width - 2, max_size=width - 2)}
    border = st.text(st.sampled_from(list("-=:+")), min_size=width - 2, max_size=width - 2)
    openings = draw(st.lists(st.sampled_from("|+"), min_size=1, max_size=6))
    # nor does a line open with "+ ", a list item (whose ":::" would open a fenced div)
    middle = [(left, draw(inner[left].filter(lambda text: not text.startswith(" "))),
               draw(st.sampled_from("|+"))) for left in openings]
    top, bottom = draw(border), draw(border)
    lines = [f"+{top}+", *(left + text + right for left, text, right in middle), f"+{bottom}+"]
    if draw(st.booleans()):  # one line of another width
        index = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        lines[index] = lines[index][:-1] if draw(st.booleans()) else lines[index] + "|"
    return "\n".join(lines) + "\n"


@settings(max_examples=300, deadline=None)
@given(grid_tables())
def test_a_grid_table_loses_and_repeats_no_cell_text(table: str) -> None:
    """Whether read as a table (spans included) or left as text, each letter of the cells is
    in the page once: a spanning cell is not repeated in the cells it covers."""
    html = MARKDOWN.render(table, {ENV_KEY: make_context()})
    text = re.sub(r"<[^>]*>", "", html)
    assert text.count("a") == table.count("a")
