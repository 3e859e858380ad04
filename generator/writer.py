"""Write the built site into its output folder, touching only what changed.

The output folder holds a manifest of the digest of every file Stride wrote. A build hands the
writer every file of the new site; files whose digest matches the manifest are left alone (a page
the build did not even re-render comes as ``OutputFile.kept``), the others are written to a
temporary file beside their target and renamed over it, so a reader never sees half a page, and
files of the previous site that are gone are removed. An edit therefore costs what it changed, not
the size of the site.

Before the first change the manifest is marked incomplete and only the complete manifest is
written at the end: after a killed build the next one trusts nothing it finds and rewrites every
file. A failed build fails before the writer runs, so the previous site stays as it was. Output
folders that would destroy an author's files are refused.
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
    """Remove the temporary files a killed build left inside the output folder."""
    if out.is_dir():
        for leftover in out.rglob(f"{TEMP_PREFIX}*"):
            leftover.unlink(missing_ok=True)


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


def _write_manifest(out: Path, files: dict[str, str], *, complete: bool) -> None:
    _atomic_write(out / MANIFEST, json.dumps({"version": MANIFEST_VERSION, "complete": complete,
                                              "files": files}, sort_keys=True).encode())


def _atomic_write(target: Path, data: bytes | None = None, source: Path | None = None) -> None:
    temp = target.with_name(f"{TEMP_PREFIX}{os.getpid()}-{target.name}")
    try:
        if data is not None:
            temp.write_bytes(data)
        else:
            assert source is not None
            shutil.copyfile(source, temp)  # streamed in chunks, never read whole
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_site(out: Path, files: Iterable[OutputFile]) -> WriteReport:
    out = out.resolve()
    previous = read_manifest(out)
    files = list(files)
    current = {f.path: f.digest() for f in files}
    # A kept file was checked on disk by the build that kept it; the others are checked here.
    stale = [f for f in files if previous.get(f.path) != current[f.path]
             or f.kept_digest is None and not os.path.isfile(os.path.join(out, f.path))]
    gone = sorted(set(previous) - set(current))
    if not stale and not gone:
        return WriteReport(0, len(files), 0, unchanged=True)
    missing = [f.path for f in stale if f.kept_digest is not None]
    if missing:
        raise OutputError(f"{out / missing[0]} was kept from the previous build, which did not "
                          "write it", location=SourceLocation(str(out)),
                          hint="build again; if it persists, run `python build.py clean`")
    try:
        out.mkdir(parents=True, exist_ok=True)
        if not previous:
            sweep_leftovers(out)
        _write_manifest(out, {}, complete=False)
        for path in gone:
            _remove(out, path)
        for item in stale:
            target = out / item.path
            target.parent.mkdir(parents=True, exist_ok=True)
            _atomic_write(target, item.data, item.source)
        _write_manifest(out, current, complete=True)
    except OSError as error:
        hint = "free some disk space and build again" if error.errno == errno.ENOSPC else \
            "check the folder's permissions and free space"
        raise OutputError(f"could not write the site: {error.strerror or error}",
                          location=SourceLocation(str(out)),
                          hint=hint + "; the next build rewrites every file") from None
    return WriteReport(len(stale), len(files) - len(stale), len(gone), unchanged=False)


def _remove(out: Path, path: str) -> None:
    """Delete a file of the previous site and the folders it leaves empty."""
    target = out / path
    target.unlink(missing_ok=True)
    folder = target.parent
    while folder != out and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
