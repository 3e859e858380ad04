"""Hugo's shortcodes in posts: figure, highlight, details, ref/relref, param and `{{</* */>}}` comments;
and Quarto's, which share the syntax: include, meta, pagebreak, kbd and video.

Hugo expands shortcodes before Markdown is parsed, so this is a source pass too (a core rule
after Liquid's), with the same guarantees: code is left as written, every line stays where it
was, and a shortcode Stride does not know is reported with ``file:line`` and removed (the text
between a paired shortcode's tags is kept). A figure standing on its own line becomes real
``<figure>`` tokens through a block rule, so its caption is parsed as Markdown (math included).
"""
from __future__ import annotations

import bisect
import hashlib
import html
import re
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any
from urllib.parse import quote

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from generator.context import RenderContext, env_store, render_context

from . import sitepaths
from .includes import INCLUDE_KIND, IncludeStore, include_block, include_store, too_deep
from .regions import LineIndex, LinePreservingEdits, Regions, find_regions, shield_braces
from .toc import TOC_MARKER, add_toc

HUGO_KIND = "hugo"
ENV_KEY = "stride_compat_figures"

# One scan for both forms. A shortcode's parameters never hold `{{` and a comment never holds
# another comment's opening: an unclosed one is abandoned at the next, keeping the scan linear.
_COMMENT = (r"\{\{(?P<comment_open>[<%])/\*(?P<inner>(?:(?!\{\{[<%]/\*).)*?)\*/"
            r"(?P<comment_close>[>%])\}\}")
_SHORTCODE = (r"\{\{(?P<delimiter>[<%])\s*(?P<closing>/)?\s*(?P<name>[\w.-]+(?:/[\w.-]+)*)"
              r"(?P<params>(?:[^{}\n]|\n(?![ \t]*\n)|\{(?!\{)|\}(?!\}))*?)[>%]\}\}")
_HUGO = re.compile(f"{_COMMENT}|{_SHORTCODE}", re.S)
_FIGURE_MARKER = re.compile("\ue012(\\d+)\ue013")


@dataclass(frozen=True)
class Figure:
    """A Hugo ``figure`` shortcode's parameters, resolved."""

    src: str
    alt: str = ""
    title: str = ""
    caption: str = ""
    link: str = ""
    css_class: str = ""
    width: str = ""
    height: str = ""


@dataclass
class FigureStore:
    figures: list[Figure] = field(default_factory=list)

    def add(self, figure: Figure) -> str:
        self.figures.append(figure)
        return f"\ue012{len(self.figures) - 1}\ue013"


def figure_store(env: MutableMapping[str, Any]) -> FigureStore:
    return env_store(env, ENV_KEY, FigureStore)


_PARAMETER = re.compile(
    r'\s*(?:(?P<name>[A-Za-z_][\w-]*)\s*=\s*)?(?P<value>"(?:[^"\\]|\\.)*"|`[^`]*`|[^\s"`]+)')


def parse_parameters(text: str) -> tuple[list[str], dict[str, str]]:
    """Hugo shortcode parameters: positional values and ``name="value"`` pairs, where a value is
    a quoted string (``"..."``, where only ``\\"`` is an escape), a raw ```...``` string or a
    bare word.

    Raises ValueError where a parameter cannot be read (an unclosed quote).
    """
    positional: list[str] = []
    named: dict[str, str] = {}
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _PARAMETER.match(text, position)
        if match is None:
            raise ValueError(f"cannot read the parameters from `{text[position:].strip()}` "
                             "(an unclosed quote?)")
        value = match.group("value")
        if value[0] == '"':
            value = value[1:-1].replace('\\"', '"')  # Hugo unescapes quotes only: TeX keeps `\hat`
        elif value[0] == "`":
            value = value[1:-1]
        if match.group("name"):
            named[match.group("name")] = value
        else:
            positional.append(value)
        position = match.end()
    return positional, named


class _Expander:
    def __init__(self, source: str, ctx: RenderContext, figures: FigureStore,
                 includes: IncludeStore, *, depth: int = 0, report_line: int | None = None,
                 origin: str = "", folder: Path | None = None) -> None:
        self.source = source
        self.ctx = ctx
        self.figures = figures
        self.includes = includes
        self.depth = depth
        self.report_line = report_line  # set for an included file: warnings go to the include
        self.origin = origin
        self.folder = folder or ctx.source_dir  # where relative include paths start
        self.edits = LinePreservingEdits(source)
        self.lines = LineIndex(source)
        self._closings: dict[str, tuple[list[int], list[re.Match[str]]]] = {}
        self._open_details = 0  # `{{< details >}}` opened and not yet closed

    @cached_property
    def regions(self) -> Regions:
        return find_regions(self.source)

    def warn(self, position: int, message: str, hint: str, kind: str = HUGO_KIND) -> None:
        if self.report_line is not None:
            self.ctx.warn(self.report_line, f"in {self.origin}: {message}", hint=hint, kind=kind)
            return
        self.ctx.warn(self.lines.line(position), message, hint=hint, kind=kind,
                      column=self.lines.column(position))

    def expand(self) -> str:
        position = 0
        while (match := _HUGO.search(self.source, position)) is not None:
            position = self._comment(match) if match.group("inner") is not None \
                else self._shortcode(match)
        expanded = self.edits.apply()
        if self.edits.moved_lines and self.report_line is None:
            self.ctx.line_maps.append(self.edits.original_line)
        return expanded

    def _comment(self, match: re.Match[str]) -> int:
        """``{{</* figure */>}}`` is how Hugo shows a shortcode as text."""
        shown = _shown(match)
        in_code = self.regions.code_at(match.start()) is not None
        self.edits.replace(match.start(), match.end(), shown if in_code else shield_braces(shown))
        return match.end()

    def _shortcode(self, match: re.Match[str]) -> int:
        start = match.start()
        if self.regions.code_at(start) is not None:
            return match.end()
        name = match.group("name")
        if match.group("closing"):
            if name == "details" and self._open_details:
                self._open_details -= 1
                self.edits.replace(start, match.end(), "</details>")
            else:
                self.edits.replace(start, match.end(), "")  # reported at its opening tag
            return match.end()
        try:
            # the `/` of a self-closing shortcode (`{{< x />}}`) is no parameter
            positional, named = parse_parameters(match.group("params").rstrip().removesuffix("/"))
        except ValueError as error:
            self.warn(start, f"`{{{{< {name} >}}}}`: {error}; the shortcode is removed",
                      "check the quotes of its parameters")
            self.edits.replace(start, match.end(), "")
            return match.end()
        # each supported shortcode NAME is a `_shortcode_NAME` method (as `ast.NodeVisitor`
        # dispatches `visit_NAME`), so supporting one more is adding one method
        handler = getattr(self, f"_shortcode_{name.replace('-', '_')}", None)
        if handler is not None:
            return handler(match, positional, named)
        self.warn(start, f"the Hugo shortcode `{name}` is not supported; it is removed"
                         + (" (the text inside it is kept)" if self._closing(match, name) else ""),
                  "replace it with Markdown or HTML")
        self.edits.replace(start, match.end(), "")
        return match.end()

    def _closing(self, match: re.Match[str], name: str) -> re.Match[str] | None:
        """The first ``{{< /name >}}`` after ``match``; each name's closings are found once."""
        if name not in self._closings:
            pattern = re.compile(r"\{\{[<%]\s*/\s*" + re.escape(name) + r"\s*[>%]\}\}")
            found = list(pattern.finditer(self.source))
            self._closings[name] = ([c.start() for c in found], found)
        starts, closings = self._closings[name]
        index = bisect.bisect_left(starts, match.end())
        return closings[index] if index < len(closings) else None

    # -- shortcodes ----------------------------------------------------------------------------
    def _shortcode_figure(self, match: re.Match[str], positional: list[str],
                          named: dict[str, str]) -> int:
        start = match.start()
        src = named.get("src", positional[0] if positional else "")
        if not src:
            self.warn(start, "a `figure` shortcode without `src` is removed", "add src=\"...\"")
            self.edits.replace(start, match.end(), "")
            return match.end()
        # resolved here, checked where the image lands (``urls.py``), like any other image
        figure = Figure(
            src=sitepaths.resolve_site_path(self.ctx, src, None, check=False),
            alt=named.get("alt", ""), title=named.get("title", ""),
            caption=named.get("caption", ""),
            link=sitepaths.resolve_site_path(self.ctx, named["link"], None, check=False)
            if named.get("link") else "",
            css_class=named.get("class", ""), width=named.get("width", ""),
            height=named.get("height", ""))
        if sitepaths.stands_alone(self.source, start, match.end()):
            self.edits.replace(start, match.end(), self.figures.add(figure))
        else:
            dropped = [name for name, value in (("caption", figure.caption), ("title", figure.title),
                                                ("link", figure.link), ("class", figure.css_class),
                                                ("width", figure.width), ("height", figure.height))
                       if value]
            if dropped:
                self.warn(start, "a `figure` inside a paragraph keeps its image but not its "
                                 + ", ".join(dropped), "put the shortcode on a line of its own")
            self.edits.replace(start, match.end(), _inline_image(figure))
        return match.end()

    def _shortcode_highlight(self, match: re.Match[str], positional: list[str],
                             named: dict[str, str]) -> int:
        closing = self._closing(match, "highlight")
        if closing is None:
            self.warn(match.start(), "`{{< highlight >}}` has no `{{< /highlight >}}`; it is "
                                     "removed", "add the closing shortcode after the code")
            self.edits.replace(match.start(), match.end(), "")
            return match.end()
        options = dict(re.findall(r"(\w+)\s*=\s*([^,]*)", positional[1] if len(positional) > 1
                                  else ""))
        info = sitepaths.fence_info(
            positional[0] if positional else "",
            line_numbers=options.get("linenos", "false").strip() not in ("false", ""),
            highlighted_lines=sitepaths.line_numbers_spec(options.get("hl_lines", "")),
            first_line=int(options["linenostart"]) if options.get("linenostart", "").isdigit()
            else None)
        code = re.sub(_COMMENT, _shown, self.source[match.end():closing.start()], flags=re.S)
        self.edits.replace(match.start(), closing.end(), sitepaths.fenced_block(
            self.source, match.start(), closing.end(), code, info))
        return closing.end()

    def _shortcode_details(self, match: re.Match[str], positional: list[str],
                           named: dict[str, str]) -> int:
        """Hugo's ``{{< details summary="..." open=true >}}...{{< /details >}}``: a ``<details>``
        element whose content is Markdown (its closing tag becomes ``</details>``)."""
        if self._closing(match, "details") is None:
            self.warn(match.start(), "`{{< details >}}` has no `{{< /details >}}`; it is removed",
                      "add {{< /details >}} after the hidden content")
            self.edits.replace(match.start(), match.end(), "")
            return match.end()
        attributes = "".join(f' {name}="{html.escape(named[name])}"'
                             for name in ("class", "name", "title") if named.get(name))
        if named.get("open", "false").lower() not in ("false", "0", ""):
            attributes += " open"
        summary = _inline_markdown(named.get("summary", "Details"))
        opening = f"<details{attributes}><summary>{summary}</summary>"
        # The content is Markdown only after a blank line (the HTML block ends there).
        following = self.source.find("\n", match.end()) + 1  # 0: the shortcode ends the file
        end = self.source.find("\n", following)
        next_line = self.source[following:end if end >= 0 else None] if following else ""
        if sitepaths.stands_alone(self.source, match.start(), match.end()) and next_line.strip():
            opening += "\n"
        self._open_details += 1
        self.edits.replace(match.start(), match.end(), opening)
        return match.end()

    def _shortcode_toc(self, match: re.Match[str], positional: list[str],
                       named: dict[str, str]) -> int:
        """A theme's ``{{< toc >}}``: the table of contents of the post's headings."""
        if sitepaths.stands_alone(self.source, match.start(), match.end()):
            self.edits.replace(match.start(), match.end(), TOC_MARKER)
        else:
            self.warn(match.start(), "a `toc` shortcode inside a paragraph is removed",
                      "put it on a line of its own")
            self.edits.replace(match.start(), match.end(), "")
        return match.end()

    def _shortcode_katex(self, match: re.Match[str], positional: list[str],
                         named: dict[str, str]) -> int:
        """Hugo math themes' ``{{< katex >}}x^2{{< /katex >}}`` (``display`` for a block): the
        TeX between the tags gets the math plugin's ``$``/``$$`` delimiters instead."""
        closing = self._closing(match, match.group("name"))
        if closing is None:
            self.warn(match.start(), f"`{{{{< {match.group('name')} >}}}}` has no closing "
                                     "shortcode; it is removed", "close it after the TeX")
            self.edits.replace(match.start(), match.end(), "")
            return match.end()
        display = "display" in positional or named.get("display", "").lower() in ("true", "block")
        delimiter = "$$" if display else "$"
        self.edits.replace(match.start(), match.end(), delimiter)
        self.edits.replace(closing.start(), closing.end(), delimiter)
        return closing.end()

    _shortcode_math = _shortcode_katex

    def _reference(self, match: re.Match[str], positional: list[str], named: dict[str, str], *,
                   absolute: bool) -> int:
        target = named.get("path", positional[0] if positional else "")
        path, _, anchor = target.partition("#")
        url = sitepaths.lookup_post(self.ctx, path) if path else ""
        if url is None:
            self.warn(match.start(), f"`{{{{< {'ref' if absolute else 'relref'} \"{target}\" >}}}}`:"
                                     f" no post `{path}`", "check the path against content/",
                      kind=sitepaths.LINK_KIND)
            url = ""
        elif absolute:
            url = sitepaths.absolute_url(self.ctx, url)
        self.edits.replace(match.start(), match.end(), url + (f"#{anchor}" if anchor else ""))
        return match.end()

    def _shortcode_ref(self, match: re.Match[str], positional: list[str],
                       named: dict[str, str]) -> int:
        return self._reference(match, positional, named, absolute=True)

    def _shortcode_relref(self, match: re.Match[str], positional: list[str],
                          named: dict[str, str]) -> int:
        return self._reference(match, positional, named, absolute=False)

    def _shortcode_param(self, match: re.Match[str], positional: list[str],
                         named: dict[str, str]) -> int:
        key = positional[0] if positional else named.get("name", "")
        value = next((found for found in (_param(variables, key) for variables in (
            self.ctx.page_vars, self.ctx.page_vars.get("params"), self.ctx.site_vars,
            self.ctx.site_vars.get("params"))) if found is not None), None)
        if value is None:
            self.warn(match.start(), f"`{{{{< param \"{key}\" >}}}}`: no parameter `{key}`",
                      "set it in the post's frontmatter or the site's [site] table")
        self.edits.replace(match.start(), match.end(), "" if value is None else str(value))
        return match.end()

    # -- Quarto's shortcodes -------------------------------------------------------------------
    def _shortcode_include(self, match: re.Match[str], positional: list[str],
                           named: dict[str, str]) -> int:
        """Quarto's ``{{< include _file.qmd >}}``: the file's text in place of the shortcode,
        read as Markdown blocks when the shortcode stands on its own line. The path is relative
        to the folder of the file holding the shortcode, or with a leading ``/`` to the site's
        content folder (a Quarto project's root); it must stay inside the site folder."""
        start = match.start()
        name = positional[0] if positional else named.get("file", "")
        text = self._included_text(start, name)
        if text is None:
            replacement = ""
        elif sitepaths.stands_alone(self.source, start, match.end()):
            replacement = self.includes.add(text)
        else:
            replacement = re.sub(r"\s*\n\s*", " ", text.strip())
        self.edits.replace(start, match.end(), replacement)
        return match.end()

    def _included_text(self, start: int, name: str) -> str | None:
        if not name:
            self.warn(start, "`{{< include >}}` names no file; it is removed",
                      "write {{< include file.qmd >}}", kind=INCLUDE_KIND)
            return None
        if too_deep(self.depth, name, lambda message, hint: self.warn(
                start, message, hint, kind=INCLUDE_KIND)):
            return None
        site = (self.ctx.site_root or self.ctx.source_dir).resolve()
        root = site / "content" if (site / "content").is_dir() else site
        path = ((root / name.lstrip("/")) if name.startswith("/")
                else self.folder / name).resolve()
        if not path.is_relative_to(site):
            self.warn(start, f"the include `{name}` is outside {site.name}/",
                      "includes must stay inside the site folder", kind=INCLUDE_KIND)
            return None
        try:
            data = path.read_bytes()
            text = data.decode("utf-8")
        except (OSError, UnicodeDecodeError) as error:
            problem = "does not exist" if isinstance(error, FileNotFoundError) else f"cannot be " \
                f"read ({error})"
            self.warn(start, f"the include `{name}` {problem}", "copy the file beside the "
                      "post, where the path points, or remove the shortcode", kind=INCLUDE_KIND)
            return None
        self.ctx.add_dependency(str(path), hashlib.sha256(data).hexdigest())
        if "{{<" not in text and "{{%" not in text:
            return text
        report_line = self.report_line if self.report_line is not None else self.lines.line(start)
        return _Expander(text, self.ctx, self.figures, self.includes, depth=self.depth + 1,
                         report_line=report_line, origin=Path(name).name,
                         folder=path.parent).expand()

    def _shortcode_meta(self, match: re.Match[str], positional: list[str],
                        named: dict[str, str]) -> int:
        """Quarto's ``{{< meta title >}}``: a frontmatter value (``a.b`` reaches into a map)."""
        key = positional[0] if positional else ""
        value: Any = self.ctx.page_vars
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is None or isinstance(value, (dict, list)):
            self.warn(match.start(), f"`{{{{< meta {key} >}}}}`: the frontmatter has no text "
                      f"`{key}`; it is removed", "set it in the post's frontmatter")
            value = ""
        self.edits.replace(match.start(), match.end(), str(value))
        return match.end()

    def _shortcode_pagebreak(self, match: re.Match[str], positional: list[str],
                             named: dict[str, str]) -> int:
        """Quarto's page break is for printed formats: a web page has none to make."""
        self.edits.replace(match.start(), match.end(), "")
        return match.end()

    def _shortcode_kbd(self, match: re.Match[str], positional: list[str],
                       named: dict[str, str]) -> int:
        """Quarto's ``{{< kbd Shift-Ctrl-P >}}``: the keys, as ``<kbd>``."""
        keys = positional[0] if positional else next(iter(named.values()), "")
        self.edits.replace(match.start(), match.end(), f"<kbd>{html.escape(keys)}</kbd>")
        return match.end()

    def _shortcode_video(self, match: re.Match[str], positional: list[str],
                         named: dict[str, str]) -> int:
        """Quarto's ``{{< video URL >}}``: a link to the video (its player, an iframe or a
        script, is not published from posts), with a warning."""
        url = positional[0] if positional else named.get("src", "")
        return self._embedded_as_link(match, "video", url, named.get("title", "") or "Video",
                                      "write {{< video URL >}}")

    def _shortcode_youtube(self, match: re.Match[str], positional: list[str],
                           named: dict[str, str]) -> int:
        """Hugo's ``{{< youtube ID >}}`` (or ``id=``): a link to the video on YouTube."""
        video = positional[0] if positional else named.get("id", "")
        return self._embedded_as_link(
            match, "youtube", video and f"https://www.youtube.com/watch?v={quote(video)}",
            named.get("title", "") or "Video on YouTube", "write {{< youtube VIDEO-ID >}}")

    def _shortcode_vimeo(self, match: re.Match[str], positional: list[str],
                         named: dict[str, str]) -> int:
        """Hugo's ``{{< vimeo ID >}}`` (or ``id=``): a link to the video on Vimeo."""
        video = positional[0] if positional else named.get("id", "")
        return self._embedded_as_link(
            match, "vimeo", video and f"https://vimeo.com/{quote(video)}",
            named.get("title", "") or "Video on Vimeo", "write {{< vimeo VIDEO-ID >}}")

    def _shortcode_gist(self, match: re.Match[str], positional: list[str],
                        named: dict[str, str]) -> int:
        """Hugo's ``{{< gist USER ID [FILE] >}}``: a link to the gist (its embed is a script)."""
        user, gist = (positional + ["", ""])[:2]
        url = user and gist and f"https://gist.github.com/{quote(user)}/{quote(gist)}"
        file = positional[2] if len(positional) > 2 else ""
        return self._embedded_as_link(match, "gist", url, f"Gist {file or gist}".strip(),
                                      "write {{< gist USER GIST-ID >}}")

    def _shortcode_x(self, match: re.Match[str], positional: list[str],
                     named: dict[str, str]) -> int:
        """Hugo's ``{{< x user="U" id="ID" >}}`` (and the older ``tweet``): a link to the
        post (its embed is a script)."""
        user = named.get("user", "")
        post = named.get("id", positional[0] if positional else "")
        url = post and (f"https://x.com/{quote(user)}/status/{quote(post)}" if user
                        else f"https://x.com/i/status/{quote(post)}")
        return self._embedded_as_link(match, match.group("name"), url,
                                      f"Post by @{user}" if user else "Post on X",
                                      'write {{< x user="USER" id="POST-ID" >}}')

    _shortcode_tweet = _shortcode_x

    def _shortcode_instagram(self, match: re.Match[str], positional: list[str],
                             named: dict[str, str]) -> int:
        """Hugo's ``{{< instagram ID >}}``: a link to the post (its embed is a script)."""
        post = positional[0] if positional else named.get("id", "")
        return self._embedded_as_link(
            match, "instagram", post and f"https://www.instagram.com/p/{quote(post)}/",
            "Post on Instagram", "write {{< instagram POST-ID >}}")

    def _embedded_as_link(self, match: re.Match[str], name: str, url: str, title: str,
                          usage: str) -> int:
        return sitepaths.embed_as_link(self.warn, self.edits, match.span(),
                                       f"{{{{< {name} >}}}}", url, title, usage)


@cache
def _inline_parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False})


def _inline_markdown(text: str) -> str:
    """A shortcode parameter Hugo renders as inline Markdown (emphasis, code, links)."""
    return _inline_parser().renderInline(text)


def _shown(comment: re.Match[str]) -> str:
    """The shortcode a ``{{</* ... */>}}`` comment shows, as written."""
    return ("{{" + comment.group("comment_open") + comment.group("inner")
            + comment.group("comment_close") + "}}")


def _inline_image(figure: Figure) -> str:
    """Markdown, not HTML: an ``<img>`` at the start of a line would open an HTML block that
    swallows the lines below it."""
    alt = re.sub(r"([\\\[\]])", r"\\\1", figure.alt)
    src = figure.src.replace("<", "%3C").replace(">", "%3E").replace("\n", "")
    return f"![{alt}](<{src}>)"


def expand_shortcodes(source: str, ctx: RenderContext, figures: FigureStore,
                      includes: IncludeStore | None = None) -> str:
    """Expand the Hugo shortcodes in a post body; every line stays where it was."""
    if "{{<" not in source and "{{%" not in source:
        return source
    return _Expander(source, ctx, figures, includes or IncludeStore()).expand()


def _figure_tokens(state: StateBlock, figure: Figure, line: int) -> None:
    def push(kind: str, tag: str, nesting: int) -> Token:
        token = state.push(kind, tag, nesting)
        token.map = [line, line + 1]
        return token

    opening = push("hugo_figure_open", "figure", 1)
    if figure.css_class:
        opening.attrSet("class", figure.css_class)
    paragraph_content = push("inline", "", 0)
    paragraph_content.children = []
    if figure.link:
        link = Token("link_open", "a", 1)
        link.attrSet("href", figure.link)
        paragraph_content.children.append(link)
    image = Token("image", "img", 0, content=figure.alt,
                  children=[Token("text", "", 0, content=figure.alt)])
    image.attrSet("src", figure.src)
    image.attrSet("alt", "")
    for name, value in (("width", figure.width), ("height", figure.height)):
        if value:
            image.attrSet(name, value)
    paragraph_content.children.append(image)
    if figure.link:
        paragraph_content.children.append(Token("link_close", "a", -1))
    if figure.title or figure.caption:
        push("hugo_figcaption_open", "figcaption", 1)
        if figure.title:
            # not heading_open: a caption's title is no section of the post (no id, no TOC entry)
            push("hugo_figure_title_open", "h4", 1)
            push("inline", "", 0).content = figure.title
            push("hugo_figure_title_close", "h4", -1)
        if figure.caption:
            push("paragraph_open", "p", 1)
            push("inline", "", 0).content = figure.caption
            push("paragraph_close", "p", -1)
        push("hugo_figcaption_close", "figcaption", -1)
    push("hugo_figure_close", "figure", -1)


def _figure_block(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    start = state.bMarks[start_line] + state.tShift[start_line]
    if not state.src.startswith("\ue012", start):
        return False
    text = state.src[start:state.eMarks[start_line]]
    marker = _FIGURE_MARKER.fullmatch(text.strip())
    figures = figure_store(state.env).figures
    # the author's own text may hold these private-use characters: only real markers count
    if marker is None or int(marker.group(1)) >= len(figures):
        return False
    if silent:
        return True
    _figure_tokens(state, figures[int(marker.group(1))], start_line)
    state.line = start_line + 1
    return True


def hugo_plugin(md: MarkdownIt) -> None:
    """Hugo's shortcodes: ``figure``, ``highlight``, ``ref``, ``relref``, ``param`` and
    ``{{</* */>}}`` comments; other shortcodes are reported and removed."""

    def shortcode_rule(state: StateCore) -> None:
        state.src = expand_shortcodes(state.src, render_context(state.env), figure_store(state.env),
                                      include_store(state.env))

    anchor = "liquid" if "liquid" in md.core.ruler.get_all_rules() else "normalize"
    md.core.ruler.after(anchor, "hugo_shortcodes", shortcode_rule)
    md.block.ruler.before("paragraph", "hugo_figure", _figure_block,
                          {"alt": ["paragraph", "blockquote", "list"]})
    if "liquid_include" not in md.block.ruler.get_all_rules():  # Quarto's includes need it too
        md.block.ruler.before("paragraph", "liquid_include", include_block,
                              {"alt": ["paragraph", "blockquote", "list"]})
    add_toc(md)


def _param(variables: object, key: str) -> object | None:
    """Hugo's page or site parameter ``key`` (``a.b`` walks into maps; case does not matter, as
    Hugo lowers parameter names), or None."""
    value = variables
    for part in key.split("."):
        if not isinstance(value, dict):
            return None
        value = next((item for name, item in value.items()
                      if str(name).lower() == part.lower()), None)
    return value
