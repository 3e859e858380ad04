"""CSL styles for citations (``csl: style.csl``), rendered by citeproc-py.

A style file is read with lxml and checked before citeproc-py sees it: citeproc-py only prints
a warning for a style that breaks CSL's schema and then fails on it later with a bare exception,
while an author needs the style's line. So a style must be well-formed XML, valid against the
CSL schema citeproc-py ships, an independent style (one with a ``<citation>``), and name only
macros it defines; otherwise ``CslError`` says where.

citeproc-py 0.11 has neither CSL's suppress-author nor an author-in-text mode, which Pandoc's
``[-@key]`` and ``@key`` need. Both are what CSL defines them to be, the style's first
``cs:names`` in the citation layout: two more styles are derived from the file, one whose
citation layout leaves that ``cs:names`` out (``[-@key]``: "(2020)") and one whose layout is
only that ``cs:names`` (the "Smith" of "Smith (2020)"); the macros on the way to it are copied
into the layout so that the other places using them are unchanged. A style whose citation shows
no names (a numeric one) has neither.

Trust: citeproc-py writes a work's fields into its output as they are, so every field is
HTML-escaped when the entry becomes CSL-JSON (LaTeX decoded first: ``{\\"o}`` is ö, ``--`` an en
dash, a braced word is kept from case changes as CSL's ``nocase``), and the formatter here writes
only ``em``, ``strong``, ``sup``, ``sub``, ``u`` and ``span class="smallcaps"``; http(s) URLs in
an entry become links.

lxml and citeproc-py are imported by the first post whose ``csl:`` names a file.
"""
from __future__ import annotations

import copy
import functools
import html
import re
import string
from collections.abc import Iterable
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

from .parsedfiles import ParsedFiles

CSL_NAMESPACE = "http://purl.org/net/xbiblio/csl"
_NS = {"cs": CSL_NAMESPACE}
# Checked styles by the sha256 of their bytes: a site's posts often share one style.
_PARSED: ParsedFiles[StyleSource] = ParsedFiles(size=8)

# BibTeX's entry types as CSL's; a type not here is CSL's "document".
_TYPES = {
    "article": "article-journal", "book": "book", "booklet": "pamphlet", "inbook": "chapter",
    "incollection": "chapter", "inproceedings": "paper-conference",
    "conference": "paper-conference", "manual": "report", "mastersthesis": "thesis",
    "phdthesis": "thesis", "proceedings": "book", "techreport": "report",
    "unpublished": "manuscript", "online": "webpage", "electronic": "webpage", "www": "webpage",
    "thesis": "thesis", "report": "report", "collection": "book",
}
_GENRES = {"mastersthesis": "Master's thesis", "phdthesis": "PhD thesis"}
# BibTeX (and biblatex) fields as CSL variables, first found wins for each variable.
_FIELDS = (
    ("title", "title"), ("journal", "container-title"), ("journaltitle", "container-title"),
    ("booktitle", "container-title"), ("publisher", "publisher"), ("school", "publisher"),
    ("institution", "publisher"), ("organization", "publisher"), ("address", "publisher-place"),
    ("location", "publisher-place"), ("volume", "volume"), ("edition", "edition"),
    ("series", "collection-title"), ("chapter", "chapter-number"), ("note", "note"),
    ("isbn", "ISBN"), ("issn", "ISSN"), ("pages", "page"), ("type", "genre"),
)
_VERBATIM_FIELDS = (("doi", "DOI"), ("url", "URL"))
_MONTHS = {name: number for number, name in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"), 1)}

# Pandoc's locator terms (English, CSL's long and short forms) and the CSL locator each names.
_LOCATOR_TERMS = {
    "book": ("book", "books", "bk.", "bks."), "chapter": ("chapter", "chapters", "chap.",
                                                         "chaps.", "ch."),
    "column": ("column", "columns", "col.", "cols."), "figure": ("figure", "figures", "fig.",
                                                               "figs."),
    "folio": ("folio", "folios", "fol.", "fols."), "issue": ("number", "numbers", "no.", "nos."),
    "line": ("line", "lines", "l.", "ll."), "note": ("note", "notes", "n.", "nn."),
    "opus": ("opus", "opera", "op.", "opp."), "page": ("page", "pages", "p.", "pp."),
    "paragraph": ("paragraph", "paragraphs", "para.", "paras.", "¶¶", "¶"),
    "part": ("part", "parts", "pt.", "pts."), "section": ("section", "sections", "sec.", "secs.",
                                                         "§§", "§"),
    "sub verbo": ("sub verbo", "sub verbis", "s.v.", "s.vv."),
    "verse": ("verse", "verses", "v.", "vv."), "volume": ("volume", "volumes", "vol.", "vols."),
}
_TERM_LABEL = {term: label for label, terms in _LOCATOR_TERMS.items() for term in terms}
_LOCATOR_NUMBER = r"(?:\d\w*|[ivxlcdm]+\b|[IVXLCDM]+\b)"
_LOCATOR = re.compile(
    r"(?P<term>" + "|".join(re.escape(term) for term in sorted(_TERM_LABEL, key=len, reverse=True))
    + rf")?\s*(?P<value>{_LOCATOR_NUMBER}(?:\s*(?:-+|–|—|,|&)\s*{_LOCATOR_NUMBER})*)"
    r"(?P<rest>(?:,.*)?)$", re.S)
_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"']+")
_TAG_OR_TEXT = re.compile(r"(<[^>]*>)")


class CslError(ValueError):
    """A style that cannot be used: the message names the file and, when known, its line."""


@dataclass(frozen=True)
class StyleSource:
    """One checked style file and the two styles derived from it (None: its citation shows no
    names), as XML."""

    shown: str
    full: bytes
    without_author: bytes | None
    author_only: bytes | None
    adds_year_suffix: bool = False  # its citation's disambiguate-add-year-suffix


@dataclass(frozen=True)
class Locator:
    """``p. 33`` of a citation's suffix: CSL's locator label, its value, and what follows."""

    label: str
    value: str
    rest: str


def split_locator(suffix: str) -> Locator | None:
    """The locator a suffix starts with, as Pandoc reads it: a term and a number or range
    (``pp. 33-35``, ``ch. 2``, ``§ 4``), or a bare number, which is a page."""
    found = _LOCATOR.match(suffix.strip())
    if found is None:
        return None
    term = found.group("term")
    return Locator(_TERM_LABEL[term] if term else "page", found.group("value"), found.group("rest"))


# ----------------------------------------------------------------------------------------------
# Reading a style
# ----------------------------------------------------------------------------------------------
def read_style(path: Path, shown: str) -> tuple[StyleSource, str]:
    """The checked style and the sha256 of its bytes; raises OSError or CslError."""
    return _PARSED.read(path, shown, _check)


def _check(data: bytes, shown: str) -> StyleSource:
    from citeproc import SCHEMA_PATH
    from lxml import etree

    parser = etree.XMLParser(remove_comments=True, no_network=True, resolve_entities=False)
    try:
        root = etree.parse(BytesIO(data), parser).getroot()
    except etree.XMLSyntaxError as error:
        message = re.sub(r", line \d+, column \d+$", "", error.msg)  # (the line is said first)
        raise CslError(f"{shown}:{error.lineno}: not well-formed XML: {message}") from None
    if root.tag != f"{{{CSL_NAMESPACE}}}style":
        name = etree.QName(root).localname
        problem = (f"<style> is not in CSL's namespace (xmlns=\"{CSL_NAMESPACE}\")"
                   if name == "style" else f"the root element is <{name}>, not CSL's <style>")
        raise CslError(f"{shown}:{root.sourceline}: {problem}")
    if root.find("cs:citation", _NS) is None:
        parent = root.find("cs:info/cs:link[@rel='independent-parent']", _NS)
        named = f" ({parent.get('href')})" if parent is not None else ""
        raise CslError(f"{shown}:{root.sourceline}: a dependent style: it has no <citation> of "
                       f"its own and only names its parent style{named}")
    schema = _schema(SCHEMA_PATH)
    if not schema.validate(root.getroottree()):
        first = schema.error_log[0]
        raise CslError(f"{shown}:{first.line}: not valid CSL: {first.message}")
    macros = {macro.get("name"): macro for macro in root.findall("cs:macro", _NS)}
    for used in root.iterfind(".//*[@macro]"):
        if used.get("macro") not in macros:
            raise CslError(f"{shown}:{used.sourceline}: the macro `{used.get('macro')}` is not "
                           "defined in the style")
    citation = root.find("cs:citation", _NS)
    return StyleSource(shown, etree.tostring(root), _derived(root, keep_only=False),
                       _derived(root, keep_only=True),
                       citation.get("disambiguate-add-year-suffix") == "true")


@functools.lru_cache(maxsize=1)
def _schema(path: str) -> Any:
    from lxml import etree

    return etree.RelaxNG(etree.parse(path))


def _derived(root: Any, *, keep_only: bool) -> bytes | None:
    """The style whose citation layout leaves out its first ``cs:names`` (or keeps only it)."""
    from lxml import etree

    style = copy.deepcopy(root)
    macros = {macro.get("name"): macro for macro in style.findall("cs:macro", _NS)}
    layout = style.find("cs:citation/cs:layout", _NS)
    if layout is None or not _isolate_first_names(layout, macros, keep_only=keep_only):
        return None
    if keep_only:
        for affix in ("prefix", "suffix"):
            layout.attrib.pop(affix, None)
    return etree.tostring(style)


def _local(element: Any) -> str:
    return element.tag.rpartition("}")[2] if isinstance(element.tag, str) else ""


def _isolate_first_names(element: Any, macros: dict[str, Any], *, keep_only: bool) -> bool:
    """Remove the first ``cs:names`` under ``element`` (``keep_only``: remove everything but
    it), in each branch of a ``cs:choose`` that has one; True when there was one."""
    for child in list(element):
        kind = _local(child)
        if kind == "text" and child.get("macro") in macros \
                and _shows_names(macros[child.get("macro")], macros, set()):
            child = _inline_macro(element, child, macros[child.get("macro")])
            kind = "group"
        found = False
        if kind == "names":
            found = True
            if not keep_only:
                element.remove(child)
        elif kind == "choose":
            for branch in child:
                if _isolate_first_names(branch, macros, keep_only=keep_only):
                    found = True
                elif keep_only:
                    branch[:] = []
        elif kind == "group":
            found = _isolate_first_names(child, macros, keep_only=keep_only)
        if found:
            if keep_only:
                element[:] = [child]
            return True
    return False


def _shows_names(element: Any, macros: dict[str, Any], seen: set[str]) -> bool:
    for inner in element.iter():
        kind = _local(inner)
        if kind == "names":
            return True
        name = inner.get("macro") if kind == "text" else None
        if name in macros and name not in seen:
            seen.add(name)
            if _shows_names(macros[name], macros, seen):
                return True
    return False


def _inline_macro(parent: Any, text: Any, macro: Any) -> Any:
    """Replace ``<text macro="m" prefix=...>`` by a group of the macro's content with the same
    affixes and formatting, so that only this use of the macro changes."""
    group = text.makeelement(f"{{{CSL_NAMESPACE}}}group",
                             {name: value for name, value in text.attrib.items() if name != "macro"})
    group.extend(copy.deepcopy(list(macro)))
    parent.replace(text, group)
    return group


# ----------------------------------------------------------------------------------------------
# BibTeX entries as CSL-JSON
# ----------------------------------------------------------------------------------------------
def csl_json(entry: Any) -> dict[str, Any]:
    """A pybtex entry as a CSL-JSON item (without its id), every string HTML-escaped."""
    kind = entry.type.lower()
    item: dict[str, Any] = {"type": _TYPES.get(kind, "document")}
    fields = {name.lower(): value for name, value in entry.fields.items()}
    for field, variable in _FIELDS:
        if variable not in item and fields.get(field, "").strip():
            item[variable] = _rich(fields[field])
    if "number" in fields:
        item["issue" if kind == "article" else "number"] = _rich(fields["number"])
    if kind in _GENRES and "genre" not in item:
        item["genre"] = _GENRES[kind]
    for field, variable in _VERBATIM_FIELDS:
        if fields.get(field, "").strip():
            item[variable] = html.escape(fields[field].strip(), quote=False)
    for role in ("author", "editor", "translator"):
        if entry.persons.get(role):
            item[role] = [_person(person) for person in entry.persons[role]]
    issued = _issued(fields)
    if issued:
        item["issued"] = issued
    return item


def _rich(latex: str) -> str:
    """A field's LaTeX as escaped text; braced parts (``{Fourier}``) as CSL's nocase spans, and
    entities too, so that a style's text-case never turns ``&amp;`` into ``&Amp;``."""
    from pybtex.richtext import Protected, Text

    try:
        parts = Text.from_latex(latex).parts
    except Exception:  # pybtex's parser on an unbalanced brace: the field as written
        parts = [latex]
    out = []
    for part in parts:
        if isinstance(part, Protected):
            out.append(f'<span class="nocase">{html.escape(part.render_as("text"), quote=False)}'
                       "</span>")
        else:
            text = part if isinstance(part, str) else part.render_as("text")
            out.append(re.sub(r"&\w+;", r'<span class="nocase">\g<0></span>',
                              html.escape(text, quote=False)))
    return "".join(out)


def _plain(latex: str) -> str:
    from pybtex.richtext import Text

    try:
        text = Text.from_latex(latex).render_as("text")
    except Exception:  # pybtex's parser on an unbalanced brace: the name as written
        text = latex
    return html.escape(text, quote=False)


def _person(person: Any) -> dict[str, str]:
    parts = {
        "given": " ".join(_plain(name) for name in (*person.first_names, *person.middle_names)),
        "family": " ".join(_plain(name) for name in person.last_names),
        "non-dropping-particle": " ".join(_plain(name) for name in person.prelast_names),
        "suffix": " ".join(_plain(name) for name in person.lineage_names),
    }
    return {part: value for part, value in parts.items() if value}


def _year(item: dict[str, Any]) -> str:
    """The year of a CSL-JSON item's date, "" when it has none."""
    issued = item.get("issued") or {}
    if issued.get("date-parts"):
        return str(issued["date-parts"][0][0])
    return str(issued.get("literal", ""))


def _issued(fields: dict[str, str]) -> dict[str, Any] | None:
    year = fields.get("year", "").strip()
    if year.isdigit():
        parts = [int(year)]
        month = fields.get("month", "").strip().lower()
        number = int(month) if month.isdigit() else _MONTHS.get(month) or next(
            (value for name, value in _MONTHS.items() if month and name.startswith(month[:3])),
            None)
        if number and 1 <= number <= 12:
            parts.append(number)
        return {"date-parts": [parts]}
    if year:
        return {"literal": html.escape(year, quote=False)}
    dates = re.findall(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", fields.get("date", ""))
    if dates:
        return {"date-parts": [[int(part) for part in date if part] for date in dates[:2]]}
    return None


# ----------------------------------------------------------------------------------------------
# Rendering one post's citations
# ----------------------------------------------------------------------------------------------
class _HtmlFormatter:
    """citeproc-py's formatter interface (its formatters are modules: a ``preformat`` and one
    callable per CSL font property), writing only tags the page's sanitizer keeps."""

    @staticmethod
    def preformat(text: Any) -> str:
        return html.escape(str(text), quote=False)

    @staticmethod
    def Italic(text: str) -> str:  # noqa: N802 (citeproc-py's names)
        return f"<em>{text}</em>"

    Oblique = Italic

    @staticmethod
    def Bold(text: str) -> str:  # noqa: N802
        return f"<strong>{text}</strong>"

    @staticmethod
    def Light(text: str) -> str:  # noqa: N802 (HTML has no tag for a light weight)
        return text

    @staticmethod
    def Underline(text: str) -> str:  # noqa: N802
        return f"<u>{text}</u>"

    @staticmethod
    def Superscript(text: str) -> str:  # noqa: N802
        return f"<sup>{text}</sup>"

    @staticmethod
    def Subscript(text: str) -> str:  # noqa: N802
        return f"<sub>{text}</sub>"

    @staticmethod
    def SmallCaps(text: str) -> str:  # noqa: N802
        return f'<span class="smallcaps">{text}</span>'


@dataclass(frozen=True)
class Cite:
    """One work of a citation as citeproc-py gets it: prefix and suffix already HTML (a link's
    tags may be in them), the locator parsed from the post's suffix."""

    key: str
    prefix: str = ""
    suffix: str = ""
    locator: Locator | None = None


class CslCitations:
    """One post's citations and references list through one style. Every citation is
    registered (in the post's order) before any is rendered, as CSL numbers works by their
    first citation or by the bibliography's sort."""

    def __init__(self, style: StyleSource, entries: dict[str, Any]):
        self.style = style
        # citeproc-py lowercases its keys: ids keep "Smith" and "smith" apart
        self._ids = {key: f"w{number}" for number, key in enumerate(entries)}
        self._keys = {work_id: key for key, work_id in self._ids.items()}
        self._items = {key: {**csl_json(entry), "id": self._ids[key]}
                       for key, entry in entries.items()}
        self._variants = self._bibliographies()
        self._registered: list[str] = []
        self._missing: dict[str, str] = {}
        self._sorted = False

    def _bibliographies(self) -> dict[str, Any]:
        from citeproc import CitationStylesBibliography
        from citeproc.source.json import CiteProcJSON

        source = CiteProcJSON(list(self._items.values()))
        return {name: CitationStylesBibliography(self._style(xml), source, _HtmlFormatter)
                for name, xml in (("full", self.style.full),
                                  ("without_author", self.style.without_author),
                                  ("author_only", self.style.author_only)) if xml is not None}

    @property
    def shows_names(self) -> bool:
        return "author_only" in self._variants

    def _style(self, xml: bytes) -> Any:
        from citeproc import CitationStylesStyle

        try:
            return CitationStylesStyle(BytesIO(xml), validate=False)
        except ValueError as error:  # an unknown default-locale
            raise CslError(f"{self.style.shown}: {error}") from None

    def _citation(self, cites: Iterable[Cite]) -> Any:
        from citeproc import Citation, CitationItem
        from citeproc.source import Locator as CiteprocLocator

        items = []
        for cite in cites:
            work_id = self._ids.get(cite.key)
            if work_id is None:
                work_id = f"missing{len(self._missing)}"
                self._missing[work_id] = cite.key
            options: dict[str, Any] = {}
            if cite.prefix:
                options["prefix"] = cite.prefix
            if cite.suffix:
                options["suffix"] = cite.suffix
            if cite.locator is not None:
                options["locator"] = CiteprocLocator(cite.locator.label, cite.locator.value)
            items.append(CitationItem(work_id, **options))
        return Citation(items)

    def register(self, keys: Iterable[str]) -> None:
        """Works cited (or listed) in this order; before any ``cite``."""
        keys = [key for key in keys if key in self._ids]
        self._registered += keys
        citation = self._citation(Cite(key) for key in keys)
        for bibliography in self._variants.values():
            bibliography.register(citation)

    def _sort(self) -> None:
        if not self._sorted:
            self._add_year_suffixes()
            for bibliography in self._variants.values():
                bibliography.sort()
            self._sorted = True

    def _add_year_suffixes(self) -> None:
        """Works whose citations would read the same ("Smith, 2020" twice) get CSL's year suffix,
        a, b..., in the order of the references list, where the style asks for it
        (``disambiguate-add-year-suffix``). citeproc-py does not: the suffix joins the year as
        the work's date, which then sorts and shows as "2020a" in citations and list alike."""
        if not (self.style.adds_year_suffix and self.shows_names and self._registered):
            return
        names = self._variants["author_only"]
        names.sort()
        groups: dict[tuple[str, str], list[str]] = {}
        for key in dict.fromkeys(self._registered):
            year = _year(self._items[key])
            if year:
                probe = self._citation([Cite(key)])
                names.register(probe)  # (citeproc-py renders only a registered citation)
                shown = str(names.cite(probe, self._missing_key))
                groups.setdefault((shown, year), []).append(key)
        ambiguous = [keys for keys in groups.values() if len(keys) > 1]
        if not ambiguous:
            return
        full = self._variants["full"]
        full.sort()
        order = {self._keys[item.key]: position for position, item in enumerate(full.items)}
        for keys in ambiguous:
            for letter, key in zip(string.ascii_lowercase, sorted(keys, key=order.__getitem__)):
                self._items[key]["issued"] = {"literal": f"{_year(self._items[key])}{letter}"}
        self._variants = self._bibliographies()
        registered, self._registered = self._registered, []
        self.register(registered)

    def cite(self, cites: Iterable[Cite], variant: str = "full") -> str:
        """A citation's HTML; ``variant``: ``without_author`` or ``author_only`` (their
        styles exist when ``shows_names``)."""
        self._sort()
        cites = list(cites)
        bibliography = self._variants[variant]
        citation = self._citation(cites)
        bibliography.register(citation)  # (citeproc-py renders only a registered citation)
        try:
            return str(bibliography.cite(citation, self._missing_key))
        except Exception as error:  # citeproc-py fails on what it does not implement
            raise CslError(f"{self.style.shown}: citeproc-py cannot format the citation of "
                           f"`{'; '.join(cite.key for cite in cites)}` with this style "
                           f"({type(error).__name__}: {error})") from None

    def _missing_key(self, item: Any) -> str:
        return html.escape(f"{self._missing.get(item.key, item.key)}?", quote=False)

    def entries(self) -> tuple[list[str], dict[str, str]]:
        """Every registered work in the style's order, and each one's entry as HTML."""
        self._sort()
        bibliography = self._variants["full"]
        try:
            texts = bibliography.bibliography() if bibliography.style.has_bibliography() else []
        except Exception as error:  # citeproc-py fails on what it does not implement
            raise CslError(f"{self.style.shown}: citeproc-py cannot format the references list "
                           f"with this style ({type(error).__name__}: {error})") from None
        order = [self._keys[item.key] for item in bibliography.items]
        if not texts:  # a style with no <bibliography>: the entries are their citations
            texts = [self.cite([Cite(key)]) for key in order]
        return order, {key: _linked(str(text)) for key, text in zip(order, texts)}


def _linked(entry: str) -> str:
    """The entry with each http(s) URL in its text a link (a sentence's full stop after it is
    not part of it)."""
    parts = _TAG_OR_TEXT.split(entry)
    for index, part in enumerate(parts):
        if part.startswith("<") or "http" not in part:
            continue
        parts[index] = _URL_IN_TEXT.sub(_url_link, part)
    return "".join(parts)


def _url_link(found: re.Match[str]) -> str:
    url = found.group(0)
    trailing = len(url) - len(url.rstrip(".,;:)"))
    url, after = (url[:-trailing], url[-trailing:]) if trailing else (url, "")
    return f'<a href="{url}">{url}</a>{after}'


def clear_cache() -> None:
    """Forget the checked styles (tests that count parses)."""
    _PARSED.clear()
