"""Files parsed once per content and process: the citations' ``.bib`` files and CSL styles.

A site's posts share one bibliography, often one style. Each post reads the file's bytes (their
sha256 is the digest the post records as a dependency), and the first post to read a content
parses it; the others get that parse. The memo keeps the latest few contents and forgets the
oldest first, so a long ``serve`` whose files keep changing does not grow it.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

Parsed = TypeVar("Parsed")


class ParsedFiles(Generic[Parsed]):
    """Parsed files by the sha256 of their bytes, at most ``size`` of them."""

    def __init__(self, *, size: int) -> None:
        self.size = size
        self._parsed: dict[str, Parsed] = {}

    def read(self, path: Path, shown: str,
             parse: Callable[[bytes, str], Parsed]) -> tuple[Parsed, str]:
        """``parse(bytes, shown)`` of the file, done once per content, and the sha256 of its
        bytes; raises OSError, or what ``parse`` raises (nothing is kept then). ``shown`` is
        the file as messages name it."""
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if digest not in self._parsed:
            parsed = parse(data, shown)
            if len(self._parsed) >= self.size:
                self._parsed.pop(next(iter(self._parsed)))
            self._parsed[digest] = parsed
        return self._parsed[digest], digest

    def clear(self) -> None:
        """Forget every parse (tests that count them)."""
        self._parsed.clear()
