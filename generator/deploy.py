"""``python build.py deploy``: publish the built site, only when it built and checked cleanly.

The site is built with ``--strict`` (a warning stops it) and checked (links, anchors, assets,
feed, sitemap, HTML validity); any problem refuses the deploy and lists it. Then:

- to a git branch (``--remote URL --branch gh-pages``): the site becomes one new commit on top of
  the branch's history, with ``.nojekyll`` (GitHub Pages must not run Jekyll over it) and
  ``CNAME`` when ``--cname`` is given; nothing is pushed when nothing changed. The work happens in
  a temporary clone-free repository, never in the author's own checkout.
- to a folder (``--folder PATH``): the folder is made equal to the site (files of an earlier
  deploy that are gone are removed). A folder that holds files Stride did not publish is refused.
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .build import BuildOptions, build
from .errors import OutputError, SourceLocation, StrideError

PUBLISHED_LIST = ".stride-published.json"
GIT_SECONDS = 300


@dataclass(frozen=True)
class DeployTarget:
    remote: str | None = None  # a git repository URL or path
    folder: Path | None = None
    branch: str = "gh-pages"
    cname: str | None = None  # custom domain for GitHub Pages
    message: str | None = None


class DeployRefused(StrideError):
    """The site did not build or check cleanly, or the target is not Stride's to overwrite."""


def deploy(root: Path, target: DeployTarget, *, out: Path | None = None, validate: bool = True,
           log: Callable[[str], None] | None = None) -> str:
    """Build strictly, check, publish; returns a sentence saying what was published where."""
    from .check import check_site

    say = log or (lambda _: None)
    root = root.resolve()
    if (target.remote is None) == (target.folder is None):
        raise DeployRefused("deploy needs exactly one target",
                            hint="pass --remote URL (a git branch) or --folder PATH")
    result = build(BuildOptions(root=root, out=out, strict=True))
    say(f"built {result.posts} posts strictly into {result.output}")
    report = check_site(root, result.output, validate=validate)
    if report.problems:
        raise DeployRefused("refusing to publish: the site has problems\n" + report.text(),
                            hint="fix them and deploy again; `python build.py check` lists them")
    say(report.text())
    files = _site_files(result.output)
    if target.folder is not None:
        return _publish_to_folder(files, result.output, target.folder.resolve(), root,
                                  target.cname)
    return _publish_to_git(files, result.output, target, root)


def _site_files(out: Path) -> list[str]:
    """The files to publish: the site without Stride's own bookkeeping."""
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*")
                  if p.is_file() and not p.name.startswith(".stride"))


def _publish_to_folder(files: list[str], out: Path, folder: Path, root: Path,
                       cname: str | None) -> str:
    if folder == out or folder.is_relative_to(root / "content") or root.is_relative_to(folder):
        raise DeployRefused(f"refusing to publish into {folder}",
                            location=SourceLocation(str(folder)),
                            hint="choose a folder outside the site's sources and output")
    listing = folder / PUBLISHED_LIST
    previous: list[str] = []
    if folder.is_dir() and any(folder.iterdir()):
        try:
            previous = json.loads(listing.read_text())["files"]
        except (OSError, ValueError, KeyError, TypeError):
            raise DeployRefused(f"{folder} holds files that Stride did not publish",
                                location=SourceLocation(str(folder)),
                                hint="empty it or choose another --folder; Stride never deletes "
                                     "files it did not create") from None
    published = files + (["CNAME"] if cname else [])
    try:
        for gone in sorted(set(previous) - set(published)):
            (folder / gone).unlink(missing_ok=True)
        for name in files:
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(out / name, target)
        if cname:
            (folder / "CNAME").write_text(cname.strip() + "\n")
        listing.write_text(json.dumps({"files": published}))
    except OSError as error:
        raise OutputError(f"could not publish into {folder}: {error.strerror or error}",
                          location=SourceLocation(str(folder)),
                          hint="check the folder's permissions and free space") from None
    return f"published {len(files)} files into {folder}"


def _git(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    try:
        run = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                             timeout=GIT_SECONDS)
    except FileNotFoundError:
        raise DeployRefused("git is not installed", hint="install git, or deploy with --folder"
                            ) from None
    except subprocess.TimeoutExpired:
        raise DeployRefused(f"git {args[0]} took longer than {GIT_SECONDS} s",
                            hint="check the network and the remote's address") from None
    return run


def _checked_git(*args: str, cwd: Path) -> str:
    run = _git(*args, cwd=cwd)
    if run.returncode != 0:
        raise DeployRefused(f"git {' '.join(args[:2])} failed: {run.stderr.strip()[:500]}",
                            hint="check the remote's address and your access to it")
    return run.stdout


def _publish_to_git(files: list[str], out: Path, target: DeployTarget, root: Path) -> str:
    remote, branch = target.remote, target.branch
    with tempfile.TemporaryDirectory(prefix="stride-deploy-") as temp:
        work = Path(temp)
        _checked_git("init", "-q", cwd=work)
        heads = _checked_git("ls-remote", "--heads", remote, branch, cwd=work)
        if heads.strip():
            _checked_git("fetch", "-q", "--depth", "1", remote, branch, cwd=work)
            _checked_git("checkout", "-q", "-B", branch, "FETCH_HEAD", cwd=work)
            _checked_git("rm", "-r", "-q", "--ignore-unmatch", ".", cwd=work)
        else:
            _checked_git("checkout", "-q", "--orphan", branch, cwd=work)
        for name in files:
            destination = work / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(out / name, destination)
        (work / ".nojekyll").write_text("")
        if target.cname:
            (work / "CNAME").write_text(target.cname.strip() + "\n")
        _checked_git("add", "--all", ".", cwd=work)
        if heads.strip() and _git("diff", "--cached", "--quiet", cwd=work).returncode == 0:
            return f"already published: {remote} {branch} holds this site"
        message = target.message or _default_message(root)
        _checked_git("-c", f"user.name={_identity('user.name', 'Stride', work)}",
                     "-c", f"user.email={_identity('user.email', 'stride@localhost', work)}",
                     "commit", "-q", "-m", message, cwd=work)
        _checked_git("push", "-q", remote, f"{branch}:refs/heads/{branch}", cwd=work)
        commit = _checked_git("rev-parse", "--short", "HEAD", cwd=work).strip()
    return f"published {len(files)} files to {remote} {branch} (commit {commit})"


def _identity(key: str, fallback: str, cwd: Path) -> str:
    """The author's git identity when they have one; a neutral one otherwise."""
    value = _git("config", "--get", key, cwd=cwd).stdout.strip()
    return value or fallback


def _default_message(root: Path) -> str:
    """Name the source commit the site was built from, and say when the sources had edits."""
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    head = _git("rev-parse", "--short", "HEAD", cwd=root)
    if head.returncode != 0:
        return f"Publish the site ({when})"
    dirty = _git("status", "--porcelain", "--", "content", cwd=root).stdout.strip()
    return f"Publish the site built from {head.stdout.strip()}" + \
        (" with uncommitted content changes" if dirty else "") + f" ({when})"

