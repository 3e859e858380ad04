"""Stride's exception hierarchy and the diagnostics (warnings) a build reports.

Every error and warning says where (``post.md:12:3``) and what to do, so an author never has to
read a traceback.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceLocation:
    """A place in an input file; ``line`` and ``column`` are 1-based, 0 when unknown."""

    path: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        text = self.path
        if self.line:
            text += f":{self.line}"
            if self.column:
                text += f":{self.column}"
        return text


class StrideError(Exception):
    """Base of every error Stride reports to an author: where, what, and what to do."""

    def __init__(self, message: str, *, location: SourceLocation | None = None, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.location = location
        self.hint = hint

    def __reduce__(self):
        # Errors raised in a render worker cross back to the build process by pickle.
        return (_rebuild_error, (type(self), self.message, self.location, self.hint))

    def __str__(self) -> str:
        prefix = f"{self.location}: " if self.location else ""
        suffix = f"\n  hint: {self.hint}" if self.hint else ""
        return f"{prefix}{self.message}{suffix}"


def _rebuild_error(kind: type[StrideError], message: str, location: SourceLocation | None,
                   hint: str) -> StrideError:
    return kind(message, location=location, hint=hint)


class BuildFailed(StrideError):
    """One or more errors stopped the build; the previous site was left untouched."""

    def __init__(self, errors: list[StrideError]):
        self.errors = tuple(errors)
        count = len(self.errors)
        super().__init__(f"the build failed with {count} error{'s' if count != 1 else ''}")

    def __reduce__(self):
        return (BuildFailed, (list(self.errors),))

    def __str__(self) -> str:
        return "\n".join(str(error) for error in self.errors)


class ConfigError(StrideError):
    """The site configuration is invalid."""


class FrontmatterError(StrideError):
    """A post's frontmatter cannot be read."""


class ContentError(StrideError):
    """A post's body is invalid (bad markup, a broken reference, an unsafe URL...)."""


class PluginError(StrideError):
    """A build-time plugin (math, run, conv, tikz...) failed on a post's block."""


class CodeExecutionError(PluginError):
    """Code run at build time raised, timed out or crashed."""


class WorkerDied(StrideError):
    """A worker process of the build ended abruptly (killed, or out of memory)."""

    def __init__(self, message: str = "a worker process of the build ended abruptly (killed, or "
                 "out of memory)", *, location: SourceLocation | None = None,
                 hint: str = "build again; `-j 1` builds in one process, which needs less memory"):
        super().__init__(message, location=location, hint=hint)


class OutputError(StrideError):
    """The output folder cannot be written safely."""


@dataclass(frozen=True)
class Diagnostic:
    """A warning attached to a place in the sources; ``--strict`` turns it into an error."""

    location: SourceLocation
    message: str
    hint: str = ""
    kind: str = "warning"  # a short category, used to group warnings ("math", "liquid", ...)

    def __str__(self) -> str:
        suffix = f"\n  hint: {self.hint}" if self.hint else ""
        return f"{self.location}: warning[{self.kind}]: {self.message}{suffix}"

    def as_error(self) -> StrideError:
        return StrideError(f"{self.message} (warning promoted by --strict)", location=self.location,
                           hint=self.hint)
