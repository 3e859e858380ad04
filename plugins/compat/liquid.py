"""Jekyll's Liquid in posts: variables, URL filters, post links, highlight, raw and includes.

Why not a Liquid engine: a template engine renders a whole document and stops at the first tag
it does not know, while a post being migrated needs the opposite: evaluate what maps onto
Stride, warn about the rest with ``file:line`` and remove it, leave code, math and other
plugins' tags (`{% tikz %}`) untouched, and keep every line where it was so later warnings
still point into the author's file. So this module is a small, position-aware evaluator of
the subset of Liquid that posts use (variables, filters, `assign`, `capture`, Jekyll's tags);
control flow (`if`, `for`) is reported as not carried over.

It runs as a core rule right after "normalize", rewriting ``state.src`` before block parsing,
which is also when Jekyll runs Liquid.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import operator
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import quote

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore

from generator.context import RenderContext, render_context

from . import sitepaths
from .citations import CITATION_KIND, bibliography_marker, nocite_marker, reference_marker
from .includes import INCLUDE_KIND, IncludeStore, include_block, include_store, too_deep
from .regions import LineIndex, LinePreservingEdits, Regions, find_regions, shield_braces
from .toc import TOC_MARKER, add_toc

LIQUID_KIND = "liquid"

# `{% tag markup %}` and `{{ expression }}`, never across a blank line; `{{<` and `{{%` are Hugo's.
_LIQUID = re.compile(
    # markup never holds `{%` and an output never holds `{{`: an unclosed one is abandoned at the
    # next opening, which keeps the scan linear in the post's length
    r"(?<!\{)\{%-?[ \t]*(?P<tag>[A-Za-z_]\w*|#)"
    r"(?P<markup>(?:[^%{\n]|\n(?![ \t]*\n)|\{(?!%)|%(?!\}))*?)-?%\}"
    r"|\{\{(?![<%])-?(?P<output>(?:[^{}\n]|\n(?![ \t]*\n)|\{(?!\{)|\}(?!\}))*?)-?\}\}")
# `{% include x.html caption="A" alt='B' url=page.image %}`: quoted values are text, others Liquid
_INCLUDE_PARAMETER = re.compile(
    r"""(?P<name>[\w-]+)\s*=\s*(?:"(?P<double>[^"]*)"|'(?P<single>[^']*)'|(?P<expression>\S+))""")
# A block-level include stands alone on its line; it becomes this marker, parsed by a block rule.
# Evaluated: `if`/`unless` with `elsif`/`else`. Not carried over (reported, tags removed, the
# text kept): loops and the rest.
_CONTROL_FLOW = frozenset({"case", "for", "tablerow", "ifchanged", "cycle", "increment",
                           "decrement"})
_CONTROL_FLOW_CONTINUATIONS = frozenset({
    "when", "break", "continue", "endcase", "endfor", "endtablerow", "endifchanged"})
_CONDITIONALS = ("if", "unless")
_CITE_KEY = re.compile(r"\w[\w:.#$%&+?<>~/-]*")


class LiquidSyntaxError(ValueError):
    """An expression the evaluator cannot read; reported as a warning at the tag's line."""


@dataclass(frozen=True)
class _Undefined:
    """A variable that does not exist: renders as "" (as in Jekyll) after a warning."""

    name: str


# ----------------------------------------------------------------------------------------------
# Expressions: `site.baseurl`, `'/assets/x.png' | relative_url`, `page.date | date: "%Y"`
# ----------------------------------------------------------------------------------------------
_EXPRESSION_TOKEN = re.compile(
    r"""\s*(?:(?P<string>"[^"]*"|'[^']*')|(?P<number>-?\d+(?:\.\d+)?(?![\w.]))"""
    r"""|(?P<name>[A-Za-z_][\w-]*\??)|(?P<punct>==|!=|<>|>=|<=|\.\.|[<>.\[\]|:,()]))""")


@dataclass(frozen=True)
class _Literal:
    value: Any


@dataclass(frozen=True)
class _Path:
    """A variable lookup: ``site.data["x"][0]``; a part is a str key, an int index or a _Path."""

    parts: tuple[Any, ...]


@dataclass(frozen=True)
class _Filter:
    name: str
    arguments: tuple[_Literal | _Path, ...]


@dataclass(frozen=True)
class Expression:
    """A parsed Liquid output expression: a value and the filters applied to it in order."""

    value: _Literal | _Path
    filters: tuple[_Filter, ...] = ()


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _EXPRESSION_TOKEN.match(text, position)
        if not match or match.end() == position:
            raise LiquidSyntaxError(f"unexpected `{text[position:].strip()[:20]}`")
        kind = match.lastgroup or "punct"
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


def parse_expression(text: str) -> Expression:
    """Parse a Liquid output expression; raises LiquidSyntaxError."""
    tokens = _tokens(text)
    if not tokens:
        raise LiquidSyntaxError("empty expression")
    position, value = _parse_value(tokens, 0)
    filters = []
    while position < len(tokens):
        if tokens[position] != ("punct", "|"):
            raise LiquidSyntaxError(f"expected `|` before `{tokens[position][1]}`")
        if position + 1 >= len(tokens) or tokens[position + 1][0] != "name":
            raise LiquidSyntaxError("a filter name must follow `|`")
        name = tokens[position + 1][1]
        position += 2
        arguments = []
        if position < len(tokens) and tokens[position] == ("punct", ":"):
            position += 1
            while True:
                # keyword arguments (`truncate: 20, omission: "..."`) keep only their value
                if (position + 1 < len(tokens) and tokens[position][0] == "name"
                        and tokens[position + 1] == ("punct", ":")):
                    position += 2
                position, argument = _parse_value(tokens, position)
                arguments.append(argument)
                if position < len(tokens) and tokens[position] == ("punct", ","):
                    position += 1
                    continue
                break
        filters.append(_Filter(name, tuple(arguments)))
    return Expression(value, tuple(filters))


def _parse_value(tokens: list[tuple[str, str]], position: int) -> tuple[int, _Literal | _Path]:
    if position >= len(tokens):
        raise LiquidSyntaxError("a value is missing")
    kind, text = tokens[position]
    if kind == "string":
        return position + 1, _Literal(text[1:-1])
    if kind == "number":
        return position + 1, _Literal(float(text) if "." in text else int(text))
    if kind == "name" and text in ("true", "false", "nil", "null"):
        return position + 1, _Literal({"true": True, "false": False}.get(text))
    if kind == "name" and text in ("empty", "blank"):
        return position + 1, _Literal(_EMPTY)
    if kind != "name":
        raise LiquidSyntaxError(f"unexpected `{text}`")
    parts: list[Any] = [text]
    position += 1
    while position < len(tokens):
        if tokens[position] == ("punct", ".") and position + 1 < len(tokens) \
                and tokens[position + 1][0] == "name":
            parts.append(tokens[position + 1][1])
            position += 2
        elif tokens[position] == ("punct", "["):
            position, key = _parse_value(tokens, position + 1)
            if position >= len(tokens) or tokens[position] != ("punct", "]"):
                raise LiquidSyntaxError("`[` without `]`")
            parts.append(key.value if isinstance(key, _Literal) else key)
            position += 1
        else:
            break
    return position, _Path(tuple(parts))


class _Empty:
    """Liquid's ``empty`` and ``blank``: equal to "", [] and {} (``blank`` also to nil)."""


_EMPTY = _Empty()
_COMPARISONS = ("==", "!=", "<>", ">=", "<=", "<", ">", "contains")
_ORDERINGS = {"<": operator.lt, ">": operator.gt, "<=": operator.le, ">=": operator.ge}


@dataclass(frozen=True)
class _Comparison:
    left: _Literal | _Path
    operator: str | None = None
    right: _Literal | _Path | None = None


@dataclass(frozen=True)
class Condition:
    """``a == 1 and b or c``: comparisons joined by ``and``/``or``, which Liquid groups from
    the right (``a or b and c`` is ``a or (b and c)``)."""

    comparisons: tuple[_Comparison, ...]
    joiners: tuple[str, ...] = ()


def parse_condition(text: str) -> Condition:
    """Parse the condition of ``{% if %}``/``{% unless %}``; raises LiquidSyntaxError."""
    tokens = _tokens(text)
    if not tokens:
        raise LiquidSyntaxError("empty condition")
    comparisons = []
    joiners = []
    position = 0
    while True:
        position, left = _parse_value(tokens, position)
        if position < len(tokens) and tokens[position][1] in _COMPARISONS:
            operator = tokens[position][1]
            position, right = _parse_value(tokens, position + 1)
            comparisons.append(_Comparison(left, operator, right))
        else:
            comparisons.append(_Comparison(left))
        if position == len(tokens):
            return Condition(tuple(comparisons), tuple(joiners))
        if tokens[position] not in (("name", "and"), ("name", "or")):
            raise LiquidSyntaxError(f"expected `and` or `or` before `{tokens[position][1]}`")
        joiners.append(tokens[position][1])
        position += 1


# ----------------------------------------------------------------------------------------------
# Filters: Jekyll's URL filters and the string/date filters posts commonly use.
# ----------------------------------------------------------------------------------------------
FilterFunction = Callable[["_Evaluation", Any, list[Any]], Any]


def _text(value: Any) -> str:
    if value is None or isinstance(value, _Undefined):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "".join(_text(item) for item in value)
    return str(value)


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, (dt.date, dt.datetime)):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text in ("now", "today"):
            return dt.datetime.now(dt.timezone.utc)
        try:
            return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def _date(evaluation: _Evaluation, value: Any, arguments: list[Any]) -> str:
    date = _as_date(value)
    if date is None or not arguments:
        return _text(value)
    return date.strftime(_text(arguments[0]))


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


FILTERS: dict[str, FilterFunction] = {
    "relative_url": lambda e, v, a: sitepaths.relative_url_filter(e.ctx, _text(v)),
    "absolute_url": lambda e, v, a: sitepaths.absolute_url(
        e.ctx, sitepaths.relative_url_filter(e.ctx, _text(v))),
    "prepend": lambda e, v, a: _text(a[0] if a else "") + _text(v),
    "append": lambda e, v, a: _text(v) + _text(a[0] if a else ""),
    "default": lambda e, v, a: v if v not in (None, "", False) and not isinstance(v, _Undefined)
    else (a[0] if a else ""),
    "downcase": lambda e, v, a: _text(v).lower(),
    "upcase": lambda e, v, a: _text(v).upper(),
    "capitalize": lambda e, v, a: _text(v).capitalize(),
    "strip": lambda e, v, a: _text(v).strip(),
    "escape": lambda e, v, a: html.escape(_text(v)),
    "xml_escape": lambda e, v, a: html.escape(_text(v)),
    "cgi_escape": lambda e, v, a: quote(_text(v), safe=""),
    "uri_escape": lambda e, v, a: quote(_text(v), safe="/:?#[]@!$&'()*+,;="),
    "url_encode": lambda e, v, a: quote(_text(v), safe=""),
    "replace": lambda e, v, a: _text(v).replace(_text(a[0]), _text(a[1])) if len(a) > 1
    else _text(v),
    "remove": lambda e, v, a: _text(v).replace(_text(a[0]), "") if a else _text(v),
    "slugify": lambda e, v, a: _slugify(_text(v)),
    "date": _date,
    "date_to_string": lambda e, v, a: _date(e, v, ["%d %b %Y"]),
    "date_to_long_string": lambda e, v, a: _date(e, v, ["%d %B %Y"]),
    "date_to_xmlschema": lambda e, v, a: _date(e, v, ["%Y-%m-%dT%H:%M:%S%z"]),
    "jsonify": lambda e, v, a: json.dumps(None if isinstance(v, _Undefined) else v, default=str),
    "size": lambda e, v, a: len(v) if isinstance(v, (str, list, tuple, dict)) else 0,
    "join": lambda e, v, a: _text(a[0] if a else " ").join(_text(i) for i in v)
    if isinstance(v, (list, tuple)) else _text(v),
    "first": lambda e, v, a: v[0] if isinstance(v, (list, tuple, str)) and v else None,
    "last": lambda e, v, a: v[-1] if isinstance(v, (list, tuple, str)) and v else None,
    # The text is Markdown already: it is parsed with the rest of the post.
    "markdownify": lambda e, v, a: _text(v),
    "number_of_words": lambda e, v, a: len(_text(v).split()),
}


@dataclass(frozen=True)
class _Evaluation:
    """What evaluating one expression may read and where its warnings go."""

    ctx: RenderContext
    scope: dict[str, Any]
    report: Callable[[str, str], None]  # (message, hint) at the tag's place

    def lookup(self, path: _Path) -> Any:
        value: Any = self.scope
        walked: list[str] = []
        for part in path.parts:
            if isinstance(part, _Path):
                part = self.lookup(part)
            walked.append(str(part))
            if isinstance(value, dict) and part in value:
                value = value[part]
            elif (isinstance(value, (list, tuple)) and isinstance(part, int)
                  and -len(value) <= part < len(value)):
                value = value[part]
            elif part == "size" and isinstance(value, (list, tuple, dict, str)):
                value = len(value)
            else:
                return _Undefined(".".join(walked))
        return value

    def test(self, condition: Condition) -> bool:
        """Liquid truth: everything is true but nil and false; undefined is nil."""
        results = [self._compare(comparison) for comparison in condition.comparisons]
        value = results[-1]
        for joiner, left in zip(reversed(condition.joiners), reversed(results[:-1])):
            value = (left and value) if joiner == "and" else (left or value)
        return value

    def _value(self, operand: _Literal | _Path) -> Any:
        value = operand.value if isinstance(operand, _Literal) else self.lookup(operand)
        return None if isinstance(value, _Undefined) else value

    def _compare(self, comparison: _Comparison) -> bool:
        left = self._value(comparison.left)
        if comparison.operator is None or comparison.right is None:
            return left is not None and left is not False
        right = self._value(comparison.right)
        if _EMPTY in (left, right):
            other = right if left is _EMPTY else left
            equal = other in ("", [], {}, ()) or other is None
            return equal if comparison.operator == "==" else not equal
        if comparison.operator == "==":
            return left == right
        if comparison.operator in ("!=", "<>"):
            return left != right
        if comparison.operator == "contains":
            return isinstance(left, (str, list, tuple, dict)) and right is not None \
                and (str(right) in left if isinstance(left, str) else right in left)
        try:
            return _ORDERINGS[comparison.operator](left, right)
        except TypeError:  # Liquid compares unlike types as false
            return False

    def evaluate(self, expression: Expression) -> Any:
        value = expression.value.value if isinstance(expression.value, _Literal) \
            else self.lookup(expression.value)
        defaulted = any(applied.name == "default" for applied in expression.filters)
        if isinstance(value, _Undefined) and not defaulted:
            self.report(f"`{value.name}` is not defined; it is left empty",
                        "set it in the post's frontmatter or the site's [site] table, "
                        "or remove it")
        for applied in expression.filters:
            arguments = [a.value if isinstance(a, _Literal) else self.lookup(a)
                         for a in applied.arguments]
            function = FILTERS.get(applied.name)
            if function is None:
                self.report(f"the Liquid filter `{applied.name}` is not supported; "
                            "the value is used unfiltered", "remove the filter")
                continue
            try:
                value = function(self, value, arguments)
            except (TypeError, ValueError, IndexError, KeyError) as error:
                self.report(f"the filter `{applied.name}` failed: {error}",
                            "check the filter's arguments")
        return value


# ----------------------------------------------------------------------------------------------
# The source pass
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Branch:
    """An open ``{% if %}``/``{% unless %}``: whether one of its branches was shown, and where
    the text being dropped (a branch not shown) started."""

    tag: str
    opened_at: int
    taken: bool
    keep_every_branch: bool  # the condition could not be read: no text is dropped
    dropping_from: int | None


@dataclass(frozen=True)
class LiquidOptions:
    includes_dir: str | None
    passthrough_tags: frozenset[str]


class _Renderer:
    """One pass over a source (a post's body, or an included file's text)."""

    def __init__(self, source: str, ctx: RenderContext, options: LiquidOptions,
                 store: IncludeStore, scope: dict[str, Any], *, depth: int = 0,
                 report_line: int | None = None, origin: str = "") -> None:
        self.source = source
        self.ctx = ctx
        self.options = options
        self.store = store
        self.scope = scope
        self.depth = depth
        self.report_line = report_line  # set for an included file: warnings go to the include
        self.origin = origin
        self.edits = LinePreservingEdits(source)
        self.lines = LineIndex(source)
        self.branches: list[_Branch] = []  # the open `{% if %}`s, innermost last
        self.nested_in_dropped = 0  # `{% if %}`s opened inside text being dropped

    @cached_property
    def regions(self) -> Regions:
        """Found on the first tag: most posts have none and skip this second parse."""
        return find_regions(self.source)

    # -- reporting -----------------------------------------------------------------------------
    def line(self, position: int) -> int:
        return self.report_line if self.report_line is not None else self.lines.line(position)

    def warn(self, position: int, message: str, hint: str, kind: str = LIQUID_KIND) -> None:
        column = 0 if self.report_line is not None else self.lines.column(position)
        prefix = f"in {self.origin}: " if self.origin else ""
        self.ctx.warn(self.line(position), prefix + message, hint=hint, kind=kind, column=column)

    # -- the pass ------------------------------------------------------------------------------
    def render(self) -> str:
        position: int | None = 0
        while position is not None:
            while (match := _LIQUID.search(self.source, position)) is not None:
                position = self._handle(match)
            position = self._close_unclosed_branches()
        rendered = self.edits.apply()
        if self.edits.moved_lines and self.report_line is None:
            self.ctx.line_maps.append(self.edits.original_line)
        return rendered

    def _handle(self, match: re.Match[str]) -> int:
        start = match.start()
        tag = match.group("tag")
        if self.regions.code_at(start) is not None:
            # Code shows Liquid as written; only the markers that asked Jekyll to do so go.
            if tag in ("raw", "endraw"):
                self.edits.replace(start, match.end(), "")
            return match.end()
        if self.branches and self.branches[-1].dropping_from is not None:
            return self._while_dropping(match)
        if tag is None:
            if self.regions.math_at(start) is not None:
                return start + 2  # TeX's {{x}}, not Liquid
            return self._output(match)
        if tag == "#":  # Liquid 5's inline comment
            self.edits.replace(start, match.end(), "")
            return match.end()
        base = tag[3:] if tag.startswith("end") else tag
        if tag in self.options.passthrough_tags or base in self.options.passthrough_tags:
            return match.end()
        # each supported tag NAME is a `_tag_NAME` method (as `ast.NodeVisitor` dispatches
        # `visit_NAME`), so supporting one more tag is adding one method
        handler = getattr(self, f"_tag_{tag}", None)
        if handler is not None:
            return handler(match, match.group("markup").strip())
        # `else`, `endif`... go silently: their block was reported at the tag that opened it
        if tag in _CONTROL_FLOW:
            self.warn(start, f"Liquid control flow `{{% {tag} %}}` is not carried over; the tag is "
                             "removed and the text it guarded is kept",
                      "keep the text you want shown and delete the tags")
        elif tag.startswith("end") and base in ("raw", "comment", "highlight", "capture"):
            self.warn(start, f"`{{% {tag} %}}` has no opening `{{% {base} %}}`; it is removed",
                      "delete it")
        elif tag not in _CONTROL_FLOW_CONTINUATIONS:
            self.warn(start, f"the Liquid tag `{{% {tag} %}}` is not supported; it is removed",
                      "replace it with Markdown or HTML, or delete it")
        self.edits.replace(start, match.end(), "")
        return match.end()

    # -- conditionals ---------------------------------------------------------------------------
    def _close_unclosed_branches(self) -> int | None:
        """Report the ``{% if %}``s never closed and keep their text. A branch that was being
        dropped is scanned again from where the dropping began (nothing there was touched),
        so its Liquid is evaluated like the rest; returns that position, or None when done."""
        for branch in self.branches:
            self.warn(branch.opened_at, f"`{{% {branch.tag} %}}` has no `{{% end{branch.tag} %}}`; "
                                        "the text after it is kept",
                      f"close it with `{{% end{branch.tag} %}}`")
        resume = self.branches[-1].dropping_from if self.branches else None
        self.branches.clear()
        self.nested_in_dropped = 0
        return resume

    def _while_dropping(self, match: re.Match[str]) -> int:
        """Inside a branch not taken nothing is evaluated or reported; only the tags that end
        the branch, and the nesting of other conditionals, count."""
        tag = match.group("tag")
        if tag in ("raw", "comment"):
            end = self._find_end(match, "end" + tag)
            return end.end() if end else match.end()
        if tag in _CONDITIONALS:
            self.nested_in_dropped += 1
        elif tag in ("endif", "endunless") and self.nested_in_dropped:
            self.nested_in_dropped -= 1
        elif tag in ("elsif", "else", "endif", "endunless") and not self.nested_in_dropped:
            return getattr(self, f"_tag_{tag}")(match, match.group("markup").strip())
        return match.end()

    def _condition(self, match: re.Match[str], markup: str) -> bool | None:
        """The condition's truth, or None (after a warning) when it cannot be read."""
        try:
            condition = parse_condition(markup)
        except LiquidSyntaxError as error:
            self.warn(match.start(), f"`{{% {match.group('tag')} {markup} %}}`: the condition "
                                     f"cannot be read ({error}); the text of every branch is kept",
                      "simplify the condition, or keep only the text you want")
            return None
        return _Evaluation(self.ctx, self.scope, lambda message, hint: self.warn(
            match.start(), message, hint)).test(condition)

    def _open_branch(self, match: re.Match[str], holds: bool | None) -> int:
        self.edits.replace(match.start(), match.end(), "")
        self.branches.append(_Branch(match.group("tag"), match.start(), taken=holds is not False,
                                     keep_every_branch=holds is None,
                                     dropping_from=match.end() if holds is False else None))
        return match.end()

    def _tag_if(self, match: re.Match[str], markup: str) -> int:
        return self._open_branch(match, self._condition(match, markup))

    def _tag_unless(self, match: re.Match[str], markup: str) -> int:
        holds = self._condition(match, markup)
        return self._open_branch(match, None if holds is None else not holds)

    def _next_branch(self, match: re.Match[str], holds: Callable[[], bool | None]) -> int:
        """``elsif`` and ``else``: the branch before ends; this one is taken when none was and
        ``holds()``."""
        if not self.branches:
            self.warn(match.start(), f"`{{% {match.group('tag')} %}}` outside `{{% if %}}`; it is "
                                     "removed", "delete it")
            self.edits.replace(match.start(), match.end(), "")
            return match.end()
        branch = self.branches[-1]
        if branch.keep_every_branch:
            self.edits.replace(match.start(), match.end(), "")
        elif branch.dropping_from is None:  # the branch before was shown: drop from here
            self.branches[-1] = replace(branch, dropping_from=match.start())
        elif not branch.taken and holds():
            self.edits.replace(branch.dropping_from, match.end(), "")
            self.branches[-1] = replace(branch, taken=True, dropping_from=None)
        return match.end()

    def _tag_elsif(self, match: re.Match[str], markup: str) -> int:
        return self._next_branch(match, lambda: self._condition(match, markup))

    def _tag_else(self, match: re.Match[str], markup: str) -> int:
        return self._next_branch(match, lambda: True)

    def _tag_endif(self, match: re.Match[str], markup: str) -> int:
        if not self.branches:
            self.warn(match.start(), f"`{{% {match.group('tag')} %}}` has no opening tag; it is "
                                     "removed", "delete it")
            self.edits.replace(match.start(), match.end(), "")
            return match.end()
        branch = self.branches.pop()
        dropped_from = branch.dropping_from if branch.dropping_from is not None else match.start()
        self.edits.replace(dropped_from, match.end(), "")
        return match.end()

    _tag_endunless = _tag_endif

    # -- outputs ---------------------------------------------------------------------------------
    def _output(self, match: re.Match[str]) -> int:
        start = match.start()
        text = match.group("output")
        # `{{ site.baseurl }}{% post_url x %}` is Jekyll 3's idiom; post_url already adds the base.
        if re.fullmatch(r"\s*site\.baseurl\s*", text) and re.match(
                r"\{%-?\s*(post_url|link)\b", self.source[match.end():match.end() + 20]):
            self.edits.replace(start, match.end(), "")
            return match.end()
        value = self._evaluate(start, text)
        self.edits.replace(start, match.end(), _text(value).replace("\n", " "))
        return match.end()

    def _evaluate(self, position: int, text: str) -> Any:
        try:
            expression = parse_expression(text)
        except LiquidSyntaxError as error:
            self.warn(position, f"`{{{{{text}}}}}` is not a Liquid expression Stride reads "
                                f"({error}); it is removed",
                      "write the value out, or wrap text meant literally in {% raw %}...{% endraw %}")
            return ""
        evaluation = _Evaluation(self.ctx, self.scope,
                                 lambda message, hint: self.warn(position, message, hint))
        return evaluation.evaluate(expression)

    def _find_end(self, match: re.Match[str], name: str) -> re.Match[str] | None:
        return re.compile(r"\{%-?\s*" + name + r"\s*-?%\}").search(self.source, match.end())

    # -- tags ----------------------------------------------------------------------------------
    def _tag_raw(self, match: re.Match[str], markup: str) -> int:
        end = self._find_end(match, "endraw")
        if end is None:
            self.warn(match.start(), "`{% raw %}` has no `{% endraw %}`; the tag is removed",
                      "add `{% endraw %}` where the literal text ends")
            self.edits.replace(match.start(), match.end(), "")
            return match.end()
        self.edits.replace(match.start(), end.end(),
                           shield_braces(self.source[match.end():end.start()]))
        return end.end()

    def _tag_comment(self, match: re.Match[str], markup: str) -> int:
        end = self._find_end(match, "endcomment")
        stop = end.end() if end else match.end()
        if end is None:
            self.warn(match.start(), "`{% comment %}` has no `{% endcomment %}`; the tag is removed",
                      "add `{% endcomment %}`")
        self.edits.replace(match.start(), stop, "")
        return stop

    def _tag_assign(self, match: re.Match[str], markup: str) -> int:
        name, equals, expression = markup.partition("=")
        if not equals or not re.fullmatch(r"[A-Za-z_][\w-]*", name.strip()):
            self.warn(match.start(), f"`{{% assign {markup} %}}` is not `assign name = value`",
                      "write `{% assign name = value %}`")
        else:
            self.scope[name.strip()] = self._evaluate(match.start(), expression)
        self.edits.replace(match.start(), match.end(), "")
        return match.end()

    def _tag_capture(self, match: re.Match[str], markup: str) -> int:
        end = self._find_end(match, "endcapture")
        if end is None:
            self.warn(match.start(), "`{% capture %}` has no `{% endcapture %}`; the tag is removed",
                      "add `{% endcapture %}`")
            self.edits.replace(match.start(), match.end(), "")
            return match.end()
        captured = _Renderer(self.source[match.end():end.start()], self.ctx, self.options,
                             self.store, self.scope, depth=self.depth,
                             report_line=self.line(match.start()), origin=self.origin).render()
        self.scope[markup.split()[0] if markup else "_"] = captured.strip()
        self.edits.replace(match.start(), end.end(), "")
        return end.end()

    def _tag_post_url(self, match: re.Match[str], markup: str) -> int:
        url = sitepaths.lookup_post(self.ctx, markup)
        if url is None:
            self.warn(match.start(), f"`{{% post_url {markup} %}}`: no post `{markup}`",
                      "check the file name (YYYY-MM-DD-title, without .md) against content/posts/",
                      kind=sitepaths.LINK_KIND)
        self.edits.replace(match.start(), match.end(), url or "")
        return match.end()

    def _tag_link(self, match: re.Match[str], markup: str) -> int:
        url = sitepaths.lookup_post(self.ctx, markup) or sitepaths.lookup_file(self.ctx, markup)
        if url is None:
            self.warn(match.start(), f"`{{% link {markup} %}}`: no post or file `{markup}`",
                      "give the path from the site folder, e.g. _posts/2020-04-07-title.md",
                      kind=sitepaths.LINK_KIND)
        self.edits.replace(match.start(), match.end(), url or "")
        return match.end()

    def _tag_youtube(self, match: re.Match[str], markup: str) -> int:
        """jekyll-youtube and jekyll-embed-video's ``{% youtube ID %}`` (or a URL)."""
        video = markup.split()[0].strip("\"'") if markup.split() else ""
        url = video if video.startswith(("https://", "http://")) else \
            video and f"https://www.youtube.com/watch?v={quote(video)}"
        return self._embedded_as_link(match, "youtube", url, "Video on YouTube")

    def _tag_vimeo(self, match: re.Match[str], markup: str) -> int:
        """jekyll-embed-video's ``{% vimeo ID %}``."""
        video = markup.split()[0].strip("\"'") if markup.split() else ""
        url = video if video.startswith(("https://", "http://")) else \
            video and f"https://vimeo.com/{quote(video)}"
        return self._embedded_as_link(match, "vimeo", url, "Video on Vimeo")

    def _tag_gist(self, match: re.Match[str], markup: str) -> int:
        """jekyll-gist's ``{% gist USER/ID [file] %}`` (or ``{% gist ID %}``)."""
        words = markup.split()
        gist = words[0].strip("\"'") if words else ""
        file = words[1].strip("\"'") if len(words) > 1 else ""
        return self._embedded_as_link(match, "gist", gist and f"https://gist.github.com/"
                                      f"{quote(gist)}", f"Gist {file or gist.split('/')[-1]}")

    def _embedded_as_link(self, match: re.Match[str], tag: str, url: str, title: str) -> int:
        return sitepaths.embed_as_link(self.warn, self.edits, match.span(), f"{{% {tag} %}}", url,
                                       title, f"write {{% {tag} ID %}}")

    def _tag_highlight(self, match: re.Match[str], markup: str) -> int:
        end = self._find_end(match, "endhighlight")
        if end is None:
            self.warn(match.start(), "`{% highlight %}` has no `{% endhighlight %}`; the tag is "
                                     "removed", "add `{% endhighlight %}` after the code")
            self.edits.replace(match.start(), match.end(), "")
            return match.end()
        words = markup.split(None, 1)
        language = words[0] if words else ""
        options = words[1] if len(words) > 1 else ""
        lines_spec = re.search(r'hl_lines\s*=\s*["\']([^"\']*)["\']', options)
        first = re.search(r"linenostart\s*=\s*(\d+)", options)
        info = sitepaths.fence_info(
            language, line_numbers=bool(re.search(r"\blinenos\b", options)),
            highlighted_lines=sitepaths.line_numbers_spec(lines_spec.group(1)) if lines_spec else (),
            first_line=int(first.group(1)) if first else None)
        self._fence(match.start(), match.end(), end.start(), end.end(), info)
        return end.end()

    def _fence(self, open_start: int, open_end: int, close_start: int, close_end: int,
               info: str) -> None:
        """Turn a paired code tag into a fenced code block, keeping the body byte for byte
        (except `{% raw %}` markers, whose only purpose was to stop Jekyll evaluating it)."""
        code = re.sub(r"\{%-?\s*(end)?raw\s*-?%\}", "", self.source[open_end:close_start])
        block = sitepaths.fenced_block(self.source, open_start, close_end, code, info)
        start = open_start
        if block.count("\n") > self.source.count("\n", open_start, close_end):
            # The fence needs more lines than the tags took (`{% highlight %}x{% endhighlight %}`
            # on one line, or opened after text): it is parsed from the store where a one-line
            # marker stands (with the text before it on its line, when no other edit touched
            # that text), and what followed the tags on their last line stays there, so no
            # later line moves.
            start = sitepaths.block_start(self.source, open_start)
            if self.edits.touches(start, open_start):
                start = open_start  # keep the fallback: lines shift, and the caller says so
            else:
                block = self.store.add((self.source[start:open_start] + block).strip("\n") + "\n")
        self.edits.replace(start, close_end, block)

    # -- jekyll-scholar ----------------------------------------------------------------------------
    def _tag_cite(self, match: re.Match[str], markup: str) -> int:
        """``{% cite a b --locator 3 %}`` becomes Pandoc's ``[@a, 3; @b]``, which the citations
        plugin resolves; ``-l``/``--locator`` apply to the keys in order, as in jekyll-scholar."""
        keys, locators = self._scholar_keys(match, markup, "cite")
        items = [f"@{key}" + (f", {locators[index]}" if index < len(locators) else "")
                 for index, key in enumerate(keys)]
        self.edits.replace(match.start(), match.end(), f"[{'; '.join(items)}]" if items else "")
        return match.end()

    def _tag_bibliography(self, match: re.Match[str], markup: str) -> int:
        """``{% bibliography %}`` (every work of the file) or ``--cited`` /
        ``--cited_in_order``: a line the citations plugin replaces with the list."""
        mode = "all"
        for word in markup.split():
            if word in ("--cited", "-c"):
                mode = "cited"
            elif word == "--cited_in_order":
                mode = "cited_in_order"
            else:
                self.warn(match.start(), f"`{{% bibliography %}}`: the option `{word}` is not "
                                         "supported; it is ignored",
                          "Stride lists the site's bibliography: every work, --cited or "
                          "--cited_in_order", kind=CITATION_KIND)
        if not sitepaths.stands_alone(self.source, match.start(), match.end()):
            self.warn(match.start(), "`{% bibliography %}` must stand on a line of its own; it is "
                                     "removed", "put it on its own line", kind=CITATION_KIND)
            self.edits.replace(match.start(), match.end(), "")
            return match.end()
        self.edits.replace(match.start(), match.end(), bibliography_marker(mode))
        return match.end()

    def _tag_reference(self, match: re.Match[str], markup: str) -> int:
        """``{% reference key %}``: the work's entry, formatted as in the references list, where
        the tag is; the work is not cited by it."""
        keys, _ = self._scholar_keys(match, markup, "reference")
        if len(keys) != 1:
            self.warn(match.start(), f"`{{% reference {markup} %}}` needs one citation key; it is "
                                     "removed", "write {% reference key %}", kind=CITATION_KIND)
            self.edits.replace(match.start(), match.end(), "")
            return match.end()
        self.edits.replace(match.start(), match.end(), reference_marker(keys[0]))
        return match.end()

    def _tag_nocite(self, match: re.Match[str], markup: str) -> int:
        """``{% nocite a b %}``: the works are in the references list, and nothing is shown."""
        keys, _ = self._scholar_keys(match, markup, "nocite")
        self.edits.replace(match.start(), match.end(), nocite_marker(keys) if keys else "")
        return match.end()

    def _scholar_keys(self, match: re.Match[str], markup: str, tag: str
                      ) -> tuple[list[str], list[str]]:
        """The citation keys of a jekyll-scholar tag, and the ``-l``/``--locator`` values of a
        ``{% cite %}`` (they apply to the keys in order); other options (``--file``) are
        reported."""
        keys: list[str] = []
        locators: list[str] = []
        words = markup.split()
        position = 0
        while position < len(words):
            word = words[position]
            if tag == "cite" and word in ("-l", "--locator") and position + 1 < len(words):
                locators.append(words[position + 1].strip("\"'"))
                position += 2
                continue
            if word.startswith("-"):
                self.warn(match.start(), f"`{{% {tag} %}}`: the option `{word}` is not supported; "
                                         "it is ignored", "the site's bibliography is used "
                                         "([plugins.compat] bibliography)", kind=CITATION_KIND)
                position += 2 if word in ("-f", "--file", "-L", "--label") else 1
                continue
            if _CITE_KEY.fullmatch(word):
                keys.append(word)
            else:
                self.warn(match.start(), f"`{{% {tag} {markup} %}}`: `{word}` is not a citation key",
                          "write the keys of the .bib file, separated by spaces",
                          kind=CITATION_KIND)
            position += 1
        return keys, locators

    def _tag_include(self, match: re.Match[str], markup: str) -> int:
        return self._include(match, markup, relative=False)

    def _tag_include_relative(self, match: re.Match[str], markup: str) -> int:
        return self._include(match, markup, relative=True)

    # jekyll-include-cache's tag: the same include, cached by Jekyll
    _tag_include_cached = _tag_include

    def _include(self, match: re.Match[str], markup: str, *, relative: bool) -> int:
        start = match.start()
        alone = sitepaths.stands_alone(self.source, start, match.end())
        if not relative and alone and self._theme_toc(markup.partition(" ")[0]):
            self.edits.replace(start, match.end(), TOC_MARKER)
            return match.end()
        text = self._included_text(start, markup, relative=relative)
        if text is None:
            replacement = ""
        elif alone:
            replacement = self.store.add(text)
        else:
            replacement = re.sub(r"\s*\n\s*", " ", text.strip())
        self.edits.replace(start, match.end(), replacement)
        return match.end()

    def _theme_toc(self, name: str) -> bool:
        """``{% include toc %}`` from a theme (minimal-mistakes and others) whose file was not
        copied: the post asked for a table of contents, which Stride makes itself."""
        if posixpath.splitext(name)[0] != "toc":
            return False
        folder = self._includes_dir()
        return folder is None or not (folder / name).is_file()

    def _included_text(self, start: int, markup: str, *, relative: bool) -> str | None:
        """The include's text with its own Liquid evaluated, or None after a warning."""
        tag = "include_relative" if relative else "include"
        name, _, parameters_text = markup.partition(" ")
        if not name or "{{" in name:
            self.warn(start, f"`{{% {tag} {markup} %}}`: Stride needs a plain file name",
                      "write the file name itself", kind=INCLUDE_KIND)
            return None
        if too_deep(self.depth, name, lambda message, hint: self.warn(
                start, message, hint, kind=INCLUDE_KIND)):
            return None
        path = self._include_path(start, name, relative=relative)
        if path is None:
            return None
        try:
            data = path.read_bytes()
            text = data.decode("utf-8")
        except (OSError, UnicodeDecodeError) as error:
            self.warn(start, f"cannot read the include `{name}`: {error}", "check the file",
                      kind=INCLUDE_KIND)
            return None
        self.ctx.add_dependency(str(path), hashlib.sha256(data).hexdigest())
        parameters = {}
        for parameter in _INCLUDE_PARAMETER.finditer(parameters_text):
            quoted = parameter.group("double") if parameter.group("double") is not None \
                else parameter.group("single")
            parameters[parameter.group("name")] = quoted if quoted is not None \
                else self._evaluate(start, parameter.group("expression"))
        scope = {**self.scope, "include": parameters}
        return _Renderer(text, self.ctx, self.options, self.store, scope, depth=self.depth + 1,
                         report_line=self.line(start),
                         origin=f"{'' if relative else '_includes/'}{name}").render()

    def _include_path(self, position: int, name: str, *, relative: bool) -> Path | None:
        if relative:
            folder = self.ctx.source_dir
            boundary = (self.ctx.site_root or self.ctx.source_dir).resolve()
        else:
            found = self._includes_dir()
            if found is None:
                self.warn(position, f"`{{% include {name} %}}`: this site has no _includes/ folder",
                          "copy your Jekyll _includes/ folder beside content/, or set "
                          "[plugins.compat] includes_dir", kind=INCLUDE_KIND)
                return None
            folder = boundary = found.resolve()
        path = (folder / name).resolve()
        if not path.is_relative_to(boundary):
            self.warn(position, f"the include `{name}` is outside {boundary.name}/",
                      "includes must stay inside the site folder", kind=INCLUDE_KIND)
            return None
        if not path.is_file():
            shown = "the post's folder" if relative else f"{folder.name}/"
            self.warn(position, f"the include `{name}` does not exist in {shown}",
                      "copy it there or remove the tag", kind=INCLUDE_KIND)
            return None
        return path

    def _includes_dir(self) -> Path | None:
        if self.options.includes_dir:
            configured = Path(self.options.includes_dir)
            if not configured.is_absolute() and self.ctx.site_root is not None:
                configured = self.ctx.site_root / configured
            return configured if configured.is_dir() else None
        if self.ctx.site_root is not None and (self.ctx.site_root / "_includes").is_dir():
            return self.ctx.site_root / "_includes"
        for folder in [self.ctx.source_dir, *self.ctx.source_dir.resolve().parents]:
            if (folder / "_includes").is_dir():
                return folder / "_includes"
        return None


def liquid_scope(ctx: RenderContext) -> dict[str, Any]:
    """The variables a post's Liquid sees: Jekyll's ``site`` and ``page``."""
    site = {**ctx.site_vars, "baseurl": sitepaths.base_prefix(ctx),
            "url": sitepaths.site_origin(ctx)}
    page = dict(ctx.page_vars)
    if "url" not in page:
        own = sitepaths.lookup_post(ctx, re.sub(r"^content/", "", ctx.source_path))
        if own is not None:
            page["url"] = own
    page.setdefault("path", ctx.source_path)
    return {"site": site, "page": page, "jekyll": {"environment": "production"}}


def render_liquid(source: str, ctx: RenderContext, store: IncludeStore, *,
                  includes_dir: str | None = None,
                  passthrough_tags: frozenset[str] = frozenset({"tikz"})) -> str:
    """Evaluate the Liquid in a post body; every line stays where it was."""
    if "{%" not in source and "{{" not in source:
        return source
    options = LiquidOptions(includes_dir, passthrough_tags)
    return _Renderer(source, ctx, options, store, liquid_scope(ctx)).render()


def liquid_plugin(md: MarkdownIt, *, includes_dir: str | None = None,
                  passthrough_tags: tuple[str, ...] = ("tikz",)) -> None:
    """Jekyll's Liquid: ``{{ site.x }}``, ``{{ page.x }}``, URL filters, ``{% post_url %}``,
    ``{% link %}``, ``{% highlight %}``, ``{% raw %}``, ``{% include %}``; other tags are
    reported and removed. jekyll-scholar's ``{% cite %}``, ``{% bibliography %}``,
    ``{% reference %}`` and ``{% nocite %}`` become what ``citations_plugin`` (used with it by
    ``compat_plugin``) resolves.

    :param includes_dir: the folder of ``{% include %}`` files (relative to the site folder);
        by default ``_includes/`` in the site folder or in a folder above the post.
    :param passthrough_tags: tags left exactly as written for another plugin (with their
        ``end`` tags), e.g. ``tikz``.
    """
    passthrough = frozenset(passthrough_tags)

    def liquid_rule(state: StateCore) -> None:
        ctx = render_context(state.env)
        state.src = render_liquid(state.src, ctx, include_store(state.env),
                                  includes_dir=includes_dir, passthrough_tags=passthrough)

    md.core.ruler.after("normalize", "liquid", liquid_rule)
    add_toc(md)
    md.block.ruler.before("paragraph", "liquid_include", include_block,
                          {"alt": ["paragraph", "blockquote", "list"]})
