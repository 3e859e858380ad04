"""Write the built site into its output folder atomically, touching only what changed.

The new site is staged in a folder beside the output: files whose digest matches the previous
build's manifest are hard-linked from the previous site (a page the build did not even re-render
comes as ``OutputFile.kept``), the others are written. The staged folder then replaces the output
in one rename. A build that fails, is killed or runs out of disk leaves the previous site complete
and byte-identical; the next build sweeps what it left (and puts the previous site back if it was
killed between the two renames of the swap). An unchanged rebuild writes nothing, and an edit
costs what it changed plus one link per unchanged file. Output folders that would destroy an
author's files are refused.
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
MANIFEST_VERSION = 2
TEMP_PREFIX = ".stride-tmp-"
OLD_PREFIX = ".stride-old-"


@dataclass(frozen=True)
class OutputFile:
    """A file of the new site: bytes in memory, a file on disk copied as it is (streamed), or the
    previous build's file, kept because nothing it was made from changed."""

    path: str
    data: bytes | None = None
    source: Path | None = None
    kept_digest: str | None = None

    @classmethod
    def kept(cls, path: str, digest: str) -> OutputFile:
        return cls(path, kept_digest=digest)

    def digest(self) -> str:
        if self.kept_digest is not None:
            return self.kept_digest
        if self.data is not None:
            return bytes_digest(self.data)
        assert self.source is not None
        stat = self.source.stat()
        # Large static files are compared by size and mtime, never read into memory.
        return f"file:{stat.st_size}:{stat.st_mtime_ns}:{self.source}"


@dataclass(frozen=True)
class WriteReport:
    written: int
    kept: int
    removed: int
    unchanged: bool


def bytes_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_output_folder(out: Path, site_root: Path) -> None:
    """Refuse outputs that would overwrite or delete what is not Stride's to delete."""
    out = out.resolve()
    root = site_root.resolve()
    home = Path.home().resolve()
    content = (root / "content").resolve()
    theme = (root / "theme").resolve()
    problems = [
        (out == Path(out.anchor), "the filesystem root"),
        (out == home, "your home folder"),
        (out == root or root.is_relative_to(out), "the site folder or one of its parents"),
        (out == content or content.is_relative_to(out) or out.is_relative_to(content),
         "the content folder (or a folder around or inside it)"),
        ((out / ".git").exists(), "a folder holding a git repository"),
        (theme.exists() and (theme == out or out.is_relative_to(theme)), "the theme folder"),
    ]
    for refused, why in problems:
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


def _staging(out: Path) -> Path:
    return out.parent / f"{TEMP_PREFIX}{out.name}-{os.getpid()}"


def sweep_leftovers(out: Path) -> None:
    """Clean up after a killed build: put the previous site back if the kill came between the
    two renames of the swap, then delete staged and retired copies."""
    retired = sorted(out.parent.glob(f"{OLD_PREFIX}{out.name}-*"))
    if not out.exists() and retired:
        os.rename(retired.pop(), out)
    for leftover in (*retired, *out.parent.glob(f"{TEMP_PREFIX}{out.name}-*")):
        shutil.rmtree(leftover, ignore_errors=True)


def read_manifest(out: Path) -> dict[str, str]:
    """Output path -> digest of what the last complete build wrote; empty when not trustworthy."""
    try:
        data = json.loads((out / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != MANIFEST_VERSION \
            or not data.get("complete"):
        return {}
    files = data.get("files")
    return files if isinstance(files, dict) else {}


def _write_manifest(folder: Path, files: dict[str, str]) -> None:
    (folder / MANIFEST).write_text(json.dumps({"version": MANIFEST_VERSION, "complete": True,
                                               "files": files}, sort_keys=True))


def write_site(out: Path, files: Iterable[OutputFile]) -> WriteReport:
    out = out.resolve()
    sweep_leftovers(out)
    previous = read_manifest(out)
    files = list(files)
    current = {f.path: f.digest() for f in files}
    unchanged = {f.path for f in files if previous.get(f.path) == current[f.path]
                 and (f.kept_digest is not None or os.path.isfile(os.path.join(out, f.path)))}
    gone = set(previous) - set(current)
    if len(unchanged) == len(files) and not gone:
        return WriteReport(0, len(files), 0, unchanged=True)
    missing = [f.path for f in files if f.kept_digest is not None and f.path not in unchanged]
    if missing:
        raise OutputError(f"{out / missing[0]} was kept from the previous build, which did not "
                          "write it", location=SourceLocation(str(out)),
                          hint="build again; if it persists, run `python build.py clean`")
    stage = _staging(out)
    try:
        stage.mkdir(parents=True)
        for item in files:
            target = stage / item.path
            target.parent.mkdir(parents=True, exist_ok=True)
            if item.path in unchanged and _link(out / item.path, target):
                continue
            if item.data is not None:
                target.write_bytes(item.data)
            else:
                assert item.source is not None
                shutil.copyfile(item.source, target)  # streamed in chunks, never read whole
        _write_manifest(stage, current)
        _swap(stage, out)
    except OSError as error:
        shutil.rmtree(stage, ignore_errors=True)
        hint = "free some disk space and build again" if error.errno == errno.ENOSPC else \
            "check the folder's permissions and free space"
        raise OutputError(f"could not write the site: {error.strerror or error}",
                          location=SourceLocation(str(out)),
                          hint=hint + "; the previous site was left as it was") from None
    written = len(files) - len(unchanged)
    return WriteReport(written, len(unchanged), len(gone), unchanged=False)


def _link(existing: Path, target: Path) -> bool:
    """Reuse an unchanged file of the previous site; False where hard links are not possible."""
    try:
        os.link(existing, target)
        return True
    except OSError:
        return False


def _swap(stage: Path, out: Path) -> None:
    if not out.exists():
        os.rename(stage, out)
        return
    retired = out.parent / f"{OLD_PREFIX}{out.name}-{os.getpid()}"
    os.rename(out, retired)
    os.rename(stage, out)
    shutil.rmtree(retired, ignore_errors=True)
