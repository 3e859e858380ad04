"""Quarto's metadata-files, profiles and list merging, and Hugo's cascade (``generator.project``),
on real sites: what a post inherits, errors at file:line, and the rebuilds an edit causes."""
from __future__ import annotations

from pathlib import Path

import pytest

from generator.build import BuildOptions, BuildSession, build
from generator.errors import StrideError

from ..conftest import run_cli, write
from .test_project_defaults import post, shown

SHOWS = "shows: {{ page.author }} / {{ page.license }} / {{ page.keywords | join: '+' }}"


def built(site: Path, **options):
    return build(BuildOptions(root=site, jobs=1, **options))


# ---------------------------------------------------------------- Quarto: metadata-files

def test_metadata_files_merge_in_order_over_the_file_that_lists_them(site):
    write(site / "_quarto.yml", "author: Quarto\nmetadata-files:\n  - _shared.yml\n"
          "  - config/later.yml\nlicense: MIT\n")
    write(site / "_shared.yml", "author: Shared\nkeywords: [shared]\n")
    write(site / "config" / "later.yml", "author: Later\n")
    post(site, "posts/a.md", SHOWS)
    # Quarto merges the listed files over _quarto.yml, each over the ones before it
    assert shown(built(site), "/2024/01/a/") == "shows: Later / MIT / shared"


def test_a_metadata_file_lists_files_beside_it(site):
    write(site / "content" / "posts" / "_metadata.yml", "metadata-files: [more.yml]\n")
    write(site / "content" / "posts" / "more.yml", "license: CC BY\n")
    post(site, "posts/a.md", SHOWS)
    result = built(site)
    assert shown(result, "/2024/01/a/") == "shows:  / CC BY /"
    assert "more.yml" not in [p.name for p in result.output.rglob("*")]


@pytest.mark.parametrize("text, where", [
    ("author: Me\nmetadata-files:\n  - _here.yml\n  - _gone.yml\n", "_quarto.yml:4"),
    ("metadata-file: _gone.yml\n", "_quarto.yml:1"),
    ("author: Me\nmetadata-files: _here.yml\n", "_quarto.yml:2"),
    ("metadata-files:\n  - ../outside.yml\n", "_quarto.yml:2"),
])
def test_a_bad_or_missing_metadata_file_stops_the_build_at_the_line_naming_it(site, text, where):
    write(site / "_quarto.yml", text)
    write(site / "_here.yml", "license: MIT\n")
    write(site.parent / "outside.yml", "license: MIT\n")
    post(site, "posts/a.md", SHOWS)
    with pytest.raises(StrideError) as raised:
        built(site)
    assert str(raised.value).startswith(where)


def test_editing_a_listed_file_rerenders_the_posts_and_the_no_change_check_sees_it(site):
    write(site / "content" / "posts" / "deep" / "_metadata.yml", "metadata-files: [more.yml]\n")
    write(site / "content" / "posts" / "deep" / "more.yml", "author: Deep\n")
    post(site, "posts/deep/d.md", SHOWS)
    post(site, "posts/top.md", SHOWS, day=2)
    write(site / "_quarto.yml", "metadata-files: [_site.yml]\n")
    write(site / "_site.yml", "license: MIT\n")
    built(site)
    assert built(site).up_to_date
    write(site / "content" / "posts" / "deep" / "more.yml", "author: Deeper\n")
    result = built(site)
    assert result.rendered == 1 and shown(result, "/2024/01/d/") == "shows: Deeper / MIT /"
    write(site / "_site.yml", "license: CC0\n")  # outside content/: the stamp lists it
    result = built(site)
    assert not result.up_to_date and result.rendered == 2
    assert built(site).up_to_date


# ---------------------------------------------------------------- Quarto: profiles

@pytest.fixture
def profiles(site: Path) -> Path:
    write(site / "_quarto.yml", "author: Base\nprofile:\n  default: draft\n"
          "website:\n  title: Base site\n")
    write(site / "_quarto-draft.yml", "author: Draft\n")
    write(site / "_quarto-final.yml", "author: Final\nlicense: MIT\n"
          "website:\n  title: Final site\n")
    post(site, "posts/a.md", SHOWS)
    return site


def test_the_default_profile_is_read_over_quarto_yml(profiles, monkeypatch):
    monkeypatch.delenv("QUARTO_PROFILE", raising=False)
    result = built(profiles)
    assert shown(result, "/2024/01/a/") == "shows: Draft /  /"
    assert "<title>Base site" in (result.output / "index.html").read_text()


def test_quarto_profile_or_the_option_names_the_active_profiles(profiles, monkeypatch):
    monkeypatch.setenv("QUARTO_PROFILE", "final")
    result = built(profiles)
    assert shown(result, "/2024/01/a/") == "shows: Final / MIT /"
    assert "<title>Final site" in (result.output / "index.html").read_text()
    # the option replaces the variable; of two profiles, the first named wins
    assert shown(built(profiles, profile="draft,final"), "/2024/01/a/") == "shows: Draft / MIT /"
    monkeypatch.setenv("QUARTO_PROFILE", "draft")  # the no-change check knows the profile
    result = built(profiles)
    assert not result.up_to_date and shown(result, "/2024/01/a/") == "shows: Draft /  /"


def test_a_profile_group_activates_its_first_name_when_none_is_active(site, monkeypatch):
    monkeypatch.delenv("QUARTO_PROFILE", raising=False)
    write(site / "_quarto.yml", "profile:\n  group:\n    - [basic, advanced]\n")
    write(site / "_quarto-basic.yml", "author: Basic\n")
    write(site / "_quarto-advanced.yml", "author: Advanced\n")
    post(site, "posts/a.md", SHOWS)
    assert shown(built(site), "/2024/01/a/") == "shows: Basic /  /"
    assert shown(built(site, profile="advanced"), "/2024/01/a/") == "shows: Advanced /  /"


def test_creating_the_active_profiles_file_is_seen_by_the_no_change_check(site):
    write(site / "_quarto.yml", "author: Base\n")
    post(site, "posts/a.md", SHOWS)
    built(site, profile="late")
    write(site / "_quarto-late.yml", "author: Late\n")
    result = built(site, profile="late")
    assert not result.up_to_date and shown(result, "/2024/01/a/") == "shows: Late /  /"


def test_the_command_line_takes_a_profile(profiles):
    result = run_cli("build", "--root", str(profiles), "--profile", "final")
    assert result.returncode == 0, result.stderr
    page = (profiles / "public" / "2024" / "01" / "a" / "index.html").read_text()
    assert "shows: Final / MIT /" in page


@pytest.mark.parametrize("text", ["profile: draft\n", "profile:\n  default: {a: 1}\n",
                                  "profile:\n  group: [[a], b]\n"])
def test_a_bad_profile_setting_stops_the_build_at_its_line(site, text):
    write(site / "_quarto.yml", "author: Me\n" + text)
    post(site, "posts/a.md", SHOWS)
    with pytest.raises(StrideError) as raised:
        built(site, profile="")
    assert str(raised.value).startswith("_quarto.yml:2")


def test_serve_watches_the_files_the_project_files_name(site):
    from watchfiles import Change

    from generator.serve import watched_filter

    accept = watched_filter(site, lambda: {site / "_quarto-final.yml", site / "config" / "x.yml"})
    assert accept(Change.modified, str(site / "config" / "x.yml"))
    assert accept(Change.added, str(site / "_quarto-final.yml"))
    assert not accept(Change.modified, str(site / "config" / "y.yml"))


# ---------------------------------------------------------------- lists

def test_quarto_files_add_lists_up_with_the_posts_and_jekyll_replaces_them(site):
    write(site / "_quarto.yml", "keywords: [site]\n")
    write(site / "content" / "posts" / "_metadata.yml", "keywords: [folder, site]\n")
    post(site, "posts/a.md", SHOWS, extra="keywords: own\n")
    # as Quarto merges: each value once, a single value taken as a list of one
    assert shown(built(site), "/2024/01/a/") == "shows:  /  / site+folder+own"
    write(site / "_quarto.yml", "")
    write(site / "content" / "posts" / "_metadata.yml", "")
    write(site / "_config.yml", "defaults:\n  - values: {keywords: [jekyll]}\n")
    # (a Jekyll site that names no permalink keeps Jekyll's default, `date`)
    assert shown(built(site), "/2024/01/01/a.html") == "shows:  /  / own"


# ---------------------------------------------------------------- Hugo: cascade

def test_a_sections_cascade_applies_below_it_and_the_nearer_one_wins(site):
    write(site / "content" / "_index.md", "+++\ntitle = 'Home'\n[cascade]\nauthor = 'Site'\n"
          "license = 'MIT'\n+++\n")
    write(site / "content" / "posts" / "deep" / "_index.md",
          '{\n  "title": "Deep",\n  "cascade": {"author": "Deep", "slug": "same"}\n}\n')
    post(site, "posts/deep/d.md", SHOWS)
    post(site, "posts/top.md", SHOWS, day=2)
    post(site, "posts/deep/own.md", SHOWS, day=3, extra="author: Own\n")
    result = built(site)
    assert result.posts == 3  # the _index.md files are no posts
    assert shown(result, "/2024/01/d/") == "shows: Deep / MIT /"
    assert shown(result, "/2024/01/top/") == "shows: Site / MIT /"
    assert shown(result, "/2024/01/own/") == "shows: Own / MIT /"
    # a page's identity is its own: the cascaded slug is dropped, with a warning at its line
    assert [str(d.location) for d in result.diagnostics if d.kind == "defaults"] == [
        "content/posts/deep/_index.md:3"]


def test_cascade_targets_pick_pages_by_path_and_kind_and_the_first_match_wins(site):
    write(site / "content" / "posts" / "_index.md", """---
title: Posts
cascade:
  - author: Notes
    _target:
      path: "/posts/notes/**"
  - author: Everyone
    license: MIT
  - license: never
    target:
      kind: "{section,home}"
  - keywords: [x]
    target:
      path: "/posts/*"
      lang: en
---
""")
    post(site, "posts/notes/n.md", SHOWS)
    post(site, "posts/p.md", SHOWS, day=2)
    result = built(site)
    assert shown(result, "/2024/01/n/") == "shows: Notes / MIT /"
    assert shown(result, "/2024/01/p/") == "shows: Everyone / MIT / x"
    warned = [d for d in result.diagnostics if d.kind == "defaults"]
    assert [str(d.location) for d in warned] == ["content/posts/_index.md:13"]
    assert "`target: lang` is not read" in warned[0].message


@pytest.mark.parametrize("text, where", [
    ("---\ntitle: P\ncascade: [1, 2]\n---\n", "content/posts/_index.md:3"),
    ("---\ntitle: P\ncascade:\n  a: 1\n  _target: {path: '/posts/{a'}\n---\n",
     "content/posts/_index.md:5"),
    ("+++\ntitle = P\n+++\n", "content/posts/_index.md:2"),
    ('{\n  "cascade": {"a": 1,}\n}\n', "content/posts/_index.md:2"),
])
def test_a_bad_cascade_stops_the_build_at_its_line(site, text, where):
    write(site / "content" / "posts" / "_index.md", text)
    post(site, "posts/a.md", SHOWS)
    with pytest.raises(StrideError) as raised:
        built(site)
    assert str(raised.value).startswith(where)


def test_editing_a_cascade_rerenders_exactly_the_pages_below_it(site):
    write(site / "content" / "posts" / "deep" / "_index.md", "---\ncascade:\n  author: A\n---\n")
    post(site, "posts/deep/d.md", SHOWS)
    post(site, "posts/top.md", SHOWS, day=2)
    session = BuildSession()
    build(BuildOptions(root=site, jobs=1), session=session)
    path = write(site / "content" / "posts" / "deep" / "_index.md",
                 "---\n# who writes here\ncascade:\n  author: B\n---\n")
    session.changed = frozenset({path.resolve()})
    result = build(BuildOptions(root=site, jobs=1), session=session)
    assert result.rendered == 1 and "2024/01/top/index.html" not in result.pages_rendered
    assert shown(result, "/2024/01/d/") == "shows: B /  /"
    built(site)
    write(site / "content" / "posts" / "deep" / "_index.md",
          "---\n# who writes here\n\ncascade:\n  author: B\n---\n")
    result = built(site)
    assert not result.up_to_date and result.rendered == 0 and result.pages_rendered == ()
