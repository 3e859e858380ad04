"""Quarto's cross-references to figures, tables and sections: ``@fig-name``, ``@tbl-name``,
``@sec-name``; and Pandoc's table captions.

Quarto numbers what carries a typed label and writes references with the type's name:

- ``![Elephant](elephant.png){#fig-elephant}``, an image alone in its paragraph, becomes a
  figure captioned "Figure 1: Elephant"; so does a ``{python}`` cell with ``#| label: fig-x``
  (its ``fig-cap`` gets the number); ``@fig-elephant`` reads "Figure 1";
- a table with a caption paragraph right below or above it (``: Results {#tbl-results}``, or
  ``Table: Results``, Pandoc's) gets the caption as its ``<caption>``; with a ``tbl-`` id it is
  numbered "Table 1: Results" and ``@tbl-results`` reads "Table 1";
- with ``number-sections: true`` (the frontmatter's, or ``format: html:``'s) headings are
  numbered as Quarto numbers them, the post's highest level "1", the next "1.1" and so on to
  ``number-depth`` levels (``.unnumbered`` or ``{-}`` headings are skipped), and
  ``@sec-results`` reads "Section 2"; without it, sections are not numbered and ``@sec-results``
  reads the section's title, "Results";
- a labelled callout, ``::: {#tip-cache .callout-tip}`` (``nte``, ``tip``, ``wrn``, ``imp``,
  ``cau``), is titled "Tip 1" or "Tip 1: its title", and ``@tip-cache`` reads "Tip 1";
- ``[-@fig-x]`` gives the number alone and ``[Fig. @fig-x]`` the author's own prefix.

Equations (``@eq-name``) are the math plugin's, which numbers them with ``\\label``'s numbers.
A reference to a label nothing on the page carries warns with its line and shows as
``?@label``, as in Quarto.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

from generator.context import RenderContext, render_context

from .divs import CALLOUT_TITLES

# Quarto's theorem-like blocks: ``::: {#thm-x}`` ... ``:::``, numbered per type.
THEOREMS = {"thm": "Theorem", "lem": "Lemma", "cor": "Corollary", "prp": "Proposition",
            "cnj": "Conjecture", "def": "Definition", "exm": "Example", "exr": "Exercise"}
# Quarto's cross-referenceable callouts: ``::: {#tip-x .callout-tip}``, numbered per type.
CALLOUTS = {"nte": "Note", "tip": "Tip", "wrn": "Warning", "imp": "Important", "cau": "Caution"}
_KINDS = {"fig": "figure", "tbl": "table", "sec": "section",
          **{kind: name.lower() for kind, name in {**THEOREMS, **CALLOUTS}.items()}}
_NAMES = {"fig": "Figure", "tbl": "Table", "sec": "Section", **THEOREMS, **CALLOUTS}
SECTION_NUMBER = "section_number"
_TYPES = "|".join(_KINDS)
_REFERENCE = re.compile(rf"@(?P<label>(?:{_TYPES})-[\w:.-]*\w)"
                        rf"|\[(?P<prefix>[^\[\]@]*?)(?P<bare>-?)@(?P<bracketed>(?:{_TYPES})-[\w:.-]*\w)\]"
                        r"(?![(\[])")  # not a link's text: [see @fig-x](url)


def crossrefs_plugin(md: MarkdownIt) -> None:
    """Number labelled figures and tables, and resolve ``@fig-``/``@tbl-``/``@sec-`` references
    to them; Pandoc's table captions become the tables' ``<caption>``."""
    md.inline.ruler.before("link", "quarto_crossref", _reference_rule)
    md.core.ruler.after("block", "pandoc_table_captions", _table_captions)
    after = "anchor" if "anchor" in _core_rules(md) else "inline"
    md.core.ruler.after(after, "quarto_section_numbers", _number_sections)
    md.core.ruler.after("quarto_section_numbers", "quarto_crossrefs", _resolve)
    md.add_render_rule(SECTION_NUMBER, _render_section_number)
    md.add_render_rule("quarto_crossref", _render_reference)
    md.add_render_rule("quarto_figure_open", _render_figure_open)
    md.add_render_rule("quarto_figure_close", lambda *_: "</figure>\n")


def _render_figure_open(self, tokens, index, options, env) -> str:
    figure_id = tokens[index].meta["id"]
    own_id = f' id="{escapeHtml(figure_id)}"' if figure_id else ""
    return f'<figure class="quarto-figure"{own_id}>\n'


def _core_rules(md: MarkdownIt) -> list[str]:
    return [rule.name for rule in md.core.ruler.__rules__]


def _reference_rule(state: StateInline, silent: bool) -> bool:
    position = state.pos
    if state.src[position] not in "@[":
        return False
    if position > 0 and (state.src[position - 1].isalnum() or state.src[position - 1] == "_"):
        return False  # an e-mail address, not a reference
    reference = _REFERENCE.match(state.src, position, state.posMax)
    if reference is None:
        return False
    if not silent:
        label = reference.group("label") or reference.group("bracketed")
        if reference.group("label"):
            prefix = None  # the kind's own word
        else:
            written = " ".join(reference.group("prefix").split())  # it may wrap over lines
            prefix = "" if reference.group("bare") else written or None
        token = state.push("quarto_crossref", "", 0)
        token.content = reference.group()
        token.meta = {"label": label, "prefix": prefix, "in_link": state.linkLevel > 0,
                      "line": state.src.count("\n", 0, position)}
    state.pos = reference.end()
    return True


@dataclass(frozen=True)
class _Target:
    id: str
    number: int | str | None  # a figure's count, a section's "2.1"; None: an unnumbered section
    title: str = ""  # a section's


def _resolve(state: StateCore) -> None:
    references = [(block, child) for block in state.tokens if block.type == "inline"
                  for child in block.children or () if child.type == "quarto_crossref"]
    ctx = render_context(state.env)
    targets = _number_figures(state.tokens, ctx)
    if references:
        targets.update(_sections(state.tokens))
    for block, reference in references:
        label = reference.meta["label"]
        target = targets.get(label)
        if target is None:
            kind = _KINDS[label.split("-", 1)[0]]
            line = (block.map[0] if block.map else 0) + reference.meta["line"]
            ctx.warn(line, f"{reference.content}: no {kind} on this page has the label #{label}",
                     kind="compat", hint=f"add {{#{label}}} to the {kind}, or fix the name")
        reference.meta["target"] = target


def _names(ctx: RenderContext, suffix: str) -> dict[str, str]:
    """Each kind's name, English unless the frontmatter's ``crossref:`` renames it as Quarto
    lets a post do (``fig-title: 図`` for captions, ``thm-prefix: 定理`` for references)."""
    names = dict(_NAMES)
    crossref = ctx.page_vars.get("crossref")
    if isinstance(crossref, dict):
        for kind in names:
            value = crossref.get(f"{kind}-{suffix}")
            if isinstance(value, (str, int, float)) and str(value).strip():
                names[kind] = str(value).strip()
    return names


def _number_figures(tokens: list[Token], ctx: RenderContext) -> dict[str, _Target]:
    """Quarto's numbered things in page order, each kind counted on its own: labelled lone
    images made figures, labelled cells' figures captioned ("Figure N"), ``tbl-`` tables
    ("Table N") and theorem-like divs ("Theorem N")."""
    targets: dict[str, _Target] = {}
    counts: dict[str, int] = {}
    titles = _names(ctx, "title")
    quarto_post = ctx.source_path.lower().endswith(".qmd")

    def number(kind: str) -> str:
        counts[kind] = counts.get(kind, 0) + 1
        return f"{titles[kind]} {counts[kind]}"

    index = 0
    while index < len(tokens):
        token = tokens[index]
        label = None
        own_id = str(token.attrGet("id") or "") if token.nesting == 1 else ""
        if token.type == "paragraph_open" and (image := _lone_labelled_image(tokens, index)):
            label = str(image.attrGet("id"))
            _make_figure(tokens, index, image, number("fig"))
        elif token.type == "paragraph_open" and quarto_post and (image := _lone_image(tokens, index)) \
                and image.children:
            _make_figure(tokens, index, image, None)  # Pandoc's implicit figure: not numbered
        elif token.type == "table_open" and own_id.startswith("tbl-"):
            label = own_id
            _number_table_caption(tokens, index, number("tbl"))
        elif token.type == "fenced_div_open" and own_id.split("-", 1)[0] in THEOREMS \
                and "-" in own_id:
            label = own_id
            _title_theorem(tokens, index, number(own_id.split("-", 1)[0]))
        elif token.type == "callout_open" and own_id.split("-", 1)[0] in CALLOUTS \
                and "-" in own_id:
            label = own_id
            _number_callout_title(tokens, index, number(own_id.split("-", 1)[0]))
        elif token.type == "run_block_open":
            label = token.meta["view"].label
            if label and label.startswith("fig-"):
                _number_cell_caption(tokens, index, number("fig"))
            else:
                label = None
        if label is not None:
            kind = label.split("-", 1)[0]
            if label in targets:
                ctx.warn(token.map[0] if token.map else None,
                         f"duplicate {_KINDS[kind]} label #{label}", kind="compat",
                         hint=f"give each {_KINDS[kind]} its own label")
            else:
                targets[label] = _Target(label, counts[kind])
        index += 1
    return targets


def _number_callout_title(tokens: list[Token], opening: int, number: str) -> None:
    """A labelled callout's title as Quarto writes it: "Tip 1", or "Tip 1: Its title"."""
    at = next((position for position in range(opening + 1, len(tokens))
               if tokens[position].type == "callout_title_open"), None)
    if at is None:
        return
    title = tokens[at + 1]
    if title.content.strip() in CALLOUT_TITLES.values():  # no title of its own: the type's name
        title.children = [Token("text", "", 0, content=number)]
    else:
        title.children = [Token("text", "", 0, content=f"{number}: "), *(title.children or ())]


def _title_theorem(tokens: list[Token], opening: int, number: str) -> None:
    """A theorem-like div's title, "Theorem N" in bold, then "(Name)" when its first block is a
    heading (Quarto's ``## Name``), which leaves the headings, and so the table of contents."""
    token = tokens[opening]
    kind = token.attrGet("id").split("-", 1)[0]
    classes = str(token.attrGet("class") or "").split()
    token.attrSet("class", " ".join(dict.fromkeys(["theorem", _NAMES[kind].lower(), *classes])))
    children = [Token("text", "", 0, content=number)]
    at = opening + 1
    if at + 2 < len(tokens) and tokens[at].type == "heading_open" and tokens[at + 1].children:
        children += [Token("text", "", 0, content=" ("), *tokens[at + 1].children,
                     Token("text", "", 0, content=")")]
        del tokens[at:at + 3]
    level = token.level + 1
    tokens[at:at] = [
        Token("theorem_title_open", "p", 1, attrs={"class": "theorem-title"}, block=True,
              level=level, map=token.map),
        Token("inline", "", 0, level=level + 1, map=token.map, children=[
            Token("strong_open", "strong", 1), *children, Token("strong_close", "strong", -1)]),
        Token("theorem_title_close", "p", -1, block=True, level=level)]


_CAPTION = re.compile(r"(?::|Table:)[ \t]+(?P<text>\S.*)", re.S)


def _table_captions(state: StateCore) -> None:
    """Pandoc's table caption: a paragraph beginning with ``:`` or ``Table:`` right below a
    table (or right above it), its trailing ``{#tbl-x .class}`` giving the table an id."""
    tokens = state.tokens
    index = 0
    while index < len(tokens):
        if tokens[index].type == "table_open":
            close = next(i for i in range(index, len(tokens)) if tokens[i].type == "table_close")
            if (caption := _caption_at(tokens, close + 1, tokens[index])) is not None:
                del tokens[close + 1:close + 4]
            elif (caption := _caption_at(tokens, index - 3, tokens[index], above=True)) is not None:
                del tokens[index - 3:index]
                index -= 3
            if caption is not None:
                _attach_caption(tokens, index, caption)
        index += 1


def _caption_at(tokens: list[Token], at: int, table: Token, *, above: bool = False
                ) -> Token | None:
    """The caption paragraph's inline token at ``at``, if one stands there next to ``table``."""
    if at < 0 or at + 2 >= len(tokens) or tokens[at].type != "paragraph_open":
        return None
    paragraph, inline = tokens[at], tokens[at + 1]
    if inline.type != "inline" or not _CAPTION.match(inline.content):
        return None
    if paragraph.level != table.level or paragraph.map is None or table.map is None:
        return None
    gap = table.map[0] - paragraph.map[1] if above else paragraph.map[0] - table.map[1]
    return inline if gap <= 1 else None


def _attach_caption(tokens: list[Token], table_at: int, inline: Token) -> None:
    table = tokens[table_at]
    inline.content = _CAPTION.match(inline.content).group("text").rstrip()
    attributes = _strip_attributes(inline)
    if attributes.get("id"):
        table.attrSet("id", attributes["id"])
    if attributes.get("class"):
        table.attrSet("class", attributes["class"])
    inline.level = table.level + 1
    tokens[table_at + 1:table_at + 1] = [
        Token("caption_open", "caption", 1, block=True, level=table.level + 1, map=inline.map),
        inline, Token("caption_close", "caption", -1, block=True, level=table.level + 1)]


def _strip_attributes(inline: Token) -> dict[str, str]:
    """A trailing ``{#id .class key=value}`` taken off ``inline``'s text (Pandoc's syntax)."""
    from .divs import AttributeSyntaxError, read_attributes  # divs imports nothing from here
    opening = inline.content.rfind("{")
    if opening < 0 or not inline.content.endswith("}"):
        return {}
    try:
        attributes, end = read_attributes(inline.content[opening:])
    except AttributeSyntaxError:
        return {}
    if end != len(inline.content) - opening:
        return {}
    inline.content = inline.content[:opening].rstrip()
    return attributes


def _number_table_caption(tokens: list[Token], table_at: int, number: str) -> None:
    """A ``tbl-`` table's caption starts "Table N: " (or is "Table N" when it has none)."""
    if table_at + 2 < len(tokens) and tokens[table_at + 1].type == "caption_open":
        caption = tokens[table_at + 2]
        caption.children = [Token("text", "", 0, content=f"{number}: "), *(caption.children or [])]
        return
    tokens[table_at + 1:table_at + 1] = [
        Token("caption_open", "caption", 1, block=True),
        Token("inline", "", 0, children=[Token("text", "", 0, content=number)]),
        Token("caption_close", "caption", -1, block=True)]


def _lone_image(tokens: list[Token], paragraph: int) -> Token | None:
    inline = tokens[paragraph + 1]
    children = [child for child in inline.children or () if child.type != "softbreak"]
    return children[0] if len(children) == 1 and children[0].type == "image" else None


def _lone_labelled_image(tokens: list[Token], paragraph: int) -> Token | None:
    image = _lone_image(tokens, paragraph)
    image_id = image.attrGet("id") if image is not None else None
    return image if isinstance(image_id, str) and image_id.startswith("fig-") else None


def _make_figure(tokens: list[Token], paragraph: int, image: Token, number: str | None) -> None:
    """``<p><img id=fig-x alt=Caption></p>`` -> a figure with id fig-x, captioned
    "Figure N: Caption" (the caption's Markdown is the image's description); without a number,
    a figure captioned by the description alone (a Quarto post's lone image, as Pandoc's
    ``implicit_figures`` makes it). Quarto's ``fig-alt`` attribute is the image's alt text."""
    figure_id = image.attrGet("id")
    if figure_id is not None:
        del image.attrs["id"]
    caption = list(image.children or ())
    if (alt := image.attrGet("fig-alt")) is not None:  # the renderer takes alt from children
        image.children = [Token("text", "", 0, content=str(alt))]
        del image.attrs["fig-alt"]
    if number is not None:
        caption.insert(0, Token("text", "", 0, content=f"{number}: " if image.children else number))
    opening, image_line = tokens[paragraph], tokens[paragraph + 1]
    tokens[paragraph:paragraph + 3] = [
        Token("quarto_figure_open", "figure", 1, map=opening.map, block=True,
              meta={"id": None if figure_id is None else str(figure_id)}),
        image_line,
        Token("figcaption_open", "figcaption", 1, block=True),
        Token("inline", "", 0, map=opening.map, children=caption),
        Token("figcaption_close", "figcaption", -1, block=True),
        Token("quarto_figure_close", "figure", -1, block=True),
    ]


def _number_cell_caption(tokens: list[Token], block: int, number: str) -> None:
    """The first figure of a labelled cell: "Figure N: its caption", or "Figure N" alone."""
    for index in range(block + 1, len(tokens)):
        token = tokens[index]
        if token.type == "run_block_close":
            return
        if token.type == "run_figure_open":
            if token.meta["captioned"]:
                caption = tokens[index + 1]
                caption.children = [Token("text", "", 0, content=f"{number}: "), *caption.children]
            else:
                for marker in (token, _closing_figure(tokens, index)):
                    marker.meta = {**marker.meta, "captioned": True}
                tokens.insert(index + 1, Token("inline", "", 0, map=token.map, children=[
                    Token("text", "", 0, content=number)]))
            return


def _closing_figure(tokens: list[Token], opening: int) -> Token:
    return next(token for token in tokens[opening:] if token.type == "run_figure_close")


def _sections(tokens: list[Token]) -> dict[str, _Target]:
    targets = {}
    for index, token in enumerate(tokens):
        section_id = token.attrGet("id") if token.type == "heading_open" else None
        if isinstance(section_id, str) and section_id.startswith("sec-"):
            title = "".join(child.content for child in tokens[index + 1].children or ()
                            if child.type in ("text", "code_inline"))
            number = token.meta.get(SECTION_NUMBER) if token.meta else None
            targets[section_id] = _Target(section_id, number, title or section_id)
    return targets


def _number_sections(state: StateCore) -> None:
    """Quarto's ``number-sections``: "1", "1.1"... before each heading's text, counted from the
    post's highest heading level (a post's sections are ``##``: they are 1, 2, 3, as in
    Quarto's pages), to ``number-depth`` levels; ``.unnumbered`` headings keep none."""
    ctx = render_context(state.env)
    depth = _section_depth(ctx)
    if depth is None:
        return
    headings = [(index, token) for index, token in enumerate(state.tokens)
                if token.type == "heading_open" and state.tokens[index + 1].type == "inline"
                and "unnumbered" not in str(token.attrGet("class") or "").split()]
    if not headings:
        return
    top = min(int(token.tag[1]) for _, token in headings)
    counters: list[int] = []
    for index, token in headings:
        level = int(token.tag[1]) - top + 1
        if level > depth:
            continue
        counters = counters[:level] + [0] * (level - len(counters))
        counters[level - 1] += 1
        number = ".".join(str(count) for count in counters)
        token.meta[SECTION_NUMBER] = number
        inline = state.tokens[index + 1]
        mark = Token(SECTION_NUMBER, "span", 0, content=number)
        inline.children = [mark, *(inline.children or ())]


def _section_depth(ctx: RenderContext) -> int | None:
    """How many heading levels the post numbers (``number-depth``), None if it numbers none."""
    html_format = ctx.page_vars.get("format")
    html_format = html_format.get("html") if isinstance(html_format, dict) else None
    options = {**(html_format if isinstance(html_format, dict) else {}), **{
        key: ctx.page_vars[key] for key in ("number-sections", "number-depth")
        if key in ctx.page_vars}}
    if options.get("number-sections") is not True:
        return None
    depth = options.get("number-depth", 6)
    if not isinstance(depth, int) or isinstance(depth, bool) or depth < 1:
        ctx.warn(None, f"number-depth: {depth!r} is not a number of levels; numbering all",
                 kind="compat", hint="write number-depth: 2 to number ## and ### headings")
        depth = 6
    return depth


def _render_section_number(self, tokens, index, options, env) -> str:
    return f'<span class="header-section-number">{escapeHtml(tokens[index].content)}</span> '


def _render_reference(self, tokens, index, options, env) -> str:
    reference = tokens[index]
    target: _Target | None = reference.meta.get("target")
    if target is None:
        return f'<strong class="crossref-missing">?@{escapeHtml(reference.meta["label"])}</strong>'
    prefix = reference.meta["prefix"]
    if target.number is None:  # an unnumbered section: its title, whatever the prefix
        text = target.title
    elif prefix == "":
        text = str(target.number)
    else:
        name = _names(render_context(env), "prefix")[target.id.split("-", 1)[0]]
        text = f"{prefix or name}\N{NO-BREAK SPACE}{target.number}"
    if reference.meta["in_link"]:  # a link inside a link's text is not HTML
        return f'<span class="crossref">{escapeHtml(text)}</span>'
    return f'<a class="crossref" href="#{escapeHtml(target.id)}">{escapeHtml(text)}</a>'
