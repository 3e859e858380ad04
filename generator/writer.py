"""Write the built site atomically.

The new site is assembled in a temporary folder beside the output and swapped in only when it is
complete, so an interrupted or failed build leaves the last good site as it was. Files whose
bytes did not change are hard-linked from the previous site instead of written again, so an
unchanged rebuild writes nothing and an edit costs only what changed. Leftovers of a killed build
are swept by the next one. Output folders that would destroy an author's files are refused.
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .errors import OutputError, SourceLocation

MANIFEST = ".stride-manifest.json"
TEMP_PREFIX = ".stride-tmp-"
OLD_PREFIX = ".stride-old-"


@dataclass(frozen=True)
class OutputFile:
    """A file of the new site: bytes in memory, or a file on disk copied as it is (streamed)."""

    path: str
    data: bytes | None = None
    source: Path | None = None

    def digest(self) -> str:
        if self.data is not None:
            return hashlib.sha256(self.data).hexdigest()
        assert self.source is not None
        stat = self.source.stat()
        # Large static files are compared by size and mtime, never read into memory.
        return f"file:{stat.st_size}:{stat.st_mtime_ns}:{self.source}"


@dataclass(frozen=True)
class WriteReport:
    written: int
    linked: int
    removed: int
    unchanged: bool


def check_output_folder(out: Path, site_root: Path) -> None:
    """Refuse outputs that would overwrite or delete what is not Stride's to delete."""
    out = out.resolve()
    root = site_root.resolve()
    home = Path.home().resolve()
    content = (root / "content").resolve()
    problems = {
        out == Path(out.anchor): "the filesystem root",
        out == home: "your home folder",
        out == root or root.is_relative_to(out): "the site folder or one of its parents",
        out == content or content.is_relative_to(out) or out.is_relative_to(content):
            "the content folder (or a folder around or inside it)",
        (out / ".git").exists(): "a folder holding a git repository",
        (root / "theme").exists() and ((root / "theme").resolve() == out
                                       or out.is_relative_to((root / "theme").resolve())):
            "the theme folder",
    }
    for refused, why in problems.items():
        if refused:
            raise OutputError(f"refusing to build into {out}: it is {why}",
                              location=SourceLocation(str(out)),
                              hint="pass --out with a dedicated folder such as ./public")
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out} exists and is not a folder", location=SourceLocation(str(out)),
                          hint="remove it or choose another --out")
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST).exists():
        raise OutputError(f"{out} already holds files that Stride did not write",
                          location=SourceLocation(str(out)),
                          hint="empty it or choose another --out; Stride never deletes files it did "
                               "not create")


@contextmanager
def build_lock(lock_path: Path) -> Iterator[None]:
    """Serialise builds of one site: a second build waits for the first to finish."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def sweep_leftovers(out: Path) -> None:
    for leftover in out.parent.glob(f"{TEMP_PREFIX}{out.name}-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    for leftover in out.parent.glob(f"{OLD_PREFIX}{out.name}-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def _previous_manifest(out: Path) -> dict[str, str]:
    try:
        data = json.loads((out / MANIFEST).read_text())
        return data["files"] if data.get("version") == 1 else {}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def write_site(out: Path, files: Iterable[OutputFile]) -> WriteReport:
    out = out.resolve()
    sweep_leftovers(out)
    previous = _previous_manifest(out)
    files = list(files)
    current = {f.path: f.digest() for f in files}
    if current == previous and all((out / path).is_file() for path in current):
        return WriteReport(0, 0, 0, unchanged=True)
    temp = out.parent / f"{TEMP_PREFIX}{out.name}-{os.getpid()}"
    written = linked = 0
    try:
        temp.mkdir(parents=True)
        for item in files:
            target = temp / item.path
            target.parent.mkdir(parents=True, exist_ok=True)
            old = out / item.path
            if previous.get(item.path) == current[item.path] and old.is_file():
                try:
                    os.link(old, target)
                    linked += 1
                    continue
                except OSError:
                    pass
            if item.data is not None:
                target.write_bytes(item.data)
            else:
                assert item.source is not None
                shutil.copyfile(item.source, target)  # streamed in chunks, never read whole
            written += 1
        (temp / MANIFEST).write_text(json.dumps({"version": 1, "files": current}, sort_keys=True))
        _swap(temp, out)
    except OSError as error:
        shutil.rmtree(temp, ignore_errors=True)
        hint = "free some disk space and build again" if error.errno == errno.ENOSPC else \
            "check the folder's permissions and free space"
        raise OutputError(f"could not write the site: {error.strerror or error}",
                          location=SourceLocation(str(out)),
                          hint=hint + "; the previous site was left as it was") from None
    removed = len(set(previous) - set(current))
    return WriteReport(written, linked, removed, unchanged=False)


def _swap(temp: Path, out: Path) -> None:
    if out.exists():
        old = out.parent / f"{OLD_PREFIX}{out.name}-{os.getpid()}"
        os.rename(out, old)
        os.rename(temp, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(temp, out)
