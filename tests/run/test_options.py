"""`#|` options: every name and value is checked, each mistake is placed on its own line."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.errors import ConfigError, PluginError, SourceLocation
from plugins.run.options import OPTION_FIELDS, BlockOptions, parse_block, post_defaults

from .conftest import POST_PATH, cell

FENCE_LINE = 10  # the test's fence sits on body line 10; content line k is file line 12 + k


def parse(content: str, source_dir: Path = Path(".")):
    return parse_block(content, defaults=BlockOptions(), source_dir=source_dir,
                       location=lambda line: SourceLocation(POST_PATH, FENCE_LINE + 2 + line))


def test_options_override_defaults_and_are_hidden_from_the_code(tmp_path):
    (tmp_path / "data.csv").write_text("1,2\n")
    parsed = parse('#| echo: false\n#| eval: false\n#| output: false\n#| error: true\n'
                   '#| warning: false\n#| fig-cap: "A: b"\n#| fig-alt: [one, two]\n'
                   '#| label: fig-x\n#| fig-format: png\n#| fig-width: 3\n#| fig-height: 2.5\n'
                   '#| timeout: 2\n#| depends: data.csv\nx = 1\n', tmp_path)
    assert parsed.options == BlockOptions(
        echo=False, evaluate=False, output=False, error=True, warning=False, fig_cap="A: b",
        fig_alt=("one", "two"), label="fig-x", fig_format="png", fig_width=3.0,
        fig_height=2.5, timeout=2.0, depends=("data.csv",))
    assert parsed.code == "x = 1\n"
    assert parsed.option_lines == 13


def test_multi_line_yaml_value():
    parsed = parse("#| fig-cap:\n#|   - first\n#|   - second\nx = 1\n")
    assert parsed.options.fig_cap == ("first", "second")


def test_option_lines_must_lead_the_block():
    parsed = parse("x = 1\n#| echo: false\n")
    assert parsed.options == BlockOptions()
    assert parsed.code == "x = 1\n#| echo: false\n"
    assert parsed.option_lines == 0


@pytest.mark.parametrize(("content", "line", "message"), [
    ("#| echo: false\n#| ecko: true\n", 13, "unknown option `#| ecko`"),
    ("#| echo: yes please\n", 12, "`#| echo` must be true or false"),
    ("#| eval: 1\n", 12, "`#| eval` must be true or false"),
    ("#| output: maybe\n", 12, "`#| output` must be true or false"),
    ("#| error: null\n", 12, "`#| error` must be true or false"),
    ("#| warning: 0\n", 12, "`#| warning` must be true or false"),
    ("#| fig-cap: 3\n", 12, "`#| fig-cap` must be a text or a list of texts"),
    ("#| fig-alt: []\n", 12, "`#| fig-alt` must be a text or a list of texts"),
    ("#| label: 9lives\n", 12, "`#| label` must be a name"),
    ("#| fig-format: pdf\n", 12, "`#| fig-format` must be svg or png"),
    ("#| fig-width: -1\n", 12, "`#| fig-width` must be a positive number"),
    ("#| fig-height: 500\n", 12, "`#| fig-height` must be a positive number of inches up to 50"),
    ("#| timeout: true\n", 12, "`#| timeout` must be a positive number"),
    ("#| depends: ../secret.txt\n", 12, "`#| depends` must be files inside the post's folder"),
    ("#| depends: /etc/passwd\n", 12, "`#| depends` must be files inside the post's folder"),
    ("#| depends: missing.csv\n", 12, "`#| depends` names `missing.csv`, which is not a file"),
    ("#| echo: true\n#| echo: false\n", 13, "option `#| echo` is set twice"),
    ("#| echo\n", 12, "the `#|` lines are not `name: value` options"),
    ("#| echo: [unclosed\n", 12, "cannot read the `#|` options"),
    ("#| [a]: 1\n", 12, "an option name must be a plain word"),
])
def test_bad_option_is_a_plugin_error_at_its_line(content, line, message):
    with pytest.raises(PluginError) as raised:
        parse(content)
    assert raised.value.location == SourceLocation(POST_PATH, line)
    assert message in raised.value.message
    assert raised.value.hint


def test_unknown_option_suggests_the_close_name():
    with pytest.raises(PluginError) as raised:
        parse("#| fig_cap: A figure\n")
    assert "did you mean `fig-cap`?" in raised.value.hint


def test_bad_option_in_a_post_names_the_markdown_line(site):
    markdown = "---\n\n" + cell("x = 1\n", "echo: false", "timout: 3")
    with pytest.raises(PluginError) as raised:
        site.render(markdown, line_offset=3)
    # frontmatter 3 lines, body: "---", "", fence, echo, timout -> file line 3 + 4 + 1
    assert raised.value.location == SourceLocation(POST_PATH, 8)


@pytest.mark.parametrize(("option", "value"), [
    ("timeout", 0), ("timeout", "30"), ("memory_limit_mb", -5), ("output_limit_bytes", 1.5),
    ("process_limit", True), ("fig_format", "jpg"), ("fig_width", 0),
])
def test_bad_site_option_is_a_config_error(site, option, value):
    with pytest.raises(ConfigError) as raised:
        site.render("text\n", **{option: value})
    assert option in raised.value.message
    assert raised.value.hint
    assert raised.value.location == SourceLocation("site.toml")


def test_bad_site_option_names_the_option_and_value_and_shows_an_example(site):
    with pytest.raises(ConfigError) as raised:
        site.render("text\n", timeout=-1)
    assert str(raised.value) == ("site.toml: [plugins.run] timeout must be a positive number, not -1"
                                 "\n  hint: for example, under [plugins.run]: timeout = 30 "
                                 "(see docs/run.md)")


# --------------------------------------------------------------------------- properties

caption_text = st.text(st.characters(whitelist_categories=("L", "N", "P", "S", "Zs")), min_size=1)
option_values = {
    "echo": st.booleans(), "eval": st.booleans(), "output": st.booleans(),
    "error": st.booleans(), "warning": st.booleans(),
    "fig-cap": caption_text,
    "fig-alt": st.lists(caption_text, min_size=1, max_size=3),
    "label": st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,10}", fullmatch=True),
    "fig-format": st.sampled_from(["svg", "png"]),
    "fig-width": st.floats(min_value=0.5, max_value=50),
    "timeout": st.integers(min_value=1, max_value=3600),
    "code-fold": st.sampled_from([True, False, "show"]),
    "code-summary": caption_text.filter(str.strip),
    "column": st.sampled_from(["margin", "page", "screen-inset", "screen", "body-outset"]),
}


def yaml_scalar(value) -> str:
    """JSON is YAML: quoting survives the round trip (raw characters: PyYAML reads a JSON
    surrogate-pair escape as two lone surrogates)."""
    return json.dumps(value, ensure_ascii=False)


@given(st.fixed_dictionaries({}, optional=option_values),
       st.text(st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_options_round_trip_and_code_lines_are_kept(options, code):
    code = "\n".join(line for line in code.split("\n") if not line.lstrip().startswith("#|"))
    header = "".join(f"#| {name}: {yaml_scalar(value)}\n" for name, value in options.items())
    parsed = parse(header + code)
    for name, value in options.items():
        got = getattr(parsed.options, OPTION_FIELDS[name])
        expected = tuple(value) if isinstance(value, list) else value
        assert got == expected
    assert parsed.code == code
    assert parsed.option_lines == len(options)


@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=80))
def test_any_option_text_parses_or_fails_as_a_plugin_error(text):
    content = "".join(f"#|{line}\n" for line in text.splitlines())
    try:
        parse(content)
    except PluginError as error:
        assert error.location is not None
        assert error.location.line >= FENCE_LINE + 2


# ---------------------------------------------------------------- a post's frontmatter (Quarto)

def _post_defaults(frontmatter: dict) -> BlockOptions:
    return post_defaults(BlockOptions(), frontmatter, Path("."), lambda key: SourceLocation(POST_PATH))


def test_frontmatter_execute_and_html_format_options_are_the_posts_defaults():
    assert _post_defaults({"execute": {"echo": False, "warning": False, "freeze": "auto"},
                           "format": {"html": {"code-fold": True, "code-summary": "Show"}}}) == \
        BlockOptions(echo=False, warning=False, code_fold=True, code_summary="Show")
    assert _post_defaults({"code-fold": "show", "fig-width": 4}) == \
        BlockOptions(code_fold="show", fig_width=4.0)
    assert _post_defaults({"execute": {"include": False}}) == BlockOptions(echo=False, output=False)
    assert _post_defaults({"format": "html", "title": "t"}) == BlockOptions()


@pytest.mark.parametrize(("frontmatter", "message"), [
    ({"execute": "no"}, "frontmatter `execute` must be a mapping"),
    ({"execute": {"ech": False}}, "unknown option `ech` in the frontmatter's `execute`"),
    ({"execute": {"echo": "no"}}, "`execute: echo` must be true or false, not 'no'"),
    ({"code-fold": "maybe"}, "`code-fold` must be true, false or show"),
])
def test_bad_frontmatter_options_name_the_post_and_the_key(frontmatter, message):
    with pytest.raises(PluginError) as raised:
        _post_defaults(frontmatter)
    assert message in raised.value.message and raised.value.location.path == POST_PATH


def test_a_cell_option_overrides_the_posts_default(site):
    markdown = cell("print(1)\n") + "\n" + cell("print(2)\n", "code-fold: false") + "\n" + \
        cell("print(3)\n", "code-fold: show", 'code-summary: "Code of 3"')
    html = site.render(markdown, frontmatter={"format": {"html": {"code-fold": True}}}).html
    assert html.count('<details class="run-code"><summary>Code</summary>') == 1
    assert '<details class="run-code" open><summary>Code of 3</summary>' in html
    assert html.count("<details") == 2 and html.count('class="language-python"') == 3


def test_execute_echo_false_in_the_frontmatter_hides_every_blocks_code(site):
    html = site.render(cell("print('shown')\n") + "\n" + cell("print('code too')\n", "echo: true"),
                       frontmatter={"execute": {"echo": False}}).html
    assert html.count('class="language-python"') == 1 and "shown" in html


def test_quarto_options_stride_does_not_carry_over_are_ignored_with_a_note_at_their_line():
    # Found measuring real Quarto posts: `#| layout-ncol: 2` stopped the build as unknown.
    parsed = parse("#| layout-ncol: 2\n#| label: fig-pair\n#| column: page\n#| output: asis\nx = 1\n")
    assert parsed.options == BlockOptions(label="fig-pair", output=True, column="page")
    assert [(line, message.split(" ")[0]) for line, message, _ in parsed.notes] == [
        (0, "`#|"), (3, "`#|")]
    assert "`#| layout-ncol` is Quarto's" in parsed.notes[0][1]
    assert "as text, not as Markdown" in parsed.notes[1][1]


def test_the_column_option_takes_quartos_columns_and_their_variants():
    assert parse("#| column: page-left\nx = 1\n").options.column == "page"
    assert parse("#| column: screen-inset-shaded\nx = 1\n").options.column == "screen-inset"
    assert parse("#| column: body\nx = 1\n").options.column is None
    with pytest.raises(PluginError) as raised:
        parse("#| column: sidebar\nx = 1\n")
    assert "`#| column` must be one of body, body-outset, page" in raised.value.message


def test_a_block_with_column_margin_has_its_output_in_the_margin_and_its_code_in_the_text(site):
    html = site.render(cell("print('beside' + 'note')\n", "column: margin")).html
    code, output = html.split('<div class="run-output column-margin">')
    assert 'class="language-python"' in code and "besidenote" not in code
    assert "besidenote" in output and output.count("</div>") == 2


def test_an_ignored_quarto_option_warns_at_the_posts_line(site):
    rendered = site.render("---\n\n" + cell("x = 1\n", "fig-align: center"), line_offset=3,
                           execute=False)
    [warning] = [d for d in rendered.context.diagnostics if d.kind == "run"]
    assert warning.location == SourceLocation(POST_PATH, 7)
    assert "`#| fig-align`" in warning.message
