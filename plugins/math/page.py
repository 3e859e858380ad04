"""The page pass of the math plugin: every formula of a post read in order, numbered, its
references resolved, and converted to MathML (``convert``, ``equations``, ``mathml``).

The package's core rule imports this module for the first page that has math, so latex2mathml
loads only in a build that converts a formula.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from markdown_it.common.utils import escapeHtml
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from generator.context import RenderContext, render_context

from . import Settings
from .convert import PRIVATE_MARKERS, REFERENCE_COMMAND, convert_tex
from .equations import Equation, label_id, read_equation, render_equation
from .escapes import MODES, undo_remark_escapes, uses_remark_escapes
from .mathml import math_element
from .tex import (DEFINING_COMMANDS, NUMBERED_ENVIRONMENTS, Macro, TexError, expand, group_text,
                  read_argument, serialize, tokenize)

FRONTMATTER_KEY = "math_escapes"
# Characters XML 1.0 forbids (C0 controls but tab and newlines, non-characters); they can
# only be accidents in a post, and would make the MathML unparseable.
_NUMBERED_BEGIN = re.compile(r"\\begin\{(" + "|".join(sorted(NUMBERED_ENVIRONMENTS)) + r")\}")
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


@dataclass
class _Formula:
    """One formula of the page while the page pass works on it (filled in step by step, so
    mutable; it never leaves this module)."""

    token: Token
    line: int                       # 0-based body line, for ctx.warn
    tex: str                        # the TeX as the author meant it (escapes undone)
    display: bool
    tokens: list[str] = field(default_factory=list)
    equation: Equation | None = None
    numbers: list[str | None] = field(default_factory=list)
    ids: list[str | None] = field(default_factory=list)


@dataclass(frozen=True)
class _Target:
    """Where a ``\\label`` points: the row's id, its shown number, and its line."""

    id: str
    number: str
    line: int


def _escape_mode(ctx: RenderContext, settings: Settings) -> str:
    mode = ctx.page_vars.get(FRONTMATTER_KEY, settings.tex_escapes)
    if mode not in MODES:
        ctx.warn(None, f"frontmatter {FRONTMATTER_KEY}: {mode!r} is not a known mode; using "
                 f"{settings.tex_escapes!r}", hint=f"use one of: {', '.join(MODES)}", kind="math")
        return settings.tex_escapes
    return str(mode)


def render_page(state: StateCore, settings: Settings, found: Sequence[tuple[Token, int]]) -> None:
    """Read the page's formulas (``found``, with their lines) in order (escapes, macros,
    numbers, labels), then convert them."""
    ctx = render_context(state.env)
    mode = _escape_mode(ctx, settings)
    remark = mode == "remark" or (mode == "auto" and uses_remark_escapes(t.content for t, _ in found))
    # \newcommand in a post adds to these for the rest of it; until one does, expansions with
    # the site's macros alone are shared by every post of the process.
    macros = _SiteMacros(dict(settings.macros), settings.macros_key)
    targets: dict[str, _Target] = {}
    formulas = [_read(ctx, token, line, remark, macros) for token, line in found]
    counter = 0
    for formula in formulas:
        if formula.equation is not None:
            counter = _number(ctx, formula, formula.equation, settings.numbering, counter, targets)
    for formula in formulas:
        if "html" not in formula.token.meta:  # not already a failure
            _convert(ctx, formula, targets)


class _SiteMacros:
    """A post's macros, and whether they are still the site's: then a formula's expansion is
    looked up in a memo shared by all posts (most formulas of a blog repeat somewhere)."""

    MEMO_SIZE = 8192
    _memo: dict[tuple[str, str], tuple[str, ...]] = {}

    def __init__(self, macros: dict[str, Macro], key: str | None):
        self.macros, self.key = macros, key

    def expand(self, tex: str) -> list[str]:
        if self.key is not None and any(command in tex for command in DEFINING_COMMANDS):
            self.key = None  # the post may define a macro here: its own from now on
        if self.key is None:
            return expand(tokenize(tex), self.macros)
        memo_key = (tex, self.key)
        known = self._memo.get(memo_key)
        if known is None:
            if len(self._memo) >= self.MEMO_SIZE:
                self._memo.clear()
            known = self._memo[memo_key] = tuple(expand(tokenize(tex), self.macros))
        return list(known)


def _read(ctx: RenderContext, token: Token, line: int, remark: bool,
          macros: _SiteMacros) -> _Formula:
    # Private-use markers are the pipeline's and the converter's placeholders, never TeX.
    content = PRIVATE_MARKERS.sub("", _XML_INVALID.sub("\ufffd", token.content))
    tex = undo_remark_escapes(content) if remark else content
    display = token.type == "math_block" or bool(token.meta.get("display"))
    formula = _Formula(token, line, tex.strip(), display)
    if label := token.meta.get("label"):
        tex = _labelled(tex, label)
    try:
        formula.tokens = macros.expand(tex)
        internal = next((t for t in formula.tokens if t.startswith("\\@")), None)
        if internal is not None:
            raise TexError(f"{internal} is internal to TeX packages", f"remove {internal}")
        if display:
            formula.equation = read_equation(formula.tokens)
    except TexError as error:
        _fail(ctx, formula, error)
    return formula


def _labelled(tex: str, label: str) -> str:
    """Quarto's ``$$ ... $$ {#eq-name}``: the display numbered, as an ``equation`` (or its own
    numbered environment) with ``\\label{eq-name}`` on its last row."""
    environments = list(_NUMBERED_BEGIN.finditer(tex))
    if not environments:
        return f"\\begin{{equation}}{tex}\\label{{{label}}}\\end{{equation}}"
    end = tex.rfind(f"\\end{{{environments[-1].group(1)}}}")
    if end < 0:  # unclosed: the converter reports it
        return tex
    return f"{tex[:end]}\\label{{{label}}}{tex[end:]}"


def _number(ctx: RenderContext, formula: _Formula, equation: Equation, numbering: bool,
            counter: int, targets: dict[str, _Target]) -> int:
    """Give the equation's rows their numbers and record their labels; returns the new count."""
    for row in equation.rows:
        number = None
        if row.tag is not None:
            number = row.tag if row.tag_verbatim else f"({row.tag})"
        elif row.numbered and numbering:
            counter += 1
            number = f"({counter})"
        row_id = None
        for label in row.labels:
            if label in targets:
                ctx.warn(formula.line, f"duplicate \\label{{{label}}}, first defined at "
                         f"{ctx.location(targets[label].line)}", kind="math",
                         hint="give each equation its own label")
                continue
            if number is None:
                hint = ("numbering is off for this site (plugins.math.numbering); add \\tag{...}"
                        if row.numbered else
                        "use a numbered environment such as \\begin{equation}, or add \\tag{...}")
                ctx.warn(formula.line, f"\\label{{{label}}} is on an equation without a number; "
                         "references to it show (??)", kind="math", hint=hint)
            row_id = row_id or _unique_id(label_id(label), targets)
            targets[label] = _Target(row_id, number or "", formula.line)
        formula.numbers.append(number)
        formula.ids.append(row_id)
    return counter


def _unique_id(candidate: str, targets: Mapping[str, _Target]) -> str:
    taken = {target.id for target in targets.values()}
    suffix = 2
    unique = candidate
    while unique in taken:
        unique = f"{candidate}-{suffix}"
        suffix += 1
    return unique


def _resolve_references(ctx: RenderContext, formula: _Formula, tokens: Sequence[str],
                        targets: Mapping[str, _Target]) -> list[str]:
    """``\\eqref{x}`` -> ``\\@ref{id}{(3)}``, ``\\ref{x}`` -> ``\\@ref{id}{3}``."""
    resolved: list[str] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token not in (r"\eqref", r"\ref"):
            resolved.append(token)
            index += 1
            continue
        argument, index = read_argument(tokens, index + 1)
        label = group_text(argument)
        target = targets.get(label)
        if target is None:
            ctx.warn(formula.line, f"\\{token[1:]}{{{label}}}: no equation has this label",
                     kind="math", hint=f"add \\label{{{label}}} to the equation, or fix the name")
            resolved += [r"\text", "{", "(??)" if token == r"\eqref" else "??", "}"]
            continue
        shown = target.number or "(??)"  # the label's equation has no number (warned above)
        number = shown if token == r"\eqref" else shown.strip("()")
        if formula.token.meta.get("in_link"):  # a link inside a link's text is not HTML
            resolved += [r"\text", "{", *number, "}"]
        else:
            resolved += [REFERENCE_COMMAND, "{", target.id, "}", "{", *number, "}"]
    return resolved


def _lone_reference(formula: _Formula, targets: Mapping[str, _Target]) -> str | None:
    """``$\\eqref{x}$`` alone is a link in the prose, not math: an HTML ``<a>`` (inside
    ``<math>`` a link is not reachable as one by assistive technology)."""
    tokens = [token for token in formula.tokens if token.strip()]
    if formula.display or len(tokens) < 3 or tokens[0] not in (r"\eqref", r"\ref"):
        return None
    argument, end = read_argument(tokens, 1)
    target = targets.get(group_text(argument))
    if end != len(tokens) or target is None or not target.number:
        return None
    text = target.number if tokens[0] == r"\eqref" else target.number.strip("()")
    return _reference_html(formula, target, text)


def _quarto_reference(ctx: RenderContext, formula: _Formula, prefix: str,
                      targets: Mapping[str, _Target]) -> str:
    """``@eq-name`` as Quarto shows it: "Equation 3", linked; "?@eq-name" when nothing has it."""
    written = formula.token.meta["written"]
    label = written[written.index("@") + 1:].rstrip("]")
    target = targets.get(label)
    if target is None or not target.number:
        ctx.warn(formula.line, f"{written}: no equation has the label {{#{label}}}", kind="math",
                 hint=f"write {{#{label}}} after the equation's closing $$, or fix the name")
        return f'<strong class="math-ref-missing">?@{escapeHtml(label)}</strong>'
    return _reference_html(formula, target, prefix + target.number.strip("()"))


def _reference_html(formula: _Formula, target: _Target, text: str) -> str:
    if formula.token.meta.get("in_link"):  # a link inside a link's text is not HTML
        return f'<span class="math-ref">{escapeHtml(text)}</span>'
    return f'<a class="math-ref" href="#{escapeHtml(target.id)}">{escapeHtml(text)}</a>'


def _convert(ctx: RenderContext, formula: _Formula, targets: Mapping[str, _Target]) -> None:
    if (prefix := formula.token.meta.get("reference_prefix")) is not None:
        formula.token.meta["html"] = _quarto_reference(ctx, formula, prefix, targets)
        return
    if (link := _lone_reference(formula, targets)) is not None:
        formula.token.meta["html"] = link
        return
    numbered = False
    try:
        if formula.equation is not None:
            equation = replace(formula.equation, rows=tuple(
                replace(row, tokens=tuple(_resolve_references(ctx, formula, row.tokens, targets)))
                for row in formula.equation.rows))
            rendered = render_equation(equation, formula.numbers, formula.ids)
            markup, unsupported, numbered = rendered.markup, rendered.unsupported, rendered.numbered
        else:
            resolved = _resolve_references(ctx, formula, formula.tokens, targets)
            converted = convert_tex(serialize(resolved), formula.display)
            markup, unsupported = converted.markup, converted.unsupported
    except TexError as error:
        _fail(ctx, formula, error)
        return
    except RecursionError:  # structure nested deeper than Python's stack, within the brace limit
        _fail(ctx, formula, TexError("the formula is nested too deeply to convert",
                                     "split it, or flatten nested environments and groups"))
        return
    if unsupported:
        ctx.warn(formula.line, f"unsupported TeX {', '.join(unsupported)} in {_excerpt(formula.tex)}",
                 kind="math", hint="docs/math.md lists what is supported; define missing commands "
                 "with \\newcommand or plugins.math.macros. The page shows the rest of the formula")
    html = math_element(markup, formula.tex, display=formula.display,
                        extra_class="math-numbered" if numbered else "")
    if formula.token.type == "math_block":
        # tabindex: a wide equation scrolls in its box, and a keyboard must be able to scroll it
        html = f'<div class="math-display" tabindex="0">{html}</div>\n'
    formula.token.meta["html"] = html


def _fail(ctx: RenderContext, formula: _Formula, error: TexError) -> None:
    ctx.warn(formula.line, f"{error.message} in {_excerpt(formula.tex)}", kind="math",
             hint=error.hint or "fix the TeX; the page shows it as text meanwhile")
    opening = formula.token.markup if formula.token.markup != "\\begin" else ""
    closing = {"\\(": "\\)", "\\[": "\\]"}.get(opening, opening)
    source = escapeHtml(f"{opening}{formula.tex}{closing}")
    if formula.token.type == "math_block":
        formula.token.meta["html"] = (f'<div class="math-display math-error"><pre><code>{source}'
                                      f"</code></pre></div>\n")
    else:
        formula.token.meta["html"] = f'<code class="math-error">{source}</code>'


def _excerpt(tex: str, limit: int = 80) -> str:
    flat = " ".join(tex.split())
    return f"'{flat if len(flat) <= limit else flat[:limit - 1] + '…'}'"
