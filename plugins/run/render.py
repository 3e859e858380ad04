"""HTML for a ``{python}`` block: its code, what it printed, and its figures.

A block becomes the tokens ``run_block_open`` (the code and text outputs), then for each figure
``run_figure_open`` / an ``inline`` token holding the caption / ``run_figure_close``, then
``run_block_close``. The captions are ordinary inline Markdown, parsed by markdown-it's inline
phase like any paragraph, so ``$math$`` in a ``fig-cap`` is rendered and sanitized as prose.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from html import escape
from typing import TYPE_CHECKING

from pygments import highlight
from pygments.formatters import HtmlFormatter

if TYPE_CHECKING:
    from pygments.lexer import Lexer

# A terminal's control sequences (colours, cursor moves: ESC [ ... final byte, ESC ] ... BEL/ST,
# ESC and one character): formatting for a terminal, meaningless in a page, so they are dropped.
_TERMINAL_SEQUENCE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
# What HTML does not allow in text (a parse error, so not a well-formed page): C0 controls but
# tab, newline, form feed and carriage return; DEL and the C1 controls; lone surrogates;
# noncharacters.
_NOT_IN_HTML = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef"
                          + "".join(f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}"
                                    for plane in range(17))
                          + "]")


def printable(text: str) -> str:
    """``text`` as a page can show it: terminal control sequences removed, and every other
    character HTML does not allow (NUL, a lone ESC, BEL...) replaced by U+FFFD."""
    return _NOT_IN_HTML.sub("\ufffd", _TERMINAL_SEQUENCE.sub("", text))


@dataclass(frozen=True)
class Image:
    url: str
    alt: str
    poster_url: str | None = None  # set for an animation: the still shown to reduced-motion users


@dataclass(frozen=True)
class BlockView:
    """What the page shows of one block (None / empty: not shown)."""

    label: str | None
    code: str | None
    code_fold: bool | str  # a <details> around the code: True closed, "show" open
    code_summary: str
    stdout: str
    stderr: str
    value: str | None
    traceback: str | None
    column: str | None = None  # the output in Quarto's page column ("margin"...), the code not


@cache
def _python_highlighter() -> tuple[Lexer, HtmlFormatter]:
    """Made with the first block shown: the lexer compiles its many patterns when it is built
    (some 20 ms), which a build whose posts have no ``{python}`` block never needs."""
    from pygments.lexers.python import PythonLexer
    return PythonLexer(stripnl=False, ensurenl=False), HtmlFormatter(nowrap=True)


def highlight_python(code: str) -> str:
    body = highlight(code, *_python_highlighter())
    return (f'<pre class="highlight" tabindex="0"><code class="language-python">{body}</code>'
            "</pre>\n")


def block_open(view: BlockView) -> str:
    identifier = f' id="{escape(view.label)}"' if view.label else ""
    parts = [f'<div class="run-block"{identifier}>\n']
    if view.code is not None and view.code_fold:
        opened = " open" if view.code_fold == "show" else ""
        parts.append(f'<details class="run-code"{opened}><summary>{escape(view.code_summary)}'
                     f"</summary>\n{highlight_python(view.code)}</details>\n")
    elif view.code is not None:
        parts.append(highlight_python(view.code))
    if view.column:
        parts.append(f'<div class="run-output column-{view.column}">\n')
    for css_class, text in (("run-stdout", view.stdout), ("run-stderr", view.stderr),
                            ("run-result", view.value), ("run-error", view.traceback)):
        if text:
            parts.append(f'<pre class="{css_class}">{escape(printable(text))}</pre>\n')
    return "".join(parts)


def block_close(view: BlockView) -> str:
    return "</div>\n</div>\n" if view.column else "</div>\n"


def figure_open(images: tuple[Image, ...], *, captioned: bool) -> str:
    """One ``<figure>``: a single image, or several sharing one caption."""
    kind = "run-animation" if any(image.poster_url for image in images) else "run-figure"
    parts = [f'<figure class="{kind}">\n']
    for image in images:
        parts.append(_image(image))
    if captioned:
        parts.append("<figcaption>")
    return "".join(parts)


def figure_close(*, captioned: bool) -> str:
    return ("</figcaption>\n" if captioned else "") + "</figure>\n"


def _image(image: Image) -> str:
    alt = escape(image.alt)
    tag = f'<img src="{escape(image.url)}" alt="{alt}" loading="lazy">'
    if image.poster_url is None:
        return tag + "\n"
    # The GIF plays unless the reader asked for reduced motion; then the last frame stands still.
    return (f'<picture><source srcset="{escape(image.poster_url)}" '
            f'media="(prefers-reduced-motion: reduce)">{tag}</picture>\n')
