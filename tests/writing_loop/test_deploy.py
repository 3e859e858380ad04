"""`build.py deploy` to a local bare git repository and to a folder; refusals."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from generator.deploy import DeployRefused, DeployTarget, deploy
from generator.errors import BuildFailed

from .helpers import add_post, make_site, write

REPO = Path(__file__).resolve().parents[2]


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                          check=True).stdout


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    bare = tmp_path / "pages.git"
    git("init", "-q", "--bare", str(bare), cwd=tmp_path)
    return bare


@pytest.fixture
def site(tmp_path: Path) -> Path:
    return make_site(tmp_path / "blog", posts=3)


def published(remote: Path, branch: str = "gh-pages") -> set[str]:
    return set(git("ls-tree", "-r", "--name-only", branch, cwd=remote).split())


def test_a_git_branch_gets_the_site_nojekyll_and_cname(site, remote):
    said = deploy(site, DeployTarget(remote=str(remote), cname="blog.example.org"),
                  validate=False)
    assert "published" in said
    files = published(remote)
    assert {"index.html", ".nojekyll", "CNAME", "feed.xml", "2024/01/post-02/index.html"} <= files
    assert not any(name.startswith(".stride") for name in files)
    assert git("show", "gh-pages:CNAME", cwd=remote) == "blog.example.org\n"

    again = deploy(site, DeployTarget(remote=str(remote), cname="blog.example.org"),
                   validate=False)
    assert again.startswith("already published")
    add_post(site, 2, title="Retitled")
    deploy(site, DeployTarget(remote=str(remote), cname="blog.example.org"), validate=False)
    history = git("log", "--format=%s", "gh-pages", cwd=remote).splitlines()
    assert len(history) == 2 and history[0].startswith("Publish the site")
    assert "Retitled" in git("show", "gh-pages:2024/01/post-02/index.html", cwd=remote)


def test_a_warning_refuses_the_deploy_and_publishes_nothing(site, remote):
    write(site / "content" / "posts" / "undated.md", "# No frontmatter at all\n\nText.\n")
    with pytest.raises(BuildFailed) as refused:
        deploy(site, DeployTarget(remote=str(remote)), validate=False)
    assert "undated.md:1" in str(refused.value)
    assert git("branch", "--list", cwd=remote).strip() == ""


def test_a_broken_link_refuses_the_deploy(site, remote):
    add_post(site, 1, body="Summary.\n\n[gone](/2020/01/nothing/)")
    with pytest.raises(DeployRefused) as refused:
        deploy(site, DeployTarget(remote=str(remote)), validate=False)
    assert "2024/01/post-01/index.html -> broken link: /2020/01/nothing/" in str(refused.value)
    assert git("branch", "--list", cwd=remote).strip() == ""


def test_a_folder_target_mirrors_the_site(site, tmp_path):
    folder = tmp_path / "www"
    deploy(site, DeployTarget(folder=folder), validate=False)
    assert (folder / "2024" / "01" / "post-03" / "index.html").is_file()
    (site / "content" / "posts" / "post-03.md").unlink()
    deploy(site, DeployTarget(folder=folder), validate=False)
    assert not (folder / "2024" / "01" / "post-03" / "index.html").exists()
    assert (folder / "2024" / "01" / "post-02" / "index.html").is_file()


def test_a_folder_with_foreign_files_is_refused(site, tmp_path):
    folder = tmp_path / "precious"
    write(folder / "notes.txt", "mine")
    with pytest.raises(DeployRefused):
        deploy(site, DeployTarget(folder=folder), validate=False)
    assert (folder / "notes.txt").read_text() == "mine"


def test_the_command_line(site, remote):
    run = subprocess.run([sys.executable, str(REPO / "build.py"), "deploy", "--root", str(site),
                          "--remote", str(remote), "--branch", "pages", "--no-validator"],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "index.html" in published(remote, "pages")
