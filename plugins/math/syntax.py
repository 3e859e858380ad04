"""markdown-it rules for every math delimiter Stride's authors use.

mdit-py-plugins splits these over ``dollarmath`` (``$``/``$$``), ``texmath`` (``\\(``/``\\[``)
and ``amsmath`` (bare environments), and its ``$$`` block cannot interrupt a paragraph: a
``$$`` line right after text (seeds 000 and 002) becomes part of the paragraph and swallows the
prose after it. Its inline ``$`` also takes "$5 and $10" for math. These rules are written
here so the three syntaxes share one scanner, interrupt paragraphs, and follow Pandoc's rule for
``$`` (no space inside the delimiters, no digit after the closing one unless the formula holds
a TeX command).

Tokens: ``math_block`` (display, own lines; ``markup`` is ``$$``, ``\\[`` or ``\\begin``;
``meta["definitions"]`` marks Pandoc's raw-TeX macro definitions outside math, which define and
show nothing;
``meta["label"]`` holds Quarto's ``{#eq-name}`` written after the closing ``$$``) and
``math_inline`` (``markup`` is ``$``, ``$$``, ``\\(`` or ``\\[``; ``meta["display"]`` is True for
``\\[`` only, since kramdown treats ``$$`` in a sentence as inline math; a Quarto reference
``@eq-name`` is an ``\\eqref`` with ``markup`` ``@`` and ``meta["reference_prefix"]``;
``meta["in_link"]`` marks math inside a link's text, where a reference may not be a link).
"""
from __future__ import annotations

import re
from typing import NamedTuple

from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline

from .tex import NUMBERED_ENVIRONMENTS

# MathJax reads \eqref and \ref in prose too (its processRefs option, on by default).
_REFERENCE = re.compile(r"\\(?:eq)?ref\{[^{}\n]+\}")
# Quarto labels a display as ``$$ ... $$ {#eq-name}`` and cites it as ``@eq-name``.
_QUARTO_LABEL = re.compile(r"\s*\{#(eq-[^\s{}]+)\}\s*")
_QUARTO_REFERENCE = re.compile(r"@(?P<label>eq-[\w:.-]*\w)"
                               r"|\[(?P<prefix>[^\[\]@]*?)(?P<bare>-?)@(?P<bracketed>eq-[\w:.-]*\w)\]"
                               r"(?![(\[])")  # not a link's text: [see @eq-x](url)
# Pandoc's latex_macros: a block of lines each opening with a definition defines macros for the
# post's math (Quarto's documents keep them in a hidden div); a web page shows none of it.
_DEFINITION = re.compile(r"\\(?:(?:re|provide)?newcommand\*?|def|DeclareMathOperator\*?)(?![A-Za-z])")
_ENVIRONMENT_START = re.compile(r"\\begin\{(" + "|".join(sorted(NUMBERED_ENVIRONMENTS)) + r")(\*?)\}")


def math_block_rule(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """``$$ ... $$``, ``\\[ ... \\]`` and bare ``\\begin{equation}...`` blocks on their own lines."""
    if state.sCount[start_line] - state.blkIndent >= 4:  # an indented code block
        return False
    start = state.bMarks[start_line] + state.tShift[start_line]
    first_line = state.src[start:state.eMarks[start_line]]
    if first_line.startswith("$$"):
        opening, closing = "$$", "$$"
    elif first_line.startswith("\\["):
        opening, closing = "\\[", "\\]"
    else:
        environment = _ENVIRONMENT_START.match(first_line)
        if environment is None:
            return False
        opening = ""
        closing = f"\\end{{{environment.group(1)}{environment.group(2)}}}"
    rest = first_line[len(opening):]
    close_at = rest.find(closing)
    last_line = start_line
    if close_at >= 0:
        label = _label_after(rest[close_at + len(closing):], opening)
        if label is None:
            return False  # "$$x$$ and more": inline math at the start of a paragraph
        body = rest[:close_at] if opening else rest[:close_at + len(closing)]
    else:
        lines = [rest]
        while True:
            last_line += 1
            if last_line >= end_line:
                return False
            if state.sCount[last_line] < state.blkIndent:
                return False  # the container (list item, quote) ended first
            line = state.src[state.bMarks[last_line] + state.tShift[last_line]:state.eMarks[last_line]]
            if not line.strip():
                return False  # TeX has no blank lines inside math: not a display block
            close_at = line.find(closing)
            if close_at >= 0:
                label = _label_after(line[close_at + len(closing):], opening)
                if label is None:
                    return False
                lines.append(line[:close_at] if opening else line[:close_at + len(closing)])
                break
            lines.append(line)
        body = "\n".join(lines)
    if not body.strip():
        return False
    if silent:
        return True
    token = state.push("math_block", "math", 0)
    token.block = True
    token.content = body.strip("\n")
    token.markup = opening or "\\begin"
    token.map = [start_line, last_line + 1]
    if label:
        token.meta["label"] = label
    state.line = last_line + 1
    return True


def tex_definitions_rule(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """Raw TeX macro definitions outside math (``\\newcommand``, ``\\renewcommand``,
    ``\\providecommand``, ``\\def``, ``\\DeclareMathOperator``), one or more lines each
    opening with one and ending with a definition's ``}``, as Pandoc's ``latex_macros`` reads
    them: they hold for the post's later formulas and the page shows nothing of them. A
    definition may run over several lines while its braces are open."""
    if state.sCount[start_line] - state.blkIndent >= 4:
        return False
    lines: list[str] = []
    line_number = start_line
    depth = 0
    while line_number < end_line and state.sCount[line_number] >= state.blkIndent:
        line = state.src[state.bMarks[line_number] + state.tShift[line_number]:state.eMarks[line_number]]
        if not line.strip() or (depth <= 0 and not _DEFINITION.match(line)):
            break
        after = depth + _brace_balance(line)
        if after <= 0 and not line.rstrip().endswith("}"):
            break  # text after the definition: a sentence, not a block of definitions
        lines.append(line)
        depth = after
        line_number += 1
    if not lines:
        return False
    if silent:
        return True
    token = state.push("math_block", "math", 0)
    token.block = True
    token.content = "\n".join(lines)
    token.markup = "\\newcommand"
    token.map = [start_line, line_number]
    token.meta["definitions"] = True
    state.line = line_number
    return True


def _brace_balance(line: str) -> int:
    """Opening minus closing braces, escaped ones (``\\{``) left out."""
    plain = re.sub(r"\\.", "", line)
    return plain.count("{") - plain.count("}")


def _label_after(text: str, opening: str) -> str | None:
    """What may follow a display's closing delimiter on its line: nothing (``""``), or for
    ``$$`` Quarto's equation label ``{#eq-name}`` (the name); None for anything else."""
    if not text.strip():
        return ""
    label = _QUARTO_LABEL.fullmatch(text) if opening == "$$" else None
    return label.group(1) if label else None


def math_inline_rule(state: StateInline, silent: bool) -> bool:
    """``$x$``, ``$$x$$`` (inline, as kramdown), ``\\(x\\)`` and ``\\[x\\]`` inside a paragraph,
    a bare ``\\eqref{label}`` or ``\\ref{label}`` in the prose, and Quarto's ``@eq-label``."""
    source = state.src
    position = state.pos
    if source[position] in "@[":
        return _quarto_reference(state, silent)
    if source.startswith(("\\eqref{", "\\ref{"), position):
        reference = _REFERENCE.match(source, position, state.posMax)
        if reference is None:
            return False
        span = InlineSpan(reference.group(), "", reference.end(), display=False)
    else:
        span = inline_math_at(source, position, state.posMax)
        if span is None:
            return False
    if not silent:
        token = state.push("math_inline", "math", 0)
        token.content = span.content
        token.markup = span.markup
        token.meta = {"display": span.display, "line": source.count("\n", 0, position),
                      "in_link": state.linkLevel > 0}
    state.pos = span.end
    return True


def _quarto_reference(state: StateInline, silent: bool) -> bool:
    """``@eq-name`` -> "Equation 3", ``[-@eq-name]`` -> "3", ``[Eq. @eq-name]`` -> "Eq. 3"."""
    position = state.pos
    if position > 0 and (state.src[position - 1].isalnum() or state.src[position - 1] == "_"):
        return False  # an e-mail address, not a reference
    reference = _QUARTO_REFERENCE.match(state.src, position, state.posMax)
    if reference is None:
        return False
    if reference.group("label"):
        label, prefix = reference.group("label"), "Equation\N{NO-BREAK SPACE}"
    else:
        label = reference.group("bracketed")
        written = " ".join(reference.group("prefix").split())  # it may wrap over lines
        prefix = "" if reference.group("bare") else f"{written or 'Equation'}\N{NO-BREAK SPACE}"
    if not silent:
        token = state.push("math_inline", "math", 0)
        token.content = f"\\eqref{{{label}}}"
        token.markup = "@"
        token.meta = {"display": False, "line": state.src.count("\n", 0, position),
                      "reference_prefix": prefix, "written": reference.group(),
                      "in_link": state.linkLevel > 0}
    state.pos = reference.end()
    return True


class InlineSpan(NamedTuple):
    content: str
    markup: str  # the opening delimiter
    end: int  # just past the closing delimiter
    display: bool


def inline_math_at(source: str, position: int, stop: int) -> InlineSpan | None:
    """The math span opening at ``source[position]``, if one does and closes before ``stop``."""
    if source.startswith("\\(", position) or source.startswith("\\[", position):
        closing = "\\)" if source[position + 1] == "(" else "\\]"
        end = _find_unescaped(source, closing, position + 2, stop)
        if end < 0 or end == position + 2:
            return None
        return InlineSpan(source[position + 2:end], source[position:position + 2], end + 2,
                          display=closing == "\\]")
    if source[position] != "$":
        return None
    if source.startswith("$$", position):
        end = _find_unescaped(source, "$$", position + 2, stop)
        if end < 0 or not source[position + 2:end].strip():
            return None
        return InlineSpan(source[position + 2:end], "$$", end + 2, display=False)
    # Pandoc's rule keeps prices out: "$" + non-space ... non-space + "$" + non-digit. A digit
    # may follow when a TeX command is inside, which no price has: a 3$\times$3 kernel.
    if position + 1 >= stop or source[position + 1].isspace():
        return None
    end = _find_unescaped(source, "$", position + 1, stop)
    if end < 0 or source[end - 1].isspace():
        return None
    content = source[position + 1:end]
    if source[end + 1:end + 2].isdigit() and "\\" not in content:
        return None
    return InlineSpan(content, "$", end + 1, display=False)


def _find_unescaped(source: str, needle: str, start: int, stop: int) -> int:
    """The index of ``needle`` in ``source[start:stop]`` that no backslash escapes, or -1.

    Searched with ``str.find``: a paragraph of unclosed ``\\(`` has every one of them search
    to its end, which a character loop in Python made take seconds."""
    position = source.find(needle, start, stop)
    while position >= 0:
        run_start = position  # of the backslashes just before it: an odd run escapes it
        while run_start > start and source[run_start - 1] == "\\":
            run_start -= 1
        if (position - run_start) % 2 == 0:
            return position
        position = source.find(needle, position + 1, stop)
    return -1
