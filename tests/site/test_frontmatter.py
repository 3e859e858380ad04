import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from generator.errors import FrontmatterError
from generator.frontmatter import parse_source

from .helpers import source_file


def parse(text: str, name: str = "content/posts/post.md"):
    return parse_source(source_file(text, Path("/tmp/site"), name))


def error_of(text: str, name: str = "content/posts/post.md") -> FrontmatterError:
    with pytest.raises(FrontmatterError) as caught:
        parse(text, name)
    return caught.value


def test_yaml_fields_and_unknown_fields_kept():
    parsed = parse("---\nlayout: post\ntitle: Conv as matmul\ntags: DeepLearning convnet keras\n"
                   "summary: \"\"\nimg_post: x.png\ngithub-link: na\n---\n\nBody\n")
    meta = parsed.meta
    assert meta.title == "Conv as matmul"
    assert meta.tags == ("DeepLearning", "convnet", "keras")
    assert meta.extra["layout"] == "post" and meta.extra["github-link"] == "na"
    assert parsed.body_line_offset == 8 and parsed.body.strip() == "Body"


def test_gatsby_path_and_iso_date():
    meta = parse('---\ntitle: T\ndate: "2017-01-20T22:12:03.284Z"\npath: "/ConvNet-dont-do-Conv/"\n---\n').meta
    assert meta.url_path == "/ConvNet-dont-do-Conv/"
    assert meta.date == dt.datetime(2017, 1, 20, 22, 12, 3, 284000, tzinfo=dt.timezone.utc)


def test_toml_frontmatter():
    meta = parse('+++\ntitle = "T"\ndate = 2026-01-12\ntags = ["a", "b"]\n+++\nx\n').meta
    assert (meta.title, meta.tags, meta.dialect) == ("T", ("a", "b"), "toml")


def test_json_frontmatter_as_hugo_reads_it():
    parsed = parse('{\n  "title": "T",\n  "tags": ["a", "b"],\n  "date": "2026-01-12"\n}\n\nBody\n')
    assert (parsed.meta.title, parsed.meta.tags, parsed.meta.dialect) == ("T", ("a", "b"), "json")
    assert parsed.body.strip() == "Body" and parsed.body_line_offset == 5


@pytest.mark.parametrize("text", ["{% include note.md %}\n\n# Title\n", "{: .lead}\n# Title\n",
                                  "{{< youtube x >}}\n\n# Title\n"])
def test_liquid_attributes_or_a_shortcode_first_are_no_json(text):
    assert parse(text).meta.dialect == "none"


def test_invalid_json_points_at_line_and_column():
    error = error_of('{\n  "title": "T",\n  tags: []\n}\n')
    assert (error.location.line, error.location.column) == (3, 3)
    assert "invalid JSON" in error.message


def test_pelican_header_lines():
    parsed = parse("Title: Sampling\nDate: 2026-01-25 18:00\nTags: signals, sampling\n"
                   "Status: draft\n\nBody here.\n")
    assert parsed.meta.title == "Sampling" and parsed.meta.tags == ("signals", "sampling")
    assert parsed.meta.draft and parsed.meta.dialect == "pelican"
    assert parsed.body.strip() == "Body here." and parsed.body_line_offset == 5


def test_prose_starting_with_a_colon_is_not_pelican():
    assert parse("Note: this is prose.\n\n# Title\n").meta.dialect == "none"


def test_no_frontmatter_title_from_heading_and_date_from_filename():
    parsed = parse("Intro line\n\n# The Title\n\ntext\n", "content/posts/2020-04-07-some-post.md")
    assert parsed.meta.title == "The Title"
    assert parsed.meta.date == dt.datetime(2020, 4, 7, tzinfo=dt.timezone.utc)
    assert parsed.meta.slug == "some-post"
    assert "# The Title" not in parsed.body
    assert parsed.body.split("\n")[4] == "text"  # line numbers preserved


def test_no_date_anywhere_warns_and_uses_mtime():
    parsed = parse("# T\n")
    assert parsed.meta.date_inferred
    assert any("no date" in d.message for d in parsed.diagnostics)


def test_bom_is_accepted(tmp_path):
    from generator.discover import read_source
    path = tmp_path / "content" / "posts" / "p.md"
    path.parent.mkdir(parents=True)
    path.write_bytes("\ufeff---\ntitle: T\n---\nx\n".encode("utf-8"))
    source = read_source(path, tmp_path, tmp_path / "content", "post", None)
    assert parse_source(source).meta.title == "T"


def test_unclosed_yaml_is_an_error_not_text():
    error = error_of("---\ntitle: T\n\nBody that never closes the frontmatter\n")
    assert str(error.location) == "content/posts/post.md:1"
    assert "never closed" in error.message


def test_invalid_yaml_points_at_line_and_column():
    error = error_of("---\ntitle: T\ntags: [a, b\n---\n")
    assert error.location.line == 3 and "invalid YAML" in error.message


def test_invalid_toml_points_at_line():
    error = error_of('+++\ntitle = "T"\ndate = = 3\n+++\n')
    assert error.location.line == 3 and "invalid TOML" in error.message


@pytest.mark.parametrize("text", ["---\n- a\n- b\n---\n", "---\njust a string\n---\n"])
def test_list_or_scalar_instead_of_mapping(text):
    assert "key: value" in error_of(text).message


def test_impossible_date():
    error = error_of("---\ntitle: T\ndate: 2024-13-45\n---\n")
    assert error.location.line == 3 and "not a valid date" in error.message


def test_duplicate_keys():
    error = error_of("---\ntitle: A\ntitle: B\n---\n")
    assert error.location.line == 3 and "duplicate key" in error.message


def test_alias_bomb_rejected_fast():
    bomb = "---\na: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8)) + "---\n"
    assert "aliases" in error_of(bomb).message


def test_deep_nesting_rejected():
    assert "nested too deeply" in error_of("---\na: " + "[" * 500 + "]" * 500 + "\n---\n").message


def test_coercions_keep_strings():
    meta = parse("---\ntitle: yes\nslug: 0777\ndraft: yes\n---\n").meta
    assert (meta.title, meta.slug, meta.draft) == ("yes", "0777", True)


def test_draft_must_be_boolean():
    assert "draft" in error_of("---\ntitle: T\ndraft: maybe\n---\n").message


@pytest.mark.parametrize("bad", ["../escape", "/abs/../../etc", "a\\\\b", "a%2fb", "/x/%2e%2e/"])
def test_unsafe_paths_rejected(bad):
    error = error_of(f'---\ntitle: T\npath: "{bad}"\n---\n')
    assert error.location.line == 3


@pytest.mark.parametrize("bad", ["../x", "a/b", "a%2Fb"])
def test_unsafe_slugs_rejected(bad):
    assert "slug" in error_of(f'---\ntitle: T\nslug: "{bad}"\n---\n').message


def test_path_without_trailing_slash_gets_one():
    assert parse('---\ntitle: T\npath: about-me\n---\n').meta.url_path == "/about-me/"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("-+:\n abc[]{}\"'#&*!|>@`0123\t=")), max_size=200))
def test_any_input_parses_or_fails_with_a_located_error(text):
    try:
        parsed = parse(text)
    except FrontmatterError as error:
        assert error.location is not None and error.location.path == "content/posts/post.md"
    else:
        assert isinstance(parsed.meta.title, str) and parsed.meta.title


def test_description_is_the_summary_when_there_is_none():
    assert parse("---\ntitle: T\ndescription: What it is about.\n---\nx\n").meta.summary == \
        "What it is about."
    meta = parse("---\ntitle: T\nsummary: Short.\ndescription: For search engines.\n---\nx\n").meta
    assert meta.summary == "Short." and meta.extra["description"] == "For search engines."
    assert "`description`" in str(error_of("---\ntitle: T\ndescription: [a, b]\n---\nx\n"))


def test_quartos_month_first_dates():
    # Found measuring a real Quarto blog: every post's `date: 2/11/2024` stopped the build.
    for written, day in (("2/11/2024", (2024, 2, 11)), ('"12/20/2023"', (2023, 12, 20)),
                         ("2023/11/18", (2023, 11, 18))):
        meta = parse(f"---\ntitle: T\ndate: {written}\n---\n").meta
        assert meta.date == dt.datetime(*day, tzinfo=dt.timezone.utc)
    error = error_of("---\ntitle: T\ndate: 25/12/2024\n---\n")
    assert "not a valid date" in error.message and "month first" in error.hint


def test_quartos_date_underscore_folder_names():
    # Quarto and distill blogs name a post's folder `2023-04-12_metropolis-hastings`: the date
    # stayed in the slug (/2023/04/2023-04-12-metropolis-hastings/).
    text = "---\ntitle: T\n---\n"
    source = source_file(text, Path("/tmp/site"),
                         "content/posts/2023-04-12_metropolis-hastings/index.qmd")
    bundled = parse_source(dataclasses.replace(source, bundle=source.path.parent)).meta
    assert bundled.slug == "metropolis-hastings"
    assert bundled.date == dt.datetime(2023, 4, 12, tzinfo=dt.timezone.utc)
    assert parse(text, "content/posts/2023-04-12_loose.qmd").meta.slug == "loose"
