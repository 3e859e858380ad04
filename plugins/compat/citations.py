"""Citations from a BibTeX bibliography: Pandoc's and Quarto's ``[@key]``, jekyll-scholar's tags.

Where the works come from, first found wins:

1. the post's frontmatter ``bibliography: refs.bib`` (or a list of files), relative to the
   post's file, as Pandoc and Quarto read it; one a post inherits from a ``_metadata.yml`` or
   ``_quarto.yml`` (``generator.project``) is relative to that file, as Quarto reads it;
2. the site's ``[plugins.compat] bibliography = "refs.bib"`` (or a list), relative to the site
   folder; when site.toml names none, jekyll-scholar's (``scholar:`` in Jekyll's ``_config.yml``).

What a post writes, and what it shows (author-date, the default, after Pandoc's Chicago
author-date; ``numeric`` numbers the works in the order they are first cited):

==========================================  ====================================  ===========
written                                     author-date                           numeric
==========================================  ====================================  ===========
``[@smith20]``, ``{% cite smith20 %}``      (Smith 2020)                          [1]
``[@smith20; @jones19]``                    (Smith 2020; Jones and Lee 2019)      [1, 2]
``[see @smith20, p. 3]``                    (see Smith 2020, p. 3)                [see 1, p. 3]
``[-@smith20]``                             (2020)                                [1]
``@smith20`` in the text                    Smith (2020)                          Smith [1]
``@smith20 [p. 3]`` (Pandoc's locator)      Smith (2020, p. 3)                    Smith [1, p. 3]
three or more authors                       (Smith et al. 2020)
two works with one label                    (Smith 2020a), (Smith 2020b)
``[@nokey]``: a key the file does not have  (nokey?) and a warning at its line    [nokey?]
==========================================  ====================================  ===========

Locators and other suffixes are kept as written (``p. 3``, where Pandoc's Chicago style would
print ``3``), prefixes and suffixes are plain text. A bare ``@word`` is a citation only when
the bibliography has the key ``word``; otherwise it stays text (a handle, an e-mail).

Each citation links to its entry, ``#ref-KEY`` as in Pandoc, unless ``link-citations: false``
(Pandoc's default is false; Quarto's web pages link, and so does Stride: on a page the list is
a scroll away). The references list is ``<section id="refs" class="references"
role="doc-bibliography">``, one ``<div id="ref-KEY" class="csl-entry">`` per work cited (and per
``nocite:`` key, ``@*`` for every work), sorted by author and year (author-date) or numbered in
citation order (numeric). It goes where the post has Pandoc's ``::: {#refs}`` div or
jekyll-scholar's ``{% bibliography %}`` (every work of the file; ``--cited`` or
``--cited_in_order`` only those cited), else at the end of the post, before its footnotes,
under a "References" heading (``reference-section-title:`` renames it; with a ``{#refs}`` div
that title is the only heading added, as in Pandoc), or under the post's own last heading when
the post ends with one (``# References``, as Pandoc's manual has authors end a document). ``suppress-bibliography: true`` leaves the
list out.

Frontmatter read: ``bibliography``, ``citation-style`` (``numeric`` or ``author-date``),
``csl``, ``link-citations``, ``nocite``, ``reference-section-title``,
``suppress-bibliography``. Without a CSL file the list's entries are formatted by pybtex's
``unsrt`` style (BibTeX's ``plain``, with Stride's order), with the year as the citations show
it (2020a). ``csl: style.csl`` names a CSL file, relative to the post (to the defaults file
that set it), then to the site folder: the citations and the list are then the style's,
through ``csl.py`` and citeproc-py. When neither folder has the file, a warning, and the name
chooses as ``citation-style`` would (``ieee``, ``numeric``, ``vancouver`` or ``nature`` in it:
numeric).

jekyll-scholar's ``{% reference key %}`` (the entry where the tag is) and ``{% nocite a b %}``
(works listed, nothing shown) reach this plugin as markers Liquid leaves in the text.

Errors: a bibliography file that does not exist or that pybtex cannot parse fails the build
at the line that names it (``post.md:3``, the frontmatter's ``bibliography:``), with the .bib's
own line when pybtex gives it. A post that cites with no bibliography at all shows its
citations as their keys (``[smith20 p. 3]``), with one warning per post.

Trust: the citations and the list are plugin output, which the page's sanitizer never sees, so
every string in them is escaped here: keys, prefixes and suffixes from the post, and names,
titles and every field of the .bib through ``bibliography.py``'s backend, which also links only
http(s) URLs. The list's heading is an ordinary heading token, sanitized with the page.

The file is parsed once per content per process (``parsedfiles``), and recorded as a
dependency of every post that read it, so an incremental build renders those posts again when
it changes; so is a CSL file (and the places it was looked for and not found, so that adding it
there renders the post again). pybtex is imported only for a post that cites and has a
bibliography, citeproc-py only for one whose ``csl:`` names a file.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml, normalizeReference
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

from generator.context import RenderContext, env_store, render_context
from generator.errors import Diagnostic, PluginError, SourceLocation

from .bibliography import BibEntry, Bibliography, BibliographyError, read_bibliography
from .csl import Cite, CslCitations, CslError, StyleSource, read_style, split_locator

CITATION_KIND = "citation"
STYLES = ("author-date", "numeric")
ENV_KEY = "stride_compat_citations"
# What Liquid's {% bibliography %} leaves on a line of its own: "\ue014bibliography MODE\ue015".
MARKER_OPEN, MARKER_CLOSE = "\ue014bibliography ", "\ue015"
# What Liquid's {% reference key %} and {% nocite a b %} leave in the text, each key in hex so
# that no inline rule reads a `_` or `*` of it as Markdown.
_TEXT_MARKER = re.compile("\ue014(?P<tag>reference|nocite)(?P<keys>(?: [0-9a-f]+)+)\ue015")
LIST_MODES = ("all", "cited", "cited_in_order")
# Pandoc's citation key: a letter, digit or `_`, then also punctuation that does not end it.
_KEY = r"[\w][\w:.#$%&+?<>~/-]*?"
# A bracket not followed by ( or [ (a link's text) is a citation when its body holds a key; it
# may wrap over lines, as Pandoc reads it. Found in two linear steps: one pattern for both
# backtracked quadratically over a long paragraph.
_BRACKET = re.compile(r"\[(?P<body>[^\[\]]*)\](?![(\[])")
_KEY_IN_BODY = re.compile(rf"(?<![\w@])(?P<suppress>-?)@(?P<key>{_KEY})(?=[\s;,\]]|$)")
# In running text a key ends before punctuation that no letter or digit follows ("@smith20.").
_KEY_IN_TEXT = re.compile(r"@(?P<key>\w(?:[\w:.#$%&+?<>~/-]*\w)?)")
_MAY_CITE = re.compile(r"(?<![\w@])-?@\w")
_CROSS_REFERENCE = re.compile(r"(?:fig|sec|eq|tbl|lst|thm|lem|cor|prp|cnj|def|exm|exr|sol|rem"
                              r"|nte|tip|wrn|imp|cau)-")
_NUMERIC_CSL = re.compile(r"ieee|numeric|vancouver|nature", re.I)
_NOCITE = re.compile(r"@(\*|\w(?:[\w:.#$%&+?<>~/-]*\w)?)")
_Parsed = TypeVar("_Parsed")


@dataclass(frozen=True)
class CiteItem:
    """One work in a citation: ``[see @key, p. 3]`` is prefix "see", key, suffix "p. 3"."""

    key: str
    prefix: str = ""
    suffix: str = ""
    suppress_author: bool = False


@dataclass(frozen=True)
class Settings:
    """A post's citation settings: its frontmatter over the site's."""

    sources: tuple[str, ...]
    from_frontmatter: bool
    style: str
    link: bool
    nocite: tuple[str, ...]
    title: str | None
    suppress: bool
    csl: str | None = None


@dataclass
class CitationsEnv:
    """Per render: the bibliography the post cites from (None: it has none)."""

    settings: Settings | None = None
    bibliography: dict[str, BibEntry] | None = None
    files: list[Bibliography] = field(default_factory=list)
    style: StyleSource | None = None
    nocite_tags: list[tuple[str, int]] = field(default_factory=list)  # key, 0-based body line


def citations_env(env: MutableMapping[str, Any]) -> CitationsEnv:
    return env_store(env, ENV_KEY, CitationsEnv)


def citations_plugin(md: MarkdownIt, *, bibliography: str | Iterable[str] = (),
                     citation_style: str = "author-date") -> None:
    """Pandoc's ``[@key]`` citations and jekyll-scholar's ``{% bibliography %}`` (as Liquid
    leaves it), resolved against a BibTeX file.

    :param bibliography: the site's ``.bib`` file(s), relative to the site folder, for posts
        whose frontmatter names none.
    :param citation_style: ``author-date`` ("(Smith 2020)") or ``numeric`` ("[1]").
    """
    site_files = (bibliography,) if isinstance(bibliography, str) else tuple(bibliography)
    if not all(isinstance(name, str) and name.strip() for name in site_files):
        raise ValueError(f"bibliography must be a file name or a list of them, not {bibliography!r}")
    if citation_style not in STYLES:
        raise ValueError(f"citation_style must be one of {', '.join(STYLES)}, "
                         f"not {citation_style!r}")

    def load(state: StateCore) -> None:
        _load(state, site_files, citation_style)

    md.block.ruler.before("paragraph", "citation_bibliography_marker", _marker_block,
                          {"alt": ["paragraph", "blockquote", "list"]})
    md.core.ruler.after("block", "citations_load", load)
    md.inline.ruler.before("link", "pandoc_citation", _citation_rule)
    md.inline.ruler.before("link", "pandoc_in_text_citation", _in_text_rule)
    md.core.ruler.after("inline", "citations_text_markers", _text_markers)
    md.core.ruler.push("citations_resolve", _resolve)
    md.add_render_rule("pandoc_citation", _render_citation)
    md.add_render_rule("citation_reference", _render_reference)
    md.add_render_rule("citation_references_open", _render_references_open)
    md.add_render_rule("citation_references_close", lambda *_: "</section>\n")
    md.add_render_rule("citation_references_list", lambda self, tokens, index, *_:
                       tokens[index].meta["html"])
    md.add_render_rule("citation_bibliography_marker", lambda *_: "")


# ----------------------------------------------------------------------------------------------
# Settings and loading (a core rule between block and inline parsing: the in-text rule must
# know the keys)
# ----------------------------------------------------------------------------------------------
def _settings(ctx: RenderContext, site_files: tuple[str, ...], site_style: str) -> Settings:
    page = ctx.page_vars
    written = page.get("bibliography")
    if written in (None, "", []):
        sources, from_frontmatter = site_files, False
    elif isinstance(written, str):
        sources, from_frontmatter = (written,), True
    elif isinstance(written, list) and all(isinstance(name, str) for name in written):
        sources, from_frontmatter = tuple(written), True
    else:
        raise PluginError(f"`bibliography` must be a file name or a list of them, not {written!r}",
                          location=_frontmatter_line(ctx, "bibliography"),
                          hint="bibliography: refs.bib")
    style = site_style
    csl = page.get("csl")
    if isinstance(csl, str) and csl:
        style = "numeric" if _NUMERIC_CSL.search(csl) else "author-date"
    chosen = page.get("citation-style")
    if chosen is not None:
        if chosen not in STYLES:
            raise PluginError(f"`citation-style` must be one of {', '.join(STYLES)}, not {chosen!r}",
                              location=_frontmatter_line(ctx, "citation-style"),
                              hint="citation-style: numeric")
        style = chosen
    nocite = page.get("nocite") or ""
    if isinstance(nocite, list):
        nocite = " ".join(str(item) for item in nocite)
    title = page.get("reference-section-title")
    return Settings(
        sources=sources, from_frontmatter=from_frontmatter, style=style,
        link=_flag(page.get("link-citations"), default=True),
        nocite=tuple(_NOCITE.findall(str(nocite))),
        title=str(title) if title not in (None, "") else None,
        suppress=_flag(page.get("suppress-bibliography"), default=False),
        csl=csl.strip() if isinstance(csl, str) and csl.strip() else None)


def _flag(value: Any, *, default: bool) -> bool:
    """A yes/no setting: YAML's true/false, or the text of a frontmatter that has no types
    (Pelican's ``Link-citations: false``)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "false", "no"):
        return value.strip().lower() in ("true", "yes")
    return default


def _frontmatter_line(ctx: RenderContext, key: str) -> SourceLocation:
    """Where the post's frontmatter sets ``key`` (the post itself when it cannot be read), or
    the defaults file the post inherited it from."""
    if key in ctx.inherited:
        return ctx.inherited[key]
    path = ctx.source_dir / PurePosixPath(ctx.source_path).name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return SourceLocation(ctx.source_path)
    head = "\n".join(text.split("\n")[:max(ctx.line_offset, 1)])
    found = re.search(rf"^[ \t]*[\"']?{re.escape(key)}[\"']?[ \t]*[:=]", head, re.M)
    return SourceLocation(ctx.source_path, head.count("\n", 0, found.start()) + 1 if found else 1)


def _cites_anything(tokens: list[Token], settings: Settings) -> bool:
    if settings.nocite:
        return True
    for token in tokens:
        if token.type == "citation_bibliography_marker":
            return True
        if token.type == "inline" and ("@" in token.content and _MAY_CITE.search(token.content)
                                       or _TEXT_MARKER.search(token.content)):
            return True
    return False


def _load(state: StateCore, site_files: tuple[str, ...], site_style: str) -> None:
    ctx = render_context(state.env)
    store = citations_env(state.env)
    if "bibliography" not in ctx.page_vars and not site_files:
        return  # the common case costs one lookup: no post of the site has a bibliography
    settings = store.settings = _settings(ctx, site_files, site_style)
    if not settings.sources:
        return
    if not _cites_anything(state.tokens, settings):
        if settings.from_frontmatter and "bibliography" not in ctx.inherited:
            # (a folder's defaults name a bibliography for posts that cite and posts that don't)
            _warn_at(ctx, _frontmatter_line(ctx, "bibliography"),
                     f"`bibliography: {', '.join(settings.sources)}` is set but the post cites "
                     "nothing: there is no references list",
                     "cite a work with [@key], list some with `nocite: '@key'`, or remove the line")
        return
    merged: dict[str, BibEntry] = {}
    for name in settings.sources:
        bibliography = _read(ctx, name, settings)
        store.files.append(bibliography)
        for line, problem in bibliography.problems:
            _warn_at(ctx, _source_location(ctx, settings),
                     f"{bibliography.path}{f':{line}' if line else ''}: {problem}",
                     "fix the entry in the .bib file")
        for key, entry in bibliography.entries.items():
            merged.setdefault(key, entry)
    store.bibliography = merged
    if settings.csl:
        store.style = _read_style(ctx, settings.csl, settings.style)


def _warn_at(ctx: RenderContext, where: SourceLocation, message: str, hint: str) -> None:
    """A warning about the frontmatter or the .bib file, at the line that names it."""
    ctx.diagnostics.append(Diagnostic(where, message, hint, CITATION_KIND))


def _source_location(ctx: RenderContext, settings: Settings) -> SourceLocation:
    """Where the post's bibliography is named: its frontmatter, or the site's settings."""
    if settings.from_frontmatter:
        return _frontmatter_line(ctx, "bibliography")
    return SourceLocation("site.toml")


def _read(ctx: RenderContext, name: str, settings: Settings) -> Bibliography:
    """A bibliography file (the post's or the site's), only where its name points; one that is
    not there stops the build."""
    where = _source_location(ctx, settings)
    try:
        found = _read_named(ctx, "bibliography", name, read_bibliography, what="bibliography",
                            suffix=".bib", where=where, from_frontmatter=settings.from_frontmatter)
    except BibliographyError as error:
        raise PluginError(f"the bibliography cannot be read: {error}", location=where,
                          hint="fix the BibTeX at that line (a missing brace, comma or quote "
                               "is the usual cause)") from None
    if isinstance(found, _Missing):
        raise PluginError(f"the bibliography `{name}` does not exist ({found.shown})",
                          location=where, hint=f"the path is relative to {found.relative_to}; "
                                               "copy the .bib file there or correct the name")
    return found


def _read_style(ctx: RenderContext, name: str, fallback: str) -> StyleSource | None:
    """The post's ``csl:`` style, relative to the post (to the defaults file that set it), then
    to the site folder, as Pandoc looks for it; None, after a warning, when neither has it."""
    where = _frontmatter_line(ctx, "csl")
    try:
        found = _read_named(ctx, "csl", name, read_style, what="CSL style", suffix=".csl",
                            where=where, then_site_folder=True)
    except CslError as error:
        raise PluginError(f"the CSL style cannot be used: {error}", location=where,
                          hint="fix the style at that line, or take the journal's style "
                               "file as published (Zotero's style repository)") from None
    if isinstance(found, _Missing):
        _warn_at(ctx, where, f"the CSL style `{name}` is neither in {found.relative_to} nor in "
                 f"the site folder: citations are {fallback} (chosen by the file's name) and the "
                 "list is BibTeX's plain style",
                 "copy the .csl file there (Zotero's style repository has most journals' "
                 "styles), or choose with `citation-style: numeric` or `author-date` and remove "
                 "`csl:`")
        return None
    return found


@dataclass(frozen=True)
class _Missing:
    """A file in none of the places looked in: the first of them, as the site shows it, and
    what the name was relative to there."""

    shown: str
    relative_to: str


def _read_named(ctx: RenderContext, setting: str, name: str,
                read: Callable[[Path, str], tuple[_Parsed, str]], *, what: str, suffix: str,
                where: SourceLocation, from_frontmatter: bool = True,
                then_site_folder: bool = False) -> _Parsed | _Missing:
    """The file ``name`` that ``setting`` names, read by ``read`` (``read_bibliography``,
    ``read_style``: the parse and the digest of the bytes) and recorded as a dependency.

    It is looked for relative to the post, or to the defaults file that set ``setting``
    (``from_frontmatter=False``: to the site folder), then, with ``then_site_folder``, in the
    site folder. A place that does not have it is recorded as "missing", so that adding the
    file there renders the post again. A place outside the site folder, or a file that cannot
    be read, stops the build at ``where``; what ``read`` raises on the file's content is for
    the caller, which also decides what a missing file does.
    """
    site = (ctx.site_root or ctx.source_dir).resolve()
    if from_frontmatter and setting in ctx.inherited and ctx.site_root:
        origin = ctx.inherited[setting].path  # a defaults file, relative to the site
        first, relative_to = ctx.site_root / PurePosixPath(origin).parent, f"the folder of {origin}"
    elif from_frontmatter:
        first, relative_to = ctx.source_dir, "the post's folder"
    else:
        first, relative_to = site, "the site folder"
    places = [(first / name).resolve()]
    if then_site_folder:
        places.append((site / name).resolve())
    tried: list[str] = []
    for path in dict.fromkeys(places):
        if not path.is_relative_to(site):
            raise PluginError(f"the {what} `{name}` is outside {site.name}/", location=where,
                              hint=f"copy the {suffix} file into the site folder")
        shown = path.relative_to(site).as_posix()
        try:
            found, digest = read(path, shown)
        except FileNotFoundError:
            ctx.add_dependency(str(path), "missing")
            tried.append(shown)
            continue
        except OSError as error:
            raise PluginError(f"cannot read the {what} `{name}`: {error.strerror or error}",
                              location=where, hint="check the file") from None
        ctx.add_dependency(str(path), digest)
        return found
    return _Missing(tried[0], relative_to)


# ----------------------------------------------------------------------------------------------
# Inline rules
# ----------------------------------------------------------------------------------------------
def _citation_rule(state: StateInline, silent: bool) -> bool:
    if state.src[state.pos] != "[":
        return False
    found = _BRACKET.match(state.src, state.pos, state.posMax)
    if found is None or "@" not in found.group("body"):
        return False
    keys = [key.group("key") for key in _KEY_IN_BODY.finditer(found.group("body"))]
    if not keys or all(_CROSS_REFERENCE.match(key) for key in keys):
        return False
    if not silent:
        token = state.push("pandoc_citation", "span", 0)
        token.content = found.group("body")
        token.meta = {"keys": keys, "items": _items(found.group("body")), "in_text": False,
                      "line": state.src.count("\n", 0, state.pos)}
    state.pos = found.end()
    return True


def _items(body: str) -> tuple[CiteItem, ...]:
    """``see @a, p. 3; @b`` as its works; text of a part without a key joins the next part's
    prefix (the last part's: the one before's suffix)."""
    items: list[CiteItem] = []
    pending = ""
    for part in body.split(";"):
        found = _KEY_IN_BODY.search(part)
        if found is None:
            text = " ".join(part.split())
            pending = f"{pending}; {text}" if pending else text
            continue
        prefix = " ".join(filter(None, (pending, " ".join(part[:found.start()].split()))))
        suffix = " ".join(part[found.end():].split())
        suffix = suffix[1:].strip() if suffix.startswith(",") else suffix
        if suffix.startswith("{") and suffix.endswith("}"):  # Pandoc's {pp. iv, vi--xi}
            suffix = suffix[1:-1]
        items.append(CiteItem(found.group("key"), prefix, suffix, bool(found.group("suppress"))))
        pending = ""
    if pending and items:
        last = items[-1]
        items[-1] = CiteItem(last.key, last.prefix, f"{last.suffix}; {pending}".strip("; "),
                             last.suppress_author)
    return tuple(items)


def _in_text_rule(state: StateInline, silent: bool) -> bool:
    """``@key`` in running text, when the bibliography has the key, with Pandoc's locator in
    the bracket that may follow it after one space (``@key [p. 33]``)."""
    if state.src[state.pos] != "@" or state.linkLevel > 0:
        return False
    bibliography = citations_env(state.env).bibliography
    if not bibliography:
        return False
    if state.pos > 0 and (state.src[state.pos - 1].isalnum() or state.src[state.pos - 1] in "@_"):
        return False  # an e-mail address
    found = _KEY_IN_TEXT.match(state.src, state.pos, state.posMax)
    if found is None or found.group("key") not in bibliography \
            or _CROSS_REFERENCE.match(found.group("key")):
        return False
    end, suffix = found.end(), ""
    bracket = _locator_bracket(state, end)
    if bracket is not None:
        end, suffix = bracket.end(), " ".join(bracket.group("body").split())
    if not silent:
        key = found.group("key")
        token = state.push("pandoc_citation", "span", 0)
        token.content = state.src[state.pos:end]
        token.meta = {"keys": [key], "items": (CiteItem(key, suffix=suffix),), "in_text": True,
                      "line": state.src.count("\n", 0, state.pos)}
    state.pos = end
    return True


def _locator_bracket(state: StateInline, after_key: int) -> re.Match[str] | None:
    """The `` [p. 33]`` right after an in-text key: one space, then a bracket that is neither a
    citation nor a link (inline, or a reference the post defines)."""
    if state.src[after_key:after_key + 2] != " [":
        return None
    found = _BRACKET.match(state.src, after_key + 1, state.posMax)
    if found is None or not found.group("body").strip() or _KEY_IN_BODY.search(found.group("body")):
        return None
    if normalizeReference(found.group("body")) in state.env.get("references", {}):
        return None
    return found


# ----------------------------------------------------------------------------------------------
# jekyll-scholar's {% bibliography %}, as a marker line Liquid leaves
# ----------------------------------------------------------------------------------------------
def bibliography_marker(mode: str) -> str:
    """The line Liquid writes for ``{% bibliography %}`` (``mode``: one of LIST_MODES)."""
    return f"{MARKER_OPEN}{mode}{MARKER_CLOSE}"


def _marker_block(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    start = state.bMarks[start_line] + state.tShift[start_line]
    line = state.src[start:state.eMarks[start_line]].strip()
    if not (line.startswith(MARKER_OPEN) and line.endswith(MARKER_CLOSE)):
        return False
    mode = line[len(MARKER_OPEN):-len(MARKER_CLOSE)]
    if mode not in LIST_MODES:
        return False
    if not silent:
        token = state.push("citation_bibliography_marker", "section", 0)
        token.map = [start_line, start_line + 1]
        token.meta = {"mode": mode}
        state.line = start_line + 1
    return True


# ----------------------------------------------------------------------------------------------
# jekyll-scholar's {% reference key %} and {% nocite a b %}, as markers Liquid leaves in the text
# ----------------------------------------------------------------------------------------------
def reference_marker(key: str) -> str:
    """What Liquid writes for ``{% reference key %}``: the entry, formatted, in its place."""
    return f"\ue014reference {key.encode().hex()}\ue015"


def nocite_marker(keys: Iterable[str]) -> str:
    """What Liquid writes for ``{% nocite a b %}``: nothing shown, the works listed."""
    return f"\ue014nocite {' '.join(key.encode().hex() for key in keys)}\ue015"


def _text_markers(state: StateCore) -> None:
    """Each reference marker becomes a ``citation_reference`` token; nocite markers are taken
    out of the text (with the paragraph they were alone in) and their keys kept for the list."""
    store = citations_env(state.env)
    for index in range(len(state.tokens) - 1, -1, -1):
        block = state.tokens[index]
        if block.type != "inline" or "\ue014" not in block.content or not block.children:
            continue
        first_line = block.map[0] if block.map else 0
        children: list[Token] = []
        for child in block.children:
            if child.type != "text" or "\ue014" not in child.content:
                children.append(child)
                continue
            position = 0
            for found in _TEXT_MARKER.finditer(child.content):
                children.append(Token("text", "", 0, content=child.content[position:found.start()]))
                position = found.end()
                line = first_line + block.content[:block.content.find(found.group(0))].count("\n")
                keys = [bytes.fromhex(key).decode() for key in found.group("keys").split()]
                if found.group("tag") == "nocite":
                    store.nocite_tags.extend((key, line) for key in keys)
                else:
                    children.append(Token("citation_reference", "span", 0,
                                          meta={"key": keys[0], "line": line}))
            children.append(Token("text", "", 0, content=child.content[position:]))
        block.children = [child for child in children
                          if child.type != "text" or child.content]
        alone = all(child.type == "softbreak" or child.type == "text" and not child.content.strip()
                    for child in block.children)
        if alone and 0 < index < len(state.tokens) - 1 \
                and state.tokens[index - 1].type == "paragraph_open" \
                and state.tokens[index + 1].type == "paragraph_close":
            del state.tokens[index - 1:index + 2]


def _render_reference(self, tokens, index, options, env) -> str:
    reference = tokens[index]
    return reference.meta.get("html", escapeHtml(reference.meta["key"]))


# ----------------------------------------------------------------------------------------------
# Resolving: labels, numbers and the references list, once every citation is known
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Cited:
    token: Token
    line: int  # 0-based body line


def _citations(tokens: list[Token]) -> list[_Cited]:
    found = []
    for block in tokens:
        if block.type != "inline":
            continue
        for child in block.children or ():
            if child.type == "pandoc_citation":
                found.append(_Cited(child, (block.map[0] if block.map else 0) + child.meta["line"]))
    return found


def _resolve(state: StateCore) -> None:
    ctx = render_context(state.env)
    store = citations_env(state.env)
    cited = _citations(state.tokens)
    markers = [index for index, token in enumerate(state.tokens)
               if token.type == "citation_bibliography_marker"]
    references = _reference_tokens(state.tokens)
    if store.bibliography is None:
        _without_bibliography(ctx, cited, references, store.nocite_tags)
        for index in markers:
            ctx.warn(state.tokens[index].map[0], "`{% bibliography %}`: the site has no "
                     "bibliography, so there is nothing to list", kind=CITATION_KIND,
                     hint='set [plugins.compat] bibliography = "_bibliography/references.bib" '
                          "in site.toml")
        return
    settings = store.settings
    assert settings is not None
    bibliography = store.bibliography
    first_cited: dict[str, None] = {}  # the keys in the order of their first citation
    for citation in cited:
        for item in citation.token.meta["items"]:
            if item.key not in bibliography:
                ctx.warn(citation.line, f"no work `{item.key}` in the bibliography "
                         f"({', '.join(settings.sources)}); it is shown as `{item.key}?`",
                         kind=CITATION_KIND, hint="check the key against the .bib file")
            else:
                first_cited.setdefault(item.key)
    order = list(first_cited)
    nocited: list[str] = []
    for key in settings.nocite:
        if key == "*":
            nocited.extend(bibliography)
        elif key in bibliography:
            nocited.append(key)
        else:
            _warn_at_nocite(ctx, key)
    for key, line in store.nocite_tags:
        if key in bibliography:
            nocited.append(key)
        else:
            ctx.warn(line, f"`{{% nocite %}}` names `{key}`, which the bibliography does not have",
                     kind=CITATION_KIND, hint="check the key against the .bib file")
    extra = list(nocited)
    if any(state.tokens[index].meta["mode"] == "all" for index in markers):
        extra.extend(bibliography)
    listed = list(dict.fromkeys([*order, *extra]))
    labels = _Labels(bibliography, listed, settings.style)
    link = settings.link and not settings.suppress
    if store.style is None:
        formatted: _PybtexReferences | _CslReferences = _PybtexReferences(labels, store, ctx)
        for citation in cited:
            citation.token.meta["html"] = _citation_html(citation.token, bibliography, labels,
                                                         link)
    else:
        try:
            csl = _csl_citations(store, [*listed, *(reference.meta["key"]
                                                    for reference in references)])
            for citation in cited:
                citation.token.meta["html"] = _csl_citation_html(citation.token, bibliography,
                                                                 csl, labels, link)
            formatted = _CslReferences(csl)
        except CslError as error:
            raise PluginError(f"the CSL style cannot be used: {error}",
                              location=_frontmatter_line(ctx, "csl"),
                              hint="citeproc-py implements most of CSL 1.0 but not all of it: "
                                   "try another style, or `citation-style:` without `csl:`"
                              ) from None
    for reference in references:
        _resolve_reference(ctx, reference, bibliography, formatted)
    if settings.suppress:
        for index in reversed(markers):
            del state.tokens[index]
        return
    _place_lists(state, settings, formatted, order, listed, set(nocited), markers)


def _reference_tokens(tokens: list[Token]) -> list[Token]:
    return [child for block in tokens if block.type == "inline"
            for child in block.children or () if child.type == "citation_reference"]


def _resolve_reference(ctx: RenderContext, reference: Token, bibliography: dict[str, BibEntry],
                       formatted: _PybtexReferences | _CslReferences) -> None:
    key = reference.meta["key"]
    if key not in bibliography:
        ctx.warn(reference.meta["line"], f"`{{% reference {key} %}}`: no work `{key}` in the "
                 f"bibliography; it is shown as `{key}?`", kind=CITATION_KIND,
                 hint="check the key against the .bib file")
        reference.meta["html"] = escapeHtml(f"{key}?")
        return
    reference.meta["html"] = (f'<span class="citation-reference" data-cites="{escapeHtml(key)}">'
                              f"{formatted.text(key)}</span>")


def _csl_citations(store: CitationsEnv, keys: list[str]) -> CslCitations:
    """The post's works in the style, registered in the order the post first cites them (the
    style may number them so)."""
    assert store.style is not None
    entries = {}
    for key in keys:
        for bibliography in store.files:
            if key in bibliography.entries:
                entries.setdefault(key, bibliography.data.entries[key])
                break
    csl = CslCitations(store.style, entries)
    csl.register(entries)
    return csl


def _warn_at_nocite(ctx: RenderContext, key: str) -> None:
    _warn_at(ctx, _frontmatter_line(ctx, "nocite"),
             f"`nocite:` names `{key}`, which the bibliography does not have",
             "check the key against the .bib file")


def _without_bibliography(ctx: RenderContext, cited: list[_Cited], references: list[Token],
                          nocite_tags: list[tuple[str, int]]) -> None:
    """No bibliography at all: the citations show their keys, and one warning says so; each
    jekyll-scholar tag that needs one warns at its line."""
    for reference in references:
        ctx.warn(reference.meta["line"], f"`{{% reference {reference.meta['key']} %}}`: the site "
                 "has no bibliography, so the key is shown", kind=CITATION_KIND,
                 hint='set [plugins.compat] bibliography = "_bibliography/references.bib" '
                      "in site.toml")
    for line in dict.fromkeys(line for _, line in nocite_tags):
        ctx.warn(line, "`{% nocite %}`: the site has no bibliography, so there is nothing to "
                 "list", kind=CITATION_KIND,
                 hint='set [plugins.compat] bibliography = "_bibliography/references.bib" '
                      "in site.toml")
    brackets = [citation for citation in cited if not citation.token.meta["in_text"]]
    if not brackets:
        return
    first = brackets[0]
    count = len(brackets)
    ctx.warn(
        first.line, f"{count} citation{'s' if count != 1 else ''} ([@{first.token.meta['keys'][0]}]"
        f"{' ...' if count != 1 else ''}) shown as {'their' if count != 1 else 'its'} keys: "
        "the post has no bibliography", kind=CITATION_KIND,
        hint="name the .bib file in the frontmatter (bibliography: refs.bib) or in site.toml "
             '([plugins.compat] bibliography = "refs.bib")')


class _Labels:
    """What each work is called in citations: "Smith et al." and "2020a", or its number."""

    def __init__(self, bibliography: dict[str, BibEntry], listed: list[str], style: str):
        self.entries = bibliography
        self.style = style
        self.numbers = {key: position for position, key in enumerate(listed, 1)}
        self.years: dict[str, str] = {}
        groups: dict[tuple[str, str], list[str]] = {}
        for key in listed:
            entry = bibliography[key]
            groups.setdefault((self.names(key), entry.year), []).append(key)
        for keys in groups.values():
            keys.sort(key=lambda key: (bibliography[key].title.lower(), key))
            for position, key in enumerate(keys):
                suffix = _letters(position) if len(keys) > 1 else ""
                self.years[key] = bibliography[key].year + suffix

    def names(self, key: str) -> str:
        entry = self.entries[key]
        names = entry.names
        if not names:
            return entry.title or key
        if len(names) == 1:
            return names[0]
        if len(names) == 2:
            return f"{names[0]} and {names[1]}"
        return f"{names[0]} et al."

    def year(self, key: str) -> str:
        return self.years.get(key, self.entries[key].year)

    def sort_key(self, key: str) -> tuple[str, str, str]:
        return (self.names(key).lower(), self.year(key), self.entries[key].title.lower())


def _letters(position: int) -> str:
    """a, b, ... z, aa, ab ...: Pandoc's year suffixes."""
    text = ""
    position += 1
    while position:
        position, remainder = divmod(position - 1, 26)
        text = chr(ord("a") + remainder) + text
    return text


def _citation_html(token: Token, bibliography: dict[str, BibEntry], labels: _Labels,
                   link: bool) -> str:
    items: tuple[CiteItem, ...] = token.meta["items"]
    missing = any(item.key not in bibliography for item in items)
    numeric = labels.style == "numeric"

    def linked(key: str, text: str) -> str:
        if not link:
            return escapeHtml(text)
        return (f'<a href="#ref-{escapeHtml(key)}" role="doc-biblioref">'
                f"{escapeHtml(text)}</a>")

    if token.meta["in_text"]:
        key, locator = items[0].key, f", {items[0].suffix}" if items[0].suffix else ""
        if numeric:
            inner = (f"{escapeHtml(labels.names(key))} "
                     f"{linked(key, f'[{labels.numbers[key]}{locator}]')}")
        else:
            inner = linked(key, f"{labels.names(key)} ({labels.year(key)}{locator})")
    else:
        parts = []
        previous: CiteItem | None = None
        for item in items:
            if item.key not in bibliography:
                body = escapeHtml(f"{item.key}?")
            elif numeric:
                body = linked(item.key, str(labels.numbers[item.key]))
            elif item.suppress_author:
                body = linked(item.key, labels.year(item.key))
            elif (previous is not None and previous.key in bibliography and not item.prefix
                  and not previous.suffix and not previous.suppress_author
                  and labels.names(previous.key) == labels.names(item.key)):
                # one author's works in a row: (Smith 2019, 2020)
                suffix = f", {escapeHtml(item.suffix)}" if item.suffix else ""
                parts[-1] += ", " + linked(item.key, labels.year(item.key)) + suffix
                previous = item
                continue
            else:
                body = linked(item.key, f"{labels.names(item.key)} {labels.year(item.key)}")
            prefix = f"{escapeHtml(item.prefix)} " if item.prefix else ""
            suffix = f", {escapeHtml(item.suffix)}" if item.suffix else ""
            parts.append(prefix + body + suffix)
            previous = item
        separator = ", " if numeric else "; "
        opening, closing = ("[", "]") if numeric else ("(", ")")
        inner = opening + separator.join(parts) + closing
    classes = "citation citation-missing" if missing else "citation"
    cites = escapeHtml(" ".join(item.key for item in items))
    return f'<span class="{classes}" data-cites="{cites}">{inner}</span>'


def _csl_citation_html(token: Token, bibliography: dict[str, BibEntry], csl: CslCitations,
                       labels: _Labels, link: bool) -> str:
    """The citation as the CSL style writes it. citeproc-py suppresses authors per citation,
    not per work: ``[-@a; -@b]`` shows none, ``[-@a; @b]`` both. In the text, "Smith (2020)" is
    the style's names and then the citation without them; a style whose citation shows no
    names (a numeric one) gets the names Stride's labels use ("Smith et al. [1]")."""
    items: tuple[CiteItem, ...] = token.meta["items"]
    if token.meta["in_text"]:
        item = items[0]
        cite = _csl_cite(item, link=False)
        if csl.shows_names:
            inner = (csl.cite([Cite(item.key)], "author_only") + " "
                     + csl.cite([cite], "without_author"))
        else:
            inner = f"{escapeHtml(labels.names(item.key))} {csl.cite([cite])}"
        if link:
            inner = f'<a href="#ref-{escapeHtml(item.key)}" role="doc-biblioref">{inner}</a>'
    else:
        suppressed = csl.shows_names and all(item.suppress_author for item in items)
        inner = csl.cite([_csl_cite(item, link=link and item.key in bibliography)
                          for item in items], "without_author" if suppressed else "full")
    classes = ("citation citation-missing" if any(item.key not in bibliography for item in items)
               else "citation")
    cites = escapeHtml(" ".join(item.key for item in items))
    return f'<span class="{classes}" data-cites="{cites}">{inner}</span>'


def _csl_cite(item: CiteItem, *, link: bool) -> Cite:
    """The work as citeproc-py takes it: the suffix's locator parsed as Pandoc parses it, the
    rest of the suffix after it; the link around what the style writes for the work."""
    locator = split_locator(item.suffix) if item.suffix else None
    suffix = escapeHtml(locator.rest if locator else f", {item.suffix}" if item.suffix else "")
    prefix = f"{escapeHtml(item.prefix)} " if item.prefix else ""
    if link:
        prefix += f'<a href="#ref-{escapeHtml(item.key)}" role="doc-biblioref">'
        suffix = "</a>" + suffix
    return Cite(item.key, prefix, suffix, locator)


def _render_citation(self, tokens, index, options, env) -> str:
    citation = tokens[index]
    if "html" in citation.meta:
        return citation.meta["html"]
    if citation.meta["in_text"]:
        return escapeHtml(citation.content)
    shown = _KEY_IN_BODY.sub(lambda key: key.group("key"), citation.content)
    cites = " ".join(citation.meta["keys"])
    return (f'<span class="citation" data-cites="{escapeHtml(cites)}">'
            f"[{escapeHtml(shown)}]</span>")


# ----------------------------------------------------------------------------------------------
# The references list
# ----------------------------------------------------------------------------------------------
class _PybtexReferences:
    """The list's entries as pybtex's unsrt style formats them, with the years and numbers the
    citations show."""

    def __init__(self, labels: _Labels, store: CitationsEnv, ctx: RenderContext):
        self.labels, self.store, self.ctx = labels, store, ctx

    def ordered(self, keys: list[str]) -> list[str]:
        if self.labels.style == "numeric":
            return sorted(keys, key=self.labels.numbers.__getitem__)
        return sorted(keys, key=self.labels.sort_key)

    def text(self, key: str) -> str:
        text, problem = _entry_html(self.store, key)
        if problem:
            self.ctx.warn(None, f"the entry `{key}` cannot be formatted ({problem}); it is "
                          "listed by its names, title and year", kind=CITATION_KIND,
                          hint="add the missing field to the .bib entry")
        year = self.labels.entries[key].year
        if self.labels.style != "numeric" and self.labels.year(key) != year:
            text = _with_year_letter(text, year, self.labels.year(key))
        return text

    def entry(self, key: str) -> str:
        if self.labels.style == "numeric":
            return (f'<span class="csl-left-margin">[{self.labels.numbers[key]}]</span> '
                    f'<span class="csl-right-inline">{self.text(key)}</span>')
        return self.text(key)


class _CslReferences:
    """The list's entries as the CSL style formats and orders them."""

    def __init__(self, csl: CslCitations):
        order, self.texts = csl.entries()
        self.positions = {key: position for position, key in enumerate(order)}

    def ordered(self, keys: list[str]) -> list[str]:
        return sorted(keys, key=self.positions.__getitem__)

    def text(self, key: str) -> str:
        return self.texts[key]

    entry = text


def _place_lists(state: StateCore, settings: Settings,
                 formatted: _PybtexReferences | _CslReferences, order: list[str],
                 listed: list[str], nocited: set[str], markers: list[int]) -> None:
    tokens = state.tokens
    shown: set[str] = set()  # an entry's id is given once per page
    cited_list = [key for key in listed if key in order or key in nocited]
    for index in reversed(markers):
        mode = tokens[index].meta["mode"]
        keys = listed if mode == "all" else cited_list
        tokens[index:index + 1] = _section(
            keys if mode == "cited_in_order" else formatted.ordered(keys), formatted,
            title=settings.title, with_id=index == markers[0], level=tokens[index].level,
            shown=shown)
    if markers or not cited_list:
        return
    keys = formatted.ordered(cited_list)
    refs = _refs_div(tokens)
    if refs is not None:
        opening, closing = refs
        body = _section(keys, formatted, title=settings.title, with_id=True,
                        level=tokens[opening].level, shown=shown)
        tokens[closing:closing + 1] = body[-2:]  # the list and the section's end
        tokens[opening:opening + 1] = body[:-2]
        return
    at = next((index for index, token in enumerate(tokens)
               if token.type == "footnote_block_open"), len(tokens))
    # A post that ends with a heading ("# References", as Pandoc's manual advises) has titled
    # the list itself: a second heading would repeat it.
    own_heading = at >= 3 and tokens[at - 1].type == "heading_close"
    tokens[at:at] = _section(keys, formatted,
                             title=settings.title or (None if own_heading else "References"),
                             with_id=True, level=0, shown=shown, heading_ids=_ids(tokens))


def _refs_div(tokens: list[Token]) -> tuple[int, int] | None:
    """The first ``::: {#refs}`` div: its opening and closing tokens."""
    for opening, token in enumerate(tokens):
        if token.type == "fenced_div_open" and token.attrGet("id") == "refs":
            for closing in range(opening + 1, len(tokens)):
                if tokens[closing].type == "fenced_div_close" and tokens[closing].level == token.level:
                    return opening, closing
    return None


def _ids(tokens: list[Token]) -> set[str]:
    return {str(token.attrGet("id")) for token in tokens if token.attrGet("id")}


def _section(keys: list[str], formatted: _PybtexReferences | _CslReferences, *,
             title: str | None, with_id: bool, level: int, shown: set[str],
             heading_ids: Iterable[str] = ()) -> list[Token]:
    opening = Token("citation_references_open", "section", 1, level=level, block=True,
                    meta={"id": with_id})
    section = [opening]
    if title:
        taken = set(heading_ids)
        anchor = re.sub(r"[^\w-]+", "-", title.lower()).strip("-") or "references"
        unique, number = anchor, 1
        while unique in taken:
            unique, number = f"{anchor}-{number}", number + 1
        heading = Token("heading_open", "h2", 1, level=level + 1, block=True, attrs={"id": unique})
        inline = Token("inline", "", 0, level=level + 2, content=title, block=True,
                       children=[Token("text", "", 0, content=title)])
        section += [heading, inline, Token("heading_close", "h2", -1, level=level + 1, block=True)]
    html = _list_html(keys, formatted, shown)
    section.append(Token("citation_references_list", "div", 0, level=level + 1, block=True,
                         meta={"html": html}))
    section.append(Token("citation_references_close", "section", -1, level=level, block=True))
    return section


def _list_html(keys: list[str], formatted: _PybtexReferences | _CslReferences,
               shown: set[str]) -> str:
    lines = ['<div class="csl-bib-body" role="list">']
    for key in keys:
        own_id = f' id="ref-{escapeHtml(key)}"' if key not in shown else ""
        shown.add(key)
        lines.append(f'<div{own_id} class="csl-entry" role="listitem">{formatted.entry(key)}</div>')
    lines.append("</div>")
    return "\n".join(lines) + "\n"


def _with_year_letter(entry: str, year: str, lettered: str) -> str:
    """The entry with its year as the citations show it ("2020a"), so that a reader finds which
    of two works is which: the last time the year stands as a word in the entry's text, outside
    tags and links (a DOI may hold it too)."""
    parts = re.split(r"(<[^>]*>)", entry)
    in_link = [False] * len(parts)
    depth = 0
    for index, part in enumerate(parts):
        if part.startswith("<a ") or part == "<a>":
            depth += 1
        elif part == "</a>":
            depth -= 1
        in_link[index] = depth > 0
    word = re.compile(rf"(?<![\w/.-]){re.escape(year)}(?![\w/])")
    for index in range(len(parts) - 1, -1, -1):
        part = parts[index]
        if part.startswith("<") or in_link[index]:
            continue
        found = list(word.finditer(part))
        if found:
            last = found[-1]
            parts[index] = part[:last.start()] + lettered + part[last.end():]
            return "".join(parts)
    return entry


def _entry_html(store: CitationsEnv, key: str) -> tuple[str, str]:
    for bibliography in store.files:
        if key in bibliography.entries:
            return bibliography.entry_html(key)
    raise KeyError(key)  # listed keys all come from the files



def _render_references_open(self, tokens, index, options, env) -> str:
    own_id = ' id="refs"' if tokens[index].meta.get("id") else ""
    return f'<section{own_id} class="references" role="doc-bibliography">\n'
