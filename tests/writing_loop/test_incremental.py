"""Incremental builds: what an edit re-renders, and that the result equals a full build."""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.build import BuildOptions, BuildSession, build

from .helpers import add_post, make_site, snapshot, write


def full_build(site: Path, out: Path) -> dict[str, str]:
    """The site built from nothing (no caches, fresh output) for comparison."""
    fresh = out.parent / (out.name + "-cache-free-site")
    shutil.rmtree(fresh, ignore_errors=True)
    shutil.copytree(site, fresh, ignore=shutil.ignore_patterns(".stride-cache", "public*"))
    return snapshot(build(BuildOptions(root=fresh, out=out, jobs=1)).output)


@pytest.fixture
def blog(tmp_path: Path) -> Path:
    return make_site(tmp_path / "blog")


def test_body_edit_rerenders_the_post_the_feed_and_the_search_index_only(blog, tmp_path):
    first = build(BuildOptions(root=blog, jobs=1))
    before = json.loads((first.output / "search/0.json").read_text())
    add_post(blog, 7, body="Summary of post 7.\n\nNew details, $x^2$ and all.")
    result = build(BuildOptions(root=blog, jobs=1))
    assert result.rendered == 1
    assert set(result.pages_rendered) == {"2024/01/post-07/index.html", "feed.xml",
                                          "search/0.json"}
    assert result.write.written == 3
    after = json.loads((result.output / "search/0.json").read_text())
    [edited] = [i for i, entry in enumerate(after) if entry["title"] == "Post 7"]
    assert after[edited]["text"] == "Summary of post 7. New details, x^2 and all."
    assert before[edited]["text"] == "Summary of post 7. Details of post 7."
    assert after[:edited] + after[edited + 1:] == before[:edited] + before[edited + 1:]
    assert snapshot(result.output) == full_build(blog, tmp_path / "reference")


def test_a_build_with_nothing_changed_writes_nothing(blog):
    first = build(BuildOptions(root=blog, jobs=1))
    index = first.output / "search/0.json"
    stat = index.stat()
    assert build(BuildOptions(root=blog, jobs=1)).up_to_date
    # past the no-change check too: a warm session plans every page and keeps them all
    session = BuildSession()
    build(BuildOptions(root=blog, jobs=1), session=session)
    session.changed = frozenset()
    again = build(BuildOptions(root=blog, jobs=1), session=session)
    assert again.pages_rendered == () and again.write.written == again.write.removed == 0
    assert (index.stat().st_mtime_ns, index.stat().st_ino) == (stat.st_mtime_ns, stat.st_ino)


def test_retitle_rerenders_every_page_that_shows_the_title(blog, tmp_path):
    build(BuildOptions(root=blog, jobs=1))
    add_post(blog, 7, title="A new title", tags="signals")
    result = build(BuildOptions(root=blog, jobs=1))
    # Post 7 is the 6th newest of 12: on index page 2, between posts 8 and 6.
    assert set(result.pages_rendered) == {
        "2024/01/post-07/index.html", "2024/01/post-08/index.html", "2024/01/post-06/index.html",
        "page/2/index.html", "tags/signals/index.html", "archive/index.html", "feed.xml",
        "search/0.json"}
    assert snapshot(result.output) == full_build(blog, tmp_path / "reference")


def test_new_post_shifts_the_index_pages_and_the_sitemap(blog, tmp_path):
    build(BuildOptions(root=blog, jobs=1))
    add_post(blog, 20, tags="math")
    result = build(BuildOptions(root=blog, jobs=1))
    assert result.rendered == 1  # the other posts' renders did not look the new one up
    assert {"index.html", "page/2/index.html", "page/3/index.html", "sitemap.xml",
            "tags/math/index.html", "2024/01/post-12/index.html",
            "search/0.json"} <= set(result.pages_rendered)
    assert "tags/signals/index.html" not in result.pages_rendered
    assert snapshot(result.output) == full_build(blog, tmp_path / "reference")


def test_template_change_rerenders_the_pages_that_use_it(blog, tmp_path):
    build(BuildOptions(root=blog, jobs=1))
    builtin = Path(__file__).resolve().parents[2] / "theme" / "templates" / "tag.html"
    text = builtin.read_text().replace("All tags", "Every tag")
    write(blog / "theme" / "templates" / "tag.html", text)
    result = build(BuildOptions(root=blog, jobs=1))
    assert result.rendered == 0
    assert set(result.pages_rendered) == {"tags/signals/index.html", "tags/math/index.html"}
    assert "Every tag" in (result.output / "tags" / "math" / "index.html").read_text()
    assert snapshot(result.output) == full_build(blog, tmp_path / "reference")


def test_config_change_rerenders_every_page(blog, tmp_path):
    first = build(BuildOptions(root=blog, jobs=1))
    write(blog / "site.toml", 'title = "Renamed"\nposts_per_page = 5\nsearch = true\n')
    result = build(BuildOptions(root=blog, jobs=1))
    assert set(result.pages_rendered) == set(first.pages_rendered)
    assert snapshot(result.output) == full_build(blog, tmp_path / "reference")


def test_deleting_the_cache_changes_nothing_but_the_time(blog):
    first = snapshot(build(BuildOptions(root=blog, jobs=1)).output)
    shutil.rmtree(blog / ".stride-cache")
    again = build(BuildOptions(root=blog, jobs=1))
    assert again.rendered == 13 and again.write.unchanged
    assert snapshot(again.output) == first


def test_corrupt_state_is_a_cold_start_not_a_crash(blog):
    first = snapshot(build(BuildOptions(root=blog, jobs=1)).output)
    cache = blog / ".stride-cache"
    for state in (*(cache / "state").iterdir(), *cache.glob("*/*/shard-*.pickle")):
        state.write_bytes(b"not a pickle")
    add_post(blog, 3, title="Changed")
    result = build(BuildOptions(root=blog, jobs=1))
    assert result.write.written >= 1 and snapshot(result.output) != first


def test_an_output_file_removed_by_hand_is_restored(blog):
    out = build(BuildOptions(root=blog, jobs=1)).output
    (out / "archive" / "index.html").unlink()
    result = build(BuildOptions(root=blog, jobs=1))
    assert not result.up_to_date and result.pages_rendered == ("archive/index.html",)
    assert (out / "archive" / "index.html").is_file()


def test_serial_and_parallel_builds_are_identical(blog, tmp_path):
    # Enough posts that the pages are templated in worker processes too.
    for number in range(13, 220):
        add_post(blog, number, tags="math", day=1 + number % 28,
                 body=f"Math ${number}x$ here.\n\n$$\\sum_k x_k$$")
    serial = build(BuildOptions(root=blog, out=tmp_path / "serial", jobs=1, refresh=True))
    parallel = build(BuildOptions(root=blog, out=tmp_path / "parallel", jobs=2, refresh=True))
    assert serial.rendered == parallel.rendered == 220
    assert len(parallel.pages_rendered) > 2 * 100
    assert snapshot(serial.output) == snapshot(parallel.output)
    assert "search/0.json" in snapshot(parallel.output)  # the index is compared as well
    # The dependencies recorded by the workers serve the next incremental build as well.
    add_post(blog, 100, title="Retitled", tags="math", day=1 + 100 % 28)
    again = build(BuildOptions(root=blog, out=tmp_path / "parallel", jobs=2))
    assert again.rendered == 1 and 2 < len(again.pages_rendered) < 20
    assert snapshot(again.output) == full_build(blog, tmp_path / "reference")


def test_a_warm_session_rerenders_only_the_changed_post(blog):
    session = BuildSession()
    build(BuildOptions(root=blog, jobs=1), session=session)
    path = add_post(blog, 4, body="Summary of post 4.\n\nEdited in the editor.")
    session.changed = frozenset({path.resolve()})
    result = build(BuildOptions(root=blog, jobs=1), session=session)
    assert result.rendered == 1
    assert set(result.pages_rendered) == {"2024/01/post-04/index.html", "feed.xml",
                                          "search/0.json"}
    assert "Edited in the editor" in (result.output / "2024/01/post-04/index.html").read_text()


EDITS = st.lists(st.tuples(st.sampled_from(["title", "tags", "date", "body", "add", "delete"]),
                           st.integers(1, 8)), min_size=1, max_size=4)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=EDITS, warm=st.booleans())
def test_any_sequence_of_edits_builds_what_a_full_build_builds(tmp_path_factory, edits, warm):
    """From the command line (a session loaded from disk each time) or in ``serve`` (one warm
    session for every rebuild)."""
    site = make_site(tmp_path_factory.mktemp("site"), posts=6)
    out = site / "public"
    session = BuildSession() if warm else None
    build(BuildOptions(root=site, jobs=1), session=session)
    for step, (kind, number) in enumerate(edits):
        path = site / "content" / "posts" / f"post-{number:02d}.md"
        if kind == "delete":
            path.unlink(missing_ok=True)
        elif kind == "title":
            add_post(site, number, title=f"Title {step}")
        elif kind == "tags":
            add_post(site, number, tags=["math", "signals, fourier", "fourier"][step % 3])
        elif kind == "date":
            add_post(site, number, day=20 + step)
        else:
            add_post(site, number, body=f"Summary {step}.\n\nBody {step} of {number}.")
        build(BuildOptions(root=site, jobs=1), session=session)
    assert snapshot(out) == full_build(site, site.parent / (site.name + "-reference"))


def test_pruning_the_plugin_caches_spares_the_builds_own_folders(blog):
    kept = write(blog / ".stride-cache" / "serve" / "index.html", "served site")
    stale = write(blog / ".stride-cache" / "math" / "v1-old" / "ab" / "abcd", "stale entry")
    build(BuildOptions(root=blog, jobs=1))
    assert kept.read_text() == "served site"
    assert not stale.exists()


def test_a_body_edit_compares_only_the_pages_that_read_the_post(blog, monkeypatch):
    from generator.incremental import SiteSnapshot

    build(BuildOptions(root=blog, jobs=1))
    compared: list[str] = []
    encode = SiteSnapshot.arguments_text
    monkeypatch.setattr(SiteSnapshot, "arguments_text",
                        lambda self, template, url, *rest: compared.append(url)
                        or encode(self, template, url, *rest))
    add_post(blog, 7, body="Summary of post 7.\n\nAn edited body.")
    result = build(BuildOptions(root=blog, jobs=1))
    assert set(result.pages_rendered) == {"2024/01/post-07/index.html", "feed.xml",
                                          "search/0.json"}
    # the pages that read post 7 at all (itself, its neighbours, its index page, tags, archive,
    # feed): a dozen, not the site's thirty
    assert "/2024/01/post-07/" in compared and len(compared) < 15
    assert "/2024/01/post-01/" not in compared


def test_a_page_rendered_again_digests_only_the_values_of_posts_that_changed(blog, monkeypatch):
    """The feed reads every post of this site (as the search index does): after a body edit its
    new record takes the other posts' reads from its last record, their versions unchanged."""
    from generator.incremental import SiteSnapshot

    build(BuildOptions(root=blog, jobs=1))
    digested: set[str] = set()
    value_digest = SiteSnapshot.value_digest
    monkeypatch.setattr(SiteSnapshot, "value_digest", lambda self, root, path:
                        digested.add(root) or value_digest(self, root, path))
    add_post(blog, 7, body="Summary of post 7.\n\nAn edited body.")
    result = build(BuildOptions(root=blog, jobs=1))
    assert "feed.xml" in result.pages_rendered
    assert {root for root in digested if root.startswith("post:")} == {
        "post:content/posts/post-07.md"}


def test_pages_built_into_a_second_output_are_not_taken_for_current_after_a_new_post(
        blog, tmp_path):
    """The page records of each output are checked against the structure they were made for:
    output B last built before a post was added must not keep its stale neighbour links."""
    first, second = tmp_path / "first", tmp_path / "second"
    build(BuildOptions(root=blog, out=first, jobs=1))
    build(BuildOptions(root=blog, out=second, jobs=1))
    add_post(blog, 20)
    build(BuildOptions(root=blog, out=first, jobs=1))
    add_post(blog, 20, body="Summary of post 20.\n\nEdited.")
    result = build(BuildOptions(root=blog, out=second, jobs=1))
    assert snapshot(result.output) == full_build(blog, tmp_path / "reference")


def test_an_edit_rendered_by_warm_workers_equals_a_full_build(blog, tmp_path):
    """With two cores an edit's posts go to workers forked at the start of the build (warmed up
    on the changed posts' languages while the state loads): the same bytes as a full build."""
    build(BuildOptions(root=blog, jobs=2))
    write(blog / "content" / "posts" / "post-05.md",
          "---\ntitle: Post 5\ndate: 2024-01-05\ntags: [signals]\n---\n\nSummary of post 5.\n\n"
          "```rust\nfn main() {}\n```\n\n$$\\sum_i x_i$$\n")
    result = build(BuildOptions(root=blog, jobs=2))
    assert result.rendered == 1
    page = (result.output / "2024" / "01" / "post-05" / "index.html").read_text()
    assert "<math" in page and 'class="language-rust"' in page
    assert snapshot(result.output) == full_build(blog, tmp_path / "reference")


def test_a_post_that_refers_to_a_missing_post_is_rendered_again_when_it_appears(blog, tmp_path):
    add_post(blog, 3, body="Summary of post 3.\n\nSee [the sequel]({% post_url post-20 %}) and "
                           "![a plot](/images/plot.png).")
    first = build(BuildOptions(root=blog, jobs=1))
    assert any("post-20" in d.message for d in first.diagnostics)
    add_post(blog, 20)
    write(blog / "content" / "static" / "images" / "plot.png", "not really a PNG")
    result = build(BuildOptions(root=blog, jobs=1))
    assert result.rendered == 2  # the new post, and post 3 whose questions got new answers
    page = (result.output / "2024" / "01" / "post-03" / "index.html").read_text()
    assert 'href="/2024/01/post-20/"' in page
    assert not any(d.location.path.endswith("post-03.md") for d in result.diagnostics)
    assert snapshot(result.output) == full_build(blog, tmp_path / "reference")


def test_only_changed_files_are_read_and_refresh_reads_them_all(blog, monkeypatch):
    import generator.discover

    for path in (blog / "content").rglob("*.md"):  # old enough for their stat to be trusted
        os.utime(path, (time.time() - 3600,) * 2)
    build(BuildOptions(root=blog, jobs=1))
    read: list[str] = []
    original = generator.discover.read_source
    monkeypatch.setattr(generator.discover, "read_source",
                        lambda path, *rest: read.append(path.name) or original(path, *rest))
    add_post(blog, 5, body="Summary of post 5.\n\nEdited.")
    build(BuildOptions(root=blog, jobs=1))
    assert read == ["post-05.md"]
    read.clear()
    build(BuildOptions(root=blog, jobs=1, refresh=True))
    assert len(read) == 13


def test_an_older_strides_state_files_are_removed(blog):
    stale = write(blog / ".stride-cache" / "state" / "v0-parsed.pickle", "from an old version")
    build(BuildOptions(root=blog, jobs=1))
    assert not stale.exists()
    assert any((blog / ".stride-cache" / "state").glob("v*-urls.pickle"))
