"""Whole-site builds on real disk through build() and the CLI."""
from __future__ import annotations

import hashlib
import pickle
import re
from pathlib import Path

import html5lib
import pytest

from generator.build import PAGES_PER_WORKER, BuildOptions, build
from generator.check import check_site
from generator.errors import BuildFailed, OutputError, StrideError

from ..conftest import REPO, run_cli, write

POST = "---\ntitle: {title}\ndate: {date}\ntags: [{tags}]\n---\n\n{body}\n"
PAGES_FOR_TWO_WORKERS = 2 * PAGES_PER_WORKER


def add_post(site: Path, name: str, title: str = "A post", date: str = "2024-01-01",
             tags: str = "math", body: str = "Hello.") -> Path:
    return write(site / "content" / "posts" / name,
                 POST.format(title=title, date=date, tags=tags, body=body))


def snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def html_pages(out: Path) -> list[Path]:
    return sorted(out.rglob("*.html"))


def assert_valid_html5(page: Path) -> None:
    parser = html5lib.HTMLParser(strict=False)
    parser.parse(page.read_bytes())
    assert parser.errors == [], f"{page}: {parser.errors[:3]}"


def test_seed_posts_build_and_read_well(seed_site):
    result = build(BuildOptions(root=seed_site))
    out = result.output
    assert result.posts == 3
    page = (out / "ConvNet-dont-do-Conv" / "index.html").read_text()
    for number in range(1, 5):
        assert f'href="#fn{number}" id="fnref{number}"' in page
        assert f'id="fn{number}"' in page and f'href="#fnref{number}"' in page
    assert '<span style="color:blue"> blue </span>' in page
    assert '<code class="language-python">' in page and 'class="kn">import</span>' in page
    # no script: search is off unless a site asks for it (tests/site/test_search.py)
    assert not [p for p in html_pages(out) if "<script" in p.read_text()]
    for html_page in html_pages(out):
        assert_valid_html5(html_page)


def test_every_page_of_the_demo_site_is_valid_html5(tmp_path):
    result = build(BuildOptions(root=REPO, out=tmp_path / "public", strict=True))
    assert result.posts >= 3
    report = check_site(REPO, result.output, validate=False)
    assert not report.problems, report.problems
    pages = html_pages(result.output)
    assert len(pages) > 10
    for page in pages:
        assert_valid_html5(page)


def test_site_pages_feed_sitemap_and_escaping(site):
    add_post(site, "2024-05-06-first.md", title='"</title><script>alert(1)</script>"',
             tags="a, b", date="2024-05-06")
    add_post(site, "2023-01-02-second.md", title="Second", date="2023-01-02", tags="b")
    write(site / "content" / "pages" / "about.md", "---\ntitle: About me\n---\nHi.\n")
    out = build(BuildOptions(root=site)).output
    first = (out / "2024" / "05" / "first" / "index.html").read_text()
    assert "<script>alert(1)</script>" not in first and "&lt;script&gt;" in first
    assert (out / "2023" / "01" / "second" / "index.html").exists()
    assert (out / "about" / "index.html").exists()
    assert (out / "tags" / "b" / "index.html").read_text().count('class="post-list"') == 1
    for name in ("index.html", "tags/index.html", "archive/index.html", "404.html", "feed.xml",
                 "sitemap.xml", "robots.txt", "static/css/style.css", "static/css/pygments.css"):
        assert (out / name).is_file(), name
    import xml.etree.ElementTree as ET
    feed = ET.parse(out / "feed.xml").getroot()
    titles = [e.text for e in feed.iter("{http://www.w3.org/2005/Atom}title")]
    assert "</title><script>alert(1)</script>" in titles  # escaped in XML, exact as text
    ET.parse(out / "sitemap.xml")
    archive = (out / "archive" / "index.html").read_text()
    assert archive.index("2024") < archive.index("2023")
    older_link = re.search(r'rel="prev" href="([^"]+)"', first)
    assert older_link and older_link.group(1) == "/2023/01/second/"


def test_base_url_with_a_path(site):
    write(site / "site.toml", 'base_url = "https://someone.github.io/blog/"\n')
    add_post(site, "2024-05-06-first.md", body="[about](/about/) ![i](./pic.png)", date="2024-05-06")
    write(site / "content" / "posts" / "pic.png", "png")
    write(site / "content" / "pages" / "about.md", "---\ntitle: About\n---\nHi.\n")
    out = build(BuildOptions(root=site)).output
    for page in html_pages(out):
        for url in re.findall(r'(?:href|src)="([^"]+)"', page.read_text()):
            assert url.startswith(("/blog/", "https://", "./", "#")), (page, url)
    feed = (out / "feed.xml").read_text()
    assert "https://someone.github.io/blog/2024/05/first/" in feed
    assert (out / "2024" / "05" / "first" / "pic.png").exists()


def test_drafts_only_with_the_flag(site):
    add_post(site, "2024-01-01-public.md")
    write(site / "content" / "posts" / "2024-01-02-secret.md",
          "---\ntitle: Secret\ndraft: true\n---\nx\n")
    out = build(BuildOptions(root=site)).output
    assert not (out / "2024" / "01" / "secret").exists()
    assert "Secret" not in (out / "feed.xml").read_text()
    out = build(BuildOptions(root=site, drafts=True)).output
    assert (out / "2024" / "01" / "secret" / "index.html").exists()


def test_url_collision_names_both_files(site):
    add_post(site, "a.md", body="x", date="2024-05-06")
    write(site / "content" / "posts" / "b.md",
          "---\ntitle: B\ndate: 2024-05-06\nslug: a\n---\ny\n")
    with pytest.raises(StrideError) as caught:
        build(BuildOptions(root=site))
    text = str(caught.value)
    assert "content/posts/a.md" in text and "content/posts/b.md" in text


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_first_build_stopped_while_writing_pages_leaves_nothing_behind(site, jobs):
    """A first build writes its pages into the stage as they are rendered: a template error
    on the last of them must still leave no output and no stage."""
    for number in range(PAGES_FOR_TWO_WORKERS):
        add_post(site, f"p{number:03d}.md", title=f"Post {number}", body="Hi.")
    write(site / "theme" / "templates" / "tag.html", "{{ tag.no_such_attribute }}")
    with pytest.raises(StrideError):
        build(BuildOptions(root=site, jobs=jobs))
    assert not (site / "public").exists()
    assert sorted(p.name for p in site.iterdir() if p.name.startswith(".stride-tmp")) == []


def test_folder_posts_copy_their_files(site):
    write(site / "content" / "posts" / "my-post" / "index.md",
          "---\ntitle: Bundle\ndate: 2024-02-03\n---\n![anim](./anim.gif)\n")
    write(site / "content" / "posts" / "my-post" / "anim.gif", "GIF89a")
    write(site / "content" / "posts" / "my-post" / "data" / "x.csv", "1,2")
    out = build(BuildOptions(root=site)).output
    folder = out / "2024" / "02" / "my-post"
    assert (folder / "anim.gif").read_text() == "GIF89a"
    assert (folder / "data" / "x.csv").exists() or (folder / "x.csv").exists()


def test_deleted_post_disappears_and_unchanged_rebuild_writes_nothing(site):
    add_post(site, "2024-01-01-keep.md", date="2024-01-01")
    gone = add_post(site, "2024-01-02-gone.md", title="Gone", date="2024-01-02")
    out = build(BuildOptions(root=site)).output
    assert (out / "2024" / "01" / "gone" / "index.html").exists()
    again = build(BuildOptions(root=site))
    assert again.write.unchanged and again.rendered == 0
    gone.unlink()
    build(BuildOptions(root=site))
    assert not (out / "2024" / "01" / "gone").exists()


def test_failed_build_leaves_the_last_good_site(site):
    add_post(site, "2024-01-01-ok.md")
    out = build(BuildOptions(root=site)).output
    before = snapshot(out)
    write(site / "content" / "posts" / "2024-01-03-broken.md", "---\ntitle: [unclosed\n---\n")
    with pytest.raises(BuildFailed) as caught:
        build(BuildOptions(root=site))
    assert "2024-01-03-broken.md:2" in str(caught.value)
    assert snapshot(out) == before


def test_serial_and_parallel_builds_are_identical(tmp_path):
    serial = build(BuildOptions(root=REPO, out=tmp_path / "serial", jobs=1, refresh=True))
    parallel = build(BuildOptions(root=REPO, out=tmp_path / "parallel", jobs=2, refresh=True))
    assert snapshot(serial.output) == snapshot(parallel.output)


def test_page_cache_hit_skips_rendering(site):
    add_post(site, "2024-01-01-cached.md", body="Original body.")
    build(BuildOptions(root=site))
    [shard] = [p for p in (site / ".stride-cache" / "pages").rglob("shard-*") if p.is_file()]
    [(key, entry)] = pickle.loads(shard.read_bytes()).items()
    rendered = pickle.loads(entry)
    planted = type(rendered)(**{**rendered.__dict__, "html": "<p>PLANTED</p>"})
    shard.write_bytes(pickle.dumps({key: pickle.dumps(planted)}))
    out = build(BuildOptions(root=site, out=site / "other")).output
    assert "PLANTED" in (out / "2024" / "01" / "cached" / "index.html").read_text()
    refreshed = build(BuildOptions(root=site, out=site / "third", refresh=True)).output
    assert "PLANTED" not in (refreshed / "2024" / "01" / "cached" / "index.html").read_text()


@pytest.mark.parametrize("target", ["content", ".", "..", "/"])
def test_dangerous_output_folders_are_refused(site, target):
    add_post(site, "x.md")
    out = Path("/") if target == "/" else site / target
    with pytest.raises(OutputError):
        build(BuildOptions(root=site, out=out))


def test_output_holding_a_git_repository_or_foreign_files_is_refused(site, tmp_path):
    add_post(site, "x.md")
    (site / "deploy" / ".git").mkdir(parents=True)
    with pytest.raises(OutputError):
        build(BuildOptions(root=site, out=site / "deploy"))
    write(site / "mine" / "notes.txt", "precious")
    with pytest.raises(OutputError):
        build(BuildOptions(root=site, out=site / "mine"))
    assert (site / "mine" / "notes.txt").read_text() == "precious"


def test_cli_contract(site, tmp_path):
    add_post(site, "2024-01-01-x.md")
    result = run_cli("--root", str(site), "--out", str(tmp_path / "o1"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "o1" / "index.html").exists() and "built 1 posts" in result.stdout
    result = run_cli("build", "--root", str(site), "--strict", "-q")
    assert result.returncode == 1 or result.returncode == 0
    result = run_cli("new", "Fourier & friends", "--root", str(site))
    assert result.returncode == 0
    [new_post] = list((site / "content" / "posts").glob("*-fourier-friends.md"))
    assert 'title: "Fourier & friends"' in new_post.read_text()
    assert run_cli("new", "Fourier & friends", "--root", str(site)).returncode == 1
    write(site / "content" / "posts" / "bad.md", "---\ntitle: x\ndate: 2024-02-30\n---\n")
    result = run_cli("--root", str(site))
    assert result.returncode == 1
    assert "content/posts/bad.md:3" in result.stderr and "Traceback" not in result.stderr
    (site / "content" / "posts" / "bad.md").unlink()
    assert run_cli("--root", str(site)).returncode == 0
    assert run_cli("clean", "--root", str(site)).returncode == 0
    assert not (site / "public").exists()
    assert [p.name for p in (site / ".stride-cache").iterdir()] == ["build.lock"]
    assert (site / "content" / "posts" / "2024-01-01-x.md").exists()


def test_strict_turns_warnings_into_errors(site):
    write(site / "content" / "posts" / "nodate.md", "# Title only\n\ntext\n")
    assert build(BuildOptions(root=site)).diagnostics
    with pytest.raises(BuildFailed) as caught:
        build(BuildOptions(root=site, strict=True))
    assert "nodate.md:1" in str(caught.value)


def test_symlink_out_of_the_site_is_not_followed(site, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside") / "secret.md"
    outside.write_text("---\ntitle: Secret\n---\nsecret text\n")
    (site / "content" / "posts" / "link.md").symlink_to(outside)
    add_post(site, "2024-01-01-x.md")
    result = build(BuildOptions(root=site))
    assert result.posts == 1
    assert any("symbolic link" in d.message for d in result.diagnostics)


def test_many_warnings_of_one_kind_are_summarised(site):
    body = "\n\n".join(f"![figure {n}](/assets/missing-{n}.png)" for n in range(6))
    add_post(site, "2024-01-01-x.md", body=body)
    result = run_cli("--root", str(site))
    assert result.returncode == 0, result.stderr
    listed = [line for line in result.stderr.splitlines() if line.startswith("content/")]
    assert len(listed) == 3
    assert "warning[asset]: 3 more warnings of this kind in 1 file (-v lists them all)" in result.stderr
    verbose = run_cli("--root", str(site), "-v", "--refresh")
    assert len([l for l in verbose.stderr.splitlines() if l.startswith("content/")]) == 6
