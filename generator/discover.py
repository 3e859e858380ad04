"""Find the site's sources: posts, pages, the files beside them and static files.

Nothing outside the site folder is ever read: symbolic links that lead out of their root are
skipped with a warning, never followed.
"""
from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import ContentError, Diagnostic, SourceLocation
from .records import SourceFile

MARKDOWN_SUFFIXES = (".md", ".markdown", ".qmd")  # .qmd: Quarto's posts
# Quarto's folder defaults (read by generator.project): never a post's file, never published
DEFAULTS_NAMES = ("_metadata.yml", "_metadata.yaml")
# Hugo's section files, read for their `cascade:` (by generator.project): Stride makes no section
# pages, so they are never posts nor published
HUGO_SECTION_NAMES = ("_index.md", "_index.markdown")
MAX_SOURCE_BYTES = 2_000_000
# A file modified this close to the moment it was read could change again without its mtime
# moving (timestamps are coarse: git's "racily clean" problem), so its stat is not trusted.
RACY_NS = 2_000_000_000
# Characters HTML forbids in a document (controls other than tab, line feed and form feed, and
# noncharacters): a page holding one is not well-formed, so they are replaced when a post is read.
FORBIDDEN_CHARACTERS = re.compile(
    "[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff"
    "\U0001fffe\U0001ffff\U0002fffe\U0002ffff\U0003fffe\U0003ffff\U0004fffe\U0004ffff"
    "\U0005fffe\U0005ffff\U0006fffe\U0006ffff\U0007fffe\U0007ffff\U0008fffe\U0008ffff"
    "\U0009fffe\U0009ffff\U000afffe\U000affff\U000bfffe\U000bffff\U000cfffe\U000cffff"
    "\U000dfffe\U000dffff\U000efffe\U000effff\U000ffffe\U000fffff\U0010fffe\U0010ffff]")
# The same set widened to one range above U+1FFFE: a character class of scattered astral code
# points makes `re` more than ten times slower on every text, so this finds the (rare) texts that
# need the exact pattern at all.
MAYBE_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff"
                             "\U0001fffe-\U0010ffff]")


@dataclass(frozen=True)
class Discovery:
    sources: tuple[SourceFile, ...]
    static_files: dict[str, Path]  # URL path -> file
    bundle_files: dict[str, tuple[Path, ...]]  # source rel -> files to copy beside its page
    diagnostics: tuple[Diagnostic, ...]
    defaults_files: tuple[Path, ...] = ()  # the _metadata.yml files under content/
    section_files: tuple[Path, ...] = ()  # Hugo's _index.md files under content/


def _walk(root: Path, top: Path, diagnostics: list[Diagnostic]) -> Iterator[Path]:
    """Regular files under ``top`` in sorted order, skipping hidden names and links out of root."""
    if not top.is_dir():
        return
    resolved_root = root.resolve()
    for directory, dirnames, filenames in os.walk(top):
        kept = []
        for name in sorted(dirnames):
            if name.startswith((".", "_")):
                continue
            folder = Path(directory) / name
            if folder.is_symlink():  # os.walk never enters it: say so instead of skipping silently
                outside = not folder.resolve().is_relative_to(resolved_root)
                diagnostics.append(Diagnostic(
                    SourceLocation(_rel(folder, root)),
                    "symbolic link leads outside the site: not followed" if outside else
                    "symbolic link to a folder: not followed",
                    "copy the files into the site instead", "discover"))
                continue
            kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            path = Path(directory) / name
            if path.is_symlink():
                target = path.resolve()
                if not target.is_relative_to(resolved_root) or not target.is_file():
                    diagnostics.append(Diagnostic(SourceLocation(_rel(path, root)),
                                                  "symbolic link leads outside the site: not followed",
                                                  "copy the file into the site instead", "discover"))
                    continue
            yield path


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def read_source(path: Path, site_root: Path, content_root: Path, kind: str,
                bundle: Path | None) -> SourceFile:
    rel = _rel(path, site_root)
    stat = path.stat()
    if stat.st_size > MAX_SOURCE_BYTES:
        raise ContentError(f"the file is {stat.st_size:,} bytes; posts are limited to "
                           f"{MAX_SOURCE_BYTES:,}", location=SourceLocation(rel),
                           hint="split it into several posts or move data into files beside it")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise ContentError("the file is not valid UTF-8", location=SourceLocation(rel, line, column),
                           hint="save it as UTF-8 in your editor") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if MAYBE_FORBIDDEN.search(text):
        text = FORBIDDEN_CHARACTERS.sub("\ufffd", text)
    trusted = time.time_ns() - stat.st_mtime_ns > RACY_NS
    return SourceFile(path=path, rel=rel, content_rel=_rel(path, content_root), kind=kind, text=text,
                      digest=hashlib.sha256(data).hexdigest(), mtime=stat.st_mtime, bundle=bundle,
                      stat=_signature(stat) if trusted else ())


def _signature(stat: os.stat_result) -> tuple[int, ...]:
    return (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)


def _unchanged(path: Path, known: SourceFile | None, kind: str, bundle: Path | None) -> bool:
    """Whether the last build's read of ``path`` still holds: same place in the site, and a
    trusted stat equal to today's (any write moves the ctime, even one that restores the mtime)."""
    if known is None or not known.stat or known.kind != kind or known.bundle != bundle:
        return False
    try:
        return _signature(path.stat()) == known.stat
    except OSError:
        return False


def forbidden_characters(path: Path, rel: str) -> Diagnostic | None:
    """A warning at the first character ``read_source`` had to replace, if any."""
    text = path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    found = FORBIDDEN_CHARACTERS.search(text)
    if found is None:
        return None
    line = text.count("\n", 0, found.start()) + 1
    column = found.start() - (text.rfind("\n", 0, found.start()) + 1) + 1
    count = len(FORBIDDEN_CHARACTERS.findall(text))
    more = f" (and {count - 1} more)" if count > 1 else ""
    return Diagnostic(SourceLocation(rel, line, column),
                      f"invisible character U+{ord(found.group()):04X} replaced by U+FFFD{more}",
                      "delete it: control characters are not allowed in a web page", "discover")


def discover(site_root: Path, theme_root: Path,
             known: Mapping[Path, SourceFile] | None = None) -> Discovery:
    """The site's files. ``known`` holds the last build's reads: a file whose stat has not
    changed since is taken from it instead of being read and hashed again."""
    known = known or {}
    content = site_root / "content"
    diagnostics: list[Diagnostic] = []
    sources: list[SourceFile] = []
    bundle_files: dict[str, tuple[Path, ...]] = {}
    loose_by_folder: dict[Path, list[Path]] = {}
    defaults = [content / name for name in DEFAULTS_NAMES if (content / name).is_file()]
    sections = [content / name for name in HUGO_SECTION_NAMES if (content / name).is_file()]
    for kind, folder in (("post", content / "posts"), ("page", content / "pages")):
        files = []
        for path in _walk(site_root, folder, diagnostics):
            (defaults if path.name in DEFAULTS_NAMES else
             sections if path.name in HUGO_SECTION_NAMES else files).append(path)
        markdown = [p for p in files if p.suffix.lower() in MARKDOWN_SUFFIXES]
        bundles = {p.parent for p in markdown if p.stem == "index" and p.parent != folder}
        for path in markdown:
            bundle = path.parent if path.parent in bundles else None
            previous = known.get(path)
            sources.append(previous if _unchanged(path, previous, kind, bundle) else
                           read_source(path, site_root, content, kind, bundle))
            if "\ufffd" in sources[-1].text and (found := forbidden_characters(path, sources[-1].rel)):
                diagnostics.append(found)
        for path in files:
            if path.suffix.lower() in MARKDOWN_SUFFIXES:
                continue
            owner = next((b for b in bundles if path.is_relative_to(b)), None)
            if owner is None:
                loose_by_folder.setdefault(path.parent, []).append(path)
        for source in sources[len(sources) - len(markdown):]:
            if source.bundle is not None:
                bundle_files[source.rel] = tuple(
                    p for p in files if p.is_relative_to(source.bundle)
                    and p.suffix.lower() not in MARKDOWN_SUFFIXES)
    for source in sources:
        if source.bundle is None:
            siblings = loose_by_folder.get(source.path.parent, [])
            referenced = tuple(p for p in siblings if p.name in source.text)
            if referenced:
                bundle_files[source.rel] = referenced
    static: dict[str, Path] = {}
    for prefix, folder in (("/static/", theme_root / "static"), ("/", content / "static")):
        for path in _walk(site_root if folder.is_relative_to(site_root) else theme_root, folder,
                          diagnostics):
            if path.name not in DEFAULTS_NAMES or prefix == "/static/":
                static[prefix + path.relative_to(folder).as_posix()] = path
    return Discovery(tuple(sources), static, bundle_files, tuple(diagnostics), tuple(defaults),
                     tuple(sections))
