"""A TikZ interpreter for the subset kernel, matrix and feature-map diagrams use.

No Python library reads TikZ (the only complete implementation is TikZ itself, in TeX), so this
module is written by hand. It reads a picture the way TikZ does, statement by statement, keeping
a stack of scopes, and lays out every node and path as it goes: nodes must exist (with their
final size) before a later path can refer to ``(name.north)``.

Supported: ``\\node``, ``\\coordinate``, ``\\draw``, ``\\fill``, ``\\filldraw``, ``\\path``,
``\\clip``, ``\\matrix`` (of nodes), ``\\foreach``, ``\\definecolor``, ``\\colorlet``,
``\\tikzset`` / ``\\tikzstyle`` styles, ``\\usetikzlibrary`` (positioning, calc, matrix),
``scope``; path operations ``--``, ``-|``, ``|-``, ``to``, ``edge``, ``.. controls ..``,
``rectangle``, ``grid``, ``circle``, ``ellipse``, ``arc``, ``plot``, ``cycle``, inline ``node``
and ``coordinate``; relative ``+()``/``++()``, polar ``(angle:radius)`` and calc ``($...$)``
coordinates; the positioning library's ``right=of a``; labels and pins. Anything else raises
``TikzError`` naming the command or option, so the author learns exactly what is outside the
subset.

Nothing here reads files or runs anything: ``\\input`` and friends are just unsupported commands.
Work is bounded by the limits in ``model`` (iterations, elements, nesting, source size).
"""
from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from types import MappingProxyType

from . import colors
from .arrows import TIP_NAMES, tip_shape
from .colors import INK, Paint
from .model import (IDENTITY, MAX_ELEMENTS, MAX_FOREACH_ITERATIONS, MAX_NESTING, MAX_OPTIONS,
                    MAX_SOURCE_CHARS,
                    Affine, Arrow, Clip, Diagram, Item, Node, PathPiece, Point, Stroke, TikzError,
                    check_dimension)
from .text import FontState, parse_font, typeset
from .units import CM, evaluate, length, number

LINE_WIDTHS = {"ultra thin": 0.1, "very thin": 0.2, "thin": 0.4, "semithick": 0.6, "thick": 0.8,
               "very thick": 1.2, "ultra thick": 1.6}
# dash patterns as (on, off) lengths; None means "the line width" (dotted)
DASHES = {"solid": (), "dashed": (3.0, 3.0), "densely dashed": (3.0, 2.0),
          "loosely dashed": (3.0, 6.0), "dotted": (None, 2.0), "densely dotted": (None, 1.0),
          "loosely dotted": (None, 4.0)}
PLACEMENTS = {"above": ("south", 0, 1), "below": ("north", 0, -1), "left": ("east", -1, 0),
              "right": ("west", 1, 0), "above left": ("south east", -1, 1),
              "above right": ("south west", 1, 1), "below left": ("north east", -1, -1),
              "below right": ("north west", 1, -1)}
# the positioning library's extra placements, and the anchor of the ``of`` node each one starts
# from (tikzlibrarypositioning.code.tex)
POSITIONING_PLACEMENTS = {"base left": ("base east", -1, 0), "base right": ("base west", 1, 0),
                          "mid left": ("mid east", -1, 0), "mid right": ("mid west", 1, 0)}
OF_ANCHORS = {"above": "north", "below": "south", "left": "west", "right": "east",
              "above left": "north west", "above right": "north east", "below left": "south west",
              "below right": "south east", "base left": "base west", "base right": "base east",
              "mid left": "mid west", "mid right": "mid east"}
# TikZ's deprecated centre-to-centre placements: the angle the node distance is taken along
DEPRECATED_OF = {"right of": 0.0, "above right of": 45.0, "above of": 90.0, "above left of": 135.0,
                 "left of": 180.0, "below left of": -135.0, "below of": -90.0,
                 "below right of": -45.0}
# \usetikzlibrary{...} names the built-in renderer implements (the rest are refused by name)
LIBRARIES = ("positioning", "calc", "matrix", "arrows", "arrows.meta")
# arrows.meta's tips drawn as the core tips they resemble (their [length=...] options are not
# read: the tip keeps the core size)
META_TIPS = {"Stealth": "stealth", "Latex": "latex", "To": "to"}
POSITIONS = {"midway": 0.5, "near start": 0.25, "near end": 0.75, "at start": 0.0,
             "at end": 1.0, "very near start": 0.125, "very near end": 0.875}
ANCHOR_DIRECTIONS = {"north": (0, 1), "south": (0, -1), "east": (1, 0), "west": (-1, 0),
                     "north east": (1, 1), "north west": (-1, 1), "south east": (1, -1),
                     "south west": (-1, -1)}
SHAPES = ("rectangle", "circle", "coordinate")
ALIGNMENTS = ("left", "center", "right", "justify", "flush left", "flush right", "flush center")
# options with no effect on a static figure (they only place the picture in a line of text)
IGNORED_OPTIONS = {"baseline", "remember picture"}
DEFAULT_INNER_SEP = 0.3333 * 10.00002  # 0.3333em in the document font


@dataclass(frozen=True)
class Style:
    """Everything an option can change, resolved as TikZ resolves it at the point of use."""

    color: Paint = INK
    draw_on: bool = False
    draw_color: Paint | None = None
    fill_on: bool = False
    fill_color: Paint | None = None
    text_color: Paint | None = None
    line_width: float = 0.4
    dash: str = "solid"
    rounded: float = 0.0
    opacity: float = 1.0
    draw_opacity: float = 1.0
    fill_opacity: float = 1.0
    text_opacity: float = 1.0
    line_cap: str = "butt"
    line_join: str = "miter"
    arrows: tuple[str, str] = ("", "")
    default_tip: str = "to"
    inner_xsep: float = DEFAULT_INNER_SEP
    inner_ysep: float = DEFAULT_INNER_SEP
    outer_sep: float | None = None   # None: half the line width, as in PGF
    minimum_width: float = 0.0
    minimum_height: float = 0.0
    text_width: float | None = None
    align: str | None = None
    anchor: str = "center"
    font: FontState = FontState()
    shape: str = "rectangle"
    rotate: float = 0.0
    node_shift: Point = (0.0, 0.0)
    # positioning: the point a node is placed at (``right=of a``) and the library's own shift,
    # which a later placement replaces (xshift and friends add up in node_shift)
    place_at: Point | None = None
    place_shift: Point = (0.0, 0.0)
    node_distance: str | None = None   # None: TikZ's default (1cm; 1cm and 1cm with positioning)
    of_angles: tuple[float, ...] = ()  # right of=a...: shifts by the node distance, taken last
    on_grid: bool = False
    pos: float | None = None
    transform: Affine = IDENTITY
    unit_x: float = CM
    unit_y: float = CM
    step: Point = (CM, CM)
    radius: float | None = None       # circles and arcs; x/y radius for ellipses and arcs
    x_radius: float | None = None
    y_radius: float | None = None
    start_angle: float | None = None
    end_angle: float | None = None
    delta_angle: float | None = None
    domain: tuple[float, float] = (-5.0, 5.0)   # plot: the variable's range, samples, smoothing
    samples: int = 25
    smooth: bool = False
    tension: float = 0.55
    variable: str = "x"
    every_node: tuple[tuple[str, int], ...] = ()
    styles: tuple[tuple[str, str], ...] = (("help lines", "color=gray,line width=0.2pt"),
                                           ("every edge", "draw"), ("every pin edge", "help lines"))
    matrix_of_nodes: bool = False
    column_sep: float = 0.0
    row_sep: float = 0.0
    name: str = ""
    labels: tuple[tuple[str, str, str, int], ...] = ()   # (options, anchor, text, line)
    label_distance: float = 0.0
    pins: tuple[tuple[str, str, str, int], ...] = ()     # like labels, joined by a line
    pin_distance: float = 3 * 4.30554                    # 3ex
    pin_edge: str = ""                                   # options of the pin's line
    clip: bool = False       # the path clips what follows it in its scope
    sloped: bool = False     # a node on a segment turns with it
    auto: str = ""           # "left"/"right": a node on a segment sits beside it

    def for_node(self) -> Style:
        """A node inside a path inherits the path's look but not its actions or tips."""
        return replace(self, draw_on=False, fill_on=False, draw_color=None, fill_color=None,
                       arrows=("", ""), name="", labels=(), pins=(), place_at=None, place_shift=(0.0, 0.0),
                       of_angles=(), clip=False)

    def stroke(self) -> Stroke:
        dash = DASHES[self.dash]
        return Stroke(
            draw=(self.draw_color or self.color) if self.draw_on else None,
            fill=(self.fill_color or self.color) if self.fill_on else None,
            line_width=self.line_width,
            dash=tuple(self.line_width if part is None else part for part in dash),
            opacity=self.opacity, draw_opacity=self.draw_opacity, fill_opacity=self.fill_opacity,
            rounded=self.rounded, line_cap=self.line_cap, line_join=self.line_join)


@dataclass(frozen=True)
class _Vertex:
    point: Point
    node: Node | None = None   # a bare node reference: the line is clipped at its border
    controls: tuple[Point, Point] | None = None   # the cubic arriving here; None: a straight line


class _Source:
    """A cursor over picture text that knows which body line each offset is on."""

    def __init__(self, text: str, first_line: int):
        self.text, self.position, self.first_line = text, 0, first_line
        self._counted_to = self._newlines = 0

    @property
    def line(self) -> int:
        # counted on from the last answer: the cursor mostly moves forward, and a rescan from
        # the start for every statement would be quadratic in the picture's length
        if self.position < self._counted_to:
            self._counted_to, self._newlines = 0, 0
        self._newlines += self.text.count("\n", self._counted_to, self.position)
        self._counted_to = self.position
        return self.first_line + self._newlines

    def skip_space(self) -> None:
        text = self.text
        while self.position < len(text):
            char = text[self.position]
            if char.isspace():
                self.position += 1
            elif char == "%":
                end = text.find("\n", self.position)
                self.position = len(text) if end < 0 else end + 1
            else:
                return

    def done(self) -> bool:
        self.skip_space()
        return self.position >= len(self.text)

    def peek(self, count: int = 1) -> str:
        self.skip_space()
        return self.text[self.position:self.position + count]

    def take(self, literal: str) -> bool:
        if self.peek(len(literal)) == literal:
            self.position += len(literal)
            return True
        return False

    def take_word(self, word: str) -> bool:
        """``word`` as a whole word (not the start of a longer one)."""
        self.skip_space()
        end = self.position + len(word)
        if self.text.startswith(word, self.position) and not (end < len(self.text) and self.text[end].isalpha()):
            self.position = end
            return True
        return False

    def command(self) -> str:
        """A control word after ``\\`` (``\\node`` -> ``node``)."""
        self.skip_space()
        match = _COMMAND.match(self.text, self.position)
        if not match:
            raise TikzError("expected a command", line=self.line, hint="TikZ statements start with \\")
        self.position = match.end()
        return match.group(1)

    def balanced(self, opening: str, closing: str, what: str) -> str:
        """The text between ``opening`` and its matching ``closing``.

        Escaped characters (``\\{``) never count; inside ``[...]`` and ``(...)`` a brace group
        protects brackets and parentheses, as TeX's argument reading does.
        """
        self.skip_space()
        start_line = self.line
        if not self.text.startswith(opening, self.position):
            raise TikzError(f"expected '{opening}' for {what}", line=start_line,
                            hint=f"write {what} as {opening}...{closing}")
        text, depth, braces, index = self.text, 0, 0, self.position
        while index < len(text):
            char = text[index]
            index += 1
            if char == "\\":
                index += 1
                continue
            if char == "%":  # a TeX comment: nothing up to the end of the line counts
                newline = text.find("\n", index)
                index = len(text) if newline < 0 else newline + 1
                continue
            if opening != "{" and char in "{}":
                braces += 1 if char == "{" else -1
                if braces < 0:
                    break
                continue
            if braces == 0 and char == opening:
                depth += 1
            elif braces == 0 and char == closing:
                depth -= 1
                if depth == 0:
                    inner = text[self.position + len(opening):index - 1]
                    self.position = index
                    return inner
        raise TikzError(f"unclosed '{opening}' in {what}", line=start_line,
                        hint=f"add the missing '{closing}'")


def split_top_level(text: str, separator: str = ",") -> list[str]:
    """Split at ``separator`` outside braces, brackets and parentheses."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char in "{[(":
            depth += 1
        elif char in "}])":
            depth -= 1
        elif char == separator and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def _strip_braces(value: str) -> str:
    """``{{x}}`` -> ``x``: remove braces that enclose the whole value (``{a}{b}`` keeps its own).

    One pass pairs every brace, so even a value nested thousands deep costs linear time.
    """
    value = value.strip()
    partner: dict[int, int] = {}
    opened: list[int] = []
    for index, char in enumerate(value):
        if char == "{":
            opened.append(index)
        elif char == "}" and opened:
            partner[opened.pop()] = index
    start, end = 0, len(value) - 1
    while start < end and partner.get(start) == end:
        start, end = start + 1, end - 1
        while start <= end and value[start].isspace():
            start += 1
        while end >= start and value[end].isspace():
            end -= 1
    return value[start:end + 1]


_COMMAND = re.compile(r"\\([A-Za-z]+|.)", re.DOTALL)
_TIP = r"<|>|stealth|latex|to|\||\{?(?:Stealth|Latex|To)(?:\[[^\]]*\])?\}?"
_ARROW_SPEC = re.compile(rf"\s*({_TIP})?\s*-\s*({_TIP})?\s*")


class Interpreter:
    """Runs a picture's statements; ``diagram()`` returns what they drew."""

    def __init__(self) -> None:
        self.items: list[Node | PathPiece | _OpenClip] = []
        # where drawing goes: the picture, or the clipped group a \clip opened in this scope
        self.target = self.items
        self.sizing = True   # whether drawing grows the picture (not after a \clip, as in PGF)
        self.unchanged_look = Style()
        self.nodes: dict[str, Node] = {}
        self.colors: dict[str, Paint] = {}
        self.points: list[Point] = []
        self.iterations = 0
        self.expanded_chars = 0
        self.elements = 0
        self.options_applied = 0
        self.libraries: set[str] = set()

    # --- statements --------------------------------------------------------------------

    def run(self, text: str) -> None:
        self.statements(_Source(text, 0), Style(), depth=0, environment="")

    def statements(self, source: _Source, style: Style, *, depth: int, environment: str,
                   environment_line: int = 0) -> Style:
        if depth > MAX_NESTING:
            raise TikzError("scopes or \\foreach nested too deeply", line=source.line,
                            hint=f"at most {MAX_NESTING} levels")
        while not source.done():
            if source.take(";"):
                continue
            if source.peek() != "\\":
                found = source.text[source.position:source.position + 20].split("\n")[0]
                raise TikzError(f"unexpected text '{found}'", line=source.line,
                                hint="every TikZ statement starts with a command such as \\draw "
                                     "and ends with ;")
            line = source.line
            name = source.command()
            if name == "begin":
                environment_name = source.balanced("{", "}", "\\begin").strip()
                options = source.balanced("[", "]", "options") if source.peek() == "[" else ""
                if environment_name not in ("tikzpicture", "scope"):
                    raise TikzError(f"unsupported environment '{environment_name}'", line=line,
                                    command=f"\\begin{{{environment_name}}}",
                                    hint="only tikzpicture and scope environments are supported")
                inner = self.options(options, style, line=line, context="scope")
                if environment_name == "tikzpicture" and environment:
                    raise TikzError("a tikzpicture inside a tikzpicture", line=line,
                                    command="\\begin{tikzpicture}", hint="remove the inner one")
                # a \clip inside the environment ends with it, and so does its hold on the size
                outer = (self.target, self.sizing)
                self.statements(source, inner, depth=depth + 1, environment=environment_name,
                                environment_line=line)
                self.target, self.sizing = outer
                continue
            if name == "end":
                environment_name = source.balanced("{", "}", "\\end").strip()
                if environment_name != environment:
                    opened = f"\\begin{{{environment}}}" if environment else "anything"
                    raise TikzError(f"\\end{{{environment_name}}} does not close {opened}",
                                    line=line, hint="check that every \\begin has its \\end")
                return style
            style = self.statement(name, source, style, line=line, depth=depth)
        if environment:
            raise TikzError(f"\\begin{{{environment}}} is never closed", line=environment_line,
                            hint=f"add \\end{{{environment}}}")
        return style

    def statement(self, name: str, source: _Source, style: Style, *, line: int, depth: int) -> Style:
        """One statement; returns the style in force after it (\\tikzset changes it)."""
        if name in ("draw", "fill", "filldraw", "path", "node", "coordinate", "clip"):
            self.path(source, style, command=name, line=line)
        elif name == "matrix":
            self.matrix(source, style, line=line)
        elif name == "foreach":
            self.foreach(source, style, line=line, depth=depth)
        elif name in ("definecolor", "colorlet"):
            self.define_color(name, source, line=line)
        elif name == "usetikzlibrary":
            self.use_libraries(source.balanced("{", "}", "\\usetikzlibrary"), line=line)
        elif name == "tikzset":
            return self.options(source.balanced("{", "}", "\\tikzset"), style, line=line, context="scope")
        elif name == "tikzstyle":
            style_name = source.balanced("{", "}", "\\tikzstyle").strip()
            source.take("+")
            if not source.take("="):
                raise TikzError("\\tikzstyle needs =[...]", line=line,
                                hint="write \\tikzstyle{name}=[options]")
            body = source.balanced("[", "]", "\\tikzstyle")
            return replace(style, styles=style.styles + ((style_name, body),))
        else:
            raise TikzError(f"unsupported command \\{name}", line=line, command="\\" + name,
                            hint="the built-in renderer draws \\node, \\draw, \\fill, \\filldraw, "
                                 "\\path, \\clip, \\matrix, \\foreach, scope and \\definecolor; set "
                                 "renderer = \"tex\" for full TikZ")
        return style

    def use_libraries(self, text: str, *, line: int) -> None:
        """``\\usetikzlibrary{positioning,calc}``: accepted for the libraries implemented here."""
        for raw in split_top_level(text):
            name = _strip_braces(raw)
            if not name:
                continue
            if name not in LIBRARIES:
                raise TikzError(f"unsupported TikZ library '{name}'", line=line,
                                command=f"\\usetikzlibrary{{{name}}}",
                                hint=f"the built-in renderer implements these libraries: "
                                     f"{', '.join(LIBRARIES)}; renderer = \"tex\" draws full TikZ")
            self.libraries.add(name)

    def define_color(self, name: str, source: _Source, *, line: int) -> None:
        color_name = source.balanced("{", "}", f"\\{name}").strip()
        if name == "colorlet":
            paint = colors.parse_color(source.balanced("{", "}", "\\colorlet").strip(),
                                       self.colors, line=line)
        else:
            model = source.balanced("{", "}", "\\definecolor").strip()
            spec = source.balanced("{", "}", "\\definecolor")
            paint = colors.define_color(color_name, model, spec, line=line)
        self.colors[color_name] = paint

    def foreach(self, source: _Source, style: Style, *, line: int, depth: int) -> None:
        variables: list[str] = []
        while source.peek() == "\\":
            variables.append(source.command())
            if not source.take("/"):
                break
        if not variables or not all(v.isalpha() for v in variables):
            raise TikzError("\\foreach needs a variable such as \\x", line=line,
                            hint="write \\foreach \\x in {1,2,3} {...}")
        count_variable = None
        if source.peek() == "[":
            options = source.balanced("[", "]", "\\foreach options").strip()
            match = re.fullmatch(r"count\s*=\s*\\([A-Za-z]+)", options)
            if not match:
                raise TikzError(f"unsupported \\foreach option [{options}]", line=line,
                                command="\\foreach[" + options + "]", hint="only count=\\i is supported")
            count_variable = match.group(1)
        if not source.take_word("in"):
            raise TikzError("\\foreach needs 'in' before its list", line=line,
                            hint="write \\foreach \\x in {1,2,3} {...}")
        values = self.foreach_values(source.balanced("{", "}", "the \\foreach list"), line=line)
        body_line = source.line
        if source.peek() == "{":
            body = source.balanced("{", "}", "the \\foreach body")
        else:
            body = self.single_statement(source)
        if len(values) * max(1, len(body)) + self.expanded_chars > MAX_SOURCE_CHARS * 10:
            raise TikzError("\\foreach expands to too much text", line=line,
                            hint="draw fewer repetitions")
        for index, value in enumerate(values, start=1):
            self.iterations += 1
            if self.iterations > MAX_FOREACH_ITERATIONS:
                raise TikzError(f"\\foreach runs more than {MAX_FOREACH_ITERATIONS} iterations",
                                line=line, hint="the built-in renderer bounds loops; draw fewer "
                                                "repetitions or use renderer = \"tex\"")
            parts = [part.strip() for part in value.split("/")] if len(variables) > 1 else [value]
            if len(parts) != len(variables):
                names = ", ".join("\\" + variable for variable in variables)
                raise TikzError(f"'{value}' does not give one value to each of {names}", line=line,
                                hint="write the items as a/b when there are two variables")
            bindings = dict(zip(variables, parts))
            if count_variable:
                bindings[count_variable] = str(index)
            expanded = _substitute(body, bindings)
            self.expanded_chars += len(expanded)
            self.statements(_Source(expanded, body_line), style, depth=depth + 1, environment="")

    def single_statement(self, source: _Source) -> str:
        """The text of one statement up to its ``;`` (for ``\\foreach ... \\draw ...;``)."""
        start = source.position
        depth = 0
        text = source.text
        index = start
        while index < len(text):
            char = text[index]
            if char == "\\":
                index += 2
                continue
            if char in "{[(":
                depth += 1
            elif char in "}])":
                depth -= 1
            elif char == ";" and depth == 0:
                source.position = index + 1
                return text[start:index + 1]
            index += 1
        raise TikzError("statement without its closing ;", line=source.line,
                        hint="end every TikZ statement with ;")

    def foreach_values(self, text: str, *, line: int) -> list[str]:
        """A \\foreach list; ``a,b,...,c`` steps by b-a (or 1) up to c, as pgffor does."""
        items = [_strip_braces(item) for item in split_top_level(text)]
        values: list[str] = []
        index = 0
        while index < len(items):
            item = items[index]
            index += 1
            if item != "...":
                values.append(item)
                continue
            if not values or index >= len(items):
                raise TikzError("'...' needs a value on each side", line=line,
                                hint="write {1,...,5} or {0,0.5,...,2}")
            first, last = number(values[-1], line=line), number(items[index], line=line)
            if len(values) >= 2:
                step = first - number(values[-2], line=line)
            else:
                step = 1.0 if last >= first else -1.0
            if step == 0 or (last - first) * step < 0:
                raise TikzError(f"the list {{{text}}} never reaches {items[index]}", line=line,
                                hint="check the step between the first two values")
            if (last - first) / step > MAX_FOREACH_ITERATIONS:
                raise TikzError(f"\\foreach list {{{text}}} has more than "
                                f"{MAX_FOREACH_ITERATIONS} values", line=line,
                                hint="the built-in renderer bounds loops")
            integral = float(first).is_integer() and float(step).is_integer()
            count = math.floor((last - first) / step + 1e-9)
            for k in range(1, count + 1):  # the end value is included only if it is reached
                value = first + k * step
                values.append(str(int(round(value))) if integral else f"{value:.10g}")
            index += 1
            if len(values) > MAX_FOREACH_ITERATIONS:
                raise TikzError("\\foreach list too long", line=line,
                                hint="the built-in renderer bounds loops")
        return values

    # --- options -----------------------------------------------------------------------

    def options(self, text: str, style: Style, *, line: int, context: str, depth: int = 0) -> Style:
        """Apply a ``[...]`` option list; ``context`` is scope, path or node."""
        if depth > MAX_NESTING:
            raise TikzError("styles refer to each other too deeply", line=line,
                            hint="look for a style that uses itself")
        for raw in split_top_level(text):
            if not raw.strip():
                continue
            # `=` inside braces is the key's own: -{Latex[length=2mm]}
            key, equals, value = raw.partition("=") if split_top_level(raw, "=")[0] != raw \
                else (raw, "", "")
            key, value = " ".join(key.split()), _strip_braces(value) if equals else None
            style = self.option(key, value, style, line=line, context=context, depth=depth)
        return style

    def option(self, key: str, value: str | None, style: Style, *, line: int, context: str,
               depth: int) -> Style:
        self.options_applied += 1
        if self.options_applied > MAX_OPTIONS:
            raise TikzError(f"the picture applies more than {MAX_OPTIONS} options", line=line,
                            hint="look for styles that use other styles several times over")
        def need_value() -> str:
            if value is None or value == "":
                raise TikzError(f"option '{key}' needs a value", line=line, command=key,
                                hint=f"write {key}=...")
            return value

        def length_value(unit: float = 1.0) -> float:
            return check_dimension(length(need_value(), line=line, unit_pt=unit), key, line=line)

        def paint(expression: str) -> Paint:
            return colors.parse_color(expression, self.colors, line=line)

        for style_name, body in reversed(style.styles):
            if key == style_name:
                return self.options(body, style, line=line, context=context, depth=depth + 1)
        if key.endswith("/.style") or key.endswith("/.append style"):
            name, _, handler = key.rpartition("/")
            name, appending = name.strip(), handler == ".append style"
            if name == "every node":
                kept = style.every_node if appending else ()
                return replace(style, every_node=kept + ((need_value(), line),))
            previous = next((body for known, body in reversed(style.styles) if known == name), "")
            body = f"{previous},{need_value()}" if appending and previous else need_value()
            return replace(style, styles=style.styles + ((name, body),))
        if key in IGNORED_OPTIONS:
            return style
        if key in LINE_WIDTHS and value is None:
            return replace(style, line_width=LINE_WIDTHS[key])
        if key in DASHES and value is None:
            return replace(style, dash=key)
        if key in SHAPES and value is None:
            return replace(style, shape=key)
        if key in POSITIONS and value is None:
            return replace(style, pos=POSITIONS[key])
        if key in PLACEMENTS or key in POSITIONING_PLACEMENTS:
            return self.placement(key, value, style, line=line)
        if key in DEPRECATED_OF:
            return self.deprecated_placement(key, need_value(), style, line=line)
        if value is None and _ARROW_SPEC.fullmatch(key) and "-" in key:
            return replace(style, arrows=self.arrow_spec(key, style, line=line))
        if value is None and colors.is_color(key, self.colors):
            return replace(style, color=paint(key))
        handlers = {
            "color": lambda: replace(style, color=paint(need_value())),
            "draw": lambda: self.action(style, "draw", value, line),
            "fill": lambda: self.action(style, "fill", value, line),
            "text": lambda: replace(style, text_color=paint(need_value())),
            "line width": lambda: replace(style, line_width=length_value()),
            "opacity": lambda: replace(style, opacity=_fraction(key, need_value(), line)),
            "draw opacity": lambda: replace(style, draw_opacity=_fraction(key, need_value(), line)),
            "fill opacity": lambda: replace(style, fill_opacity=_fraction(key, need_value(), line)),
            "text opacity": lambda: replace(style, text_opacity=_fraction(key, need_value(), line)),
            "rounded corners": lambda: replace(style, rounded=length_value() if value else 4.0),
            "sharp corners": lambda: replace(style, rounded=0.0),
            "line cap": lambda: replace(style, line_cap=_choice(key, need_value(), ("butt", "round", "rect"), line)),
            "line join": lambda: replace(style, line_join=_choice(key, need_value(), ("miter", "round", "bevel"), line)),
            ">": lambda: replace(style, default_tip=_choice(
                key, _core_tip(need_value()), tuple(TIP_NAMES - {">"}), line)),
            "inner sep": lambda: replace(style, inner_xsep=length_value(), inner_ysep=length_value()),
            "inner xsep": lambda: replace(style, inner_xsep=length_value()),
            "inner ysep": lambda: replace(style, inner_ysep=length_value()),
            "outer sep": lambda: replace(style, outer_sep=length_value()),
            "minimum width": lambda: replace(style, minimum_width=length_value()),
            "minimum height": lambda: replace(style, minimum_height=length_value()),
            "minimum size": lambda: replace(style, minimum_width=length_value(), minimum_height=length_value()),
            "text width": lambda: replace(style, text_width=length_value()),
            "align": lambda: replace(style, align=_choice(key, need_value(), ALIGNMENTS, line)),
            "anchor": lambda: replace(style, anchor=self.anchor_name(need_value(), line)),
            "font": lambda: replace(style, font=parse_font(need_value(), line=line)),
            "shape": lambda: replace(style, shape=_choice(key, need_value(), SHAPES, line)),
            "name": lambda: replace(style, name=need_value()),
            "pos": lambda: replace(style, pos=_fraction(key, need_value(), line)),
            "step": lambda: replace(style, step=(length_value(style.unit_x), length_value(style.unit_y))),
            "xstep": lambda: replace(style, step=(length_value(style.unit_x), style.step[1])),
            "ystep": lambda: replace(style, step=(style.step[0], length_value(style.unit_y))),
            "radius": lambda: replace(style, radius=length_value(style.unit_x)),
            "x radius": lambda: replace(style, x_radius=length_value(style.unit_x)),
            "y radius": lambda: replace(style, y_radius=length_value(style.unit_y)),
            "start angle": lambda: replace(style, start_angle=_angle(key, need_value(), line)),
            "end angle": lambda: replace(style, end_angle=_angle(key, need_value(), line)),
            "delta angle": lambda: replace(style, delta_angle=_angle(key, need_value(), line)),
            "domain": lambda: replace(style, domain=_domain(need_value(), line)),
            "samples": lambda: replace(style, samples=_samples(need_value(), line)),
            "smooth": lambda: replace(style, smooth=True),
            "sharp plot": lambda: replace(style, smooth=False),
            "tension": lambda: replace(style, tension=check_dimension(number(need_value(), line=line), key, line=line)),
            "variable": lambda: replace(style, variable=_variable(need_value(), line)),
            "x": lambda: replace(style, unit_x=length_value(CM)),
            "y": lambda: replace(style, unit_y=length_value(CM)),
            "nodes": lambda: replace(style, every_node=style.every_node + ((need_value(), line),)),
            "label": lambda: replace(style, labels=style.labels + (_label(need_value(), line),)),
            "label distance": lambda: replace(style, label_distance=length_value()),
            "pin": lambda: replace(style, pins=style.pins + (_label(need_value(), line),)),
            "pin distance": lambda: replace(style, pin_distance=length_value()),
            "pin edge": lambda: replace(style, pin_edge=value or ""),
            "clip": lambda: self.clip_option(style, value, context, line),
            "sloped": lambda: replace(style, sloped=True),
            "auto": lambda: replace(style, auto=_choice(key, value or "left", ("left", "right"), line)),
            "swap": lambda: replace(style, auto={"left": "right", "right": "left"}.get(style.auto, "")),
            "'": lambda: replace(style, auto={"left": "right", "right": "left"}.get(style.auto, "")),
            "node distance": lambda: replace(style, node_distance=need_value()),
            "on grid": lambda: replace(style, on_grid=_boolean(key, value, line)),
            "matrix of nodes": lambda: replace(style, matrix_of_nodes=True),
            "column sep": lambda: replace(style, column_sep=length_value()),
            "row sep": lambda: replace(style, row_sep=length_value()),
        }
        if key in handlers:
            return handlers[key]()
        if key in ("rotate", "xshift", "yshift", "shift", "scale", "xscale", "yscale"):
            return self.transform_option(key, need_value(), style, line=line, context=context)
        kind = "option or colour" if value is None else "option"
        raise TikzError(f"unsupported {kind} '{key}'", line=line, command=key,
                        hint="see docs/tikz.md for the options the built-in renderer knows; "
                             "renderer = \"tex\" draws full TikZ")

    def clip_option(self, style: Style, value: str | None, context: str, line: int) -> Style:
        if context != "path":
            raise TikzError(f"unsupported option 'clip' on a {context}", line=line, command="clip",
                            hint="write \\clip (0,0) rectangle (2,2); inside the scope instead")
        return replace(style, clip=_boolean("clip", value, line))

    def placement(self, key: str, value: str | None, style: Style, *, line: int) -> Style:
        """``right``, ``below left=2mm``, ``above=of a``, ``right=1cm and 2mm of a``.

        Without ``of`` the node keeps its point and is shifted; with it, the node's facing anchor
        is placed the node distance (or the given one) beyond the ``of`` node's opposite anchor
        (their centres with ``on grid``), as the positioning library does. One distance is
        taken along a diagonal (times 0.7071); ``a and b`` are the vertical and the horizontal
        distances.
        """
        anchor, sx, sy = PLACEMENTS.get(key) or POSITIONING_PLACEMENTS[key]
        text = (value or "").strip()
        positioning = "positioning" in self.libraries
        if key in POSITIONING_PLACEMENTS and not positioning and " of " not in f" {text} ":
            raise TikzError(f"'{key}' needs the positioning library", line=line, command=key,
                            hint="add \\usetikzlibrary{positioning} before the picture")
        factor = 0.707106781 if sx and sy else 1.0
        distance_text, of, target = f" {text}".partition(" of ")
        if of:
            target = _strip_braces(target)
            if target.startswith("(") and target.endswith(")"):  # right=of {(1,2)}
                target = target[1:-1].strip()
            node = self.nodes.get(target)
            if node is not None:
                at = anchor_point(node, "center" if style.on_grid else OF_ANCHORS[key])
                anchor = "center" if style.on_grid else anchor
            else:
                at = self.coordinate(target, style, line=line).point
            distance_text = distance_text.strip() or style.node_distance or "1cm and 1cm"
            shift = self.positioning_shift(distance_text, sx, sy, factor, style, line=line)
            return replace(style, anchor=anchor, place_at=at, place_shift=shift)
        if not text:
            return replace(style, anchor=anchor)
        if positioning:
            return replace(style, anchor=anchor,
                           place_shift=self.positioning_shift(text, sx, sy, factor, style, line=line))
        # plain TikZ: the distance is a length (a bare number is in pt), added to other shifts
        distance = check_dimension(length(text, line=line), key, line=line)
        return replace(style, anchor=anchor, node_shift=(style.node_shift[0] + sx * distance,
                                                         style.node_shift[1] + sy * distance))

    def positioning_shift(self, text: str, sx: int, sy: int, factor: float, style: Style, *,
                          line: int) -> Point:
        """The positioning library's shift for ``a and b`` or ``a`` (a bare number is a
        multiple of the x or y unit vector)."""
        vertical, found, horizontal = text.partition("and")
        if not found:
            horizontal = vertical
        y = evaluate(vertical, line=line).points(style.unit_y)
        x = evaluate(horizontal, line=line).points(style.unit_x)
        if not found:
            x, y = x * factor, y * factor
        return (check_dimension(sx * x, "node distance", line=line),
                check_dimension(sy * y, "node distance", line=line))

    def deprecated_placement(self, key: str, value: str, style: Style, *, line: int) -> Style:
        """``right of=a``: the node's centre the node distance (its first part) from a's."""
        name = _strip_braces(value)
        node = self.nodes.get(name)
        if node is None:
            raise TikzError(f"unknown node '{name}' in {key}=", line=line,
                            hint="name the node first, as \\node (name) at (0,0) {...};")
        # the shift is a node transformation: it takes the node distance in force once all
        # the node's options are read (make_node)
        return replace(style, anchor="center", place_at=node.center,
                       of_angles=style.of_angles + (DEPRECATED_OF[key],))

    def action(self, style: Style, action: str, value: str | None, line: int) -> Style:
        if value == "none":
            return replace(style, **{f"{action}_on": False})
        color = colors.parse_color(value, self.colors, line=line) if value else None
        return replace(style, **{f"{action}_on": True, f"{action}_color": color})

    def anchor_name(self, value: str, line: int) -> str:
        name = " ".join(value.split())
        if name in ANCHOR_DIRECTIONS or name in ("center", "base", "mid", "base west", "base east",
                                                   "mid west", "mid east", "text"):
            return name
        try:
            float(name)
        except ValueError:
            raise TikzError(f"unknown anchor '{value}'", line=line, command=f"anchor={value}",
                            hint="anchors are center, north, south west, base, mid, or an angle") from None
        return name

    def arrow_spec(self, key: str, style: Style, *, line: int) -> tuple[str, str]:
        match = _ARROW_SPEC.fullmatch(key)
        assert match is not None  # checked by the caller
        start, end = match.group(1) or "", match.group(2) or ""
        def tip(name: str) -> str:
            if name in ("<", ">"):
                return style.default_tip
            if name == "|":
                raise TikzError(f"unsupported arrow tip '{key}'", line=line, command=key,
                                hint="use ->, <->, -stealth, -latex, -Stealth or -Latex")
            return _core_tip(name)
        return (tip(start) if start else "", tip(end) if end else "")

    def transform_option(self, key: str, value: str, style: Style, *, line: int, context: str) -> Style:
        if context == "node" and key == "rotate":
            return replace(style, rotate=check_dimension(number(value, line=line), "rotate", line=line))
        if context == "node" and key in ("xshift", "yshift", "shift"):
            dx, dy = self.shift_vector(key, value, style, line=line)
            return replace(style, node_shift=(style.node_shift[0] + dx, style.node_shift[1] + dy))
        if context == "node" and key in ("scale", "xscale", "yscale"):
            raise TikzError(f"unsupported option '{key}' on a node", line=line, command=key,
                            hint="scale the picture or scope instead; node sizes come from "
                                 "their text and minimum width/height")
        if key == "rotate":
            angle = math.radians(number(value, line=line))
            local = Affine(math.cos(angle), math.sin(angle), -math.sin(angle), math.cos(angle))
        elif key in ("xshift", "yshift", "shift"):
            dx, dy = self.shift_vector(key, value, style, line=line)
            local = Affine(e=dx, f=dy)
        else:
            factor = check_dimension(number(value, line=line), key, line=line)
            if factor == 0:
                raise TikzError(f"{key}=0 collapses the picture", line=line, command=key,
                                hint="use a non-zero scale")
            local = Affine(a=factor if key != "yscale" else 1.0, d=factor if key != "xscale" else 1.0)
        # a scope's keys act on coordinates before what encloses it (TikZ post-multiplies)
        return replace(style, transform=local.then(style.transform))

    def shift_vector(self, key: str, value: str, style: Style, *, line: int) -> Point:
        if key == "shift":
            inner = value.strip()
            if not (inner.startswith("(") and inner.endswith(")")):
                raise TikzError("shift takes a coordinate", line=line, command=key,
                                hint="write shift={(1,2)}")
            x, y = self.xy(inner[1:-1], replace(style, transform=IDENTITY), line=line)
            return (x, y)
        amount = check_dimension(length(value, line=line, unit_pt=1.0), key, line=line)
        return (amount, 0.0) if key == "xshift" else (0.0, amount)

    # --- coordinates -------------------------------------------------------------------

    def shifted_coordinate(self, text: str, style: Style, *, line: int) -> _Vertex:
        """``([xshift=1mm, yshift=-2pt]a.east)``: a coordinate moved by its options' shifts, in
        the current frame, as TikZ applies a coordinate's options; a node's point moved so is a
        point, which a line reaches instead of stopping at the node's border."""
        end = _closing_bracket(text)
        if end < 0:
            raise TikzError(f"coordinate ({text}) without the ] of its options", line=line,
                            command=f"({text})", hint="write ([xshift=1mm]a.east)")
        options, rest = text[1:end], text[end + 1:]
        keys = [" ".join(raw.partition("=")[0].split()) for raw in split_top_level(options)]
        if any(key and key not in ("xshift", "yshift", "shift") for key in keys):
            raise TikzError(f"unsupported coordinate ({text})", line=line, command=f"({text})",
                            hint="a coordinate's options may shift it (xshift, yshift, shift); "
                                 "renderer = \"tex\" draws the others")
        moved = self.options(options, replace(style, transform=IDENTITY), line=line,
                             context="path").transform
        if "," in rest or ":" in rest or rest.strip().startswith("$"):
            return _Vertex(self.xy(rest, replace(style, transform=moved.then(style.transform)),
                                   line=line))
        vertex = self.coordinate(rest, style, line=line)
        origin = style.transform.apply((0.0, 0.0))
        shift = style.transform.apply(moved.apply((0.0, 0.0)))
        return _Vertex((vertex.point[0] + shift[0] - origin[0],
                        vertex.point[1] + shift[1] - origin[1]))

    def xy(self, text: str, style: Style, *, line: int) -> Point:
        """An explicit ``x,y`` or ``angle:radius`` coordinate, transformed to the canvas."""
        x, y = style.transform.apply(self.local_xy(text, style, line=line))
        what = f"coordinate ({text.strip()}) after the scope's transformation"
        return (check_dimension(x, what, line=line), check_dimension(y, what, line=line))

    def local_xy(self, text: str, style: Style, *, line: int) -> Point:
        if text.strip().startswith("$"):
            return self.calc(text, style, line=line)
        parts = split_top_level(text)
        if len(parts) == 2:
            x = evaluate(_strip_braces(parts[0]), line=line).points(style.unit_x)
            y = evaluate(_strip_braces(parts[1]), line=line).points(style.unit_y)
        elif len(parts) == 1 and len(split_top_level(text, ":")) == 2:
            angle_text, radius_text = split_top_level(text, ":")
            angle = math.radians(number(_strip_braces(angle_text), line=line))
            radius = evaluate(_strip_braces(radius_text), line=line).points(style.unit_x)
            x, y = radius * math.cos(angle), radius * math.sin(angle)
        else:
            raise TikzError(f"unsupported coordinate ({text})", line=line, command=f"({text})",
                            hint="coordinates are (x,y), (angle:radius) or (node.anchor)")
        what = f"coordinate ({text.strip()})"
        return (check_dimension(x, what, line=line), check_dimension(y, what, line=line))

    def coordinate(self, text: str, style: Style, *, line: int) -> _Vertex:
        inner = text.strip()
        if inner.startswith("["):
            return self.shifted_coordinate(inner, style, line=line)
        if "," in inner or ":" in inner or inner.startswith("$"):
            return _Vertex(self.xy(inner, style, line=line))
        name, anchor = inner, ""
        if name not in self.nodes and "." in inner:
            name, anchor = inner.rsplit(".", 1)
        node = self.nodes.get(name.strip())
        if node is None:
            raise TikzError(f"unknown node '{name.strip()}'", line=line,
                            hint="name the node first, as \\node (name) at (0,0) {...};")
        if not anchor:
            return _Vertex(node.center, node)
        return _Vertex(anchor_point(node, self.anchor_name(anchor, line)))

    def local_point(self, text: str, style: Style, *, line: int, depth: int) -> Point:
        """Any coordinate in the current frame (before the scope's transformation), as TikZ
        scans one inside a calc expression: a node is its centre, brought back into the frame."""
        inner = text.strip()
        if inner.startswith("$"):
            return self.calc(inner, style, line=line, depth=depth)
        if "," in inner or ":" in inner:
            return self.local_xy(inner, style, line=line)
        inverse = style.transform.inverse()
        if inverse is None:
            raise TikzError("a node in a calc coordinate under a degenerate transformation",
                            line=line, hint="check the scope's scale")
        return inverse.apply(self.coordinate(inner, style, line=line).point)

    def calc(self, text: str, style: Style, *, line: int, depth: int = 0) -> Point:
        """A calc library coordinate, ``($2*(a) - (b) + (a)!0.5!(c) + (d)!1cm!30:(e)$)``, in the
        current frame: terms with optional factors (``f*``), each a coordinate followed by
        partway (``!0.5!``), distance (``!1cm!``) and projection (``!(p)!``) modifiers, whose
        target may be turned about the point first (``!0.5!90:(b)``), as tikzlibrarycalc does."""
        if depth > MAX_NESTING:
            raise TikzError("calc coordinates nested too deeply", line=line,
                            hint=f"at most {MAX_NESTING} levels")
        body = text.strip()
        if len(body) < 2 or not body.endswith("$"):
            raise TikzError(f"calc coordinate ({body}) without its closing $", line=line,
                            command="($...$)", hint="write ($(a)+(1,0)$)")
        reader = _Source(body[1:-1], line)

        def problem(message: str) -> TikzError:
            return TikzError(f"{message} in calc coordinate ({body})", line=line, command="($...$)",
                             hint="write terms such as ($2*(a) - (b)$), ($(a)!0.5!(b)$), "
                                  "($(a)!1cm!(b)$) or ($(a)!0.5!90:(b)$)")

        def target(base: Point) -> Point:
            """The coordinate after a modifier, turned about ``base`` when ``angle:`` leads."""
            if reader.peek() == "(":
                return self.local_point(reader.balanced("(", ")", "a calc coordinate"), style,
                                        line=line, depth=depth + 1)
            colon = reader.text.find(":", reader.position)
            if colon < 0:
                raise problem("a coordinate or angle:(coordinate) expected")
            angle = _angle("calc", reader.text[reader.position:colon], line)
            reader.position = colon + 1
            point = self.local_point(reader.balanced("(", ")", "a calc coordinate"), style,
                                     line=line, depth=depth + 1)
            return _rotate_about(point, base, angle)

        total = (0.0, 0.0)
        first = True
        while not reader.done():
            factor = 1.0
            if reader.take("-"):
                factor = -1.0
            elif not reader.take("+") and not first:
                raise problem("'+' or '-' expected")
            first = False
            if reader.peek() != "(":
                star = reader.text.find("*(", reader.position)
                if star < 0:
                    raise problem("a factor needs '*' before its coordinate")
                factor *= number(reader.text[reader.position:star], line=line)
                reader.position = star + 1
            point = self.local_point(reader.balanced("(", ")", "a calc coordinate"), style,
                                     line=line, depth=depth + 1)
            while reader.take("!"):
                if reader.peek() == "(":   # projection of (p) onto the line to the target
                    projected = self.local_point(reader.balanced("(", ")", "a calc coordinate"),
                                                 style, line=line, depth=depth + 1)
                    if not reader.take("!"):
                        raise problem("'!' expected after the projected point")
                    direction = _unit(_subtract(target(point), point))
                    along = _dot(_subtract(projected, point), direction)
                    point = _add(point, _scale(direction, along))
                    continue
                closing = reader.text.find("!", reader.position)
                if closing < 0:
                    raise problem("a modifier is written !0.5! or !1cm!")
                amount = evaluate(reader.text[reader.position:closing], line=line)
                reader.position = closing + 1
                end = target(point)
                if amount.is_length:   # that far towards the target
                    point = _add(point, _scale(_unit(_subtract(end, point)), amount.value))
                else:                  # that fraction of the way
                    point = _lerp(point, end, amount.value)
            total = _add(total, _scale(point, factor))
        what = f"calc coordinate ({body})"
        return (check_dimension(total[0], what, line=line), check_dimension(total[1], what, line=line))

    # --- paths and nodes -----------------------------------------------------------------

    def count(self, amount: int, line: int) -> None:
        self.elements += amount
        if self.elements > MAX_ELEMENTS:
            raise TikzError(f"the picture has more than {MAX_ELEMENTS} elements", line=line,
                            hint="the built-in renderer bounds pictures; simplify it or use "
                                 "renderer = \"tex\"")

    def path(self, source: _Source, style: Style, *, command: str, line: int) -> None:
        if command in ("draw", "filldraw"):
            style = replace(style, draw_on=True)
        if command in ("fill", "filldraw"):
            style = replace(style, fill_on=True)
        if command == "clip":
            style = replace(style, clip=True)
        self.unchanged_look = style   # what a clipping path may not change (finish_path)
        builder = _PathBuilder(self, line)
        if command in ("node", "coordinate"):
            self.path_node(source, style, builder, shape="coordinate" if command == "coordinate" else None)
        while True:
            if source.done():
                raise TikzError(f"\\{command} without its closing ;", line=line,
                                hint="end every TikZ statement with ;")
            op_line = source.line
            if source.take(";"):
                break
            if source.peek() == "[":
                style = self.options(source.balanced("[", "]", "options"), style, line=op_line, context="path")
                continue
            if source.peek(2) == "++" or source.peek() in "+(":
                relative = "++" if source.take("++") else "+" if source.take("+") else ""
                builder.coordinate(source.balanced("(", ")", "a coordinate"), relative, style, op_line)
                continue
            if source.take(".."):
                builder.curve(source, style, op_line)
                continue
            for operation in ("--", "-|", "|-"):
                if source.take(operation):
                    builder.pending = operation
                    break
            else:
                word_match = re.compile(r"[A-Za-z]+|\.\.|\S").match(source.text, source.position)
                word = word_match.group(0) if word_match else ""
                if word == "to":
                    source.take_word("to")
                    bend = None
                    if source.peek() == "[":
                        bend = _to_bend(source.balanced("[", "]", "'to' options"), op_line)
                    builder.pending, builder.bend = ("to", bend) if bend else ("--", None)
                elif word == "cycle":
                    source.take_word("cycle")
                    builder.cycle(style)
                elif word == "rectangle":
                    source.take_word("rectangle")
                    builder.pending = "rectangle"
                elif word == "grid":
                    source.take_word("grid")
                    grid_style = style
                    if source.peek() == "[":
                        grid_style = self.options(source.balanced("[", "]", "grid options"), style,
                                                  line=op_line, context="path")
                    builder.pending = "grid"
                    builder.grid_style = grid_style
                elif word in ("circle", "ellipse"):
                    source.take_word(word)
                    builder.circle(source, style, op_line)
                elif word == "arc":
                    source.take_word("arc")
                    builder.arc(source, style, op_line)
                elif word == "plot":
                    source.take_word("plot")
                    builder.plot(source, style, op_line)
                elif word in ("node", "coordinate"):
                    source.take_word(word)
                    self.path_node(source, style, builder, shape="coordinate" if word == "coordinate" else None)
                elif word == "edge":
                    source.take_word("edge")
                    self.edge(source, style, builder, line=op_line)
                else:
                    shown = word or source.text[source.position:source.position + 10]
                    raise TikzError(f"unsupported path operation '{shown}'", line=op_line,
                                    command=shown, hint="paths support --, -|, |-, to, edge, "
                                                        ".. controls .., rectangle, grid, circle, "
                                                        "ellipse, arc, plot, cycle and node; renderer = \"tex\" "
                                                        "draws full TikZ")
        self.finish_path(builder, style, line)

    def path_node(self, source: _Source, path_style: Style, builder: _PathBuilder, *,
                  shape: str | None) -> None:
        """``node [options] (name) at (x,y) {text}``, its parts in any order."""
        line = source.line
        style = path_style.for_node()
        style = replace(style, shape=shape) if shape else style
        name, options, text = "", [], None
        at: tuple[str, int] | None = None
        at_index = 0   # how many option groups came before ``at``: a later placement wins
        while text is None:
            if source.done():
                raise TikzError("node without its {text}", line=line,
                                hint="write \\node (name) at (0,0) {text}; ({} for none)")
            if source.peek() == "[":
                options.append((source.balanced("[", "]", "node options"), source.line))
            elif source.peek() == "(":
                name = source.balanced("(", ")", "a node name").strip()
            elif source.take_word("at"):
                # read now, evaluated once all options are known (x=2cm may come after it)
                at = (source.balanced("(", ")", "a coordinate"), source.line)
                at_index = len(options)
            elif source.peek() == "{":
                text = source.balanced("{", "}", "node text")
            elif shape == "coordinate" and (source.peek() == ";" or source.peek(2) in ("--", "-|", "|-")):
                text = ""
            else:
                found = source.text[source.position:source.position + 12].split("\n")[0]
                raise TikzError(f"unexpected '{found}' in a node", line=source.line,
                                hint="a node is [options] (name) at (x,y) {text}")
        for every, every_line in path_style.every_node:
            style = self.options(every, style, line=every_line, context="node")
        if shape:
            style = replace(style, shape=shape)
        placed_by = -1   # the option group that last placed the node (right=of a)
        for index, (option_text, option_line) in enumerate(options):
            before = style.place_at
            style = self.options(option_text, style, line=option_line, context="node")
            if style.place_at is not before:
                placed_by = index
        if style.place_at is not None and at is not None and placed_by < at_index:
            style = replace(style, place_at=None)
        elif style.place_at is not None:
            at = None
        name = name or style.name
        if at is None and builder.pending in ("--", "-|", "|-", "to"):
            # "-- node {..} (b)": the node belongs to the segment that (b) completes, midway
            # unless it says otherwise, so it is made once that segment is known
            segment_style = style if style.pos is not None else replace(style, pos=0.5)
            builder.waiting.append(lambda segment: self.node_with_labels(
                name, text, _along(segment, segment_style.pos or 0.0),
                _orient(segment_style, segment, segment_style.pos or 0.0), path_style, line))
            return
        if at is not None:
            units = replace(path_style, unit_x=style.unit_x, unit_y=style.unit_y)
            position = builder.resolve(at[0], units, at[1]).point
        elif style.place_at is not None:
            position = style.place_at
        elif style.pos is not None and builder.last_segment is not None:
            position = _along(builder.last_segment, style.pos)
            style = _orient(style, builder.last_segment, style.pos)
        else:
            # (without pos= a node is not on the segment: sloped and auto do not apply, as in TikZ)
            position = builder.current.point if builder.current else style.transform.apply((0.0, 0.0))
        placed = self.node_with_labels(name, text, position, style, path_style, line)
        builder.after.extend(placed)
        builder.last_node = placed[0]
        if builder.current is None and at is None and style.place_at is None:
            builder.current = _Vertex(position)
            builder.base = position

    def node_with_labels(self, name: str, text: str, position: Point, style: Style,
                         path_style: Style, line: int) -> list[Node | PathPiece]:
        """The node, its ``label=`` nodes and its ``pin=`` nodes with their lines, each placed as
        TikZ's label code places it: at the node's anchor in the label's direction, anchored on
        the side facing the node, ``label distance`` (``pin distance``) beyond it."""
        node = self.make_node(name, text, position, style, line)
        placed: list[Node | PathPiece] = [node]
        for pin, attached in ((False, style.labels), (True, style.pins)):
            for options, where, label_text, label_line in attached:
                label, label_style = self.label_node(node, options, where, label_text, pin=pin,
                                                     path_style=path_style, line=label_line)
                placed.append(label)
                if pin:
                    placed.extend(self.pin_edge(node, label, path_style, label_style.pin_edge,
                                                line=label_line))
        return placed

    def label_node(self, node: Node, options: str, where: str, text: str, *, pin: bool,
                   path_style: Style, line: int) -> tuple[Node, Style]:
        """One label or pin of ``node``. TikZ makes it after the node, outside the node's
        options: its distance is the path's (or scope's) unless its own options set one."""
        style = path_style.for_node()
        for every, every_line in path_style.every_node:
            style = self.options(every, style, line=every_line, context="node")
        style = replace(style, draw_on=False, fill_on=False, labels=(), pins=())
        style = replace(self.options(options, style, line=line, context="node"), labels=(), pins=())
        distance = style.pin_distance if pin else style.label_distance
        if where == "center":
            anchor, at = "center", node.center
        else:
            at = anchor_point(node, where)
            ux, uy = at[0] - node.center[0], at[1] - node.center[1]
            length_ = math.hypot(ux, uy) or 1.0
            ux, uy = ux / length_, uy / length_
            anchor = _label_anchor(ux, uy)
            at = (at[0] + ux * distance, at[1] + uy * distance)
        return self.make_node(style.name, text, at, replace(style, anchor=anchor), line), style

    def pin_edge(self, node: Node, pin: Node, path_style: Style, options: str, *,
                 line: int) -> list[Node | PathPiece]:
        """A pin's line: an edge from the node to the pin, border to border, in ``every pin
        edge`` (help lines) and the pin's ``pin edge`` options."""
        style = replace(path_style, draw_on=False, fill_on=False, draw_color=None, fill_color=None)
        for extra in ("every edge", "every pin edge", options):
            style = self.options(extra, style, line=line, context="path")
        edge = _PathBuilder(self, line)
        edge.start(_Vertex(node.center, node))
        edge.pending = "--"
        edge.add(_Vertex(pin.center, pin), "", style, line)
        return self.drawn(edge, style, line)

    def make_node(self, name: str, text: str, position: Point, style: Style, line: int, *,
                  register: bool = True) -> Node:
        self.count(1, line)
        if style.shape == "coordinate":
            box = typeset("", font=style.font, text_width=None, align=None, line=line)
            half_width = half_height = outer = 0.0
        else:
            box = typeset(text, font=style.font, text_width=style.text_width, align=style.align, line=line)
            half_width = box.width / 2 + style.inner_xsep
            half_height = (box.height + box.depth) / 2 + style.inner_ysep
            if style.shape == "circle":
                radius = max(math.hypot(half_width, half_height), style.minimum_width / 2,
                             style.minimum_height / 2)
                half_width = half_height = radius
            else:
                half_width = max(half_width, style.minimum_width / 2)
                half_height = max(half_height, style.minimum_height / 2)
            outer = style.outer_sep if style.outer_sep is not None else style.line_width / 2
        probe = Node(name, (0.0, 0.0), half_width, half_height, outer, style.shape, style.rotate,
                     style.stroke(), box, style.text_color or style.color,
                     style.text_opacity * style.opacity)
        offset = anchor_point(probe, style.anchor)
        shift_x, shift_y = _add(style.node_shift, style.place_shift)
        if style.of_angles:
            distance_text = (style.node_distance or "1cm").partition("and")[0]
            distance = check_dimension(length(distance_text, line=line, unit_pt=style.unit_x),
                                       "node distance", line=line)
            for angle in style.of_angles:
                shift_x, shift_y = _add((shift_x, shift_y), _polar(angle, distance))
        center = (position[0] - offset[0] + shift_x, position[1] - offset[1] + shift_y)
        check_dimension(center[0], "node position", line=line)
        check_dimension(center[1], "node position", line=line)
        node = replace(probe, center=center)
        if name:
            if name.endswith(".") or not name.strip():
                raise TikzError(f"invalid node name '{name}'", line=line, hint="use letters and digits")
            self.nodes[name] = node
        if register:
            self.register_node(node)
        return node

    def register_node(self, node: Node) -> None:
        """Grow the picture by the node's border (not its outer sep), plus half a drawn line.
        A coordinate has no border and, as in PGF, leaves the picture's size alone."""
        if node.shape == "coordinate" or not self.sizing:
            return
        margin = node.stroke.line_width / 2 if node.stroke.draw is not None else 0.0
        for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
            x, y = node.local_to_canvas((sx * node.half_width, sy * node.half_height))
            self.points.extend([(x - margin, y - margin), (x + margin, y + margin)])

    def register_points(self, points: list[Point], margin: float) -> None:
        """PGF (3.1 on) grows the picture by half the line width around a stroked path."""
        if not self.sizing:
            return
        for x, y in points:
            self.points.extend([(x - margin, y - margin), (x + margin, y + margin)])

    def finish_path(self, builder: _PathBuilder, style: Style, line: int) -> None:
        if not style.clip:
            self.target.extend(self.drawn(builder, style, line))
            return
        if _look(style) != _look(self.unchanged_look):
            raise TikzError("a clipping path cannot take options that change its look (TikZ "
                            "stops with 'Extra options not allowed for clipping path command')",
                            line=line, command="clip",
                            hint="set the colour or line width on the scope, or draw the path "
                                 "again without clip")
        # a clipping path is stroked or filled (without tips) before it clips; its nodes and
        # everything after it in the scope are clipped, and no longer grow the picture
        style = replace(style, arrows=("", ""))
        outline = builder.pieces(style)
        shown = self.drawn(builder, style, line)
        strokes = len(outline) if style.draw_on or style.fill_on else 0
        self.target.extend(shown[:strokes])
        clip = _OpenClip(outline[0].commands if outline else (), shown[strokes:])
        self.target.append(clip)
        self.target, self.sizing = clip.items, False

    def drawn(self, builder: _PathBuilder, style: Style, line: int) -> list[Node | PathPiece]:
        """A finished path's pieces (if it is drawn or filled), then its nodes and edges."""
        if builder.waiting:
            raise TikzError("a node after -- has no end point to sit between", line=line,
                            hint="write (a) -- node {text} (b), with the end point after the node")
        self.register_points(builder.points, style.line_width / 2 if style.draw_on else 0.0)
        drawn: list[Node | PathPiece] = []
        if style.draw_on or style.fill_on:
            drawn.extend(builder.pieces(style))
        return drawn + builder.after

    def edge(self, source: _Source, style: Style, builder: _PathBuilder, *, line: int) -> None:
        """``edge [options] node {..} (target)``: a path of its own from the current point (or
        the node just placed) to the target, drawn after the main path; the current point stays.

        It keeps the path's colour, line width, dashes and tips but not its ``draw=``/``fill=``
        colours (TikZ sets those as path options), then takes ``every edge`` (``draw``) and its
        own options; ``bend left``, ``out=``/``in=`` and ``looseness`` curve it as ``to`` does.
        """
        if builder.pending:
            raise TikzError(f"'edge' right after '{builder.pending}'", line=line, command="edge",
                            hint="write (a) edge (b), or finish the -- first: (a) -- (b) edge (c)")
        start = builder.edge_start()
        if start is None:
            raise TikzError("'edge' needs a point before it", line=line, command="edge",
                            hint="write (a) edge (b)")
        edge_style = replace(style, draw_on=False, fill_on=False, draw_color=None, fill_color=None)
        edge_style = self.options("every edge", edge_style, line=line, context="path")
        bend_options: list[str] = []
        while source.peek() == "[":
            text = source.balanced("[", "]", "edge options")
            other: list[str] = []
            for raw in split_top_level(text):
                key = " ".join(raw.partition("=")[0].split())
                (bend_options if key in _TO_KEYS else other).append(raw)
            edge_style = self.options(",".join(other), edge_style, line=line, context="path")
        bend = _to_bend(",".join(bend_options), line)
        edge = _PathBuilder(self, line)
        edge.start(start)
        edge.pending, edge.bend = ("to", bend) if bend else ("--", None)
        while (word := next((w for w in ("node", "coordinate") if source.take_word(w)), "")):
            self.path_node(source, edge_style, edge, shape="coordinate" if word == "coordinate" else None)
        relative = "++" if source.take("++") else "+" if source.take("+") else ""
        if source.peek() != "(":
            raise TikzError("'edge' needs its target, as in (a) edge (b)", line=line, command="edge",
                            hint="write edge [options] node {label} (target)")
        edge.coordinate(source.balanced("(", ")", "the edge's target"), relative, edge_style, line)
        builder.after.extend(self.drawn(edge, edge_style, line))

    # --- matrices ------------------------------------------------------------------------

    def matrix(self, source: _Source, style: Style, *, line: int) -> None:
        name, at, option_texts, body = "", None, [], None
        while body is None:
            if source.done():
                raise TikzError("\\matrix without its {cells}", line=line,
                                hint="write \\matrix [matrix of nodes] {a & b \\\\ c & d \\\\};")
            if source.peek() == "[":
                option_texts.append((source.balanced("[", "]", "matrix options"), source.line))
            elif source.peek() == "(":
                name = source.balanced("(", ")", "a matrix name").strip()
            elif source.take_word("at"):
                at = self.coordinate(source.balanced("(", ")", "a coordinate"), style, line=source.line).point
            elif source.peek() == "{":
                body = source.balanced("{", "}", "matrix cells")
            else:
                raise TikzError("unexpected text in \\matrix", line=source.line,
                                hint="write \\matrix (m) [matrix of nodes] {a & b \\\\};")
        if not source.take(";"):
            raise TikzError("\\matrix without its closing ;", line=line, hint="end it with ;")
        matrix_style = style.for_node()
        for option_text, option_line in option_texts:
            matrix_style = self.options(option_text, matrix_style, line=option_line, context="node")
        if not matrix_style.matrix_of_nodes:
            raise TikzError("unsupported \\matrix without 'matrix of nodes'", line=line,
                            command="\\matrix", hint="add [matrix of nodes] and write plain cell text")
        name = name or matrix_style.name
        cell_style = replace(matrix_style, draw_on=False, fill_on=False, anchor="base",
                             node_shift=(0.0, 0.0), name="", every_node=())
        rows = [row for row in _split_rows(body)]
        cells: list[list[tuple[Node, str]]] = []
        for row_index, row in enumerate(rows, start=1):
            cells.append([])
            for column_index, cell_text in enumerate(split_top_level(row, "&"), start=1):
                cell = cell_style
                for every, every_line in matrix_style.every_node:
                    cell = self.options(every, cell, line=every_line, context="node")
                text = cell_text.strip()
                option_match = re.match(r"\|\s*\[(.*?)\]\s*\|", text, re.S)
                if option_match:
                    cell = self.options(option_match.group(1), cell, line=line, context="node")
                    text = text[option_match.end():].strip()
                cell_name = f"{name}-{row_index}-{column_index}" if name else ""
                node = self.make_node("", text, (0.0, 0.0), cell, line, register=False)
                cells[-1].append((node, cell_name))
        columns = max(len(row) for row in cells)
        # extents of each cell around its anchor point (which is at the origin)
        west = [0.0] * columns
        east = [0.0] * columns
        for row in cells:
            for column, (node, _) in enumerate(row):
                xs = [p[0] for p in _node_border_box(node)]
                west[column] = max(west[column], -min(xs))
                east[column] = max(east[column], max(xs))
        column_x, x = [], 0.0
        for column in range(columns):
            x += west[column]
            column_x.append(x)
            x += east[column] + matrix_style.column_sep
        total_width = x - matrix_style.column_sep
        row_y, y = [], 0.0
        for row in cells:
            ys = [p[1] for node, _ in row for p in _node_border_box(node)] or [0.0]
            y -= max(ys)
            row_y.append(y)
            y -= -min(ys) + matrix_style.row_sep
        total_height = -(y + matrix_style.row_sep)
        # the matrix is a node whose text box is the cells' box
        half_width = max(total_width / 2 + matrix_style.inner_xsep, matrix_style.minimum_width / 2)
        half_height = max(total_height / 2 + matrix_style.inner_ysep, matrix_style.minimum_height / 2)
        outer = matrix_style.outer_sep if matrix_style.outer_sep is not None else matrix_style.line_width / 2
        empty = typeset("", font=matrix_style.font, text_width=None, align=None, line=line)
        probe = Node(name, (0.0, 0.0), half_width, half_height, outer, "rectangle", 0.0,
                     matrix_style.stroke(), empty, matrix_style.text_color or matrix_style.color,
                     matrix_style.opacity)
        position = at if at is not None else style.transform.apply((0.0, 0.0))
        offset = anchor_point(probe, matrix_style.anchor)
        center = (position[0] - offset[0] + matrix_style.node_shift[0],
                  position[1] - offset[1] + matrix_style.node_shift[1])
        matrix_node = replace(probe, center=center)
        self.target.append(matrix_node)
        self.register_node(matrix_node)
        if name:
            self.nodes[name] = matrix_node
        left, top = center[0] - total_width / 2, center[1] + total_height / 2
        for row_index, row in enumerate(cells):
            for column, (node, cell_name) in enumerate(row):
                placed = replace(node, center=(node.center[0] + left + column_x[column],
                                               node.center[1] + top + row_y[row_index]), name=cell_name)
                self.target.append(placed)
                self.register_node(placed)
                if cell_name:
                    self.nodes[cell_name] = placed

    # --- result --------------------------------------------------------------------------

    def diagram(self) -> Diagram:
        if self.points:
            xs = [p[0] for p in self.points]
            ys = [p[1] for p in self.points]
            bbox = (min(xs), min(ys), max(xs), max(ys))
        else:
            bbox = (0.0, 0.0, 0.0, 0.0)
        return Diagram(_frozen(self.items), bbox, MappingProxyType(dict(self.nodes)))


def _look(style: Style) -> tuple:
    """What TikZ sets as a path's own options (its \\tikz@options): a clipping path refuses them."""
    return (style.color, style.draw_color, style.fill_color, style.line_width, style.dash,
            style.opacity, style.draw_opacity, style.fill_opacity, style.line_cap, style.line_join)


@dataclass
class _OpenClip:
    """A \\clip while its scope is being read: its items are still being added."""

    commands: tuple[tuple, ...]
    items: list[Node | PathPiece | _OpenClip]


def _frozen(items: list[Node | PathPiece | _OpenClip]) -> tuple[Item, ...]:
    return tuple(Clip(item.commands, _frozen(item.items)) if isinstance(item, _OpenClip) else item
                 for item in items)


class _PathBuilder:
    """Collects one path's segments; clips lines at node borders when the path ends."""

    def __init__(self, interpreter: Interpreter, line: int):
        self.interpreter, self.line = interpreter, line
        self.subpaths: list[list[_Vertex]] = []
        self.closed: list[bool] = []
        self.extra: list[tuple] = []   # circles and grid lines: ("circle", c, r) / ("line", a, b)
        self.current: _Vertex | None = None
        self.base: Point | None = None
        self.pending = ""
        self.grid_style: Style | None = None
        # what is drawn after the path itself, in the order written: its nodes and its edges
        self.after: list[Node | PathPiece] = []
        self.last_node: Node | None = None   # the node just placed: where an edge starts
        self.points: list[Point] = []   # what the path adds to the picture's bounding box
        # nodes written between an operation and its target: made once the segment is known
        self.waiting: list[Callable[[tuple[Point, ...]], list[Node | PathPiece]]] = []
        self.bend: _Bend | None = None    # the curve of a pending to[out=.., in=..] / to[bend left]
        self.last_segment: tuple[Point, ...] | None = None   # a line's ends or a cubic's points

    def resolve(self, text: str, style: Style, line: int, relative: str = "") -> _Vertex:
        if relative:
            if self.base is None:
                raise TikzError(f"relative coordinate {relative}({text}) with no point before it",
                                line=line, hint="start the path with an absolute coordinate")
            dx, dy = style.transform.apply_vector(self.interpreter.local_xy(text, style, line=line))
            what = f"coordinate {relative}({text.strip()})"
            return _Vertex((check_dimension(self.base[0] + dx, what, line=line),
                            check_dimension(self.base[1] + dy, what, line=line)))
        return self.interpreter.coordinate(text, style, line=line)

    def start(self, vertex: _Vertex) -> None:
        """Begin the path at ``vertex`` (an edge's start, possibly a node to clip at)."""
        self.subpaths.append([vertex])
        self.closed.append(False)
        self.points.append(vertex.point)
        self.current, self.base = vertex, vertex.point

    def edge_start(self) -> _Vertex | None:
        """Where an ``edge`` starts: the node just placed on the path, else the current point."""
        if self.last_node is not None:
            return _Vertex(self.last_node.center, self.last_node)
        return self.current

    def coordinate(self, text: str, relative: str, style: Style, line: int) -> None:
        self.add(self.resolve(text, style, line, relative), relative, style, line)

    def add(self, vertex: _Vertex, relative: str, style: Style, line: int) -> None:
        """The path goes on to ``vertex`` by the pending operation (or moves there)."""
        self.last_node = None
        self.interpreter.count(1, line)
        operation, self.pending = self.pending, ""
        if operation and self.current is None:
            raise TikzError(f"'{operation}' with no point before it", line=line,
                            hint="start the path with a coordinate")
        if operation == "to":
            self.bent_to(vertex, line)
        elif operation in ("--", "-|", "|-"):
            start = self.current  # type: ignore[assignment]
            if operation != "--":
                a, b = start.point, vertex.point
                start = _Vertex((b[0], a[1]) if operation == "-|" else (a[0], b[1]))
                self.subpaths[-1].append(start)
            # nodes along the path (pos=, midway) sit on the segment as clipped at node borders
            self.last_segment = (
                start.node.border_towards(vertex.point) if start.node else start.point,
                vertex.node.border_towards(start.point) if vertex.node else vertex.point)
            self.subpaths[-1].append(vertex)
        else:
            if operation in ("rectangle", "grid"):
                self.last_segment = (self.current.point, vertex.point)  # type: ignore[union-attr]
            if operation == "rectangle":
                a, b = self.current.point, vertex.point  # type: ignore[union-attr]
                self.subpaths.append([_Vertex(a), _Vertex((b[0], a[1])), _Vertex(b), _Vertex((a[0], b[1]))])
                self.closed.append(True)
            elif operation == "grid":
                self.grid(self.current.point, vertex.point, self.grid_style or style, line)  # type: ignore[union-attr]
            self.subpaths.append([vertex])
            self.closed.append(False)
        self.points.append(vertex.point)
        self.current = vertex
        if relative != "+":  # +() leaves the base of later relative coordinates where it was
            self.base = vertex.point
        self.place_waiting()

    def cycle(self, style: Style) -> None:
        if not self.subpaths or self.pending not in ("--", "-|", "|-"):
            raise TikzError("'cycle' must follow -- in a path", line=self.line,
                            hint="write (0,0) -- (1,0) -- (1,1) -- cycle")
        self.pending = ""
        self.closed[-1] = True
        self.current = self.subpaths[-1][0]
        self.base = self.current.point

    def circle(self, source: _Source, style: Style, line: int) -> None:
        if self.current is None:
            raise TikzError("'circle' needs a centre point before it", line=line,
                            hint="write (0,0) circle (1cm)")
        if source.peek() == "[":
            style = self.interpreter.options(source.balanced("[", "]", "circle options"), style,
                                             line=line, context="path")
            radius = style.radius
            x_radius, y_radius = style.x_radius or radius, style.y_radius or radius
        elif source.peek() == "(":
            radius_text = source.balanced("(", ")", "a radius")
            x_text, _, y_text = radius_text.partition(" and ")
            x_radius = check_dimension(length(x_text, line=line, unit_pt=style.unit_x), "radius", line=line)
            y_radius = check_dimension(length(y_text, line=line, unit_pt=style.unit_y), "radius",
                                       line=line) if y_text else x_radius
        else:
            x_radius = style.x_radius or style.radius
            y_radius = style.y_radius or style.radius
        if x_radius is None or y_radius is None:
            raise TikzError("'circle' needs a radius", line=line, hint="write circle (1cm) or circle [radius=1cm]")
        center = self.current.point
        self.interpreter.count(1, line)
        transform = style.transform
        if x_radius == y_radius and abs(transform.a - transform.d) < 1e-9 and abs(transform.b + transform.c) < 1e-9:
            # a circle stays a circle under uniform scaling and rotation: one exact SVG arc
            radius = abs(x_radius) * transform.scale_factor()
            self.extra.append(("circle", center, radius))
            self.points.extend([(center[0] - radius, center[1] - radius),
                                (center[0] + radius, center[1] + radius)])
            return
        # an ellipse (or a circle under uneven scaling): four quarter arcs, as PGF builds it
        start = _add(center, transform.apply_vector((x_radius, 0.0)))
        knots = [_Vertex(start)] + self.arc_knots(start, x_radius, y_radius, 0.0, 360.0, transform)
        self.subpaths.append(knots)
        self.closed.append(True)
        self.subpaths.append([_Vertex(center)])
        self.closed.append(False)
        for knot in knots:
            self.points.extend([knot.point, *(knot.controls or ())])

    def bent_to(self, target: _Vertex, line: int) -> None:
        """``to[out=a, in=b]`` and ``to[bend left=θ]``: the topaths library's curve.

        Absolute angles leave and enter through the nodes' ``a`` and ``b`` anchors; relative
        ones (bend) turn from the line between the nodes' borders. Control points sit 0.3915
        times the distance (times the looseness) out along those angles, as TikZ computes them.
        """
        bend, start = self.bend, self.current
        assert bend is not None and start is not None  # set with the pending "to"
        a, b = start.node, target.node
        if not bend.relative:
            first = anchor_point(a, _angle_text(bend.out)) if a else start.point
            second = anchor_point(b, _angle_text(bend.into)) if b else target.point
            reach = 0.3915 * _distance(first, second)
            c1 = _add(first, _polar(bend.out, reach * bend.out_looseness))
            c2 = _add(second, _polar(bend.into, reach * bend.in_looseness))
        else:
            first, second = start.point, target.point
            if a is not None:
                first = a.border_towards(_rotate_about(target.point, a.center, bend.out))
            if b is not None:
                second = b.border_towards(_rotate_about(start.point, b.center, 180 + bend.into))
            reach = 0.3915 * _distance(first, second)
            direction = math.degrees(math.atan2(second[1] - first[1], second[0] - first[0]))
            c1 = _add(first, _polar(direction + bend.out, reach * bend.out_looseness))
            c2 = _add(second, _polar(direction + bend.into, reach * bend.in_looseness))
        if a is not None:
            start_point = a.border_towards(c1) if not bend.relative else first
            self.subpaths[-1][-1] = _Vertex(start_point)
            self.current = _Vertex(start_point)
        end_point = (b.border_towards(c2) if not bend.relative else second) if b else target.point
        self.append_curve((c1, c2), _Vertex(end_point), line)
        self.bend = None

    def append_curve(self, controls: tuple[Point, Point], end: _Vertex, line: int) -> None:
        """A cubic from the current point to ``end``; the end becomes the current point."""
        start = self.current
        assert start is not None  # checked by every caller
        self.interpreter.count(1, line)
        self.subpaths[-1].append(replace(end, controls=controls))
        self.points.extend([*controls, end.point])
        self.last_segment = (start.point, *controls, end.point)
        self.current = end
        self.place_waiting()

    def curve(self, source: _Source, style: Style, line: int) -> None:
        """``.. controls (c1) and (c2) .. (p)``; a relative first control is taken from the
        start, a relative second one from the end, as in TikZ."""
        if self.current is None:
            raise TikzError("'..' needs a point before it", line=line,
                            hint="write (0,0) .. controls (1,1) .. (2,0)")
        if not source.take_word("controls"):
            raise TikzError("unsupported '..' without controls", line=line, command="..",
                            hint="write .. controls (c1) and (c2) .. (end)")
        first = self.control_text(source)
        second = self.control_text(source) if source.take_word("and") else None
        if not source.take(".."):
            raise TikzError("'.. controls' needs its closing '..'", line=line,
                            hint="write .. controls (c1) and (c2) .. (end)")
        relative = "++" if source.take("++") else "+" if source.take("+") else ""
        start = self.current
        end = self.resolve(source.balanced("(", ")", "a coordinate"), style, line, relative)
        c1 = self.control_point(first, start.point, style, line)
        c2 = c1 if second is None else self.control_point(second, end.point, style, line)
        if start.node is not None:  # a curve leaves a node towards its first control point
            start_point = start.node.border_towards(c1)
            self.subpaths[-1][-1] = _Vertex(start_point)
            self.current = _Vertex(start_point)
        if end.node is not None:
            end = _Vertex(end.node.border_towards(c2))
        self.append_curve((c1, c2), end, line)
        if relative != "+":
            self.base = end.point

    def control_text(self, source: _Source) -> tuple[bool, str]:
        relative = source.take("++") or source.take("+")
        return relative, source.balanced("(", ")", "a control point")

    def control_point(self, control: tuple[bool, str], base: Point, style: Style, line: int) -> Point:
        relative, text = control
        if not relative:
            return self.interpreter.coordinate(text, style, line=line).point
        offset = style.transform.apply_vector(self.interpreter.local_xy(text, style, line=line))
        return _add(base, offset)

    def arc(self, source: _Source, style: Style, line: int) -> None:
        """``arc (start:end:radius)``, ``(start:end:rx and ry)`` or ``arc [start angle=...]``."""
        if self.current is None:
            raise TikzError("'arc' needs a point before it", line=line,
                            hint="write (1,0) arc (0:90:1cm)")
        if source.peek() == "[":
            style = self.interpreter.options(source.balanced("[", "]", "arc options"), style,
                                             line=line, context="path")
            start, end, delta = style.start_angle, style.end_angle, style.delta_angle
            x_radius = style.x_radius or style.radius
            y_radius = style.y_radius or style.radius
            if start is None and end is not None and delta is not None:
                start = end - delta
            elif end is None and start is not None and delta is not None:
                end = start + delta
        elif source.peek() == "(":
            parts = split_top_level(source.balanced("(", ")", "the arc's angles and radius"), ":")
            if len(parts) != 3:
                raise TikzError("an arc is (start angle:end angle:radius)", line=line, command="arc",
                                hint="write arc (0:90:1cm) or arc (0:90:1cm and 5mm)")
            start, end = _angle("arc", parts[0], line), _angle("arc", parts[1], line)
            x_text, _, y_text = parts[2].partition(" and ")
            x_radius = check_dimension(length(x_text, line=line, unit_pt=style.unit_x), "radius", line=line)
            y_radius = check_dimension(length(y_text, line=line, unit_pt=style.unit_y), "radius",
                                       line=line) if y_text else x_radius
        else:
            raise TikzError("'arc' needs its angles and radius", line=line, command="arc",
                            hint="write arc (0:90:1cm) or arc [start angle=0, end angle=90, radius=1cm]")
        if start is None or end is None or x_radius is None or y_radius is None:
            raise TikzError("an arc needs two of start/end/delta angle and a radius", line=line,
                            command="arc", hint="write arc [start angle=0, end angle=90, radius=1cm]")
        if abs(end - start) > 3600:
            raise TikzError("an arc may turn at most ten times", line=line, command="arc",
                            hint="draw a circle instead")
        knots = self.arc_knots(self.current.point, x_radius, y_radius, start, end, style.transform)
        for knot in knots:
            self.append_curve(knot.controls, _Vertex(knot.point), line)  # type: ignore[arg-type]
        self.base = self.current.point  # type: ignore[union-attr]

    @staticmethod
    def arc_knots(origin: Point, x_radius: float, y_radius: float, start: float, end: float,
                  transform: Affine) -> list[_Vertex]:
        """An elliptic arc from ``origin`` (at angle ``start``) as cubic pieces of at most 90°,
        with PGF's control points (4/3 tan(θ/4) along the tangents)."""
        def offset(angle: float) -> Point:
            radians = math.radians(angle)
            return (x_radius * math.cos(radians), y_radius * math.sin(radians))

        def tangent(angle: float) -> Point:
            radians = math.radians(angle)
            return (-x_radius * math.sin(radians), y_radius * math.cos(radians))

        center_offset = offset(start)
        count = max(1, math.ceil(abs(end - start) / 90 - 1e-9))
        knots = []
        for index in range(count):
            a = start + (end - start) * index / count
            b = start + (end - start) * (index + 1) / count
            k = 4 / 3 * math.tan(math.radians(b - a) / 4)
            local = [_add(offset(a), _scale(tangent(a), k)), _add(offset(b), _scale(tangent(b), -k)),
                     offset(b)]
            c1, c2, point = (_add(origin, transform.apply_vector((x - center_offset[0], y - center_offset[1])))
                             for x, y in local)
            knots.append(_Vertex(point, controls=(c1, c2)))
        return knots

    def plot(self, source: _Source, style: Style, line: int) -> None:
        """``plot (\\x, {f(\\x)})`` over ``domain`` with ``samples``, or ``plot coordinates
        {(x,y) ...}``; ``smooth`` joins the points with PGF's tension curves."""
        connect, self.pending = self.pending in ("--", "-|", "|-"), ""
        if source.peek() == "[":
            style = self.interpreter.options(source.balanced("[", "]", "plot options"), style,
                                             line=line, context="path")
        if source.take_word("coordinates"):
            listing = source.balanced("{", "}", "the plot's coordinates")
            texts = re.findall(r"\(([^()]*(?:\([^()]*\)[^()]*)*)\)", listing)
            if not texts or re.sub(r"\(([^()]*(?:\([^()]*\)[^()]*)*)\)", "", listing).strip():
                raise TikzError("plot coordinates are a list of (x,y)", line=line, command="plot coordinates",
                                hint="write plot coordinates {(0,0) (1,1) (2,0)}")
        elif source.peek() == "(":
            expression = source.balanced("(", ")", "the plotted coordinate")
            low, high = style.domain
            texts = [_substitute(expression, {style.variable: f"({low + (high - low) * i / (style.samples - 1):.10g})"})
                     for i in range(style.samples)]
        else:
            raise TikzError("unsupported plot", line=line, command="plot",
                            hint="write plot (\\x, {sin(\\x r)}) with domain= and samples=, "
                                 "or plot coordinates {(0,0) (1,1)}")
        self.interpreter.count(len(texts), line)
        points = [self.interpreter.coordinate(text, style, line=line).point for text in texts]
        if connect and self.current is not None:
            self.subpaths[-1].append(_Vertex(points[0]))
        else:
            self.subpaths.append([_Vertex(points[0])])
            self.closed.append(False)
        self.current = _Vertex(points[0])
        self.points.append(points[0])
        if style.smooth and len(points) > 2:
            for controls, point in _smooth_pieces(points, 0.2775 * style.tension):
                self.append_curve(controls, _Vertex(point), line)
        else:
            for point in points[1:]:
                self.subpaths[-1].append(_Vertex(point))
                self.points.append(point)
                self.last_segment = (self.current.point, point)
                self.current = _Vertex(point)
        self.base = self.current.point

    def place_waiting(self) -> None:
        """Nodes written between an operation and its target, now that the segment is known."""
        if self.waiting and self.last_segment is not None:
            for place in self.waiting:
                self.after.extend(place(self.last_segment))
        self.waiting.clear()

    def grid(self, a: Point, b: Point, style: Style, line: int) -> None:
        transform = style.transform
        determinant = transform.a * transform.d - transform.b * transform.c
        if abs(determinant) < 1e-12:
            raise TikzError("grid under a degenerate transformation", line=line, hint="check scale")
        def to_local(point: Point) -> Point:
            x, y = point[0] - transform.e, point[1] - transform.f
            return ((transform.d * x - transform.c * y) / determinant,
                    (-transform.b * x + transform.a * y) / determinant)
        (x0, y0), (x1, y1) = to_local(a), to_local(b)
        x_low, x_high, y_low, y_high = min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1)
        step_x, step_y = style.step
        if step_x <= 0 or step_y <= 0:
            raise TikzError("grid step must be positive", line=line, command="step",
                            hint="write grid[step=5mm]")
        lines_x = math.floor(x_high / step_x + 1e-6) - math.ceil(x_low / step_x - 1e-6) + 1
        lines_y = math.floor(y_high / step_y + 1e-6) - math.ceil(y_low / step_y - 1e-6) + 1
        self.interpreter.count(max(0, lines_x) + max(0, lines_y), line)
        for k in range(math.ceil(x_low / step_x - 1e-6), math.floor(x_high / step_x + 1e-6) + 1):
            self.extra.append(("line", transform.apply((k * step_x, y_low)), transform.apply((k * step_x, y_high))))
        for k in range(math.ceil(y_low / step_y - 1e-6), math.floor(y_high / step_y + 1e-6) + 1):
            self.extra.append(("line", transform.apply((x_low, k * step_y)), transform.apply((x_high, k * step_y))))

    def pieces(self, style: Style) -> list[PathPiece]:
        """The path as drawable pieces: lines clipped at nodes, with arrow tips at its ends."""
        runs: list[tuple[list[_Vertex], bool]] = []   # knots (point + arriving cubic), closed
        for vertices, closed in zip(self.subpaths, self.closed):
            if len(vertices) < 2:
                continue
            current: list[_Vertex] = []
            for index in range(len(vertices) - 1 + closed):
                start, end = vertices[index], vertices[(index + 1) % len(vertices)]
                p, q = start.point, end.point
                if start.node is not None:  # clip at a bare node reference's border
                    p = start.node.border_towards(end.point)
                if end.node is not None:
                    q = end.node.border_towards(start.point)
                if current and (start.node is not None or _distance(current[-1].point, p) > 1e-9):
                    runs.append((current, False))
                    current = []
                if not current:
                    current = [_Vertex(p)]
                current.append(_Vertex(q, controls=end.controls))
            is_closed = closed and not any(vertex.node for vertex in vertices)
            if is_closed:
                current = current[:-1]  # the closing line is the Z
            runs.append((current, is_closed))
        commands: list[tuple] = []
        arrows: list[Arrow] = []
        start_tip, end_tip = style.arrows
        open_runs = [index for index, (_, closed) in enumerate(runs) if not closed]
        for index, (knots, closed) in enumerate(runs):
            knots = list(knots)
            if start_tip and open_runs and index == open_runs[0]:
                arrow = _tip(start_tip, knots[0].point, _toward_point(knots, 0), style.line_width)
                arrows.append(arrow)
                knots[0] = replace(knots[0], point=_shortened(arrow))
            if end_tip and open_runs and index == open_runs[-1]:
                arrow = _tip(end_tip, knots[-1].point, _toward_point(knots, -1), style.line_width)
                arrows.append(arrow)
                knots[-1] = replace(knots[-1], point=_shortened(arrow))
            commands.extend(_run_commands(knots, closed, style.rounded))
        for extra in self.extra:
            if extra[0] == "circle":
                commands.append(extra)
            else:
                commands.extend([("M", extra[1]), ("L", extra[2])])
        if not commands:
            return []
        return [PathPiece(tuple(commands), style.stroke(), tuple(arrows))]


def _toward_point(knots: list[_Vertex], end: int) -> Point:
    """The point a tip at the run's start (0) or end (-1) points away from: the neighbouring
    knot, or the nearest control point of a curve (a tip follows the curve's tangent)."""
    if end == 0:
        controls = knots[1].controls
        return controls[0] if controls and _distance(controls[0], knots[0].point) > 1e-9 else knots[1].point
    controls = knots[-1].controls
    return controls[1] if controls and _distance(controls[1], knots[-1].point) > 1e-9 else knots[-2].point


def _tip(kind: str, tip: Point, previous: Point, line_width: float) -> Arrow:
    dx, dy = tip[0] - previous[0], tip[1] - previous[1]
    length_ = math.hypot(dx, dy) or 1.0
    return Arrow(kind, tip, (dx / length_, dy / length_), line_width)


def _shortened(arrow: Arrow) -> Point:
    """Where the line stops so the tip, not the line's butt end, reaches the path's end."""
    reach = tip_shape(arrow.kind, arrow.line_width).reach
    return (arrow.tip[0] - arrow.direction[0] * reach, arrow.tip[1] - arrow.direction[1] * reach)


def _along(segment: tuple[Point, ...], fraction: float) -> Point:
    """The point at ``fraction`` of a line (two points) or of a cubic's parameter (four)."""
    if len(segment) == 2:
        return _lerp(segment[0], segment[1], fraction)
    p0, c1, c2, p1 = segment
    t, u = fraction, 1 - fraction
    return (u ** 3 * p0[0] + 3 * u * u * t * c1[0] + 3 * u * t * t * c2[0] + t ** 3 * p1[0],
            u ** 3 * p0[1] + 3 * u * u * t * c1[1] + 3 * u * t * t * c2[1] + t ** 3 * p1[1])


_TO_KEYS = frozenset({"out", "in", "bend left", "bend right", "bend angle", "looseness",
                      "in looseness", "out looseness", "relative"})


@dataclass(frozen=True)
class _Bend:
    """The curve keys of ``to[...]``: leaving and entering angles, relative or absolute."""

    out: float
    into: float
    relative: bool
    out_looseness: float = 1.0
    in_looseness: float = 1.0


def _to_bend(text: str, line: int) -> _Bend | None:
    """``to[out=45, in=135]``, ``to[bend left]``, ``to[bend right=20, looseness=1.5]``."""
    values: dict[str, str | None] = {}
    for raw in split_top_level(text):
        if raw.strip():
            key, equals, value = raw.partition("=")
            values[" ".join(key.split())] = _strip_braces(value) if equals else None
    for key in values:
        if key not in _TO_KEYS:
            raise TikzError(f"unsupported option '{key}' in to[...]", line=line, command=f"to[{key}]",
                            hint="to[...] takes out=, in=, bend left/right[=angle], looseness=, relative")
    if not values:
        return None

    def value_of(key: str, default: float) -> float:
        value = values.get(key)
        return default if value is None else _angle(key, value, line)

    looseness = value_of("looseness", 1.0)
    out_looseness, in_looseness = value_of("out looseness", looseness), value_of("in looseness", looseness)
    angle = value_of("bend angle", 30.0)
    for side, sign in (("bend left", 1), ("bend right", -1)):
        if side in values:
            out = sign * value_of(side, angle)
            return _Bend(out, 180 - out, True, out_looseness, in_looseness)
    if "out" not in values or "in" not in values:
        raise TikzError("to[...] needs both out= and in= (or bend left/right)", line=line,
                        command="to[...]", hint="write to[out=90, in=180]")
    relative = "relative" in values and values["relative"] in (None, "true")
    return _Bend(value_of("out", 0.0), value_of("in", 0.0), relative, out_looseness, in_looseness)


LABEL_ANGLES = {"right": "0", "above right": "45", "above": "90", "above left": "135",
                "left": "180", "below left": "225", "below": "270", "below right": "315"}


def _label(value: str, line: int) -> tuple[str, str, str, int]:
    """``label=[options]position:text``; the position is a direction, an angle or center."""
    options = ""
    value = value.strip()
    if value.startswith("["):
        source = _Source(value, line)
        options = source.balanced("[", "]", "label options")
        value = value[source.position:].strip()
    where, colon, text = value.partition(":")
    if not colon:
        where, text = "above", value
    where = " ".join(_strip_braces(where).split())
    where = LABEL_ANGLES.get(where, where)
    if where != "center":
        try:
            where = f"{float(where):.10g}"
        except ValueError:
            raise TikzError(f"unknown label position '{where}'", line=line, command="label",
                            hint="write label=above:text, label=45:text or label=center:text") from None
    return options, where, _strip_braces(text), line


def _label_anchor(ux: float, uy: float) -> str:
    """TikZ's automatic anchor for a label whose direction from the node is (ux, uy)."""
    return _auto_anchor(uy, -ux)  # PGF turns the direction a quarter turn first


def _auto_anchor(x: float, y: float, *, swap: bool = False) -> str:
    """``\\tikz@auto@anchor`` (and its ``@prime`` for swap) for a unit direction (x, y): the
    anchor that puts a node on the left (right) of a segment going that way."""
    if swap:
        if x > 0.05:
            return "north west" if y > 0.05 else "north east" if y < -0.05 else "north"
        if x < -0.05:
            return "south west" if y > 0.05 else "south east" if y < -0.05 else "south"
        return "west" if y > 0 else "east"
    if x > 0.05:
        return "south east" if y > 0.05 else "south west" if y < -0.05 else "south"
    if x < -0.05:
        return "north east" if y > 0.05 else "north west" if y < -0.05 else "north"
    return "east" if y > 0 else "west"


def _orient(style: Style, segment: tuple[Point, ...], time: float) -> Style:
    """A node on a segment: ``sloped`` turns it with the segment (never upside down), ``auto``
    picks the anchor that puts it beside the segment, as PGF's time transformations do."""
    if not style.sloped and not style.auto:
        return style
    dx, dy = _tangent(segment, time)
    length_ = math.hypot(dx, dy)
    if length_ == 0:
        return style
    if style.auto:
        style = replace(style, anchor=_auto_anchor(dx / length_, dy / length_, swap=style.auto == "right"))
    if style.sloped:
        if dx < 0:  # "allow upside down" is off: turn the other way round
            dx, dy = -dx, -dy
        angle = math.degrees(math.atan2(dy, dx))
        cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))

        def turned(vector: Point) -> Point:
            return (vector[0] * cos - vector[1] * sin, vector[0] * sin + vector[1] * cos)

        style = replace(style, rotate=style.rotate + angle, node_shift=turned(style.node_shift),
                        place_shift=turned(style.place_shift))
    return style


def _tangent(segment: tuple[Point, ...], time: float) -> Point:
    if len(segment) == 2:
        return (segment[1][0] - segment[0][0], segment[1][1] - segment[0][1])
    p0, c1, c2, p1 = segment
    t, u = time, 1 - time
    return tuple(3 * u * u * (c1[i] - p0[i]) + 6 * u * t * (c2[i] - c1[i]) + 3 * t * t * (p1[i] - c2[i])
                 for i in (0, 1))  # type: ignore[return-value]


def _polar(angle: float, radius: float) -> Point:
    radians = math.radians(angle)
    return (radius * math.cos(radians), radius * math.sin(radians))


def _rotate_about(point: Point, center: Point, angle: float) -> Point:
    dx, dy = point[0] - center[0], point[1] - center[1]
    cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    return (center[0] + dx * cos - dy * sin, center[1] + dx * sin + dy * cos)


def _angle_text(angle: float) -> str:
    return f"{angle:.10g}"


def _add(p: Point, q: Point) -> Point:
    return (p[0] + q[0], p[1] + q[1])


def _scale(p: Point, factor: float) -> Point:
    return (p[0] * factor, p[1] * factor)


def _subtract(p: Point, q: Point) -> Point:
    return (p[0] - q[0], p[1] - q[1])


def _dot(p: Point, q: Point) -> float:
    return p[0] * q[0] + p[1] * q[1]


def _unit(vector: Point) -> Point:
    """The vector scaled to length 1 (a zero vector stays zero)."""
    size = math.hypot(*vector)
    return (vector[0] / size, vector[1] / size) if size else (0.0, 0.0)


def _smooth_pieces(points: list[Point], tension: float) -> list[tuple[tuple[Point, Point], Point]]:
    """PGF's curveto plot handler: each inner point gets tangent ``tension`` times the chord of
    its neighbours; the first and last pieces start and end without a tangent."""
    pieces = []
    support = points[0]
    for index in range(1, len(points) - 1):
        previous, here, following = points[index - 1], points[index], points[index + 1]
        direction = _scale((following[0] - previous[0], following[1] - previous[1]), tension)
        pieces.append(((support, (here[0] - direction[0], here[1] - direction[1])), here))
        support = _add(here, direction)
    pieces.append(((support, points[-1]), points[-1]))
    return pieces


def _angle(key: str, value: str, line: int) -> float:
    return check_dimension(number(value, line=line), key, line=line)


def _domain(value: str, line: int) -> tuple[float, float]:
    low, separator, high = value.partition(":")
    if not separator:
        raise TikzError(f"domain={value} needs a start and an end", line=line, command="domain",
                        hint="write domain=0:6.28")
    return (_angle("domain", low, line), _angle("domain", high, line))


def _samples(value: str, line: int) -> int:
    samples = number(value, line=line)
    if not samples.is_integer() or not 2 <= samples <= MAX_ELEMENTS:
        raise TikzError(f"samples={value} must be a whole number from 2 to {MAX_ELEMENTS}",
                        line=line, command="samples", hint="write samples=50")
    return int(samples)


def _variable(value: str, line: int) -> str:
    match = re.fullmatch(r"\s*\\([A-Za-z]+)\s*", value)
    if not match:
        raise TikzError(f"variable={value} is not a macro name", line=line, command="variable",
                        hint="write variable=\\t")
    return match.group(1)


def _distance(p: Point, q: Point) -> float:
    return math.hypot(p[0] - q[0], p[1] - q[1])


def _run_commands(knots: list[_Vertex], closed: bool, radius: float) -> list[tuple]:
    """Lines and cubics through the knots; with ``rounded corners``, each corner between two
    straight segments becomes a quarter-circle-like cubic, cutting ``radius`` from both sides."""
    count = len(knots)
    points = [knot.point for knot in knots]

    def straight(index: int) -> bool:  # the segment arriving at knot ``index``
        return knots[index % count].controls is None

    cut: dict[int, tuple[Point, Point]] = {}
    if radius > 0 and count >= 3:
        for index in (range(count) if closed else range(1, count - 1)):
            if not (straight(index) and straight(index + 1)):
                continue
            before, here, after = points[index - 1], points[index], points[(index + 1) % count]
            a, b = min(radius, _distance(before, here) / 2), min(radius, _distance(here, after) / 2)
            if a > 0 and b > 0:
                cut[index] = (_toward(here, before, a), _toward(here, after, b))
    commands: list[tuple] = [("M", cut[0][1] if closed and 0 in cut else points[0])]
    for index in range(1, count + (1 if closed else 0)):
        here_index = index % count
        knot = knots[here_index]
        if closed and here_index == 0:
            if 0 in cut:
                commands.append(("L", cut[0][0]))
                commands.append(("C", _lerp(cut[0][0], points[0], 0.5523),
                                 _lerp(cut[0][1], points[0], 0.5523), cut[0][1]))
            continue
        if knot.controls is not None:
            commands.append(("C", *knot.controls, knot.point))
        elif here_index in cut:
            entry, leave = cut[here_index]
            commands.append(("L", entry))
            # control points 0.5523 of the way to the corner approximate a circular arc
            commands.append(("C", _lerp(entry, knot.point, 0.5523), _lerp(leave, knot.point, 0.5523), leave))
        else:
            commands.append(("L", knot.point))
    if closed:
        commands.append(("Z",))
    return commands


def _toward(origin: Point, target: Point, distance: float) -> Point:
    length_ = _distance(origin, target)
    return (origin[0] + (target[0] - origin[0]) * distance / length_,
            origin[1] + (target[1] - origin[1]) * distance / length_)


def _lerp(p: Point, q: Point, t: float) -> Point:
    return (p[0] + (q[0] - p[0]) * t, p[1] + (q[1] - p[1]) * t)


def _node_border_box(node: Node) -> list[Point]:
    """The corners a matrix cell takes room by: its border, half its drawn line outside it."""
    margin = node.stroke.line_width / 2 if node.stroke.draw is not None else 0.0
    half_x, half_y = node.half_width + margin, node.half_height + margin
    return [(node.center[0] + sx * half_x, node.center[1] + sy * half_y)
            for sx in (-1, 1) for sy in (-1, 1)]


def anchor_point(node: Node, anchor: str) -> Point:
    """An anchor of a placed node, in picture coordinates (outer sep included, as in PGF)."""
    text = node.text
    baseline = -(text.height - text.depth) / 2 if node.shape != "coordinate" else 0.0
    outer_x, outer_y = node.half_width + node.outer_sep, node.half_height + node.outer_sep
    if anchor == "center":
        local = (0.0, 0.0)
    elif anchor in ("base", "text"):
        local = (0.0 if anchor == "base" else -text.width / 2, baseline)
    elif anchor == "mid":
        local = (0.0, baseline + 0.5 * 4.30554)
    elif anchor in ("base west", "base east", "mid west", "mid east"):
        vertical, side = anchor.split()
        y = baseline + (0.5 * 4.30554 if vertical == "mid" else 0.0)
        local = (-outer_x if side == "west" else outer_x, y)
    elif anchor in ANCHOR_DIRECTIONS:
        sx, sy = ANCHOR_DIRECTIONS[anchor]
        if node.shape == "circle":
            radius = node.half_width + node.outer_sep
            angle = math.atan2(sy, sx)
            local = (radius * math.cos(angle), radius * math.sin(angle))
        else:
            local = (sx * outer_x, sy * outer_y)
    else:
        angle = math.radians(float(anchor))
        local = node.local_border(math.cos(angle), math.sin(angle))
    return node.local_to_canvas(local)


def _split_rows(body: str) -> list[str]:
    """Matrix rows, split at ``\\\\`` outside braces; a trailing empty row is dropped."""
    rows, depth, start, index = [], 0, 0, 0
    while index < len(body):
        char = body[index]
        if char in "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif body.startswith("\\\\", index) and depth == 0:
            rows.append(body[start:index])
            index += 2
            start = index
            continue
        elif char == "\\":
            index += 2
            continue
        index += 1
    rows.append(body[start:])
    rows = [row for row in rows if row.strip()] if rows else []
    return rows or [""]


def _substitute(body: str, bindings: dict[str, str]) -> str:
    """Replace ``\\x`` (not ``\\xa``) by its value, as TeX expands the loop macro."""
    pattern = re.compile(r"\\(" + "|".join(re.escape(name) for name in bindings) + r")(?![A-Za-z])")
    return pattern.sub(lambda match: bindings[match.group(1)], body)


def _fraction(key: str, value: str, line: int) -> float:
    result = number(value, line=line)
    if not 0.0 <= result <= 1.0:
        raise TikzError(f"{key}={value} must be between 0 and 1", line=line, command=key,
                        hint=f"write {key}=0.5")
    return result


def _boolean(key: str, value: str | None, line: int) -> bool:
    return _choice(key, value or "true", ("true", "false"), line) == "true"


def _core_tip(name: str) -> str:
    """An arrows.meta tip (``Stealth``, ``{Latex[length=2mm]}``) as the core tip drawn for it."""
    bare = name.strip().removeprefix("{").removesuffix("}").split("[", 1)[0].strip()
    return META_TIPS.get(bare, name)


def _choice(key: str, value: str, choices: tuple[str, ...], line: int) -> str:
    value = " ".join(value.split())
    if value not in choices:
        raise TikzError(f"unsupported {key}={value}", line=line, command=f"{key}={value}",
                        hint=f"choose one of: {', '.join(choices)}")
    return value


def interpret(source: str) -> Diagram:
    """Lay out a picture's TikZ code (with or without \\begin{tikzpicture})."""
    if len(source) > MAX_SOURCE_CHARS:
        raise TikzError(f"the picture is longer than {MAX_SOURCE_CHARS} characters", line=0,
                        hint="split it into several pictures")
    interpreter = Interpreter()
    interpreter.run(source)
    return interpreter.diagram()


def _closing_bracket(text: str) -> int:
    """The index of the ``]`` that closes the ``[`` at ``text[0]``, braces respected; -1."""
    depth = 0
    for index, char in enumerate(text):
        if char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
            if depth == 0:
                return index if char == "]" else -1
    return -1
