"""Where a post's source holds code or math, and line-preserving rewrites of that source.

Liquid and Hugo shortcodes are evaluated before Markdown is parsed (as Jekyll and Hugo do), so
they are found by scanning the text. That scan must leave code alone (an article about Jekyll
shows `{{ site.url }}` in a code span) and must not mistake TeX's `{{x}}` for Liquid output.

Block-level code (fenced and indented) is located by markdown-it itself, with a bare CommonMark
parser, so "what is code" is exactly markdown-it's answer. Code spans and math delimiters are
inline constructs whose character offsets markdown-it does not expose, hence the small scanner
below; it follows CommonMark's code-span rule (a run of N backticks closes at the next run of
exactly N) and the dollarmath conventions (no space inside the delimiters, `\\$` escapes).
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from markdown_it import MarkdownIt

_BLOCK_PARSER = MarkdownIt("commonmark")
_BACKTICKS = re.compile(r"`+")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
# Display math first so that `$$` is never read as two inline `$`.
def _until(opening: str) -> str:
    """Any text up to the closing delimiter that holds neither a blank line nor another
    ``opening``: an unclosed delimiter is abandoned at the next one, keeping the scan linear."""
    return rf"(?:(?!\n[ \t]*\n|{opening}).)+?"


# Display math first so that `$$` is never read as two inline `$`. Every delimiter closes within
# its paragraph, as the math plugin reads them (its `$$` block holds no blank line, its inline
# `$$` closes inside the paragraph): a stray `$$` ("$$a$ is") must not pair with the next
# paragraph's `$$` and hide all the Liquid in between from evaluation.
_MATH = re.compile(
    r"(?<!\\)\$\$(?:(?!\n[ \t]*\n).)+?(?<!\\)\$\$"                      # $$ display $$
    r"|\\\[" + _until(r"\\\[") + r"\\\]"                                  # \[ display \]
    r"|\\\(" + _until(r"\\\(") + r"\\\)"                                  # \( inline \)
    r"|\\begin\{([a-zA-Z]+\*?)\}" + _until(r"\\begin\{\1\}") + r"\\end\{\1\}"  # environments
    r"|(?<![\\$])\$(?=\S)(?:[^$\n]|\n(?![ \t]*\n))+?(?<=[^\s\\])\$(?!\d)",  # $inline$
    re.S)


@dataclass(frozen=True)
class Regions:
    """Sorted, disjoint ``[start, end)`` character ranges of code and of math in a source."""

    code: tuple[tuple[int, int], ...]
    math: tuple[tuple[int, int], ...]

    def code_at(self, position: int) -> tuple[int, int] | None:
        return _containing(self.code, position)

    def math_at(self, position: int) -> tuple[int, int] | None:
        return _containing(self.math, position)


def _containing(ranges: tuple[tuple[int, int], ...], position: int) -> tuple[int, int] | None:
    index = bisect.bisect_right(ranges, (position, float("inf"))) - 1
    if index >= 0 and ranges[index][0] <= position < ranges[index][1]:
        return ranges[index]
    return None


def find_regions(source: str) -> Regions:
    """The code (fenced, indented, spans) and math ranges of a Markdown source."""
    lines = LineIndex(source)
    blocks = []
    for token in _BLOCK_PARSER.parse(source):
        if token.type in ("fence", "code_block") and token.map:
            blocks.append((lines.offset(token.map[0]), lines.offset(token.map[1])))
    blocks.sort()

    spans: list[tuple[int, int]] = []
    math: list[tuple[int, int]] = []
    cursor = 0
    for start, end in [*blocks, (len(source), len(source))]:
        text = source[cursor:start]
        for span_start, span_end in _code_spans(text):
            spans.append((cursor + span_start, cursor + span_end))
        math.extend(_math_spans(text, cursor, spans))
        cursor = end
    return Regions(code=tuple(sorted(blocks + spans)), math=tuple(math))


def _code_spans(text: str) -> list[tuple[int, int]]:
    """CommonMark code spans: a backtick run closes at the next run of the same length within
    the same paragraph; an unmatched run is literal text."""
    spans = []
    paragraph_ends = [m.start() for m in _BLANK_LINE.finditer(text)] + [len(text)]
    runs = list(_BACKTICKS.finditer(text))
    index = 0
    while index < len(runs):
        opening = runs[index]
        escaped = opening.start() > 0 and text[opening.start() - 1] == "\\"
        if escaped and len(opening.group()) == 1:
            index += 1
            continue
        limit = paragraph_ends[bisect.bisect_left(paragraph_ends, opening.start())]
        closing_index = next((j for j in range(index + 1, len(runs))
                              if runs[j].start() < limit
                              and len(runs[j].group()) == len(opening.group())), None)
        if closing_index is None:
            index += 1
            continue
        spans.append((opening.start(), runs[closing_index].end()))
        index = closing_index + 1
    return spans


def _math_spans(text: str, base: int, code_spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    spans = tuple(code_spans)
    found = []
    for match in _MATH.finditer(text):
        start = base + match.start()
        if _containing(spans, start) is None:
            found.append((start, base + match.end()))
    return found


class LineIndex:
    """Body line and column of character offsets, by bisection over the line starts (a post with
    thousands of warnings must not count its line breaks again for each one)."""

    def __init__(self, source: str) -> None:
        self._length = len(source)
        self._starts = [0] + [match.end() for match in re.finditer("\n", source)]

    def offset(self, line: int) -> int:
        """The offset where a 0-based line starts (the source's end past its last line)."""
        return self._starts[line] if line < len(self._starts) else self._length

    def line(self, position: int) -> int:
        """The 0-based line of an offset (a body line, as in ``token.map[0]``)."""
        return bisect.bisect_right(self._starts, position) - 1

    def column(self, position: int) -> int:
        """The 1-based column of an offset."""
        return position - self._starts[self.line(position)] + 1


class LinePreservingEdits:
    """Replacements in a source that keep every later line where it was.

    A replacement with fewer line breaks than the text it replaces is padded with line breaks,
    so ``file:line`` in every later warning still points at the author's file. A replacement
    with more line breaks (rare: a `{% highlight %}` opened mid-line) shifts later lines down;
    ``original_line`` maps a line of the result back to the source's. Edits must not overlap:
    each scan hands out a range once and moves past it.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self._edits: list[tuple[int, int, str]] = []
        # For each edit that added line breaks: the lines it spans in the result, then in the
        # source (first and last, 0-based).
        self._shifts: list[tuple[int, int, int, int]] = []

    def replace(self, start: int, end: int, replacement: str) -> None:
        removed_breaks = self.source.count("\n", start, end)
        added_breaks = replacement.count("\n")
        if added_breaks < removed_breaks:
            replacement += "\n" * (removed_breaks - added_breaks)
        self._edits.append((start, end, replacement))

    def touches(self, start: int, end: int) -> bool:
        """Whether an edit already made overlaps ``source[start:end]``."""
        return any(edit_start < end and start < edit_end
                   for edit_start, edit_end, _ in self._edits)

    def apply(self) -> str:
        pieces = []
        cursor = 0
        lines = 0  # line breaks in the result so far
        self._shifts = []
        for start, end, replacement in sorted(self._edits, key=lambda edit: edit[0]):
            kept = self.source[cursor:start]
            pieces.append(kept)
            lines += kept.count("\n")
            removed, added = self.source.count("\n", start, end), replacement.count("\n")
            if added > removed:
                first = self.source.count("\n", 0, start)
                self._shifts.append((lines, lines + added, first, first + removed))
            pieces.append(replacement)
            lines += added
            cursor = end
        pieces.append(self.source[cursor:])
        return "".join(pieces)

    @property
    def moved_lines(self) -> bool:
        """Whether ``apply`` moved lines down (``original_line`` is then not the identity)."""
        return bool(self._shifts)

    def original_line(self, line: int) -> int:
        """The 0-based source line of a 0-based line of ``apply``'s result; a line inside a
        replacement that added lines is the replaced text's line (its last, at most)."""
        shift = 0
        for result_first, result_last, source_first, source_last in self._shifts:
            if line < result_first:
                break
            if line <= result_last:
                return source_first + min(line - result_first, source_last - source_first)
            shift = result_last - source_last
        return line - shift


# Text that the Liquid or Hugo engines would have interpreted but that the author asked to show
# as written ({% raw %}, {{</* */>}}): its brace is written as an HTML entity, which Markdown
# turns back into "{" in text and HTML, so no later rule (kramdown, shortcodes) re-reads it.
_INTERPRETED_OPENING = re.compile(r"\{(?=[{%:<])")


def shield_braces(text: str) -> str:
    return _INTERPRETED_OPENING.sub("&#123;", text)
