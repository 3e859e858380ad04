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


def test_the_deploy_table_names_the_target_and_flags_override_it(site, remote, tmp_path):
    write(site / "site.toml", f'title = "Loop"\n\n[deploy]\nremote = "{remote}"\n'
                              'branch = "pages"\ncname = "blog.example.org"\n')
    run = subprocess.run([sys.executable, str(REPO / "build.py"), "deploy", "--root", str(site),
                          "--no-validator", "-q"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert {"index.html", "CNAME"} <= published(remote, "pages")
    mirror = tmp_path / "mirror"
    run = subprocess.run([sys.executable, str(REPO / "build.py"), "deploy", "--root", str(site),
                          "--folder", str(mirror), "--no-validator", "-q"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert (mirror / "index.html").is_file() and (mirror / "CNAME").is_file()


@pytest.mark.parametrize("table, message, line", [
    ('[deploy]\nremot = "x"\n', "unknown [deploy] setting `remot`; did you mean `remote`?", 4),
    ('[deploy]\nfolder = 3\n', "[deploy] `folder` must be text in quotes, not 3", 4),
    ('[deploy]\nremote = "x"\nfolder = "y"\n', "[deploy] sets both `remote` and `folder`", 3),
])
def test_a_bad_deploy_table_is_refused_with_its_line(site, table, message, line):
    write(site / "site.toml", f'title = "Loop"\n\n{table}')
    run = subprocess.run([sys.executable, str(REPO / "build.py"), "deploy", "--root", str(site),
                          "--no-validator"], capture_output=True, text=True)
    assert run.returncode == 1
    assert f"site.toml:{line}" in run.stderr and message.split(";")[0] in run.stderr


def test_deploy_without_a_target_says_how_to_name_one(site):
    run = subprocess.run([sys.executable, str(REPO / "build.py"), "deploy", "--root", str(site),
                          "--no-validator"], capture_output=True, text=True)
    assert run.returncode == 1 and "deploy needs a target" in run.stderr
    assert "[deploy]" in run.stderr and "Traceback" not in run.stderr
