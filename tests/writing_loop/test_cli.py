"""The command line's writing-loop behaviour: the stat-only fast path, the summary, quietness."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from generator.cli import ProgressBar

from .helpers import add_post, make_site

REPO = Path(__file__).resolve().parents[2]


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "CI": "", **(env or {})})


def test_nothing_changed_is_answered_without_the_markdown_stack(tmp_path):
    site = make_site(tmp_path / "blog", posts=3)
    assert cli(str(REPO / "build.py"), "--root", str(site)).returncode == 0
    run = cli("-X", "importtime", str(REPO / "build.py"), "--root", str(site))
    assert run.returncode == 0 and run.stdout.startswith("up to date: 3 posts")
    imported = {line.split("|")[-1].strip() for line in run.stderr.splitlines()}
    assert not {"markdown_it", "matplotlib", "jinja2", "yaml"} & imported


def test_an_edit_that_keeps_size_and_mtime_is_still_seen(tmp_path):
    site = make_site(tmp_path / "blog", posts=3)
    assert cli(str(REPO / "build.py"), "--root", str(site)).returncode == 0
    post = site / "content" / "posts" / "post-02.md"
    before = post.stat()
    post.write_text(post.read_text().replace("Details of post 2.", "Details of post 9."))
    os.utime(post, ns=(before.st_atime_ns, before.st_mtime_ns))  # same size, same mtime
    run = cli(str(REPO / "build.py"), "--root", str(site))
    assert run.stdout.startswith("built 3 posts"), run.stdout
    assert "post 9" in (site / "public" / "2024" / "01" / "post-02" / "index.html").read_text()


def test_the_summary_line_and_quiet_modes(tmp_path):
    site = make_site(tmp_path / "blog", posts=3)
    run = cli(str(REPO / "build.py"), "--root", str(site))
    [line] = run.stdout.splitlines()
    assert line.startswith("built 3 posts and 1 pages into ")
    for part in ("4 rendered, 0 from cache", "pages templated", "files written",
                 "figures 0 run, 0 cached", "0 warnings"):
        assert part in line
    assert "\033[" not in run.stdout  # not a terminal: no progress bar
    add_post(site, 2, title="Changed")
    assert cli(str(REPO / "build.py"), "--root", str(site), "-q").stdout == ""
    add_post(site, 2, title="Changed again")
    assert "\033[" not in cli(str(REPO / "build.py"), "--root", str(site),
                              env={"CI": "true"}).stdout


def test_the_progress_bar_appears_only_after_a_moment(capsys):
    bar = ProgressBar()
    bar("content/posts/quick.md", 1, 10)
    assert capsys.readouterr().out == ""
    bar.started -= 10  # as if the build had been running for a while
    bar("content/posts/slow.md", 4, 10)
    bar.clear()
    shown = capsys.readouterr().out
    assert "4/10 posts rendered: content/posts/slow.md" in shown and shown.endswith("\r\033[K")


def test_warnings_are_repeated_when_nothing_changed(tmp_path):
    site = make_site(tmp_path / "blog", posts=2)
    (site / "content" / "posts" / "undated.md").write_text("# Only a heading\n\nText.\n")
    first = cli(str(REPO / "build.py"), "--root", str(site))
    again = cli(str(REPO / "build.py"), "--root", str(site))
    assert again.stdout.startswith("up to date")
    assert "undated.md:1" in first.stderr and "undated.md:1" in again.stderr
    stamp = next((site / ".stride-cache" / "stamps").glob("*.json"))
    assert json.loads(stamp.read_text())["summary"]["posts"] == 3
