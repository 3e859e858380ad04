"""`build.py check` over built sites: each problem named as page -> problem (source file:line)."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator.build import BuildOptions, build
from generator.check import check_site

from .helpers import add_post, make_site, write

REPO = Path(__file__).resolve().parents[2]

BROKEN = """Intro paragraph.

See [the missing post](/2024/01/nowhere/) and [a section](#no-such-heading).

![a lost figure](./lost.png)

$$
\\begin{equation} x = 1 \\label{eq:one} \\end{equation}
$$

Equation $\\eqref{eq:one}$ is referenced.

A note.[^n]

[^n]: The note.
"""


@pytest.fixture
def built(tmp_path: Path) -> Path:
    site = make_site(tmp_path / "blog", posts=4)
    add_post(site, 2, body=BROKEN)
    build(BuildOptions(root=site, jobs=1))
    return site


def test_each_problem_names_the_page_and_the_source_line(built):
    report = check_site(built, built / "public", validate=False)
    page = "2024/01/post-02/index.html"
    found = {problem.message.split(":")[0]: problem for problem in report.problems}
    source = "content/posts/post-02.md"
    assert found["broken link"].page == page
    assert found["broken link"].source == f"{source}:9"  # line 3 of the body, after 6 lines
    assert found["broken anchor"].source == f"{source}:9"
    assert found["broken image"].source == f"{source}:11"
    assert all(p.page == page for p in report.problems), report.text()
    assert "HTML validation: skipped (--no-validator)" in report.text()


def test_equation_and_footnote_targets_that_vanished(built):
    page = built / "public" / "2024" / "01" / "post-02" / "index.html"
    html = page.read_text()
    assert 'id="eq-one"' in html and 'id="fn1"' in html
    page.write_text(html.replace('id="eq-one"', "").replace('id="fn1"', ""))
    problems = {p.message.split(" ")[0]: p for p in check_site(built, built / "public",
                                                                validate=False).problems}
    assert "has no equation with id" in problems["equation"].message
    assert problems["equation"].source == "content/posts/post-02.md:14"  # the \\label line
    assert "has no matching footnote" in problems["footnote"].message
    assert problems["footnote"].source == "content/posts/post-02.md:19"  # the first [^ reference


def test_a_whole_site_has_no_link_problems(tmp_path):
    site = make_site(tmp_path / "blog", posts=7)
    add_post(site, 3, body="Summary.\n\nA note.[^a] [Back](/archive/) [Up](#top)\n\n"
                           "## Top {#top}\n\n[^a]: The note.")
    build(BuildOptions(root=site, jobs=1))
    report = check_site(site, site / "public", validate=False)
    assert report.problems == (), report.text()
    assert report.pages >= 12


def test_feed_and_sitemap_must_be_well_formed(built):
    out = built / "public"
    (out / "feed.xml").write_text("<feed><entry>")
    sitemap = (out / "sitemap.xml").read_text()
    (out / "sitemap.xml").write_text(sitemap.replace("/2024/01/post-01/", "/2024/01/gone/"))
    problems = [str(p) for p in check_site(built, out, validate=False).problems]
    assert any(p.startswith("feed.xml -> not well-formed XML") for p in problems)
    assert any(p.startswith("sitemap.xml -> lists ") and "/2024/01/gone/" in p for p in problems)


@pytest.mark.skipif(shutil.which("java") is None, reason="the W3C Nu validator needs Java")
def test_invalid_html_is_reported_by_the_nu_validator(tmp_path):
    site = make_site(tmp_path / "blog", posts=1)
    write(site / "content" / "static" / "bad.html",
          "<!doctype html><html lang=en><title>x</title><p><div></span>\n")
    build(BuildOptions(root=site, jobs=1))
    report = check_site(site, site / "public")
    bad = [p for p in report.problems if p.page == "bad.html"]
    assert bad and all(p.message.startswith("invalid HTML (line") for p in bad)
    assert bad[0].source == "content/static/bad.html"
    assert "W3C Nu validator" in report.validator


@pytest.mark.skipif(shutil.which("java") is None, reason="the W3C Nu validator needs Java")
def test_the_demo_site_passes_the_nu_validator(tmp_path):
    build(BuildOptions(root=REPO, out=tmp_path / "public", strict=True))
    report = check_site(REPO, tmp_path / "public")
    assert report.validator.startswith("W3C Nu validator"), report.validator
    assert not report.problems, [str(problem) for problem in report.problems]


def test_the_validator_is_npms_current_release_where_one_is_installed(tmp_path):
    from generator.check import validator_jar

    site = make_site(tmp_path / "blog", posts=1)
    bundled = validator_jar(site)
    site_jar = write(site / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar", "jar")
    assert validator_jar(site) == site_jar
    site_jar.unlink()
    assert validator_jar(site) == bundled


def test_the_command_exits_non_zero_with_the_list(built):
    run = subprocess.run([sys.executable, str(REPO / "build.py"), "check", "--root", str(built),
                          "--no-validator"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 1
    assert "2024/01/post-02/index.html -> broken link: /2024/01/nowhere/" in run.stderr
    assert "Traceback" not in run.stderr
