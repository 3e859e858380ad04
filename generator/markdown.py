"""Markdown to HTML: markdown-it-py with mdit-py-plugins and Stride's build-time plugins.

Output trust is explicit. What an author wrote (Markdown, raw HTML, attributes) is sanitized by
``generator.sanitize``. What Stride's plugins produce (MathML, SVG, figures, highlighted code)
is generated from escaped inputs, so the render rules those plugins add are wrapped: their HTML
is set aside behind a placeholder while the sanitizer runs, then put back.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.attrs import attrs_block_plugin, attrs_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

from .context import ENV_KEY, RenderContext
from .errors import ConfigError, ContentError, SourceLocation, StrideError
from .highlight import highlight_code
from .records import ParsedSource, Rendered, TocEntry
from .render_settings import PLUGINS, RenderSettings, load_plugin
from .sanitize import confine_tags, danger_in, defuse_raw_text, raw_text_element, sanitize
from .search import search_text

TRUSTED_KEY = "stride_trusted_html"
PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")
# A start or end tag of sanitized HTML, attribute values included (quoted values may hold `>`).
TAG = re.compile(r"""<[A-Za-z/][^\s>/]*(?:[^>"']|"[^"]*"|'[^']*')*>""")
FORGED_PLACEHOLDER = str.maketrans({"\ue000": "\ufffd", "\ue001": "\ufffd"})
FOOTNOTE_REFERENCE = re.compile(r"\[\^([^\]\s]+)\]")
UNSAFE_HINT = "scripts, on* handlers and javascript: URLs are never published"
# markdown-it scans forward from every `[` for a closing `]`: a paragraph of unclosed brackets
# costs time quadratic in their number (128 KB of `[^`: seconds; 256 KB: most of a minute). No
# real paragraph comes near this many.
MAX_BRACKETS_PER_BLOCK = 10_000
IMAGE_WITHOUT_ALT = re.compile(r"<img\b(?![^>]*\salt\s*=)[^>]*>", re.I)


def build_markdown(plugin_options: Mapping[str, Mapping[str, Any]]) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"highlight": highlight_code}).enable(["table", "strikethrough"])
    md.use(footnote_plugin).use(deflist_plugin).use(tasklists_plugin, label=True)
    md.use(attrs_plugin, spans=True).use(attrs_block_plugin)
    md.use(anchors_plugin, min_level=1, max_level=6)
    md.add_render_rule("html_block", _raw_html)
    md.add_render_rule("html_inline", _raw_html)
    before = dict(md.renderer.rules)
    for name in PLUGINS:
        try:
            md.use(load_plugin(name), **plugin_options.get(name, {}))
        except StrideError:
            raise
        except (TypeError, ValueError) as error:
            raise ConfigError(f"invalid option for plugin `{name}`: {error}",
                              location=SourceLocation("site.toml"),
                              hint=f"see docs/{name}.md for the options of [plugins.{name}]") from None
    for token_type, rule in list(md.renderer.rules.items()):
        if before.get(token_type) is not rule:
            md.renderer.rules[token_type] = _trusted(rule)
    md.core.ruler.push("stride_focusable_tables", _focusable_tables)
    md.core.ruler.after("block", "stride_audit_blocks", _audit_blocks)
    md.core.ruler.after("block", "stride_bracket_budget", _bracket_budget)
    md.core.ruler.push("stride_audit", _audit_author_html)
    md.core.ruler.push("stride_inline_raw_text", _drop_inline_raw_text)
    _report_rejected_links(md)
    return md


def _raw_html(self, tokens, idx, options, env) -> str:
    """An author's raw HTML, still to be sanitized with the page (so a <div> may open here and
    close in a later token), with its raw-text elements removed token by token."""
    return confine_tags(defuse_raw_text(tokens[idx].content))


def _trusted(rule: Callable[..., str]) -> Callable[..., str]:
    def render_trusted(tokens, idx, options, env):
        stash = env.setdefault(TRUSTED_KEY, [])
        stash.append(rule(tokens, idx, options, env))
        return f"\ue000{len(stash) - 1}\ue001"
    return render_trusted


def _bracket_budget(state) -> None:
    for block in state.tokens:
        if block.type == "inline" and block.content.count("[") > MAX_BRACKETS_PER_BLOCK:
            context: RenderContext | None = state.env.get(ENV_KEY)
            where = context.location(block.map[0]) if context and block.map else None
            raise ContentError(
                f"this paragraph holds {block.content.count('['):,} `[`, more than "
                f"{MAX_BRACKETS_PER_BLOCK:,}: Markdown's link syntax makes it too slow to parse",
                location=where, hint="put such text in a code block, or escape the brackets as \\[")


def _drop_inline_raw_text(state) -> None:
    """Inline raw HTML arrives tag by tag: drop a raw-text element (`<script>`, `<iframe>`...)
    with everything up to its end tag, or to the end of its paragraph when it is never closed.
    Runs after the audit has reported it."""
    for block in state.tokens:
        children = block.children or []
        if not any(child.type == "html_inline" for child in children):
            continue
        kept, skipping = [], None
        for child in children:
            if skipping is not None:
                if child.type == "html_inline" and re.match(rf"</{skipping}\s*>", child.content, re.I):
                    skipping = None
                continue
            if child.type == "html_inline" and (element := raw_text_element(child.content)):
                skipping = element
                continue
            kept.append(child)
        if len(kept) != len(children):
            block.children = kept


def _focusable_tables(state) -> None:
    """A wide table scrolls inside its own box; tabindex lets a keyboard scroll it."""
    for token in state.tokens:
        if token.type == "table_open":
            token.attrSet("tabindex", "0")


def _audit_blocks(state) -> None:
    """Before later rules consume them: block attribute lists and footnote definitions."""
    context: RenderContext | None = state.env.get(ENV_KEY)
    if context is None:
        return
    first_definition: dict[str, int] = {}
    for token in state.tokens:
        if token.type == "attrs_block":
            for name, value in token.attrs.items():
                if _unsafe_attribute(name, value):
                    context.warn(token.map[0], f"removed unsafe HTML: {name}=", kind="html",
                                 hint=UNSAFE_HINT)
        elif token.type == "footnote_reference_open":
            label, line = token.meta["label"], token.map[0]
            if label in first_definition:
                first = context.location(first_definition[label])
                context.warn(line, f"footnote [^{label}] is defined twice (first at {first})",
                             kind="footnote", hint="give the second one its own label")
            else:
                first_definition[label] = line


def _unsafe_attribute(name: str, value: object) -> bool:
    return name.lower().startswith("on") or bool(danger_in(f' {name}="{value}"'))


def _audit_author_html(state) -> None:
    """Warn, with the line, about what the sanitizer removes from the author's HTML and about
    footnote references that have no definition."""
    context: RenderContext | None = state.env.get(ENV_KEY)
    if context is None:
        return
    defined = state.env.get("footnotes", {}).get("refs", {})

    def audit_html(line: int | None, html: str) -> None:
        if found := danger_in(html):
            context.warn(line, f"removed unsafe HTML: {found[:60]}", kind="html", hint=UNSAFE_HINT)
        for image in IMAGE_WITHOUT_ALT.findall(html):
            context.warn(line, f"image without alt text: {image[:60]}", kind="a11y",
                         hint='describe it for readers who cannot see it: alt="..." '
                              '(alt="" if it is decoration)')

    for block in state.tokens:
        line = block.map[0] if block.map else None
        if block.type == "html_block":
            audit_html(line, block.content)
        for token in block.children or ():
            kind = token.type
            if kind == "html_inline":
                audit_html(line, token.content)
            elif kind == "text" and "[^" in token.content:
                for label in FOOTNOTE_REFERENCE.findall(token.content):
                    if f":{label}" not in defined:
                        context.warn(line, f"footnote [^{label}] has no definition",
                                     kind="footnote", hint=f"add a line `[^{label}]: ...`")
            for name in token.meta.get("insecure_attrs", {}) if token.meta else ():
                context.warn(line, f"removed unsafe HTML: {name}=", kind="html", hint=UNSAFE_HINT)


def _report_rejected_links(md: MarkdownIt) -> None:
    """markdown-it leaves a link to a javascript: URL as plain text; tell the author, with the
    line of the URL, instead of publishing it silently."""
    validate = md.validateLink

    def validate_and_report(url: str) -> bool:
        if validate(url):
            return True
        md.options.setdefault("stride_rejected_links", []).append(url)
        return False

    md.validateLink = validate_and_report


class MarkdownRenderer:
    """One per process: the parser is built once and reused for every post."""

    def __init__(self, settings: RenderSettings):
        self.settings = settings
        self.md = build_markdown(settings.plugin_options)

    def render(self, parsed: ParsedSource) -> Rendered:
        source = parsed.source
        settings = self.settings
        context = RenderContext(
            source_path=source.rel, source_dir=source.path.parent,
            line_offset=parsed.body_line_offset, options=dict(settings.plugin_options),
            cache_root=settings.cache_root, refresh=settings.refresh, strict=settings.strict,
            execute=settings.execute, site_vars=dict(settings.site_vars),
            page_vars={"title": parsed.meta.title, "date": parsed.meta.date,
                       "tags": list(parsed.meta.tags), "slug": parsed.meta.slug,
                       **parsed.meta.extra},
            inherited=dict(parsed.meta.inherited),
            base_path=settings.base_path, link_table=dict(settings.link_table),
            static_paths=settings.static_paths, site_root=settings.site_root)
        env: dict[str, Any] = {ENV_KEY: context}
        rejected = self.md.options["stride_rejected_links"] = []
        try:
            # The placeholder characters are Stride's; an author's copy could forge one.
            body = parsed.body.translate(FORGED_PLACEHOLDER)
            tokens = self.md.parse(body, env)
            self._report(rejected, body, context)
            _check_heading_levels(tokens, context)
            html = self.md.renderer.render(tokens, self.md.options, env)
        except StrideError:
            raise
        except RecursionError:
            raise ContentError("the post is nested too deeply to render",
                               location=SourceLocation(source.rel),
                               hint="look for runaway nesting (brackets, lists, quotes)") from None
        except Exception as error:  # a plugin bug must still name the post, never a bare traceback
            raise ContentError(f"internal error while rendering: {type(error).__name__}: {error}",
                               location=SourceLocation(source.rel),
                               hint="this is a bug in Stride: please report it with this post") from error
        trusted = env.get(TRUSTED_KEY, [])
        body_html, summary_html = self._split_summary(html, parsed)
        base = settings.base_path

        def finish(fragment: str) -> str:
            return _restore(_rebase(sanitize(fragment), base), trusted) if fragment else ""

        body_html = finish(body_html)
        return Rendered(
            html=body_html,
            summary_html=_away_from_its_page(_closed(finish(summary_html)), context.post_digest()),
            toc=_toc(tokens), word_count=_word_count(tokens),
            text=search_text(body_html, settings.search_words) if settings.search else "",
            assets=dict(context.assets),
            diagnostics=parsed.diagnostics + tuple(context.diagnostics),
            dependencies=dict(context.dependencies),
            cache_keys={cache.folder_name: frozenset(cache.used)
                        for cache in context.caches.values()},
            lookups=dict(context.lookups), inherited=dict(parsed.meta.inherited))

    @staticmethod
    def _report(rejected: list[str], body: str, context: RenderContext) -> None:
        for url in dict.fromkeys(rejected):
            index = body.find(url)
            if index < 0:
                index = body.lower().find(url.lower().split(":", 1)[0] + ":")
            line = body.count("\n", 0, index) if index >= 0 else None
            scheme = url.split(":", 1)[0].lower().strip()
            context.warn(line, f"removed unsafe HTML: {scheme}:", kind="html", hint=UNSAFE_HINT)

    def _split_summary(self, html: str, parsed: ParsedSource) -> tuple[str, str]:
        separator = str(parsed.meta.extra.get("excerpt_separator", self.settings.excerpt_separator))
        if separator and separator in html:
            head, _, _ = html.partition(separator)
            return html.replace(separator, "", 1), head
        if parsed.meta.summary:
            return html, ""
        paragraph = re.search(r"<p>.*?</p>", html, re.S)
        if not paragraph:
            return html, ""
        words = paragraph.group(0).split(" ")
        if len(words) <= self.settings.summary_words:
            return html, paragraph.group(0)
        return html, " ".join(words[: self.settings.summary_words]) + " …</p>"


VOID_ELEMENTS = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
                           "meta", "source", "track", "wbr"})
TAG_NAME = re.compile(r"</?([A-Za-z][^\s>/]*)")


def _closed(fragment: str) -> str:
    """The fragment with the elements it leaves open closed at its end. A summary cut at the
    excerpt separator inside a block Stride draws itself (a callout, a tabset) leaves that
    block open: its markup is put back after the sanitizer, which closes the author's own."""
    still_open: list[str] = []
    for tag in TAG.finditer(fragment):
        text = tag.group(0)
        name = TAG_NAME.match(text).group(1).lower()
        if text.startswith("</"):
            if name in still_open:
                del still_open[len(still_open) - 1 - still_open[::-1].index(name):]
        elif name not in VOID_ELEMENTS and not text.endswith("/>"):
            still_open.append(name)
    return fragment + "".join(f"</{name}>" for name in reversed(still_open))


FOOTNOTE_MARK = re.compile(r'<sup class="footnote-ref">.*?</sup>', re.S)
IN_PAGE_LINK = re.compile(r'<a\b[^>]*\shref="#[^"]*"[^>]*>(.*?)</a>', re.S)
ID_ATTRIBUTE = re.compile(r'\sid="([^"]*)"')
# What a drawing refers to inside itself: a clip path, a marker, a glyph TeX drew (`<use>`).
DRAWING_REFERENCE = re.compile(r'url\(#([^)"\s]+)\)|\s(?:xlink:)?href="#([^"]+)"')


def _away_from_its_page(summary: str, post: str) -> str:
    """A summary shown on index and tag pages: without footnote marks (their notes stay behind),
    with links to places in the post (a citation's entry, an equation) kept as their text, since
    those places are not there, and without ids, which would repeat on a page of summaries (two
    posts with a `## Setup`, or with the same tabs). Inputs keep theirs: their labels name
    them, and a tabset's radio ids carry a digest of their post. A drawing keeps the ids it
    refers to itself (its clip paths, TeX's glyphs), made its post's own (``post``: its
    ``RenderContext.post_digest``), since the same picture may open two posts on one page."""
    linkless = IN_PAGE_LINK.sub(r"\1", FOOTNOTE_MARK.sub("", summary))
    referenced = {inside or linked for inside, linked in DRAWING_REFERENCE.findall(linkless)}

    def own(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        return match.group(0).replace(f"#{name}", f"#{name}-{post}")

    def without_ids(tag: re.Match[str]) -> str:
        if tag.group(0).startswith("<input"):
            return tag.group(0)
        return ID_ATTRIBUTE.sub(lambda found: f' id="{found.group(1)}-{post}"'
                                if found.group(1) in referenced else "", tag.group(0))
    kept = TAG.sub(without_ids, linkless)
    return DRAWING_REFERENCE.sub(own, kept) if referenced else kept


ROOT_RELATIVE = re.compile(r'(\s(?:href|src|poster)=")(/(?!/)[^"]*)"')


def _rebase(html: str, base_path: str) -> str:
    """Root-relative links an author wrote ("/about/") point inside the site, wherever it is
    served: prefix the site's base path ("/blog/about/") unless they already carry it."""
    if base_path == "/":
        return html
    prefix = base_path.rstrip("/")
    return ROOT_RELATIVE.sub(
        lambda m: m.group(0) if m.group(2).startswith(base_path) else
        f'{m.group(1)}{prefix}{m.group(2)}"', html)


def _restore(html: str, trusted: list[str]) -> str:
    """Put trusted plugin output back; a fragment may hold others (math in a figure caption),
    and each placeholder refers only to fragments rendered before it, so this terminates.
    Malformed author HTML (an unclosed attribute quote) can pull a placeholder into a tag: such
    a one is dropped, never restored inside an attribute."""
    if not trusted:
        return html
    html = TAG.sub(lambda tag: PLACEHOLDER.sub("", tag.group(0)), html)

    def fragment(match: re.Match) -> str:
        return PLACEHOLDER.sub(fragment, trusted[int(match.group(1))])
    return PLACEHOLDER.sub(fragment, html)


def _check_heading_levels(tokens: list[Token], context: RenderContext) -> None:
    """Warn at the first heading that skips a level (the page's title is the ``<h1>``, so a
    post's first heading is ``##``, or ``#``): a reader of headings, a screen reader's outline,
    is left guessing what the skipped level held, and the W3C validator calls it an error."""
    above, under = 1, "the title"
    for token in tokens:
        if token.type != "heading_open":
            continue
        level = int(token.tag[1])
        if level > above + 1:
            context.warn(token.map[0] if token.map else None,
                         f"a heading skips from h{above} to h{level}: {'#' * level} right under "
                         f"{under}", kind="headings",
                         hint=f"make it {'#' * (above + 1)} (and the headings under it one level "
                              "up): headings go down one level at a time from the title's h1")
            return
        above, under = level, f"a {'#' * level} heading"


def _toc(tokens: list[Token]) -> tuple[TocEntry, ...]:
    entries = []
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.attrs.get("id"):
            inline = tokens[index + 1]
            text = "".join(f"{c.content} " if c.type == "section_number" else c.content
                           for c in inline.children or []
                           if c.type in ("text", "code_inline", "section_number"))
            entries.append(TocEntry(int(token.tag[1]), str(token.attrs["id"]), text.strip()))
    return tuple(entries)


def _word_count(tokens: list[Token]) -> int:
    count = 0
    for token in tokens:
        if token.type == "inline":
            count += sum(len(c.content.split()) for c in token.children or [] if c.type == "text")
    return count
