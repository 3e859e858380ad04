"""The end-of-build report: warnings grouped by kind, and old syntax left in a page's text."""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from html import unescape

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


_NOT_PROSE = re.compile(r"<(pre|code|math|svg|script|style)\b[^>]*>.*?</\1>", re.S | re.I)
_TEX = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$|\\\[.*?\\\]|\\\(.*?\\\)", re.S)
_LEAK = re.compile(r"\{%.{0,60}?%\}|\{\{.{0,60}?\}\}|\{:[^}\n]{0,60}\}|\{%|\{\{|\{:|%\}"
                   r"|^[ \t]*:{3,}[^\n]{0,60}$"  # a Pandoc div's fence
                   r"|\{[#.][A-Za-z][\w:.-]*(?:\s[^{}\n]{0,60})?\}"  # Pandoc's {#id .class}
                   r"|\[-?@[A-Za-z][\w:.+-]*[^\]\n]{0,60}\]", re.S | re.M)  # a citation [@key]


def visible_text(html: str) -> str:
    """A page's prose: its text outside code, math (MathML or TeX not yet rendered) and SVG."""
    text = unescape(re.sub(r"<[^>]+>", "", _NOT_PROSE.sub("", html)))
    return _TEX.sub("", text)


def find_leaks(html: str) -> tuple[str, ...]:
    """Liquid, Hugo, kramdown or Pandoc syntax (a div's fence, ``{#id .class}`` attributes, a
    ``[@key]`` citation) a reader would see as text in ``html``."""
    return tuple(match.group(0) for match in _LEAK.finditer(visible_text(html)))
