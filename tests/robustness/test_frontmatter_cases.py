"""Frontmatter an author gets wrong, built as a whole site: each case fails the build with the
exact file:line[:column] and a hint (nothing published), or builds with the exact metadata."""
from __future__ import annotations

import pytest

from generator.errors import ContentError, FrontmatterError

from ..conftest import write
from .conftest import add_post, build_site, only_error, raised, run_cli


def front_error(site, text: str, name: str = "p.md"):
    add_post(site, name, front=text, body="Body.\n")
    error = only_error(site)
    assert isinstance(error, FrontmatterError), error
    assert not (site / "public").exists()  # nothing was published
    return error


def test_unclosed_yaml_frontmatter_is_an_error_never_published_text(site):
    add_post(site, "p.md", front="---\ntitle: Secret draft\ndraft: true\n\n", body="Body text.\n")
    result = run_cli("--root", str(site))
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        "error: content/posts/p.md:1: the frontmatter opened with `---` is never closed")
    assert "hint: add a line `---` after the last metadata line" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (site / "public").exists()


def test_unclosed_toml_frontmatter(site):
    error = front_error(site, '+++\ntitle = "T"\n')
    assert (str(error.location), error.message) == (
        "content/posts/p.md:1", "the frontmatter opened with `+++` is never closed")


def test_byte_order_mark_before_the_frontmatter(site):
    path = site / "content" / "posts" / "p.md"
    path.write_bytes("\ufeff---\ntitle: With BOM\ndate: 2024-01-01\n---\nBody.\n".encode())
    result = build_site(site)
    page = (result.output / "2024" / "01" / "p" / "index.html").read_text()
    assert "<h1>With BOM</h1>" in page and "\ufeff" not in page and "---" not in page


def test_invalid_yaml_has_line_and_column(site):
    error = front_error(site, "---\ntitle: T\nkey: a: b\n---\n")
    assert (str(error.location), error.message) == (
        "content/posts/p.md:3:7", "invalid YAML frontmatter: mapping values are not allowed in this context")
    assert error.hint


def test_unclosed_yaml_bracket_points_where_it_opened(site):
    error = front_error(site, "---\ntitle: T\ntags: [a, b\n---\n")
    assert str(error.location) == "content/posts/p.md:3:7"
    assert error.message.startswith("invalid YAML frontmatter: ")


def test_invalid_toml_has_line_and_column(site):
    error = front_error(site, '+++\ntitle = "T"\ndate = = 3\n+++\n')
    assert (str(error.location), error.message) == (
        "content/posts/p.md:3:8", "invalid TOML frontmatter: Invalid value")


@pytest.mark.parametrize("date, detail", [("2024-13-45", "month must be in 1..12"),
                                          ("2023-02-29", "day is out of range for month")])
def test_impossible_date(site, date, detail):
    error = front_error(site, f"---\ntitle: T\ndate: {date}\n---\n")
    assert (str(error.location), error.message) == (
        "content/posts/p.md:3", f"not a valid date: '{date}' ({detail})")


def test_impossible_date_in_the_file_name_is_not_a_date(site):
    write(site / "content" / "posts" / "2024-02-30-post.md", "---\ntitle: T\n---\nBody.\n")
    result = build_site(site)
    assert [str(d).split("\n")[0] for d in result.diagnostics] == [
        "content/posts/2024-02-30-post.md:1: warning[frontmatter]: no date: using the file's "
        "modification time"]


@pytest.mark.parametrize("text, kind, line", [("---\n- a\n- b\n---\n", "sequence", 2),
                                              ("---\njust a string\n---\n", "scalar", 2),
                                              ("---\n\n\n42\n---\n", "scalar", 4)])
def test_list_or_scalar_instead_of_a_mapping(site, text, kind, line):
    error = front_error(site, text)
    assert (str(error.location), error.message) == (
        f"content/posts/p.md:{line}", f"the frontmatter must be `key: value` lines, not a YAML {kind}")


def test_toml_array_of_tables_is_read_as_extra_data(site):
    add_post(site, "p.md", front='+++\ntitle = "T"\ndate = 2024-01-01\n[[links]]\nurl = "x"\n+++\n')
    assert build_site(site).posts == 1


def test_yaml_alias_bomb_is_rejected_before_expanding(site):
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for index in range(1, 12):  # 9^12 strings if it were expanded
        previous, name = chr(96 + index), chr(97 + index)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    error = front_error(site, "---\n" + "\n".join(lines) + "\n---\n")
    assert error.message == "YAML aliases (*name) are not allowed in frontmatter"
    assert str(error.location) == "content/posts/p.md:3:8"  # the first alias, *a on line 3


def test_single_alias_points_at_the_alias_not_the_anchor(site):
    error = front_error(site, "---\ntitle: T\nbase: &b [1, 2]\nother: *b\n---\n")
    assert str(error.location) == "content/posts/p.md:4:8"


def test_500_deep_nesting_is_rejected(site):
    error = front_error(site, "---\ntitle: T\na: " + "[" * 500 + "]" * 500 + "\n---\n")
    assert error.message == "the frontmatter is nested too deeply or is too large"
    assert str(error.location) == "content/posts/p.md:3:54"  # the 51st bracket
    assert error.hint == "keep it under 50 levels and 10000 values"


def test_500_deep_block_mapping_is_rejected(site):
    nested = "".join(" " * depth + f"k{depth}:\n" for depth in range(500)) + " " * 500 + "v: 1\n"
    error = front_error(site, "---\ntitle: T\n" + nested + "---\n")
    assert error.message == "the frontmatter is nested too deeply or is too large"
    # the mapping 51 levels down, which starts at key k51 (line 3 + 51, indented 51 spaces)
    assert str(error.location) == "content/posts/p.md:54:52"


def test_too_many_values_are_rejected(site):
    error = front_error(site, "---\ntitle: T\nxs: [" + ", ".join(["1"] * 20_000) + "]\n---\n")
    assert error.message == "the frontmatter is nested too deeply or is too large"
    assert error.location.line == 3


def test_yaml_coercions_keep_what_the_author_typed(site):
    add_post(site, "p.md", front="---\ntitle: no\ndate: 2024-01-01\nslug: 0777\n---\n")
    result = build_site(site)
    page = (result.output / "2024" / "01" / "0777" / "index.html").read_text()
    assert "<h1>no</h1>" in page


@pytest.mark.parametrize("value, draft", [("yes", True), ("true", True), ("no", False),
                                          ("false", False)])
def test_draft_yes_and_no_are_booleans(site, value, draft):
    add_post(site, "p.md", front=f"---\ntitle: T\ndate: 2024-01-01\ndraft: {value}\n---\n")
    assert build_site(site).posts == (0 if draft else 1)


@pytest.mark.parametrize("value", ["maybe", "1", "[true]", '"yes"'])
def test_draft_that_is_not_a_boolean_is_a_type_error(site, value):
    error = front_error(site, f"---\ntitle: T\ndate: 2024-01-01\ndraft: {value}\n---\n")
    assert str(error.location) == "content/posts/p.md:4"
    assert error.message.startswith("`draft` must be true or false, not ")
    assert error.hint == "draft: true"


@pytest.mark.parametrize("value", ["[a, b]", "{x: 1}"])
def test_title_that_is_not_text_is_a_type_error(site, value):
    error = front_error(site, f"---\ndate: 2024-01-01\ntitle: {value}\n---\n")
    assert str(error.location) == "content/posts/p.md:3"
    assert error.message.startswith("`title` must be text, not ")


def test_duplicate_keys(site):
    error = front_error(site, "---\ntitle: A\ndate: 2024-01-01\ntitle: B\n---\n")
    assert (str(error.location), error.message) == ("content/posts/p.md:4:1", "duplicate key `title`")


def test_duplicate_toml_keys(site):
    error = front_error(site, '+++\ntitle = "A"\ntitle = "B"\n+++\n')
    assert str(error.location) == "content/posts/p.md:3:12"
    assert error.message.startswith("invalid TOML frontmatter: Cannot overwrite a value")


@pytest.mark.parametrize("slug", ["../escape", "a/b", "..", "a\\\\b", "a%2fb", "a%2F..", "a%5cb",
                                  "a\\0b"])
def test_unsafe_slug(site, slug):
    error = front_error(site, f'---\ntitle: T\ndate: 2024-01-01\nslug: "{slug}"\n---\n')
    assert str(error.location) == "content/posts/p.md:4"
    assert error.message.endswith("may not contain /, \\, .., NUL or encoded slashes")
    assert not (site.parent / "escape").exists()


@pytest.mark.parametrize("path", ["../../outside", "/a/../../outside", "a\\\\..\\\\b", "/a%2fb/",
                                  "/%2e%2e/x/", "//evil.example/x", "https://evil.example/",
                                  "javascript:alert(1)", "/a\\0b/"])
def test_unsafe_path_or_permalink(site, path):
    error = front_error(site, f'---\ntitle: T\ndate: 2024-01-01\npath: "{path}"\n---\n')
    assert str(error.location) == "content/posts/p.md:4"
    assert error.message.endswith("escapes the site or is not a plain path")
    assert not (site.parent / "outside").exists()


def test_absolute_filesystem_path_stays_inside_the_output(site):
    add_post(site, "p.md", front='---\ntitle: T\ndate: 2024-01-01\npermalink: "/etc/passwd"\n---\n')
    result = build_site(site)
    assert (result.output / "etc" / "passwd" / "index.html").is_file()


def test_two_posts_with_the_same_url(site):
    add_post(site, "a.md", front="---\ntitle: A\ndate: 2024-01-03\nslug: same\n---\n")
    add_post(site, "b.md", front="---\ntitle: B\ndate: 2024-01-09\nslug: same\n---\n")
    error = raised(site, ContentError)
    assert (str(error.location), error.message) == (
        "content/posts/b.md", "content/posts/b.md and content/posts/a.md both want the URL "
        "/2024/01/same/")
    assert error.hint == ("give one of them another slug: or path: (the other is "
                          "content/posts/a.md)")


def test_two_urls_differing_only_in_case_collide(site):
    add_post(site, "a.md", front='---\ntitle: A\npath: "/Notes/"\n---\n')
    add_post(site, "b.md", front='---\ntitle: B\npath: "/notes/"\n---\n')
    assert "both want the URL /notes/" in raised(site, ContentError).message


def test_a_post_on_a_reserved_url(site):
    add_post(site, "a.md", front='---\ntitle: A\npath: "/feed.xml"\n---\n')
    error = raised(site, ContentError)
    assert (str(error.location), error.message) == (
        "content/posts/a.md", "the URL /feed.xml is reserved for Stride's own pages")


def test_invalid_utf8(site):
    path = site / "content" / "posts" / "p.md"
    path.write_bytes(b"---\ntitle: T\n---\nfine line\nbad \xff\xfe byte\n")
    error = raised(site, ContentError)
    assert (str(error.location), error.message) == ("content/posts/p.md:5:5",
                                                    "the file is not valid UTF-8")
    result = run_cli("--root", str(site))
    assert result.returncode == 1
    assert result.stderr.startswith("error: content/posts/p.md:5:5: the file is not valid UTF-8\n")


def test_nul_bytes_in_a_post_never_reach_the_page(site):
    add_post(site, "p.md", "before\x00after\n")
    page = (build_site(site).output / "2024" / "01" / "p" / "index.html").read_text()
    assert "\x00" not in page and "before\ufffdafter" in page


def test_post_over_the_size_limit(site):
    add_post(site, "p.md", "x" * 2_000_001)
    error = raised(site, ContentError)
    assert str(error.location) == "content/posts/p.md"
    assert error.message == "the file is 2,000,035 bytes; posts are limited to 2,000,000"
