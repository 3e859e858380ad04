"""BibTeX files for citations: read with pybtex, one parse per file content and process.

pybtex (and latexcodec under it) is imported by the first post that cites from a bibliography,
never by a build whose posts cite nothing. What a ``.bib`` holds becomes plain records
(``BibEntry``: the names and year a citation shows); an entry's text in the references list is
pybtex's ``unsrt`` style, rendered by ``SafeBackend``, which escapes every string and links only
http(s) URLs: the file is the author's, and the list is plugin output that the page's sanitizer
never sees.
"""
from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .parsedfiles import ParsedFiles

NO_DATE = "n.d."
# Parsed files by the sha256 of their bytes: a site's posts share one bibliography.
_PARSED: ParsedFiles[Bibliography] = ParsedFiles(size=16)
_SAFE_URL = re.compile(r"https?://", re.I)
# Tags pybtex's styles and its LaTeX reader produce (\emph, \textbf...); others become text.
_SAFE_TAGS = frozenset({"em", "strong", "b", "i", "sup", "sub", "tt", "code"})


class BibliographyError(ValueError):
    """A ``.bib`` that cannot be read: the message names the file and, when pybtex says it,
    the file's line."""


@dataclass(frozen=True)
class BibEntry:
    """What a citation shows of an entry: the authors' (else the editors') family names, with
    their ``von`` part, and the year (``n.d.`` when there is none)."""

    key: str
    names: tuple[str, ...]
    year: str
    title: str


@dataclass
class Bibliography:
    """One ``.bib`` file's entries, in file order, and what pybtex complained about without
    failing (a repeated key, a name with too many commas), as ``(bib line or 0, message)``."""

    path: str
    entries: dict[str, BibEntry]
    problems: tuple[tuple[int, str], ...] = ()
    data: Any = None  # pybtex's BibliographyData, for the list's formatting
    _formatted: dict[str, tuple[str, str]] = field(default_factory=dict)

    def entry_html(self, key: str) -> tuple[str, str]:
        """The entry formatted for the references list, as escaped HTML, and a problem ("" when
        none): an entry pybtex's style cannot format (a required field missing) is shown as
        names, title and year."""
        if key not in self._formatted:
            self._formatted[key] = _format(self, key)
        return self._formatted[key]


def read_bibliography(path: Path, shown: str) -> tuple[Bibliography, str]:
    """The parsed file and the sha256 of its bytes; raises OSError or BibliographyError."""
    return _PARSED.read(path, shown, _decode_and_parse)


def _decode_and_parse(data: bytes, shown: str) -> Bibliography:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise BibliographyError(f"{shown}:{line}: not UTF-8 text") from None
    return _parse(text, shown)


def _parse(text: str, shown: str) -> Bibliography:
    import pybtex.errors
    from pybtex.database import parse_string
    from pybtex.scanner import PybtexSyntaxError

    with pybtex.errors.capture() as captured:
        try:
            data = parse_string(text, "bibtex")
        except Exception as error:  # pybtex raises its own errors and, on odd input, others
            line = getattr(error, "lineno", 0)
            raise BibliographyError(f"{shown}{f':{line}' if line else ''}: {_message(error)}") \
                from None
    syntax = [error for error in captured if isinstance(error, PybtexSyntaxError)]
    if syntax:
        # pybtex skips a broken entry and goes on; a citation of it would then look "missing".
        first = syntax[0]
        raise BibliographyError(f"{shown}:{first.lineno}: {_message(first)}")
    problems = tuple((getattr(error, "lineno", 0) or 0, _message(error)) for error in captured)
    entries = {}
    for key, entry in data.entries.items():
        entries[key] = BibEntry(key, _names(entry), _year(entry), _plain(entry.fields.get("title", "")))
    return Bibliography(shown, entries, problems, data)


def _message(error: Exception) -> str:
    text = str(error)
    return re.sub(r"^syntax error in line \d+: ", "syntax error: ", text)


def _plain(latex: str) -> str:
    from pybtex.richtext import Text

    try:
        return Text.from_latex(latex).render_as("text")
    except Exception:  # an unbalanced brace in a title: show it as written
        return latex


def _names(entry: Any) -> tuple[str, ...]:
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    names = []
    for person in people:
        parts = [str(part.render_as("text")) for part in
                 (*person.rich_prelast_names, *person.rich_last_names)]
        names.append(" ".join(parts) or _plain(str(person)))
    return tuple(names)


def _year(entry: Any) -> str:
    year = str(entry.fields.get("year", "")).strip()
    if not year:
        found = re.match(r"\s*(\d{4})", str(entry.fields.get("date", "")))
        year = found.group(1) if found else ""
    return _plain(year) or NO_DATE


def _format(bibliography: Bibliography, key: str) -> tuple[str, str]:
    import pybtex.errors
    from pybtex.style.formatting.unsrt import Style

    entry = bibliography.entries[key]
    with pybtex.errors.capture():
        try:
            text = Style().format_entry("", bibliography.data.entries[key],
                                        bib_data=bibliography.data).text
            return text.render(_backend()).strip(), ""
        except Exception as error:  # pybtex's FieldIsMissing, or a style's KeyError
            shown = ". ".join(part for part in (", ".join(entry.names), entry.title, entry.year)
                              if part)
            return html.escape(shown + "."), str(error) or type(error).__name__


@functools.lru_cache(maxsize=1)
def _backend() -> Any:
    """pybtex's HTML backend made safe for text from an author's file (its own escapes text but
    writes any URL into ``href`` as it is)."""
    from pybtex.backends.html import Backend

    class SafeBackend(Backend):
        symbols = {"ndash": "&ndash;", "newblock": " ", "nbsp": "&nbsp;"}

        def format_str(self, text: str) -> str:
            return html.escape(text, quote=True)

        def format_protected(self, text: str) -> str:
            return text

        def format_tag(self, tag: str, text: str) -> str:
            if not text:
                return ""
            return f"<{tag}>{text}</{tag}>" if tag in _SAFE_TAGS else text

        @staticmethod
        def format_href(url: str, text: str, external: bool = False) -> str:
            if not text:
                return ""
            if not _SAFE_URL.match(url.strip()):
                return text
            return f'<a href="{html.escape(url.strip(), quote=True)}">{text}</a>'

    return SafeBackend()


def clear_cache() -> None:
    """Forget the parsed files (tests that count parses)."""
    _PARSED.clear()

