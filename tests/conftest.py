"""Shared test helpers: temporary sites on real disk, built with the real pipeline."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO.parent / "shared" / "seeds"
# Every browser test drives Debian's Chromium (no browser downloads here), started quiet:
# without the background-networking flags it opens connections the closed network refuses.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """An empty site folder: content/posts, content/pages, no config, no theme."""
    (tmp_path / "content" / "posts").mkdir(parents=True)
    (tmp_path / "content" / "pages").mkdir(parents=True)
    return tmp_path


@pytest.fixture
def seed_site(site: Path) -> Path:
    """The three seed posts copied unchanged as .md files into a temporary site."""
    for seed in sorted(SEEDS.glob("*.txt")):
        shutil.copy(seed, site / "content" / "posts" / (seed.stem + ".md"))
    return site


def run_cli(*args: str, cwd: Path = REPO, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "build.py"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def pids_cgroup_available() -> bool:
    """Whether the run plugin can give its sessions a pids cgroup on this machine."""
    from plugins.run import kernel

    group = kernel.pids_cgroup(1)
    if group is not None:
        kernel.remove_cgroup(group)
    return group is not None
