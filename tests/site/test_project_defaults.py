"""Frontmatter defaults and site settings from a Quarto or Jekyll project's files
(``_metadata.yml``, ``_quarto.yml``, ``_config.yml``; ``generator.project``), on real sites."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from generator.build import BuildOptions, BuildSession, build
from generator.errors import BuildFailed, StrideError
from generator.frontmatter import merge_frontmatter

from ..conftest import run_cli, write

# A post that shows the frontmatter its page sees, through Liquid's {{ page.X }}
SHOW = "---\ntitle: {title}\ndate: 2024-01-{day:02d}\n{extra}---\n\n{body}\n"
BIB = "@article{smith20,\n  author = {Smith, John},\n  title = {A paper},\n  journal = {J},\n" \
      "  year = {2020}\n}\n"


def post(site: Path, rel: str, body: str, *, day: int = 1, extra: str = "",
         title: str | None = None) -> Path:
    return write(site / "content" / rel, SHOW.format(title=title or Path(rel).stem, day=day,
                                                     extra=extra, body=body))


def page_text(result, url: str) -> str:
    """The text of a built page, tags removed."""
    path = url.strip("/") if url.endswith(".html") else url.strip("/") + "/index.html"
    html = (result.output / path).read_text()
    return re.sub(r"<[^>]+>", "", html)


def shown(result, url: str) -> str:
    """The line of a post's page that starts with "shows:"."""
    found = re.search(r"shows:[^\n]*", page_text(result, url))
    assert found, f"no 'shows:' line in {url}"
    return found.group()


@pytest.fixture
def quarto(site: Path) -> Path:
    """A Quarto blog's folders: posts/_metadata.yml, a deeper one in posts/2024/deep/."""
    write(site / "content" / "posts" / "_metadata.yml",
          "author: Folder Author\nexecute:\n  echo: false\n  warning: false\nlicense: CC BY\n")
    write(site / "content" / "posts" / "2024" / "deep" / "_metadata.yml",
          "author: Deep Author\nexecute:\n  warning: true\n")
    post(site, "posts/2024/top.md", "shows: {{ page.author }} / {{ page.license }} / "
         "echo {{ page.execute.echo }} warning {{ page.execute.warning }}", day=1)
    post(site, "posts/2024/deep/nested.md", "shows: {{ page.author }} / {{ page.license }} / "
         "echo {{ page.execute.echo }} warning {{ page.execute.warning }} "
         "eval {{ page.execute.eval }}", day=2, extra="execute:\n  eval: false\n")
    post(site, "posts/2024/deep/own.md", "shows: {{ page.author }}", day=3,
         extra="author: Own Author\n")
    return site


def test_the_nearest_metadata_file_wins_and_maps_merge_key_by_key(quarto):
    result = build(BuildOptions(root=quarto, jobs=1))
    assert shown(result, "/2024/01/top/") == \
        "shows: Folder Author / CC BY / echo false warning false"
    # author and execute.warning from deep/, license and execute.echo from posts/, eval its own
    assert shown(result, "/2024/01/nested/") == \
        "shows: Deep Author / CC BY / echo false warning true eval false"


def test_the_posts_own_keys_win(quarto):
    result = build(BuildOptions(root=quarto, jobs=1))
    assert shown(result, "/2024/01/own/") == "shows: Own Author"


def test_execute_defaults_of_a_metadata_file_reach_the_posts_cells(site):
    write(site / "content" / "posts" / "_metadata.yml", "execute:\n  echo: false\n")
    write(site / "content" / "posts" / "cell.qmd",
          "---\ntitle: Cell\ndate: 2024-02-01\n---\n\n```{python}\nprint(6 * 7)\n```\n")
    write(site / "content" / "pages" / "cell.qmd",  # outside posts/: the code is shown
          "---\ntitle: Page cell\n---\n\n```{python}\nprint(6 * 7)\n```\n")
    result = build(BuildOptions(root=site, jobs=1))
    assert "42" in page_text(result, "/2024/02/cell/")
    assert "print" not in page_text(result, "/2024/02/cell/")
    assert "print" in page_text(result, "/cell/")


def test_a_format_shorthand_in_the_post_keeps_the_defaults_format_options():
    merged = merge_frontmatter({"format": {"html": {"code-fold": True}}, "toc": True},
                               {"format": "html", "toc": False})
    assert merged == {"format": {"html": {"code-fold": True}}, "toc": False}
    assert merge_frontmatter({"format": {"html": {"code-fold": True}}},
                             {"format": {"html": "default"}})["format"] == \
        {"html": {"code-fold": True}}


def test_quarto_project_options_apply_to_every_post_and_the_website_fills_the_config(site):
    write(site / "_quarto.yml",
          "project:\n  type: website\nwebsite:\n  title: \"From Quarto\"\n"
          "  site-url: https://example.org/notes\n  description: Notes on signals\n"
          "execute:\n  echo: false\nformat:\n  html:\n    code-fold: true\n    toc: true\n")
    write(site / "content" / "posts" / "_metadata.yml", "format:\n  html:\n    toc: false\n")
    post(site, "posts/a.md", "shows: fold {{ page.format.html.code-fold }} toc "
         "{{ page.format.html.toc }} echo {{ page.execute.echo }} type {{ page.project.type }}.")
    result = build(BuildOptions(root=site, jobs=1))
    # the project's own tables (project:, website:) are not document options
    assert shown(result, "/posts/a.html") == "shows: fold true toc false echo false type ."
    index = (result.output / "index.html").read_text()
    assert "<title>From Quarto" in index
    assert "https://example.org/notes/posts/a.html" in (result.output / "feed.xml").read_text()


def test_site_toml_wins_over_the_project_files_site_settings(site):
    write(site / "site.toml", 'title = "Mine"\nbase_url = "https://mine.org/"\n'
          'permalink = "/{year}/{month}/{slug}/"\n')
    write(site / "_quarto.yml", "website:\n  title: From Quarto\n  site-url: https://q.org/\n")
    write(site / "_config.yml", "title: From Jekyll\nurl: https://j.org\n")
    post(site, "posts/a.md", "Text.")
    result = build(BuildOptions(root=site, jobs=1))
    assert "<title>Mine" in (result.output / "index.html").read_text()
    feed = (result.output / "feed.xml").read_text()
    assert "https://mine.org/2024/01/a/" in feed and "q.org" not in feed and "j.org" not in feed


JEKYLL_CONFIG = """\
title: Jekyll blog
url: "https://me.github.io"
baseurl: "/blog"
defaults:
  - scope:
      path: ""
    values:
      layout: default
      comments: false
  - scope:
      path: "_posts/2020"
    values:
      comments: false
  - scope:
      path: "_posts"
      type: "posts"
    values:
      layout: post
      comments: true
  - scope:
      path: ""
      type: "pages"
    values:
      layout: page
"""


def test_jekyll_defaults_apply_by_scope_path_and_type(site):
    write(site / "_config.yml", JEKYLL_CONFIG)
    shows = "shows: {{ page.layout }} {{ page.comments }}"
    post(site, "posts/2021-01-01-new.md", shows, title="new")
    post(site, "posts/2020/2020-01-01-old.md", shows, title="old")
    post(site, "pages/about.md", shows, title="about")
    result = build(BuildOptions(root=site, jobs=1))
    # no permalink: Jekyll's default, /:categories/:year/:month/:day/:title:output_ext
    assert shown(result, "/2024/01/01/new.html") == "shows: post true"
    # _posts/2020 is the longer path: its comments win over _posts's, its layout is _posts's
    assert shown(result, "/2024/01/01/old.html") == "shows: post false"
    assert shown(result, "/about/") == "shows: page false"
    assert "https://me.github.io/blog/2024/01/01/new.html" in \
        (result.output / "feed.xml").read_text()


def test_jekyll_scholar_names_the_bibliography_of_citing_posts(site):
    write(site / "_config.yml", "scholar:\n  style: apa\n")  # default: _bibliography/references.bib
    write(site / "_bibliography" / "references.bib", BIB)
    post(site, "posts/a.md", "As {% cite smith20 %} shows.")
    result = build(BuildOptions(root=site, jobs=1))
    assert "As (Smith 2020) shows." in page_text(result, "/2024/01/01/a.html")
    assert not result.diagnostics


def test_site_tomls_bibliography_wins_over_jekyll_scholar(site):
    write(site / "_config.yml", "scholar:\n  source: ./bib\n  bibliography: theirs\n")
    write(site / "bib" / "theirs.bib", BIB.replace("Smith, John", "Theirs, Tom"))
    write(site / "refs" / "mine.bib", BIB.replace("Smith, John", "Mine, Mary"))
    write(site / "site.toml", '[plugins.compat]\nbibliography = "refs/mine.bib"\n')
    post(site, "posts/a.md", "As [@smith20].")
    url = "/2024/01/01/a.html"  # Jekyll's default permalink
    assert "As (Mine 2020)." in page_text(build(BuildOptions(root=site, jobs=1)), url)
    write(site / "site.toml", "")
    assert "As (Theirs 2020)." in page_text(build(BuildOptions(root=site, jobs=1)), url)


def test_a_missing_jekyll_scholar_bibliography_is_a_warning_at_its_line(site):
    write(site / "_config.yml", "title: T\nscholar:\n  bibliography: refs.bib\n")
    post(site, "posts/a.md", "Text.")
    result = build(BuildOptions(root=site, jobs=1))
    assert [str(d.location) for d in result.diagnostics] == ["_config.yml:2"]
    assert "_bibliography/refs.bib" in result.diagnostics[0].message


def test_a_bibliography_in_a_metadata_file_is_relative_to_that_file(site):
    write(site / "content" / "posts" / "_metadata.yml", "bibliography: refs.bib\n")
    write(site / "content" / "posts" / "refs.bib", BIB)
    post(site, "posts/2024/deep/a/index.md", "As [@smith20].")
    post(site, "posts/quiet.md", "Cites nothing.", day=2)
    result = build(BuildOptions(root=site, jobs=1))
    assert "As (Smith 2020)." in page_text(result, "/2024/01/a/")
    # a folder's bibliography is for the posts that cite: the others are not warned about it
    assert not result.diagnostics


def test_a_missing_inherited_bibliography_names_the_defaults_file(site):
    write(site / "content" / "posts" / "_metadata.yml", "author: Me\nbibliography: gone.bib\n")
    post(site, "posts/a.md", "As [@smith20].")
    with pytest.raises(StrideError) as raised:
        build(BuildOptions(root=site, jobs=1))
    assert "content/posts/_metadata.yml:2" in str(raised.value)
    assert "content/posts/gone.bib" in str(raised.value)


def test_a_bad_inherited_execute_option_names_the_defaults_file(site):
    write(site / "content" / "posts" / "_metadata.yml", "author: Me\nexecute:\n  echo: sometimes\n")
    post(site, "posts/a.md", "```{python}\nprint(1)\n```")
    with pytest.raises(StrideError) as raised:
        build(BuildOptions(root=site, jobs=1))
    assert "content/posts/_metadata.yml:2" in str(raised.value)
    assert "`execute: echo` must be true or false" in str(raised.value)


def test_metadata_files_are_neither_posts_nor_published(site):
    write(site / "content" / "_metadata.yml", "author: Everyone\n")
    write(site / "content" / "posts" / "_metadata.yml", "toc: true\n")
    write(site / "content" / "posts" / "bundle" / "_metadata.yml", "toc: false\n")
    write(site / "content" / "static" / "_metadata.yml", "x: 1\n")
    post(site, "posts/bundle/index.md", "shows: {{ page.author }} {{ page.toc }}")
    post(site, "posts/loose.md", "See _metadata.yml, shows: {{ page.author }} {{ page.toc }}",
         day=2)
    result = build(BuildOptions(root=site, jobs=1))
    assert result.posts == 2
    published = [p.name for p in result.output.rglob("*")]
    assert "_metadata.yml" not in published
    assert shown(result, "/2024/01/bundle/") == "shows: Everyone false"
    assert shown(result, "/2024/01/loose/") == "shows: Everyone true"


def test_a_posts_identity_is_not_inherited(site):
    write(site / "content" / "posts" / "_metadata.yml",
          "author: Me\ntitle: Everything\npermalink: /same/\n")
    post(site, "posts/a.md", "A.", title="First")
    post(site, "posts/b.md", "B.", title="Second", day=2)
    result = build(BuildOptions(root=site, jobs=1))
    assert result.posts == 2
    assert (result.output / "2024/01/a/index.html").is_file()
    assert "<title>First" in (result.output / "2024/01/a/index.html").read_text()
    assert sorted(str(d.location) for d in result.diagnostics) == [
        "content/posts/_metadata.yml:2", "content/posts/_metadata.yml:3"]


# ---------------------------------------------------------------- incremental builds

@pytest.fixture
def folders(site: Path) -> Path:
    write(site / "content" / "posts" / "deep" / "_metadata.yml", "author: Deep\n")
    for number in (1, 2):
        post(site, f"posts/deep/d{number}.md", "shows: {{ page.author }}", day=number)
    post(site, "posts/top.md", "shows: {{ page.author }}", day=3)
    return site


def test_editing_a_metadata_file_rerenders_the_posts_it_applies_to_and_nothing_else(folders):
    first = build(BuildOptions(root=folders, jobs=1))
    assert first.rendered == 3
    unchanged = build(BuildOptions(root=folders, jobs=1))
    assert unchanged.up_to_date and unchanged.rendered == 0
    write(folders / "content" / "posts" / "deep" / "_metadata.yml", "author: Deeper\n")
    edited = build(BuildOptions(root=folders, jobs=1))
    assert edited.rendered == 2
    assert {"2024/01/d1/index.html", "2024/01/d2/index.html"} <= set(edited.pages_rendered)
    assert "2024/01/top/index.html" not in edited.pages_rendered
    assert shown(edited, "/2024/01/d1/") == "shows: Deeper"
    # A comment changes the file but not what it sets, nor where: nothing is rendered again
    write(folders / "content" / "posts" / "deep" / "_metadata.yml", "author: Deeper  # who\n")
    again = build(BuildOptions(root=folders, jobs=1))
    assert not again.up_to_date and again.rendered == 0


def test_editing_the_quarto_project_file_rerenders_every_post(folders):
    build(BuildOptions(root=folders, jobs=1))
    write(folders / "_quarto.yml", "license: MIT\n")
    result = build(BuildOptions(root=folders, jobs=1))
    assert not result.up_to_date and result.rendered == 3
    assert build(BuildOptions(root=folders, jobs=1)).up_to_date


def test_a_warm_session_rerenders_the_posts_of_an_edited_metadata_file(folders):
    session = BuildSession()
    build(BuildOptions(root=folders, jobs=1), session=session)
    path = write(folders / "content" / "posts" / "deep" / "_metadata.yml", "author: Served\n")
    session.changed = frozenset({path.resolve()})
    result = build(BuildOptions(root=folders, jobs=1), session=session)
    assert result.rendered == 2
    assert shown(result, "/2024/01/d2/") == "shows: Served"
    post_path = post(folders, "posts/deep/d1.md", "shows: {{ page.author }} again", day=1)
    session.changed = frozenset({post_path.resolve()})
    result = build(BuildOptions(root=folders, jobs=1), session=session)
    assert result.rendered == 1 and shown(result, "/2024/01/d1/") == "shows: Served again"


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("text, where, message", [
    ("author: Me\nexecute:\n  echo: [false\n", "content/posts/_metadata.yml:3", "invalid YAML"),
    ("author: Me\nauthor: You\n", "content/posts/_metadata.yml:2", "duplicate key `author`"),
    ("a: &x [1, 2]\nb: *x\n", "content/posts/_metadata.yml:2", "aliases"),
    ("- author: Me\n", "content/posts/_metadata.yml:1", "must be `key: value` lines"),
    ("toc: true\ntags: {a: 1}\n", "content/posts/_metadata.yml:2", "`tags` must be a list"),
    ("draft: maybe\n", "content/posts/_metadata.yml:1", "`draft` must be true or false"),
])
def test_a_bad_metadata_file_stops_the_build_at_its_line(site, text, where, message):
    write(site / "content" / "posts" / "_metadata.yml", text)
    post(site, "posts/a.md", "Text.")
    with pytest.raises(StrideError) as raised:
        build(BuildOptions(root=site, jobs=1))
    error = raised.value.errors[0] if isinstance(raised.value, BuildFailed) else raised.value
    assert f"{error.location.path}:{error.location.line}" == where
    assert message in error.message
    assert error.hint


def test_a_deeply_nested_metadata_file_is_refused(site):
    write(site / "content" / "posts" / "_metadata.yml", "a: " + "[" * 60 + "]" * 60 + "\n")
    post(site, "posts/a.md", "Text.")
    with pytest.raises(StrideError, match="nested too deeply"):
        build(BuildOptions(root=site, jobs=1))


@pytest.mark.parametrize("text, line", [
    ("title: T\ndefaults:\n  scope: {path: _posts}\n", 3),
    ("title: T\ndefaults:\n  - scope: {path: _posts}\n", 3),
    ("title: T\ndefaults:\n  - scope: {path: [1]}\n    values: {a: 1}\n", 3),
    ("url: 12\n", 1),
])
def test_a_bad_jekyll_config_stops_the_build_at_its_line(site, text, line):
    write(site / "_config.yml", text)
    post(site, "posts/a.md", "Text.")
    with pytest.raises(StrideError) as raised:
        build(BuildOptions(root=site, jobs=1))
    assert str(raised.value).startswith(f"_config.yml:{line}")


def test_the_command_line_reports_a_bad_metadata_file_without_a_traceback(site):
    write(site / "content" / "posts" / "_metadata.yml", "author: Me\nexecute: {echo: }}\n")
    post(site, "posts/a.md", "Text.")
    result = run_cli("build", "--root", str(site))
    assert result.returncode != 0
    assert "content/posts/_metadata.yml:2" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_serve_watches_the_project_files_beside_the_config(site):
    from watchfiles import Change

    from generator.serve import watched_filter

    accept = watched_filter(site)
    for name in ("_quarto.yml", "_config.yml", "content/posts/_metadata.yml"):
        assert accept(Change.modified, str(site / name)), name
    assert not accept(Change.modified, str(site / "_site.yml"))


def test_a_line_added_above_the_keys_rerenders_nothing_and_warnings_name_their_new_lines(site):
    write(site / "content" / "posts" / "_metadata.yml", "author: Me\nbibliography: refs.bib\n")
    write(site / "content" / "posts" / "refs.bib", BIB + BIB)  # a repeated key: a warning
    post(site, "posts/a.md", "As [@smith20].")
    post(site, "posts/b.md", "Cites nothing.", day=2)
    session = BuildSession()
    for warm in (None, session):
        first = build(BuildOptions(root=site, jobs=1), session=warm)
        assert [str(d.location) for d in first.diagnostics] == ["content/posts/_metadata.yml:2"]
        write(site / "content" / "posts" / "_metadata.yml",
              "# shared by every post\nauthor: Me\nbibliography: refs.bib\n")
        moved = build(BuildOptions(root=site, jobs=1), session=warm)
        assert not moved.up_to_date and moved.rendered == 0 and moved.pages_rendered == ()
        assert [str(d.location) for d in moved.diagnostics] == ["content/posts/_metadata.yml:3"]
        write(site / "content" / "posts" / "_metadata.yml", "author: Me\nbibliography: refs.bib\n")


def test_an_error_in_a_defaults_file_names_its_line_after_a_line_moved_it(site):
    write(site / "content" / "posts" / "_metadata.yml", "author: Me\n")
    post(site, "posts/a.md", "```{python}\nprint(1)\n```")
    build(BuildOptions(root=site, jobs=1))
    write(site / "content" / "posts" / "_metadata.yml",
          "# shared\nauthor: Me\nexecute:\n  echo: sometimes\n")
    with pytest.raises(StrideError) as raised:
        build(BuildOptions(root=site, jobs=1))
    assert "content/posts/_metadata.yml:3" in str(raised.value)
