"""discover: what it reads, and what it takes from the last build instead."""
import os
import time

from generator.discover import discover, read_source

from ..conftest import write

HOUR_AGO = time.time() - 3600


def _old_post(site, name, text):
    path = site / "content" / "posts" / name
    write(path, text)
    os.utime(path, (HOUR_AGO, HOUR_AGO))
    return path


def test_a_file_whose_stat_is_unchanged_is_not_read_again(tmp_path):
    path = _old_post(tmp_path, "a.md", "# A\n\nFirst.\n")
    [first] = discover(tmp_path, tmp_path / "theme").sources
    assert first.stat  # old enough for its timestamps to be trusted
    [again] = discover(tmp_path, tmp_path / "theme", {path: first}).sources
    assert again is first


def test_a_rewrite_that_keeps_size_and_mtime_is_still_seen(tmp_path):
    path = _old_post(tmp_path, "a.md", "# A\n\nFirst.\n")
    [first] = discover(tmp_path, tmp_path / "theme").sources
    path.write_text("# A\n\nFixed.\n")  # same size
    os.utime(path, ns=(first.stat[1], first.stat[1]))  # and the mtime put back: ctime moves
    [again] = discover(tmp_path, tmp_path / "theme", {path: first}).sources
    assert "Fixed." in again.text and again.digest != first.digest


def test_a_file_modified_just_now_is_never_trusted(tmp_path):
    path = tmp_path / "content" / "posts" / "new.md"
    write(path, "# New\n")
    source = read_source(path, tmp_path, tmp_path / "content", "post", None)
    assert source.stat == ()
    [again] = discover(tmp_path, tmp_path / "theme", {path: source}).sources
    assert again is not source


def test_a_post_that_became_a_page_is_read_again(tmp_path):
    path = _old_post(tmp_path, "a.md", "# A\n")
    [first] = discover(tmp_path, tmp_path / "theme").sources
    moved = tmp_path / "content" / "pages" / "a.md"
    moved.parent.mkdir(parents=True)
    os.rename(path, moved)
    [again] = discover(tmp_path, tmp_path / "theme", {moved: first}).sources
    assert again.kind == "page" and again.rel == "content/pages/a.md"


def test_quarto_posts_are_posts_and_a_folder_with_index_qmd_is_a_bundle(tmp_path):
    _old_post(tmp_path, "a.qmd", "# A\n")
    _old_post(tmp_path, "b/index.qmd", "# B\n")
    write(tmp_path / "content" / "posts" / "b" / "plot.png", "png")
    discovery = discover(tmp_path, tmp_path / "theme")
    assert sorted(source.content_rel for source in discovery.sources) == [
        "posts/a.qmd", "posts/b/index.qmd"]
