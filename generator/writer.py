"""Write the built site into its output folder atomically, touching only what changed.

A first build writes the whole site into a folder beside the output and renames it into place;
the folder can be opened first (``open_stage``) so that the pages are written into it, in
parallel, as they are rendered.
Later builds change the output in place, so an edit costs what it changed, whatever the size of
the site; files whose digest matches the previous build's manifest are not touched at all (a page
the build did not even re-render comes as ``OutputFile.kept``). The change is made in three steps:

1. Stage: every new or changed file, and the new manifest, is written into a stage folder beside
   the output (same filesystem); the current version of every file about to be replaced or
   removed is hard-linked there too. A failure here leaves the output untouched.
2. Journal: the list of files to replace and remove and of folders to create is written into the
   stage atomically. From then on the change can always be undone from the stage.
3. Apply: removed files are unlinked and folders left empty removed, then each staged file is
   renamed over its target (a web server reading the folder never sees a half-written file), the
   manifest last. Deleting the journal commits the build; the stage is deleted after it.

A build that fails or is interrupted (Ctrl-C) while applying puts the previous site back at once;
one that is killed leaves its journal, and the next build's ``sweep_leftovers`` rolls the change
back before anything else. Either way the previous site is complete and byte-identical. Only
paths listed in the previous manifest are ever removed, folders only when empty, and output
folders that would destroy an author's files are refused.
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import posixpath
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from .errors import OutputError, SourceLocation

MANIFEST = ".stride-manifest.json"
MANIFEST_VERSION = 2
TEMP_PREFIX = ".stride-tmp-"
OLD_PREFIX = ".stride-old-"
JOURNAL = "journal.json"
JOURNAL_VERSION = 1


@dataclass(frozen=True)
class OutputFile:
    """A file of the new site: bytes in memory, a file on disk copied as it is (streamed), or the
    previous build's file, kept because nothing it was made from changed."""

    path: str
    data: bytes | None = None
    source: Path | None = None
    kept_digest: str | None = None
    data_digest: str | None = None  # ``bytes_digest(data)``, when whoever made it has it already
    staged: bool = False  # already written into the stage ``open_stage`` made (``data_digest``)

    @classmethod
    def kept(cls, path: str, digest: str) -> OutputFile:
        return cls(path, kept_digest=digest)

    @classmethod
    def in_stage(cls, path: str, digest: str) -> OutputFile:
        return cls(path, data_digest=digest, staged=True)

    def digest(self) -> str:
        if self.kept_digest is not None:
            return self.kept_digest
        if self.data_digest is not None:
            return self.data_digest
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


def _leftovers(out: Path, prefix: str) -> list[Path]:
    """Folders that builds of ``out`` left beside it: PREFIX, the output's name, "-" and a pid
    (so ``public-2``'s folders are not taken for ``public``'s)."""
    start = f"{prefix}{out.name}-"
    try:
        return sorted(entry for entry in out.parent.iterdir()
                      if entry.name.startswith(start) and entry.name[len(start):].isdigit())
    except FileNotFoundError:
        return []


def sweep_leftovers(out: Path) -> None:
    """Clean up after a killed build: undo the change it was applying in place (its stage holds
    a journal), or put the previous site back if it was killed between the two renames of a swap;
    then delete staged and retired copies."""
    retired = _leftovers(out, OLD_PREFIX)
    if not out.exists() and retired:
        os.rename(retired.pop(), out)
    for leftover in retired:
        shutil.rmtree(leftover, ignore_errors=True)
    for stage in _leftovers(out, TEMP_PREFIX):
        try:
            _abandon(stage, out)
        except OSError as error:
            raise OutputError(f"could not undo the unfinished build in {stage}: "
                              f"{error.strerror or error}", location=SourceLocation(str(out)),
                              hint="check the folders' permissions and build again; the previous "
                                   "site is put back before anything else") from None


def open_stage(out: Path) -> Path | None:
    """The stage of a build that will write the whole site (the output has no manifest to trust:
    a first build), made now so that pages can be written into it as they are rendered
    (``stage_file``, then ``OutputFile.in_stage``), in parallel, before ``write_site``. None when
    the site will be changed in place. The caller passes it to ``write_site``, or to
    ``discard_stage`` if the build stops before that."""
    out = out.resolve()
    if _trusted_manifest(out) is not None:
        return None
    sweep_leftovers(out)
    stage = _staging(out)
    try:
        stage.mkdir(parents=True)
    except OSError as error:
        raise _write_error(error, out, "the previous site was left as it was") from None
    return stage


def stage_file(stage: Path, path: str, data: bytes) -> None:
    target = stage / path
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    except OSError as error:
        raise _write_error(error, _output_of(stage), "the previous site was left as it was") \
            from None


def _output_of(stage: Path) -> Path:
    return stage.parent / stage.name.removeprefix(TEMP_PREFIX).rpartition("-")[0]


def _write_error(error: OSError, out: Path, left: str) -> OutputError:
    hint = "free some disk space and build again" if error.errno == errno.ENOSPC else \
        "check the folder's permissions and free space"
    return OutputError(f"could not write the site: {error.strerror or error}",
                       location=SourceLocation(str(out)), hint=f"{hint}; {left}")


def discard_stage(stage: Path | None) -> None:
    if stage is not None:
        shutil.rmtree(stage, ignore_errors=True)


def read_manifest(out: Path) -> dict[str, str]:
    """Output path -> digest of what the last complete build wrote; empty when not trustworthy."""
    return _trusted_manifest(out) or {}


def _trusted_manifest(out: Path) -> dict[str, str] | None:
    try:
        data = json.loads((out / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != MANIFEST_VERSION \
            or not data.get("complete"):
        return None
    files = data.get("files")
    return files if isinstance(files, dict) else None


def _manifest(files: dict[str, str]) -> OutputFile:
    return OutputFile(MANIFEST, data=json.dumps({"version": MANIFEST_VERSION, "complete": True,
                                                 "files": files}, sort_keys=True).encode())


def write_site(out: Path, files: Iterable[OutputFile], stage: Path | None = None) -> WriteReport:
    """Make ``out`` hold ``files`` and the manifest that lists them, changing only what differs
    from the previous build (see the module's docstring). With the ``stage`` of ``open_stage``,
    the whole site is written: its staged files are there already."""
    out = out.resolve()
    if stage is not None:  # open_stage swept, then made it: the whole site is written
        previous = None
    else:
        sweep_leftovers(out)
        previous = _trusted_manifest(out)
    known = previous or {}
    files = list(files)
    current = {f.path: f.digest() for f in files}
    unchanged = {f.path for f in files if known.get(f.path) == current[f.path]
                 and (f.kept_digest is not None or os.path.isfile(os.path.join(out, f.path)))}
    gone = sorted(set(known) - set(current))
    if len(unchanged) == len(files) and not gone and stage is None:
        return WriteReport(0, len(files), 0, unchanged=True)
    missing = [f.path for f in files if f.kept_digest is not None and f.path not in unchanged]
    if missing:
        raise OutputError(f"{out / missing[0]} was kept from the previous build, which did not "
                          "write it", location=SourceLocation(str(out)),
                          hint="build again; if it persists, run `python build.py clean`")
    changed = [f for f in files if f.path not in unchanged]
    try:
        if previous is None:  # a first build, or an output whose manifest cannot be trusted
            _write_whole(out, [*files, _manifest(current)], stage)
        else:
            _write_changes(out, [*changed, _manifest(current)], gone)
    except OSError as error:
        # A roll-back that failed too leaves its journal, and the next build's sweep finishes it.
        left = "the next build puts the previous site back" \
            if (_staging(out) / JOURNAL).exists() else "the previous site was left as it was"
        raise _write_error(error, out, left) from None
    return WriteReport(len(changed), len(unchanged), len(gone), unchanged=False)


def _write_file(item: OutputFile, target: Path) -> None:
    if item.data is not None:
        target.write_bytes(item.data)
    else:
        assert item.source is not None
        shutil.copyfile(item.source, target)  # streamed in chunks, never read whole


# ------------------------------------------------------------------ a whole site, swapped in

def _write_whole(out: Path, files: list[OutputFile], stage: Path | None) -> None:
    """Stage the whole site beside the output (in ``stage``, where some files may be already)
    and rename it into place: the cheapest way to write every file."""
    if stage is None:
        stage = _staging(out)
        stage.mkdir(parents=True)
    try:
        folders = {stage}
        for item in files:
            if item.staged:
                continue
            target = stage / item.path
            if target.parent not in folders:
                target.parent.mkdir(parents=True, exist_ok=True)
                folders.add(target.parent)
            _write_file(item, target)
        _swap(stage, out)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def _swap(stage: Path, out: Path) -> None:
    if not out.exists():
        os.rename(stage, out)
        return
    retired = out.parent / f"{OLD_PREFIX}{out.name}-{os.getpid()}"
    os.rename(out, retired)
    try:
        os.rename(stage, out)
    except BaseException:
        os.rename(retired, out)
        raise
    shutil.rmtree(retired, ignore_errors=True)


# ------------------------------------------------------------------ a change, applied in place

@dataclass(frozen=True)
class _Journal:
    """A change to apply to the output in place, written into the stage before its first step so
    that it can always be undone. For ``writes[i]`` the stage holds the new file ``new-i`` and,
    when the path held a file, that file as ``old-i``; for ``removes[j]`` it holds ``gone-j``."""

    writes: tuple[tuple[str, bool], ...]  # (path, whether its previous file is in the stage)
    removes: tuple[str, ...]
    folders: tuple[str, ...]  # created for new files, parents first
    emptied: tuple[str, ...]  # folders the removals may leave empty, children first

    def apply(self, out: Path, stage: Path) -> None:
        # Removals first: a removed file may stand where a new file's folder goes, and back.
        for path in self.removes:
            _unlink(out / path)
        for folder in self.emptied:
            try:
                os.rmdir(out / folder)
            except OSError:  # still holds something (perhaps the author's): stays
                pass
        for folder in self.folders:
            os.mkdir(out / folder)
        for index, (path, _) in enumerate(self.writes):
            os.replace(stage / f"new-{index}", out / path)

    def roll_back(self, out: Path, stage: Path) -> None:
        """Undo ``apply`` wherever it stopped; a roll-back that is itself stopped can be run
        again."""
        for index, (path, saved) in enumerate(self.writes):
            if saved:
                _put_back(stage / f"old-{index}", out / path)
            else:
                _unlink(out / path)
        for folder in reversed(self.folders):
            try:
                os.rmdir(out / folder)
            except OSError:  # never created, or holds something that is not ours
                pass
        for index, path in enumerate(self.removes):
            _put_back(stage / f"gone-{index}", out / path)

    def save(self, stage: Path) -> None:
        temp = stage / f"{JOURNAL}.tmp"
        temp.write_text(json.dumps({"version": JOURNAL_VERSION, "writes": self.writes,
                                    "removes": self.removes, "folders": self.folders,
                                    "emptied": self.emptied}))
        os.replace(temp, stage / JOURNAL)  # a journal is whole or absent

    @classmethod
    def load(cls, stage: Path) -> _Journal | None:
        try:
            text = (stage / JOURNAL).read_text()
        except FileNotFoundError:
            return None
        try:
            data = json.loads(text)
            if data["version"] != JOURNAL_VERSION:
                raise ValueError(data["version"])
            return cls(tuple((str(path), bool(saved)) for path, saved in data["writes"]),
                       tuple(map(str, data["removes"])), tuple(map(str, data["folders"])),
                       tuple(map(str, data["emptied"])))
        except (ValueError, KeyError, TypeError):
            raise OutputError(f"cannot undo the unfinished build in {stage}: its journal is "
                              "unreadable", location=SourceLocation(str(stage / JOURNAL)),
                              hint="delete that folder and the output folder, then build "
                                   "again") from None


def _write_changes(out: Path, changed: list[OutputFile], gone: list[str]) -> None:
    """Write ``changed`` (the manifest last) and remove ``gone`` in place: stage, journal, apply,
    commit (see the module's docstring)."""
    stage = _staging(out)
    try:
        journal = _stage(out, stage, changed, gone)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)  # the output was not touched
        raise
    try:
        journal.save(stage)
        journal.apply(out, stage)
        os.unlink(stage / JOURNAL)  # the commit point: the new site stands
    except BaseException:
        # Put the previous site back now. Should the roll-back be stopped too (a second Ctrl-C,
        # the disk failing), its journal stays for the next build's sweep.
        with suppress(BaseException):
            _abandon(stage, out)
        raise
    shutil.rmtree(stage, ignore_errors=True)


def _stage(out: Path, stage: Path, changed: list[OutputFile], gone: list[str]) -> _Journal:
    """Write the new files into the stage and keep there the output's files they replace and
    the files to remove; the output itself is not changed."""
    stage.mkdir()
    writes = []
    for index, item in enumerate(changed):
        _write_file(item, stage / f"new-{index}")
        writes.append((item.path, _save(out / item.path, stage / f"old-{index}")))
    removes: list[str] = []
    for path in gone:  # a path that is missing, or a folder now, is left alone
        if _save(out / path, stage / f"gone-{len(removes)}"):
            removes.append(path)
    new = [path for path, saved in writes if not saved]
    needed = {folder for path, _ in writes for folder in _ancestors(path)}
    emptied = {folder for path in removes for folder in _ancestors(path)} - needed
    return _Journal(tuple(writes), tuple(removes), tuple(_missing_folders(out, new)),
                    tuple(sorted(emptied, reverse=True)))


def _save(existing: Path, copy: Path) -> bool:
    """Keep the output's current file at a path in the stage: a hard link (a copy where the
    filesystem has none). False when the path holds no file."""
    try:
        os.link(existing, copy, follow_symlinks=False)
    except (FileNotFoundError, NotADirectoryError):  # nothing there, or a file in its place
        return False
    except OSError:
        if not existing.is_file():  # a folder: never Stride's to move
            return False
        shutil.copyfile(existing, copy)  # a filesystem without hard links
    return True


def _ancestors(path: str) -> Iterator[str]:
    folder = posixpath.dirname(path)
    while folder:
        yield folder
        folder = posixpath.dirname(folder)


def _missing_folders(out: Path, paths: list[str]) -> list[str]:
    """The folders to create for new files, parents first (one stat per distinct folder)."""
    missing: set[str] = set()
    present = {""}
    for path in paths:
        folder = posixpath.dirname(path)
        while folder not in present and folder not in missing:
            if os.path.isdir(out / folder):
                present.add(folder)
            else:
                missing.add(folder)
                folder = posixpath.dirname(folder)
    return sorted(missing)


def _unlink(path: Path) -> None:
    """Remove a file that may be gone already; a folder is never removed."""
    try:
        os.unlink(path)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        pass


def _put_back(saved: Path, target: Path) -> None:
    try:
        os.replace(saved, target)
    except FileNotFoundError:
        if not os.path.lexists(saved):
            return  # put back already, by a roll-back that was itself stopped
        os.makedirs(target.parent, exist_ok=True)  # its folder was removed as empty
        os.replace(saved, target)


def _abandon(stage: Path, out: Path) -> None:
    """Undo the change a stage was applying, if it had got as far as its journal, then delete
    the stage."""
    journal = _Journal.load(stage)
    if journal is not None:
        if out.is_dir():  # an output deleted since is not brought back in pieces
            journal.roll_back(out, stage)
        os.unlink(stage / JOURNAL)
    shutil.rmtree(stage, ignore_errors=True)
