"""What running a block produced, as frozen records, and their cache encoding.

Records hold text with the pseudo file names of ``kernel.BLOCK_FILENAME`` (``<stride-run-2>``,
lines counted within the block), never the post's path or file lines: those are put in when the
page is rendered (``relocate``), so moving a block down by a prose edit reuses its cached result.
"""
from __future__ import annotations

import base64
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

# `File "<stride-run-2>", line 5` in tracebacks, `<stride-run-2>:5:` in warnings.
BLOCK_REFERENCE = re.compile(r'<stride-run-(\d+)>(", line |:)(\d+)')


@dataclass(frozen=True)
class Figure:
    data: bytes
    format: str  # "svg" or "png"


@dataclass(frozen=True)
class Animation:
    gif: bytes
    poster: bytes  # PNG of the last frame


@dataclass(frozen=True)
class Failure:
    """An exception raised by a block: its summary line, traceback, and where in the post."""

    summary: str
    traceback: str
    block: int | None  # index of the session block holding the deepest post frame
    line: int | None   # 1-based line within that block's content


@dataclass(frozen=True)
class BlockOutput:
    stdout: str
    stderr: str
    value: str | None  # repr of the last expression
    error: Failure | None
    figures: tuple[Figure, ...]
    animation: Animation | None

    def to_bytes(self) -> bytes:
        return json.dumps({
            "stdout": self.stdout, "stderr": self.stderr, "value": self.value,
            "error": None if self.error is None else vars(self.error),
            "figures": [{"data": _encode(f.data), "format": f.format} for f in self.figures],
            "animation": None if self.animation is None else {
                "gif": _encode(self.animation.gif), "poster": _encode(self.animation.poster)},
        }, sort_keys=True).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> BlockOutput | None:
        """The record, or None when ``data`` is not one (a damaged or foreign cache entry)."""
        try:
            fields = json.loads(data)
            error, animation = fields["error"], fields["animation"]
            return cls(
                stdout=fields["stdout"], stderr=fields["stderr"], value=fields["value"],
                error=None if error is None else Failure(**error),
                figures=tuple(Figure(_decode(f["data"]), f["format"]) for f in fields["figures"]),
                animation=None if animation is None else Animation(
                    _decode(animation["gif"]), _decode(animation["poster"])),
            )
        except (ValueError, KeyError, TypeError):
            return None


@dataclass(frozen=True)
class SessionCrash:
    """A session that ended inside a block: a timeout, ``os._exit``, a signal (segfault, kill)."""

    block: int                # the session block that was running
    frame_block: int | None   # the block holding the deepest post frame, when known
    frame_line: int | None    # 1-based line within frame_block
    timed_out: bool
    exit_code: int    # negative: killed by that signal
    setup_error: str = ""  # why the session could not even start its first statement


def relocate(text: str, source_path: str, first_lines: Sequence[int]) -> str:
    """Replace ``<stride-run-I>`` references by the post's path and file lines.

    ``first_lines[I]`` is the file line of session block I's first line of code.
    """
    def replace(match: re.Match) -> str:
        index, separator, line = int(match[1]), match[2], int(match[3])
        if index >= len(first_lines):
            return match[0]
        return f"{source_path}{separator}{first_lines[index] + line - 1}"
    return BLOCK_REFERENCE.sub(replace, text)


def _encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _decode(text: str) -> bytes:
    return base64.b64decode(text, validate=True)
