"""The end-of-build report: the warnings of every post, grouped by kind."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from generator.errors import Diagnostic, SourceLocation


@dataclass(frozen=True)
class DiagnosticSummary:
    """All warnings of one kind (``liquid``, ``hugo``, ``asset``...) across a build."""

    kind: str
    count: int
    files: int
    first: SourceLocation
    examples: tuple[str, ...]  # distinct messages, first seen first

    def __str__(self) -> str:
        plural = "s" if self.count != 1 else ""
        in_files = f" in {self.files} file{'s' if self.files != 1 else ''}"
        shown = "; ".join(self.examples)
        return f"{self.kind}: {self.count} warning{plural}{in_files} (first at {self.first}): {shown}"


def summarize_diagnostics(diagnostics: Iterable[Diagnostic], *,
                          examples: int = 3) -> tuple[DiagnosticSummary, ...]:
    """One summary per kind, most frequent kind first, so a migrated blog's hundreds of
    warnings read as a handful of lines."""
    grouped: dict[str, list[Diagnostic]] = {}
    for diagnostic in diagnostics:
        grouped.setdefault(diagnostic.kind, []).append(diagnostic)
    summaries = []
    for kind, items in grouped.items():
        messages = list(dict.fromkeys(item.message for item in items))
        summaries.append(DiagnosticSummary(
            kind=kind, count=len(items), files=len({item.location.path for item in items}),
            first=items[0].location, examples=tuple(messages[:examples])))
    return tuple(sorted(summaries, key=lambda summary: (-summary.count, summary.kind)))
