"""Content-addressed, versioned, prunable on-disk cache shared by the pipeline and its plugins.

A key is the hash of everything that determines a result (input text, options, tool versions);
the value is bytes. Entries live under ``ROOT/<namespace>/v<FORMAT>-<version>/``, so bumping a
plugin's version (or a tool version it folds into ``version``) abandons old entries, and
``prune`` removes entries that no current page used. Writes are atomic (temp file + rename), so
parallel workers and a killed build never leave a half-written entry.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import tempfile
import zlib
from pathlib import Path
from typing import Any

CACHE_FORMAT = 1


def content_key(*parts: str | bytes) -> str:
    """The sha256 of the parts, each length-prefixed so that ("ab", "c") != ("a", "bc")."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


class Cache:
    """One namespace of the cache (``math``, ``run``, ``conv``, ``pages``...).

    ``read=False`` (``build --refresh``) recomputes everything but still stores the results.
    Every key read or written is remembered in ``used`` so the build can prune the rest.
    """

    def __init__(self, root: Path | None, namespace: str, version: str, *, read: bool = True):
        self.namespace = namespace
        self.version = version
        self.read = read
        self.used: set[str] = set()
        self.base = root / namespace if root is not None else None
        self.directory = self.base / f"v{CACHE_FORMAT}-{version}" if self.base else None

    @property
    def folder_name(self) -> str:
        """``namespace/version`` as it sits under the cache root: how pages report what they used."""
        return f"{self.namespace}/v{CACHE_FORMAT}-{self.version}"

    def path_for(self, key: str) -> Path:
        if self.directory is None:
            raise ValueError("this cache is disabled")
        return self.directory / key[:2] / key

    def get(self, key: str) -> bytes | None:
        self.used.add(key)
        if self.directory is None or not self.read:
            return None
        try:
            return self.path_for(key).read_bytes()
        except OSError:
            return None

    def put(self, key: str, data: bytes) -> None:
        self.used.add(key)
        if self.directory is None:
            return
        target = self.path_for(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def prune(self, keep: set[str]) -> int:
        """Delete entries not in ``keep`` and every other version's folder; return how many went."""
        if self.base is None or not self.base.is_dir():
            return 0
        removed = 0
        for version_dir in self.base.iterdir():
            if version_dir != self.directory:
                shutil.rmtree(version_dir, ignore_errors=True)
                removed += 1
        if self.directory is not None and self.directory.is_dir():
            for entry in self.directory.glob("*/*"):
                if entry.name not in keep:
                    entry.unlink(missing_ok=True)
                    removed += 1
        return removed


class ShardedCache:
    """Many small entries (bytes or any picklable value) kept in a few files.

    One file per entry costs a file system round trip per entry read, and opening a file is the
    dominant cost of loading a thousand post renders; sixteen shards (``shard-<hex digit>.pickle``,
    chosen by a checksum of the key) keep a one-post edit cheap to write (one shard changes) and
    a full load cheap to read. Shards load when first needed. Same layout
    (``ROOT/<namespace>/v<FORMAT>-<version>/``) and the same ``read`` switch as ``Cache``; only
    one build at a time writes it (the build lock).
    """

    def __init__(self, root: Path, namespace: str, version: str, *, read: bool = True):
        self.read = read
        self.base = root / namespace
        self.directory = self.base / f"v{CACHE_FORMAT}-{version}"
        self._shards: dict[str, dict[str, Any]] = {}
        self._dirty: set[str] = set()

    @staticmethod
    def shard_name(key: str) -> str:
        return f"{zlib.crc32(key.encode('utf-8', 'surrogatepass')) & 15:x}"

    def _shard(self, key: str) -> dict[str, Any]:
        return self._named_shard(self.shard_name(key))

    def _named_shard(self, name: str) -> dict[str, Any]:
        if name not in self._shards:
            self._shards[name] = self._load(self.directory / f"shard-{name}.pickle")
        return self._shards[name]

    @staticmethod
    def _load(path: Path) -> dict[str, Any]:
        try:
            entries = pickle.loads(path.read_bytes())
        except Exception:  # missing, truncated or foreign: an empty shard, never a crash
            return {}
        return entries if isinstance(entries, dict) else {}

    def get(self, key: str) -> Any:
        return self._shard(key).get(key) if self.read else None

    def entries(self) -> dict[str, Any]:
        """Every entry on disk (empty when not reading)."""
        if not self.read or not self.directory.is_dir():
            return {}
        found: dict[str, Any] = {}
        for path in sorted(self.directory.glob("shard-*.pickle")):
            found.update(self._named_shard(path.name[len("shard-"):-len(".pickle")]))
        return found

    def put(self, key: str, value: Any) -> None:
        self._shard(key)[key] = value
        self._dirty.add(self.shard_name(key))

    def flush(self) -> None:
        """Write the shards that changed (temp file + rename: a killed build keeps the old one)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        for name in sorted(self._dirty):
            target = self.directory / f"shard-{name}.pickle"
            temp = target.with_name(f".tmp-{os.getpid()}-{target.name}")
            try:
                temp.write_bytes(pickle.dumps(self._shards[name], protocol=5))
                os.replace(temp, target)
            except BaseException:
                temp.unlink(missing_ok=True)
                raise
        self._dirty.clear()

    def prune(self, keep: set[str]) -> None:
        """Drop entries not in ``keep`` and every other version's folder, then flush."""
        if self.base.is_dir():
            for version_dir in self.base.iterdir():
                if version_dir != self.directory:
                    shutil.rmtree(version_dir, ignore_errors=True)
        if self.directory.is_dir():
            for path in self.directory.glob("shard-*.pickle"):
                name = path.name[len("shard-"):-len(".pickle")]
                entries = self._named_shard(name)
                if any(key not in keep for key in entries):
                    self._shards[name] = {k: v for k, v in entries.items() if k in keep}
                    self._dirty.add(name)
        self.flush()


def prune_unused(root: Path, keep: dict[str, set[str]], *, skip: tuple[str, ...] = ()) -> int:
    """Delete every entry under ``root`` whose ``namespace/version`` folder and key are not in
    ``keep``; namespaces in ``skip`` manage themselves. Returns how many entries went."""
    removed = 0
    if not root.is_dir():
        return 0
    for namespace in root.iterdir():
        if not namespace.is_dir() or namespace.name in skip:
            continue
        # Only folders in this cache's own layout: a plugin may keep other state here
        # (the run plugin keeps matplotlib's font cache), which is not ours to prune.
        for version_dir in namespace.glob("v[0-9]*-*"):
            keys = keep.get(f"{namespace.name}/{version_dir.name}")
            if keys is None:
                shutil.rmtree(version_dir, ignore_errors=True)
                removed += 1
                continue
            for entry in version_dir.glob("*/*"):
                if entry.name not in keys:
                    entry.unlink(missing_ok=True)
                    removed += 1
    return removed
