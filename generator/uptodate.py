"""Is the last build still current? Answered by ``stat`` alone, before anything heavy is imported.

After a successful build Stride writes a stamp: the size and mtime of every input (content, the
site's theme and the built-in one, the config and a Quarto, Jekyll or Hugo project's files beside
it (``_quarto.yml``, ``_config.yml``, ``hugo.toml``), Stride's own code and its plugins, files a
render read from elsewhere), the options the site was built with, and the size and mtime of every output
file. ``python build.py`` compares the stamp with the disk first and stops there when nothing
differs, without importing markdown-it or matplotlib.

Timestamps have a coarse granularity, so a file written in the same tick as the stamp's scan could
change again without its mtime moving (git's "racily clean" problem). Files modified within
``RACY_SECONDS`` of the scan also store their content digest, and the check reads those few.

Only the standard library is imported here: this module runs on every build, changed or not.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

STAMP_VERSION = 1
RACY_SECONDS = 2.0
CONFIG_NAMES = ("site.toml", "site.yaml", "site.yml")
# A Quarto, Jekyll or Hugo project's files at the site folder (read by generator.project); the
# _metadata.yml files under content/ are discovery's (discover.DEFAULTS_NAMES).
QUARTO_NAMES = ("_quarto.yml", "_quarto.yaml")
JEKYLL_NAMES = ("_config.yml",)
HUGO_SUFFIXES = (".toml", ".yaml", ".yml", ".json")
# Hugo reads the first of these it finds: hugo.* since 0.110, config.* before
HUGO_NAMES = tuple(stem + suffix for stem in ("hugo", "config") for suffix in HUGO_SUFFIXES)
# Hugo's configuration folder: config/_default/, then config/ENVIRONMENT/ over it (generator.project
# lists their files among its watched files)
HUGO_CONFIG_FOLDER = "config"
HUGO_DEFAULT_FOLDER = "_default"
# Name Hugo's environment when `--environment` does not: part of what a build was made with.
HUGO_ENVIRONMENT_VARIABLES = ("HUGO_ENVIRONMENT", "HUGO_ENV")
PROJECT_NAMES = QUARTO_NAMES + JEKYLL_NAMES + HUGO_NAMES
# Names the active Quarto profiles when `--profile` does not: part of what a build was made with.
QUARTO_PROFILE_VARIABLE = "QUARTO_PROFILE"


def hugo_environment(named: str | None, default: str = "production") -> str:
    """Hugo's environment, whose ``config/NAME/`` is read over ``config/_default/``: the one
    named, else ``HUGO_ENVIRONMENT``'s (or ``HUGO_ENV``'s), else ``default`` (Hugo's own: a
    build is ``production``, its server ``development``)."""
    if named:
        return named
    return next((os.environ[name] for name in HUGO_ENVIRONMENT_VARIABLES if os.environ.get(name)),
                default)


# Stride's own folders, relative to its checkout: a change to the code can change every page.
CODE_FOLDERS = ("generator", "plugins", "theme")
SKIPPED_NAMES = ("__pycache__",)

Stat = tuple[int, int]  # (size, mtime_ns)


@dataclass(frozen=True)
class InputScan:
    """The stat of every input of a build, taken before the build read them."""

    files: dict[str, Stat]
    taken_ns: int

    def with_files(self, paths: list[str]) -> InputScan:
        """The scan plus files it did not cover (inputs a render read for the first time)."""
        added = {path: _stat(path) or (-1, 0) for path in paths if path not in self.files}
        return InputScan({**self.files, **added}, self.taken_ns) if added else self

    def racy(self) -> dict[str, str]:
        """Digests of the files modified too close to the scan for their mtime to be trusted."""
        limit = self.taken_ns - int(RACY_SECONDS * 1e9)
        return {path: _digest(path) for path, (_, mtime) in self.files.items() if mtime >= limit}


def _walk(folder: str, into: dict[str, Stat]) -> None:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith(".") or entry.name in SKIPPED_NAMES:
            continue
        try:
            if entry.is_dir():
                _walk(entry.path, into)
            else:
                stat = entry.stat()
                into[entry.path] = (stat.st_size, stat.st_mtime_ns)
        except OSError:
            continue


def _stat(path: str) -> Stat | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


def _digest(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()  # streamed, never whole
    except OSError:
        return "missing"


def scan_inputs(site_root: Path, code_root: Path, extra: tuple[str, ...] = ()) -> InputScan:
    """Stat the site's content, theme and config, Stride's code and the ``extra`` files renders
    read; the installed libraries are covered by their folder's mtime (an install or upgrade
    renames a ``*.dist-info`` folder in it)."""
    taken = time.time_ns()
    files: dict[str, Stat] = {}
    for folder in (site_root / "content", site_root / "theme",
                   *(code_root / name for name in CODE_FOLDERS)):
        _walk(str(folder), files)
    for path in (*(str(site_root / name) for name in (*CONFIG_NAMES, *PROJECT_NAMES)), *extra,
                 *(p for p in sys.path if p.endswith("-packages"))):
        stat = _stat(path)
        files[path] = stat if stat is not None else (-1, 0)
    return InputScan(files, taken)


def stat_outputs(out: Path, paths: list[str]) -> dict[str, Stat]:
    return {path: _stat(str(out / path)) or (-1, 0) for path in paths}


def stamp_path(cache_root: Path, out: Path) -> Path:
    key = hashlib.sha256(str(out).encode()).hexdigest()[:16]
    return cache_root / "stamps" / f"v{STAMP_VERSION}-{key}.json"


def write_stamp(path: Path, scan: InputScan, options: str, outputs: dict[str, Stat],
                summary: dict[str, object]) -> None:
    """Record a successful build; written atomically, so a killed build leaves no false stamp."""
    data = {"version": STAMP_VERSION, "options": options, "inputs": scan.files,
            "racy": scan.racy(), "outputs": outputs, "summary": summary}
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    temp.write_text(json.dumps(data, separators=(",", ":")))
    os.replace(temp, path)


def forget_stamp(path: Path) -> None:
    """A failed or interrupted build must not leave a stamp that claims the site is current."""
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def compare_stamp(path: Path, scan: InputScan, options: str, out: Path
                  ) -> tuple[dict | None, tuple[str, ...] | None]:
    """The last build's summary when nothing changed since it and its output is intact (else
    None), and the inputs whose stat differs from the stamp's (None when there is no usable
    stamp: anything may have changed)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None, None
    if not isinstance(data, dict) or data.get("version") != STAMP_VERSION \
            or data.get("options") != options:
        return None, None
    recorded = {name: tuple(stat) for name, stat in data.get("inputs", {}).items()}
    if recorded != scan.files:
        return None, tuple(name for name, stat in scan.files.items()
                           if recorded.get(name) != stat)
    if any(_digest(name) != digest for name, digest in data.get("racy", {}).items()):
        return None, tuple(data.get("racy", {}))
    outputs = data.get("outputs", {})
    if any(_stat(str(out / name)) != tuple(stat) for name, stat in outputs.items()):
        return None, ()
    return data.get("summary"), ()
