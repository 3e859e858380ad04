"""TeX (macros already expanded) to MathML Core: Stride's layer around latex2mathml.

latex2mathml converts the "flat" TeX well but has gaps exactly where blog math lives: it has
no ``aligned``/``gathered``/``alignedat``/``rcases``, leaks ``&`` and ``mspace linebreak`` for
rows outside its few environments, reads ``\\text{...}`` only up to the first ``}`` and colours
everything after ``\\color{c}{x}``. Stride therefore owns the structure:

- environments (matrices, arrays, cases, the align family...) are built here as ``<mtable>``
  with classes for alignment and rules, their cells converted recursively;
- text (``\\text``, ``\\textbf``, ``\\mbox``...) is built here: accents, quotes, dashes, nested
  styles and ``$...$`` inside text;
- colour, links, HTML-ish and reference commands are rewritten or dropped here;

and hands the rest to latex2mathml. Each built piece enters latex2mathml's input as a
placeholder ``\\text{<private-use marker>}`` (an ordinary atom to it, so scripts and
``\\left..\\right`` around it still work) and is swapped in after conversion.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from latex2mathml.symbols_parser import convert_symbol

from . import accents
from .mathml import (PLACEHOLDER, PLACEHOLDER_CLOSE, PLACEHOLDER_OPEN, atom_class_of,
                     convert_fragment, fill_placeholders, reference_link, spaced_as, text_element)
from .tex import (TexError, group_text, is_verb, matching_brace, read_argument, read_optional, serialize,
                  skip_spaces, tokenize, verb_content)

# taken out of an author's TeX, so that no placeholder can be forged
PRIVATE_MARKERS = re.compile(f"[{PLACEHOLDER_OPEN}{PLACEHOLDER_CLOSE}]")
REFERENCE_COMMAND = r"\@ref"  # \eqref/\ref after the page pass resolved them: \@ref{id}{text}

ROW_BREAKS = frozenset({r"\\", r"\cr", r"\newline"})

_FENCES = {
    "pmatrix": ("(", ")"), "bmatrix": ("[", "]"), "Bmatrix": ("{", "}"), "vmatrix": ("|", "|"),
    "Vmatrix": ("‖", "‖"), "cases": ("{", ""), "dcases": ("{", ""), "rcases": ("", "}"),
}
_MATRIX_ENVIRONMENTS = frozenset({"matrix", "pmatrix", "bmatrix", "Bmatrix", "vmatrix", "Vmatrix",
                                  "smallmatrix"})
_ALIGN_ENVIRONMENTS = frozenset({"aligned", "align", "alignat", "alignedat", "split", "flalign",
                                 "eqnarray"})
_GATHER_ENVIRONMENTS = frozenset({"gathered", "gather", "equation", "multline", "displaylines"})
_CASES_ENVIRONMENTS = frozenset({"cases", "dcases", "rcases"})
_ARRAY_ENVIRONMENTS = frozenset({"array", "darray", "subarray"})

# Text styles are sets of features; a command removes some and adds others, as LaTeX's font
# axes do (family: rm/sf/tt, series: md/bf, shape: up/it), so \textbf{\textit{x}} is both.
_FAMILIES = frozenset({"sans-serif", "monospace"})
_ALL_FEATURES = frozenset({"bold", "italic", "small-caps"}) | _FAMILIES
_NONE: frozenset[str] = frozenset()
_TEXT_COMMANDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {  # (removed, added)
    r"\text": (_NONE, _NONE), r"\mbox": (_NONE, _NONE), r"\hbox": (_NONE, _NONE),
    r"\textrm": (_FAMILIES, _NONE), r"\textsf": (_FAMILIES, frozenset({"sans-serif"})),
    r"\texttt": (_FAMILIES, frozenset({"monospace"})), r"\textbf": (_NONE, frozenset({"bold"})),
    r"\textmd": (frozenset({"bold"}), _NONE), r"\textit": (_NONE, frozenset({"italic"})),
    r"\textsl": (_NONE, frozenset({"italic"})), r"\emph": (_NONE, frozenset({"italic"})),
    r"\textup": (frozenset({"italic"}), _NONE), r"\textnormal": (_ALL_FEATURES, _NONE),
    r"\textsc": (_NONE, frozenset({"small-caps"})),
}
_TEXT_SWITCHES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    # plain TeX's switches select one font outright
    r"\rm": (_ALL_FEATURES, _NONE), r"\bf": (_ALL_FEATURES, frozenset({"bold"})),
    r"\it": (_ALL_FEATURES, frozenset({"italic"})), r"\sl": (_ALL_FEATURES, frozenset({"italic"})),
    r"\sf": (_ALL_FEATURES, frozenset({"sans-serif"})), r"\tt": (_ALL_FEATURES, frozenset({"monospace"})),
    # LaTeX's declarations change one axis
    r"\em": (_NONE, frozenset({"italic"})), r"\normalfont": (_ALL_FEATURES, _NONE),
    r"\bfseries": (_NONE, frozenset({"bold"})), r"\mdseries": (frozenset({"bold"}), _NONE),
    r"\itshape": (_NONE, frozenset({"italic"})), r"\upshape": (frozenset({"italic"}), _NONE),
    r"\ttfamily": (_FAMILIES, frozenset({"monospace"})), r"\sffamily": (_FAMILIES, frozenset({"sans-serif"})),
    r"\rmfamily": (_FAMILIES, _NONE),
}
_TEXT_SYMBOLS = {
    r"\{": "{", r"\}": "}", r"\$": "$", r"\&": "&", r"\%": "%", r"\#": "#", r"\_": "_",
    r"\ ": " ", "~": "\u00a0", r"\,": "\u2009", r"\;": "\u2005", r"\:": "\u2005", r"\!": "",
    r"\quad": "\u2003", r"\qquad": "\u2003\u2003", r"\i": "ı", r"\j": "ȷ", r"\ss": "ß",
    r"\ae": "æ", r"\AE": "Æ", r"\oe": "œ", r"\OE": "Œ", r"\o": "ø", r"\O": "Ø", r"\l": "ł",
    r"\L": "Ł", r"\aa": "å", r"\AA": "Å", r"\textdollar": "$", r"\textbackslash": "\\",
    r"\textasciitilde": "~", r"\textasciicircum": "^", r"\textbar": "|", r"\textless": "<",
    r"\textgreater": ">", r"\textunderscore": "_", r"\dag": "†", r"\ddag": "‡", r"\S": "§",
    r"\P": "¶", r"\copyright": "©", r"\pounds": "£", r"\maltese": "✠", r"\degree": "°",
    r"\textdegree": "°", r"\LaTeX": "LaTeX", r"\TeX": "TeX", r"\KaTeX": "KaTeX",
    r"\slash": "/", r"\dots": "…", r"\ldots": "…", r"\textendash": "–", r"\textemdash": "—",
    r"\nobreak": "", r"\allowbreak": "", r"\/": "",
}
_TEXT_ACCENTS = {  # text-mode accent commands and the combining character each adds
    "\\'": "\u0301", "\\`": "\u0300", "\\^": "\u0302", '\\"': "\u0308", "\\~": "\u0303",
    "\\=": "\u0304", "\\.": "\u0307", r"\u": "\u0306", r"\v": "\u030c", r"\H": "\u030b",
    r"\r": "\u030a", r"\c": "\u0327", r"\k": "\u0328", r"\b": "\u0331", r"\d": "\u0323",
}
_TEXT_LIGATURES = (("---", "—"), ("--", "–"), ("``", "“"), ("''", "”"), ("`", "‘"), ("'", "’"))
_TEXT_DECORATIONS = {r"\underline": "bottom", r"\sout": "horizontalstrike"}
_SIZE_SWITCHES = frozenset({r"\tiny", r"\scriptsize", r"\footnotesize", r"\small", r"\normalsize",
                            r"\large", r"\Large", r"\LARGE", r"\huge", r"\Huge"})
_DROPPED_WRAPPERS = frozenset({r"\href", r"\style", r"\class", r"\cssId", r"\htmlId", r"\htmlClass",
                               r"\htmlStyle", r"\htmlData"})  # first argument dropped, second kept
_NAMED_COLOR_COMMANDS = frozenset({r"\red", r"\blue", r"\green", r"\orange", r"\purple",
                                   r"\magenta", r"\cyan", r"\teal", r"\gray", r"\pink",
                                   r"\yellow", r"\brown"})
_BIG_SIZES = {"big": "1.2em", "Big": "1.623em", "bigg": "2.047em", "Bigg": "2.470em"}
# \bigl( opens, \bigr) closes, \bigm| is a relation, \big( alone an ordinary atom: the form
# MathML spaces them by, and their TeX class
_BIG_KINDS = {"l": ("prefix", "mathopen"), "r": ("postfix", "mathclose"), "m": ("infix", "mathrel"),
              "": ("", None)}
_BIG_COMMANDS = {f"\\{size}{kind}": (height, form) for size, height in _BIG_SIZES.items()
                 for kind, (form, _) in _BIG_KINDS.items()}
_OVER_ACCENTS = {r"\Overrightarrow": "⇒", r"\overgroup": "⏜", r"\overleftharpoon": "↼",
                 r"\overrightharpoon": "⇀", r"\overleftrightarrow": "↔", r"\overleftarrow": "←",
                 r"\overrightarrow": "→", r"\vec": "→"}
# Accents as wide whatever they cover, and their size. TeX's \vec is the font's small arrow
# accent (latex2mathml stretched a full arrow over the letter, an \overrightarrow). Not the font's
# own, the combining U+20D7: Chromium draws a combining mark alone up and to the left of its
# base. A → at 70% is centred over it and about as wide as TeX's (full size, twice as wide).
FIXED_ACCENT_SIZES = {r"\vec": "70%"}
# accents that keep what they cover one line of text high, unless it is taller itself
_ACCENTS_OF_TEXT_HEIGHT = frozenset({*accents.NARROW, *accents.WIDE, r"\vec"})
_UNDER_ACCENTS = {r"\undergroup": "⏝", r"\utilde": "˜", r"\underleftarrow": "←",
                  r"\underrightarrow": "→", r"\underleftrightarrow": "↔"}
_EXTENSIBLE_ARROWS = {
    r"\xrightarrow": "→", r"\xleftarrow": "←", r"\xRightarrow": "⇒", r"\xLeftarrow": "⇐",
    r"\xleftrightarrow": "↔", r"\xLeftrightarrow": "⇔", r"\xhookrightarrow": "↪",
    r"\xhookleftarrow": "↩", r"\xtwoheadrightarrow": "↠", r"\xtwoheadleftarrow": "↞",
    r"\xrightharpoonup": "⇀", r"\xrightharpoondown": "⇁", r"\xleftharpoonup": "↼",
    r"\xleftharpoondown": "↽", r"\xrightleftharpoons": "⇌", r"\xleftrightharpoons": "⇋",
    r"\xrightleftarrows": "⇄", r"\xleftrightarrows": "⇆", r"\xrightequilibrium": "⇌",
    r"\xleftequilibrium": "⇋", r"\xmapsto": "↦", r"\xlongequal": "=", r"\xtofrom": "⇄",
}
# Lines over and under are borders (math.css): latex2mathml's "―" keeps its width whatever it
# covers, and a stretched rule glyph is drawn outside its box, where a scrolling display clips it.
_ENCLOSURES = {r"\phase": "phasorangle", r"\angl": "actuarial", r"\angln": "actuarial",
               r"\sout": "horizontalstrike", r"\overline": "overline",
               r"\overlinesegment": "overline", r"\underline": "underline",
               r"\underlinesegment": "underline"}
_LOGOS = {r"\KaTeX": "KaTeX", r"\LaTeX": "LaTeX", r"\TeX": "TeX"}
# Symbols latex2mathml's table lacks, prints as a bare backslash or gets wrong (\sim as an
# ASCII tilde, \colon as a letter).
_EXTRA_OPERATORS = {r"\minuso": "⦵", r"\backslash": "\\", r"\vcentcolon": "∶", r"\sim": "∼",
                    r"\colon": ":"}
# TeX's \colon is punctuation, 2mu before and 6mu after: "f: X → Y", not "f : X".
_OPERATOR_SPACING = {r"\colon": {"lspace": "0.1111em", "rspace": "0.3333em"}}
# The TeX class of what a command builds, where it is not an ordinary atom: its placeholder
# carries it, so that its neighbours are spaced as in TeX ("\bigl( -x", "\xrightarrow{f} -y").
_ATOM_CLASSES: dict[str, str] = {
    **{f"\\{size}{kind}": atom_class for size in _BIG_SIZES
       for kind, (_, atom_class) in _BIG_KINDS.items() if atom_class},
    **dict.fromkeys(_EXTENSIBLE_ARROWS, "mathrel"),
    r"\minuso": "mathbin", r"\vcentcolon": "mathrel", r"\sim": "mathrel", r"\colon": "mathpunct",
}
_EXTRA_IDENTIFIERS = {r"\P": "¶", r"\dag": "†", r"\ddag": "‡", r"\copyright": "©"}
# Operator names of LaTeX that latex2mathml does not know; \operatorname gives their spacing.
_OPERATOR_NAMES = frozenset({r"\arg"})
# Operators whose scripts TeX sets below and above in a display (latex2mathml does so only for
# \sum and \prod unless told \limits); in a sentence they stay beside them.
_LIMITS_OPERATORS = frozenset({
    r"\lim", r"\limsup", r"\liminf", r"\varlimsup", r"\varliminf", r"\injlim", r"\projlim",
    r"\varinjlim", r"\varprojlim", r"\max", r"\min", r"\sup", r"\inf", r"\det", r"\Pr",
    r"\gcd", r"\argmin", r"\argmax", r"\sum", r"\prod", r"\coprod", r"\bigcup", r"\bigcap",
    r"\bigvee", r"\bigwedge", r"\bigoplus", r"\bigotimes", r"\bigodot", r"\biguplus",
    r"\bigsqcup"})
# In an operator name: TeX's spaces become one thin space, \! none; \mathrm and the like only
# repeat what an operator name already is (upright).
_NAME_SPACES = {r"\,": "\u2009", r"\:": "\u2009", r"\;": "\u2009", r"\ ": "\u2009", "~": "\u2009",
                r"\thinspace": "\u2009", r"\!": ""}
_NAME_WRAPPERS = frozenset({r"\mathrm", r"\text", r"\textrm", r"\mathup", r"\rm"})
# invisible in MathML: line-break hints ("\*" is a discretionary times), \relax, \vcenter's box
_DROPPED = frozenset({r"\*", r"\/", r"\nobreak", r"\allowbreak", r"\relax", r"\displaybreak",
                      r"\vcenter"})
_COLOR_NAME = re.compile(r"[A-Za-z]{1,30}|#?[0-9A-Fa-f]{6}|#[0-9A-Fa-f]{3}")


@dataclass(frozen=True)
class Converted:
    """MathML for one formula (the content of its top ``<mrow>``) and what it could not render."""

    markup: str
    unsupported: tuple[str, ...] = ()


@lru_cache(maxsize=8192)
def convert_tex(tex: str, display: bool) -> Converted:
    """Convert expanded TeX; identical TeX is converted once per process."""
    builder = _Builder(display)
    markup = builder.build(tokenize(tex), display=display, top=True)
    return Converted(markup, tuple(dict.fromkeys(builder.unsupported)))


def _subscript_follows(reader: _Reader) -> bool:
    tokens = reader.tokens
    index = skip_spaces(tokens, reader.index)
    if index < len(tokens) and tokens[index] == "^":
        _, index = read_argument(tokens, index + 1)
        index = skip_spaces(tokens, index)
    return index < len(tokens) and tokens[index] == "_"


def css_color(model: str | None, value: str) -> str | None:
    """A CSS colour for xcolor's ``\\color[model]{value}``, or None if it is not one."""
    value = value.strip()
    if model is None:
        if re.fullmatch(r"[0-9A-Fa-f]{6}", value):  # KaTeX accepts bare hex
            return f"#{value}"
        return value if _COLOR_NAME.fullmatch(value) else None
    if model == "HTML":
        return f"#{value}" if re.fullmatch(r"[0-9A-Fa-f]{6}", value) else None
    try:
        numbers = [float(part) for part in value.split(",")]
    except ValueError:
        return None
    if model == "rgb" and len(numbers) == 3 and all(0 <= n <= 1 for n in numbers):
        return "#" + "".join(f"{round(n * 255):02x}" for n in numbers)
    if model == "RGB" and len(numbers) == 3 and all(0 <= n <= 255 for n in numbers):
        return "#" + "".join(f"{round(n):02x}" for n in numbers)
    if model == "gray" and len(numbers) == 1 and 0 <= numbers[0] <= 1:
        return "#" + f"{round(numbers[0] * 255):02x}" * 3
    return None


def split_rows(tokens: Sequence[str]) -> list[list[str]]:
    """Split at top-level row breaks (``\\\\``, ``\\cr``), skipping ``\\\\[1ex]`` spacing."""
    if ROW_BREAKS.isdisjoint(tokens):  # most formulas and groups: no scan token by token
        return [list(tokens)]
    rows: list[list[str]] = [[]]
    depth = 0
    index = 0
    while index < len(tokens):
        token = tokens[index]
        depth = _depth_after(token, depth)
        if depth == 0 and token in ROW_BREAKS:
            rows.append([])
            _, index = read_optional(tokens, index + 1) if token == r"\\" else (None, index + 1)
            continue
        rows[-1].append(token)
        index += 1
    if len(rows) > 1 and not "".join(rows[-1]).strip():
        rows.pop()  # a row break before \end{...} does not start a row
    return rows


def split_cells(tokens: Sequence[str]) -> list[list[str]]:
    """Split a row at its top-level ``&``."""
    cells: list[list[str]] = [[]]
    depth = 0
    for token in tokens:
        depth = _depth_after(token, depth)
        if depth == 0 and token == "&":
            cells.append([])
        else:
            cells[-1].append(token)
    return cells


def _depth_after(token: str, depth: int) -> int:
    """Nesting depth after ``token``, counting braces and \\begin/\\end (env names are braced)."""
    if token in ("{", r"\begin", r"\left"):
        return depth + 1
    if token in ("}", r"\end", r"\right"):
        return depth - 1
    return depth


def find_environment_end(tokens: Sequence[str], index: int, name: str) -> int:
    """Index of the ``\\end`` matching the ``\\begin{name}`` whose body starts at ``index``."""
    depth = 1
    position = index
    while position < len(tokens):
        token = tokens[position]
        if token in (r"\begin", r"\end"):
            argument, after = read_argument(tokens, position + 1)
            if group_text(argument) == name:
                depth += 1 if token == r"\begin" else -1
                if depth == 0:
                    return position
            position = after
            continue
        position += 1
    raise TexError(rf"\begin{{{name}}} has no matching \end{{{name}}}", rf"add \end{{{name}}}")


class _Reader:
    """A position in a token list, with TeX's ways of reading arguments from it."""

    def __init__(self, tokens: Sequence[str], display: bool):
        self.tokens = tokens
        self.display = display
        self.index = 0

    def next(self) -> str:
        self.index += 1
        return self.tokens[self.index - 1]

    def next_nonspace(self) -> str | None:
        self.index = skip_spaces(self.tokens, self.index)
        return self.next() if self.index < len(self.tokens) else None

    def peek(self, *, skip_spaces_first: bool = True) -> str | None:
        index = skip_spaces(self.tokens, self.index) if skip_spaces_first else self.index
        return self.tokens[index] if index < len(self.tokens) else None

    def argument(self) -> list[str]:
        argument, self.index = read_argument(self.tokens, self.index)
        return argument

    def optional(self) -> list[str] | None:
        option, self.index = read_optional(self.tokens, self.index)
        return option


class _Builder:
    """Converts one formula; built pieces are kept as placeholders until latex2mathml ran."""

    def __init__(self, display: bool) -> None:
        self.unsupported: list[str] = []
        # amsmath's \if@display: the formula is a display, down to its table cells and text
        self.in_display = display

    def build(self, tokens: Sequence[str], *, display: bool, top: bool = False,
              script: bool = False) -> str:
        """MathML for ``tokens``: the structure built here, the rest by latex2mathml;
        ``script``: the markup goes in a script position."""
        pieces: list[str] = []
        rewritten = self._rewrite(tokens, pieces, display=display, top=top)
        if not "".join(rewritten).strip():
            return ""
        alone = len(pieces) == 1 and len(rewritten) == 4 and PLACEHOLDER.fullmatch(rewritten[2])
        if alone and not alone.group(2):
            return pieces[0]  # nothing for latex2mathml to do (an operator alone it spaces: none
            # at the edges of a formula, none in a script)
        fragment = convert_fragment(serialize(rewritten), display, script)
        self.unsupported.extend(fragment.unsupported)
        return fill_placeholders(fragment.markup, pieces)

    @staticmethod
    def _placeholder(pieces: list[str], markup: str, atom_class: str | None = None, *,
                     one_line: bool = False) -> list[str]:
        """What latex2mathml reads for ``markup``, swapped in after it ran; ``atom_class``: its
        TeX class (``mathopen``...), where it is not an ordinary atom; ``one_line``: it is no
        taller than a line of text (brackets around it keep their size)."""
        pieces.append(markup)
        marker = (f"{PLACEHOLDER_OPEN}{len(pieces) - 1}{atom_class or ''}{'L' if one_line else ''}"
                  f"{PLACEHOLDER_CLOSE}")
        return [r"\text", "{", marker, "}"]

    def _rewrite(self, tokens: Sequence[str], pieces: list[str], *, display: bool,
                 top: bool = False) -> list[str]:
        """The tokens latex2mathml will see: what Stride builds itself becomes a placeholder."""
        rows = split_rows(tokens)
        if len(rows) > 1:
            if top:  # rows outside any environment: stacked lines, as MathJax/KaTeX show them
                return self._placeholder(pieces, self._table(
                    [[row] for row in rows], ["c" if display else "l"], "math-lines", display))
            tokens = [token for row in rows for token in (*row, " ")]  # "{a \\ b}": no rows
        reader = _Reader(tokens, display)
        out: list[str] = []
        while reader.index < len(tokens):
            token = reader.next()
            built = _Builder._verb if is_verb(token) else _BUILT.get(token)
            rewritten = _REWRITING.get(token)
            if built is not None:
                markup = built(self, reader, token)
                one_line = token in _ACCENTS_OF_TEXT_HEIGHT and accents.one_line(markup)
                out += self._placeholder(pieces, markup, _ATOM_CLASSES.get(token), one_line=one_line)
            elif rewritten is not None:
                out += rewritten(self, reader, token, pieces)
            elif token == "{":
                end = matching_brace(tokens, reader.index - 1)
                out += ["{", *self._rewrite(tokens[reader.index:end], pieces, display=display), "}"]
                reader.index = end + 1
            elif token in _DROPPED:
                continue
            elif token == "&" or token.startswith(r"\@"):
                self.unsupported.append("& outside a table" if token == "&" else token)
            else:
                out.append(token)
        return out

    # -- commands Stride builds itself: each returns MathML markup ------------------------------

    def _begin(self, reader: _Reader, token: str) -> str:
        name = group_text(reader.argument())
        end = find_environment_end(reader.tokens, reader.index, name)
        body = reader.tokens[reader.index:end]
        reader.index = end + 1
        reader.argument()  # the name after \end
        return self._environment(name, body, reader.display)

    def _verb(self, reader: _Reader, token: str) -> str:
        return text_element("mtext", verb_content(token).replace(" ", "\u00a0"),
                            **{"class": "math-text-monospace"})

    def _text_command(self, reader: _Reader, token: str) -> str:
        return self._text(reader.argument(), _restyled(_NONE, _TEXT_COMMANDS[token]))

    def _big(self, reader: _Reader, token: str) -> str:
        """``\\bigl(``: a delimiter of a fixed size, whatever it encloses."""
        height, form = _BIG_COMMANDS[token]
        delimiter = reader.next_nonspace()
        if delimiter is None or delimiter.isalnum():
            # TeX stops with "Missing delimiter": say so rather than drop the command unseen.
            # A letter or digit after it is no delimiter and is kept as written.
            if delimiter is not None:
                reader.index -= 1
            self.unsupported.append(f"{token} without a delimiter")
            return ""
        if delimiter == ".":
            return ""
        symbol = convert_symbol(delimiter) if delimiter.startswith("\\") else None
        char = chr(int(symbol, 16)) if symbol else delimiter.removeprefix("\\")
        attributes = {"minsize": height, "maxsize": height, "stretchy": "true", "symmetric": "true"}
        if reader.peek() in ("^", "_"):
            # \Big)^2, \Big|_0^1: as the base of a script Chromium keeps it at its normal size;
            # alone in a row it grows. A bracket: no space of its own there.
            return f'<mrow>{text_element("mo", char, lspace="0", rspace="0", **attributes)}</mrow>'
        if form:
            attributes["form"] = form
        return text_element("mo", char, **attributes)

    def _narrow_accent(self, reader: _Reader, token: str) -> str:
        inner = self.build(reader.argument(), display=reader.display)
        glyph, gap = accents.NARROW[token]
        return self._over(reader, inner, glyph, gap=gap, skew=token not in accents.UNSKEWED)

    def _wide_accent(self, reader: _Reader, token: str) -> str:
        inner = self.build(reader.argument(), display=reader.display)
        glyph, glyph_width = accents.WIDE[token]
        return self._over(reader, inner, glyph, scale=accents.wide_scale(inner, glyph_width))

    def _accent(self, reader: _Reader, token: str) -> str:
        """Accents latex2mathml lacks or gets wrong (``\\overgroup``, ``\\utilde``, ``\\vec``...)."""
        inner = self.build(reader.argument(), display=reader.display)
        if token in _OVER_ACCENTS:
            size = FIXED_ACCENT_SIZES.get(token)
            return self._over(reader, inner, _OVER_ACCENTS[token], mathsize=size, stretchy=size is None)
        accent = text_element("mo", _UNDER_ACCENTS[token], stretchy="true")
        return f'<munder accentunder="true"><mrow>{inner}</mrow>{accent}</munder>'

    @staticmethod
    def _over(reader: _Reader, inner: str, glyph: str, *, scale: int = 2, gap: float = accents.WIDE_GAP,
              skew: bool = True, mathsize: str | None = None, stretchy: bool = False) -> str:
        """``glyph`` as an accent over ``inner`` (plugins/math/accents.py says how it is placed).
        A subscript of an accented symbol sits where the symbol's own would (TeX's rule 12):
        Chromium lowers a script by the depth of a base that is not a token (the descender of
        y in "ŷ"), so that depth is hidden from it."""
        attributes = {"stretchy": "true" if stretchy else "false"}
        if mathsize:
            attributes["mathsize"] = mathsize
        size = float(mathsize.rstrip("%")) / 100 if mathsize else 1.0
        if not stretchy and (classes := accents.accent_classes(inner, gap=gap, scale=scale, skew=skew,
                                                               size=size)):
            attributes["class"] = classes
        accented = f'<mover accent="true"><mrow>{inner}</mrow>{text_element("mo", glyph, **attributes)}</mover>'
        if accents.single_symbol(inner) and _subscript_follows(reader):
            return f'<mpadded depth="0">{accented}</mpadded>'
        return accented

    def _extensible_arrow(self, reader: _Reader, token: str) -> str:
        below = reader.optional()
        return self._arrow(_EXTENSIBLE_ARROWS[token], reader.argument(), below)

    def _enclosure(self, reader: _Reader, token: str) -> str:
        argument = ["n"] if token == r"\angln" else reader.argument()
        inner = self.build(argument, display=reader.display)
        return f'<mrow class="math-enclose-{_ENCLOSURES[token]}">{inner}</mrow>'

    def _logo(self, reader: _Reader, token: str) -> str:
        return text_element("mtext", _LOGOS[token])

    def _extra_symbol(self, reader: _Reader, token: str) -> str:
        if token in _EXTRA_OPERATORS:
            return text_element("mo", _EXTRA_OPERATORS[token], **_OPERATOR_SPACING.get(token, {}))
        return text_element("mi", _EXTRA_IDENTIFIERS[token])

    def _cancel_to(self, reader: _Reader, token: str) -> str:
        """``\\cancelto{0}{x}``: x struck through, the value it cancels to as a superscript."""
        value = self.build(reader.argument(), display=False, script=True)
        struck = self.build(reader.argument(), display=reader.display)
        return (f'<msup><mrow class="math-enclose-updiagonalstrike">{struck}</mrow>'
                f"<mrow>{value}</mrow></msup>")

    def _substack(self, reader: _Reader, token: str) -> str:
        """``\\sum_{\\substack{i < j \\\\ i \\ne 0}}``: amsmath's ``subarray{c}``, one centred row per
        ``\\\\`` in script style (read as a group, its rows would run together on one line)."""
        rows = [[row] for row in split_rows(reader.argument())]
        return self._table(rows, ["c"], "math-subarray", False, script=True)

    def _phantom(self, reader: _Reader, token: str) -> str:
        return f"<mphantom>{self.build(reader.argument(), display=reader.display)}</mphantom>"

    def _raisebox(self, reader: _Reader, token: str) -> str:
        shift = group_text(reader.argument())
        inner = self._text(reader.argument())
        valid = re.fullmatch(r"-?\d*\.?\d+(em|ex|pt|px)", shift)
        return f'<mpadded voffset="{shift}">{inner}</mpadded>' if valid else inner

    def _image(self, reader: _Reader, token: str) -> str:
        """Images are not allowed in math (no URL reaches the page): the alt text instead."""
        options = reader.optional()
        path = "".join(reader.argument())
        self.unsupported.append(r"\includegraphics (images are not shown in math)")
        alt = re.search(r"alt=([^,]*)", "".join(options or []))
        return text_element("mtext", f"[{alt.group(1).strip() if alt else path.rsplit('/', 1)[-1]}]")

    def _colorbox(self, reader: _Reader, token: str) -> str:
        framed = token == r"\fcolorbox"
        if framed:
            reader.argument()  # the frame colour: the frame is drawn in the text colour
        background = group_text(reader.argument())
        color = css_color(None, background)
        if color is None:
            self.unsupported.append(f"colour {background!r}")
        classes = "math-colorbox" + (" math-enclose-box" if framed else "")
        fill = f' mathbackground="{color}"' if color else ""
        return f'<mrow class="{classes}"{fill}>{self._text(reader.argument())}</mrow>'

    def _url(self, reader: _Reader, token: str) -> str:
        return text_element("mtext", "".join(reader.argument()))

    def _reference(self, reader: _Reader, token: str) -> str:
        target = "".join(reader.argument())
        return reference_link(target, "".join(reader.argument()))

    # -- commands rewritten into other TeX: each returns tokens ---------------------------------

    def _color(self, reader: _Reader, token: str, pieces: list[str]) -> list[str]:
        model = reader.optional()
        value = group_text(reader.argument())
        color = css_color(group_text(model) if model is not None else None, value)
        if token == r"\textcolor" or reader.peek() == "{":
            body = reader.argument()
        else:  # a switch: colours the rest of the group, cell or \left..\right
            end = _switch_end(reader.tokens, reader.index)
            body, reader.index = list(reader.tokens[reader.index:end]), end
        return self._colored(color, value, body, pieces, reader.display)

    def _named_color(self, reader: _Reader, token: str, pieces: list[str]) -> list[str]:
        return self._colored(token[1:], token[1:], reader.argument(), pieces, reader.display)

    def _dropped_wrapper(self, reader: _Reader, token: str, pieces: list[str]) -> list[str]:
        """``\\href{url}{x}``, ``\\style{css}{x}``...: keep x, never the URL, style or id."""
        reader.argument()
        return ["{", *self._rewrite(reader.argument(), pieces, display=reader.display), "}"]

    def _bracketed(self, reader: _Reader, token: str, pieces: list[str]) -> list[str]:
        return self._rewrite(_bracketed(token, reader.argument()), pieces, display=reader.display)

    def _primes(self, reader: _Reader, token: str, pieces: list[str]) -> list[str]:
        """``f'`` as ``f\\prime``: the prime glyph is drawn raised already, and set as a superscript
        it comes out small and detached (Chromium, Latin Modern Math). ``x'''^2`` as
        ``x^{\\prime\\prime\\prime 2}``: latex2mathml rejects primes + a script."""
        primes = 1
        while reader.peek(skip_spaces_first=False) == "'":
            reader.next()
            primes += 1
        if reader.peek() != "^":
            return [r"\prime"] * primes
        reader.next_nonspace()
        script = self._rewrite(reader.argument(), pieces, display=reader.display)
        return ["^", "{", *[r"\prime"] * primes, *script, "}"]

    def _numbering(self, reader: _Reader, token: str, pieces: list[str]) -> list[str]:
        """``\\label``, ``\\tag``, ``\\nonumber`` where no number goes (equations read them first)."""
        if token in (r"\label", r"\tag"):
            if reader.peek() == "*":
                reader.next_nonspace()
            reader.argument()
        return []

    def _upright(self, reader: _Reader, token: str, pieces: list[str]) -> list[str]:
        """``\\mathrm{d}``: latex2mathml drops the upright style of a single letter."""
        argument = reader.argument()
        word = group_text(argument)
        if word.isalnum() and all(len(part) == 1 for part in argument):
            variant = {"mathvariant": "normal"} if len(word) == 1 else {}
            return self._placeholder(pieces, text_element("mi", word, **variant))
        return [token, "{", *self._rewrite(argument, pieces, display=reader.display), "}"]

    def _operator_name(self, reader: _Reader, token: str, pieces: list[str]) -> list[str]:
        return [r"\operatorname", "{", *token[1:], "}"]

    def _limits(self, reader: _Reader, token: str, pieces: list[str]) -> list[str]:
        """``\\lim_{x \\to 0}``, ``\\max_i``, ``\\bigcup_i``: limits below in a display."""
        return [token, r"\limits"] if reader.display and reader.peek() in ("_", "^") else [token]

    def _named_operator(self, reader: _Reader, token: str, pieces: list[str]) -> list[str]:
        """``\\operatorname{Var}``, ``\\operatorname*{arg\\,min}`` (limits below in a display, as
        ``\\DeclareMathOperator*`` gives), ``\\mathop{\\mathrm{E}}``: one upright operator.
        latex2mathml reads only a bare word there; spaces or ``\\mathrm`` break it apart."""
        starred = token == r"\operatorname" and reader.peek() == "*"
        if starred:
            reader.next_nonspace()
        argument = reader.argument()
        name = _operator_text(argument)
        if name is None:  # not a name (\mathop{\overline{\mathrm{lim}}}...): its structure
            return [r"\mathop", "{", *self._rewrite(argument, pieces, display=reader.display), "}"]
        if not re.fullmatch(r"[A-Za-z\u2009]+", name):  # digits, hyphens: latex2mathml splits them
            return self._placeholder(pieces, text_element("mo", name), "mathop")
        limits = (starred or token == r"\mathop") and reader.display and reader.peek() in ("_", "^")
        return [r"\operatorname", "{", name, "}", *([r"\limits"] if limits else [])]

    def _modulo(self, reader: _Reader, token: str, pieces: list[str]) -> list[str]:
        """amsmath's ``a \\pmod{n}`` "a (mod n)", ``\\pod{n}`` "(n)" and ``\\mod{n}`` "mod n": 18mu
        from what precedes in a display, in a sentence 8mu before the bracket, 12mu before "mod";
        "mod" upright, 6mu from the modulus. latex2mathml puts 1em in both, and its brackets
        stretch, which Chromium lays out wider than the glyph, with a gap inside: "( mod n )"."""
        modulus = ["{", *self._rewrite(reader.argument(), pieces, display=reader.display), "}"]
        if token != r"\pod":
            modulus = [*self._placeholder(pieces, text_element("mi", "mod")), r"\mkern", "6mu",
                       *modulus]
        if token == r"\mod":
            return [r"\mkern", "18mu" if self.in_display else "12mu", *modulus]
        return [r"\mkern", "18mu" if self.in_display else "8mu", "(", *modulus, ")"]

    def _stacked(self, reader: _Reader, token: str, pieces: list[str]) -> list[str]:
        """amsmath's ``\\overset{?}{=}``, ``\\underset{n}{+}``: a script over or under the base, the
        whole of the base's class where that is a relation or a binary operator (its ``\\binrel@``),
        so spaced as the base alone would be; ``\\stackrel{\\text{def}}{=}`` is a relation."""
        script = self.build(reader.argument(), display=False, script=True)
        base = self.build(reader.argument(), display=reader.display)
        atom_class = "mathrel" if token == r"\stackrel" else atom_class_of(base)
        if atom_class in ("mathrel", "mathbin"):
            base = spaced_as(base, atom_class)
        else:
            atom_class = None
        tag = "munder" if token == r"\underset" else "mover"
        return self._placeholder(pieces, f"<{tag}><mrow>{base}</mrow><mrow>{script}</mrow></{tag}>",
                                 atom_class)

    def _space(self, reader: _Reader, token: str, pieces: list[str]) -> list[str]:
        if reader.peek() == "*":  # \hspace* only differs from \hspace at a line break
            reader.next_nonspace()
        return [token]

    def _colored(self, color: str | None, written: str, body: Sequence[str], pieces: list[str],
                 display: bool) -> list[str]:
        inner = self._rewrite(body, pieces, display=display)
        if color is None:
            self.unsupported.append(f"colour {written!r}")
            return ["{", *inner, "}"]
        return [r"\textcolor", "{", color, "}", "{", *inner, "}"]

    # -- environments -------------------------------------------------------------------------

    def _environment(self, name: str, body: Sequence[str], display: bool) -> str:
        base = name.removesuffix("*")
        rows = [split_cells(row) for row in split_rows(body)]
        if base in _MATRIX_ENVIRONMENTS:
            alignment, rows = self._matrix_alignment(name, body, rows)
            small = base == "smallmatrix"
            table = self._table(rows, [alignment], "math-matrix", display and not small, script=small)
            return self._fenced(table, *_FENCES.get(base, ("", "")))
        if base in _CASES_ENVIRONMENTS:
            table = self._table(rows, ["l", "l"], "math-cases", base == "dcases")
            return self._fenced(table, *_FENCES[base])
        if base in _ARRAY_ENVIRONMENTS:
            spec_tokens, body = read_argument(body, 0)[0], body[read_argument(body, 0)[1]:]
            columns, lines = _array_spec(group_text(spec_tokens))
            rows = [split_cells(row) for row in split_rows(body)]
            if base == "subarray":
                return self._table(rows, columns or ["c"], "math-subarray", False, lines, script=True)
            return self._table(rows, columns or ["c"], "math-array", base == "darray", lines)
        if base in _ALIGN_ENVIRONMENTS:
            if base in ("alignat", "alignedat"):
                _, consumed = read_argument(body, 0)
                rows = [split_cells(row) for row in split_rows(body[consumed:])]
            return self._table(rows, ["r", "l"], "math-align", True, aligned=True)
        if base in _GATHER_ENVIRONMENTS:
            return self._table(rows, ["c"], "math-gather", True)
        if base == "CD":
            return self._commutative_diagram(body)
        self.unsupported.append(rf"\begin{{{name}}}")
        return self._table(rows, ["c"], "math-array", display)

    def _commutative_diagram(self, body: Sequence[str]) -> str:
        """amscd's ``CD``: rows of objects joined by ``@>>>``, ``@<<<``, ``@=``, and rows of
        vertical arrows ``@VVV``, ``@AAA``, ``@|``, ``@.`` under the objects."""
        parts = ['<mtable class="math-cd" displaystyle="true">']
        for row in split_rows(body):
            pieces = _cd_pieces(row)
            arrows = [piece for piece in pieces if piece.kind != "object"]
            objects = [piece for piece in pieces if piece.kind == "object"]
            if all(a.kind in "AV|." for a in arrows) and not any(
                    "".join(o.parts[0]).strip() for o in objects):
                # a row of vertical arrows: one under each object column, gaps between
                cells = [cell for index, arrow in enumerate(arrows)
                         for cell in ([""] if index else []) + [self._cd_vertical(arrow)]]
            else:
                cells = [self.build(piece.parts[0], display=True) if piece.kind == "object"
                         else self._cd_horizontal(piece) for piece in pieces]
            parts.append("<mtr>" + "".join(f'<mtd class="math-c">{cell}</mtd>' for cell in cells)
                         + "</mtr>")
        parts.append("</mtable>")
        return "".join(parts)

    def _cd_horizontal(self, arrow: _CdPiece) -> str:
        if arrow.kind == "=":
            return text_element("mo", "=", stretchy="true") + '<mspace width="2em"></mspace>'
        above, below = arrow.parts
        return self._arrow("→" if arrow.kind == ">" else "←", above, below)

    def _cd_vertical(self, arrow: _CdPiece) -> str:
        if arrow.kind == ".":
            return ""
        left, right = arrow.parts

        def label(tokens: Sequence[str]) -> str:
            inner = self.build(tokens, display=False) if "".join(tokens).strip() else ""
            return f'<mstyle scriptlevel="1">{inner}</mstyle>' if inner else ""
        symbol = {"A": "↑", "V": "↓", "|": "‖"}[arrow.kind]
        operator = text_element("mo", symbol, stretchy="true", minsize="2.4em")
        return f"<mrow>{label(left)}{operator}{label(right)}</mrow>"

    def _matrix_alignment(self, name: str, body: Sequence[str],
                          rows: list[list[list[str]]]) -> tuple[str, list[list[list[str]]]]:
        """``matrix*`` takes ``[l]``/``[r]``/``[c]`` for all its columns."""
        if not name.endswith("*"):
            return "c", rows
        option, consumed = read_optional(body, 0)
        if option is None:
            return "c", rows
        return group_text(option) or "c", [split_cells(row) for row in split_rows(body[consumed:])]

    def _table(self, rows: Sequence[Sequence[Sequence[str]]], columns: Sequence[str], kind: str,
               displaystyle: bool, lines: Sequence[str] = (), *, aligned: bool = False,
               script: bool = False) -> str:
        """An ``<mtable>``; ``columns`` repeat cyclically, ``lines`` are rules between columns;
        ``script``: set in script style (``smallmatrix``, ``subarray``), its operators unspaced."""
        rule_below: list[str] = []
        body_rows: list[list[list[str]]] = []
        for row in rows:
            first = row[0] if row else []
            stripped, rules = _leading_rules(first)
            if rules and body_rows:
                rule_below[-1] = rules[-1]
            elif rules:
                kind += f" math-rule-top-{rules[-1]}"
            if stripped is not first:
                row = [stripped, *row[1:]]
            if len(row) == 1 and not "".join(row[0]).strip() and rules:
                continue  # a row that only holds \hline
            body_rows.append(list(row))
            rule_below.append("")
        parts = [f'<mtable class="{kind}"' + (' displaystyle="true"' if displaystyle else "") + ">"]
        for row_index, row in enumerate(body_rows):
            parts.append("<mtr>")
            for column_index, cell in enumerate(row):
                align = columns[column_index % len(columns)]
                classes = [f"math-{align}"]
                if column_index < len(lines) and lines[column_index]:
                    classes.append(f"math-rule-right-{lines[column_index]}")
                if rule_below[row_index]:
                    classes.append(f"math-rule-below-{rule_below[row_index]}")
                cell_tokens = ["{", "}", *cell] if aligned and column_index % 2 == 1 else list(cell)
                content = self.build(cell_tokens, display=displaystyle, script=script)
                parts.append(f'<mtd class="{" ".join(classes)}">{content}</mtd>')
            parts.append("</mtr>")
        parts.append("</mtable>")
        table = "".join(parts)
        return f'<mstyle scriptlevel="1">{table}</mstyle>' if script else table

    def _arrow(self, arrow: str, above: Sequence[str], below: Sequence[str] | None) -> str:
        """``\\xrightarrow[below]{above}``: an arrow stretched under/over its labels."""
        def label(tokens: Sequence[str]) -> str:
            pad = '<mspace width="0.4em"></mspace>'
            return f"<mrow>{pad}{self.build(tokens, display=False, script=True)}{pad}</mrow>"
        operator = text_element("mo", arrow, stretchy="true")
        minimum = '<mspace width="1.6em"></mspace>'  # an arrow without labels still has a length
        top = label(above) if "".join(above).strip() else minimum
        if below is None or not "".join(below).strip():
            return f"<mover>{operator}{top}</mover>"
        return f"<munderover>{operator}{label(below)}{top}</munderover>"

    @staticmethod
    def _fenced(table: str, opening: str, closing: str) -> str:
        def fence(char: str, form: str) -> str:
            if not char:
                return ""
            return text_element("mo", char, fence="true", form=form, stretchy="true",
                                symmetric="true")
        if not opening and not closing:
            return table
        return f"<mrow>{fence(opening, 'prefix')}{table}{fence(closing, 'postfix')}</mrow>"

    # -- text ---------------------------------------------------------------------------------

    def _text(self, tokens: Sequence[str], style: frozenset[str] = _NONE) -> str:
        """Text-mode material as ``<mtext>`` runs (and math for ``$...$`` inside it)."""
        runs: list[tuple[frozenset[str] | None, str]] = []  # (style, text), or (None, markup)
        self._text_runs(tokens, style, runs)
        parts: list[str] = []
        for run_style, content in runs:
            if run_style is None:
                parts.append(content)
                continue
            text = content
            if "monospace" not in run_style:
                for sequence, replacement in _TEXT_LIGATURES:
                    text = text.replace(sequence, replacement)
            classes = " ".join(f"math-text-{feature}" for feature in sorted(run_style))
            parts.append(text_element("mtext", text, **({"class": classes} if classes else {})))
        if len(parts) == 1:
            return parts[0]
        return "<mrow>" + "".join(parts) + "</mrow>"

    def _text_runs(self, tokens: Sequence[str], style: frozenset[str],
                   runs: list[tuple[frozenset[str] | None, str]]) -> None:
        def emit(text: str) -> None:
            if runs and runs[-1][0] == style:
                runs[-1] = (style, runs[-1][1] + text)
            else:
                runs.append((style, text))

        index = 0
        while index < len(tokens):
            token = tokens[index]
            index += 1
            if token == "$":
                end = index
                while end < len(tokens) and tokens[end] != "$":
                    end += 1
                runs.append((None, self.build(tokens[index:end], display=False)))
                index = end + 1
            elif token == "{":
                end = matching_brace(tokens, index - 1)
                self._text_runs(tokens[index:end], style, runs)
                index = end + 1
            elif token in _TEXT_COMMANDS:
                argument, index = read_argument(tokens, index)
                self._text_runs(argument, _restyled(style, _TEXT_COMMANDS[token]), runs)
            elif token in _TEXT_SWITCHES:
                style = _restyled(style, _TEXT_SWITCHES[token])
            elif token in _TEXT_DECORATIONS or token == r"\phantom":
                argument, index = read_argument(tokens, index)
                inner = self._text(argument, style)
                runs.append((None, f"<mphantom>{inner}</mphantom>" if token == r"\phantom" else
                             f'<mrow class="math-enclose-{_TEXT_DECORATIONS[token]}">{inner}</mrow>'))
            elif token in _TEXT_ACCENTS:
                argument, index = read_argument(tokens, index)
                base = "".join(_TEXT_SYMBOLS.get(part, part) for part in argument) or "\u00a0"
                emit(unicodedata.normalize("NFC", base[0] + _TEXT_ACCENTS[token] + base[1:]))
            elif token in _TEXT_SYMBOLS:
                emit(_TEXT_SYMBOLS[token])
            elif token in _SIZE_SWITCHES or token in (r"\\", r"\cr", r"\newline"):
                continue
            elif token in _DROPPED_WRAPPERS:
                _, index = read_argument(tokens, index)
            elif token.startswith("\\") and len(token) > 1:
                self.unsupported.append(token)
                emit(token)
            elif token == " ":
                emit("\u00a0")  # a plain space would be collapsed by MathML's token layout
            else:
                emit(token)



# What ``_Builder._rewrite`` does with a command, built once (a conversion only looks them up).
# Commands whose MathML Stride builds itself (the handler returns markup)...
_BUILT: dict[str, Callable[[_Builder, _Reader, str], str]] = {
    r"\begin": _Builder._begin, r"\phantom": _Builder._phantom, r"\raisebox": _Builder._raisebox,
    r"\includegraphics": _Builder._image, r"\colorbox": _Builder._colorbox,
    r"\fcolorbox": _Builder._colorbox, r"\url": _Builder._url, REFERENCE_COMMAND: _Builder._reference,
    r"\cancelto": _Builder._cancel_to, r"\substack": _Builder._substack,
}
for _table, _handler in (
    (_TEXT_COMMANDS, _Builder._text_command), (_BIG_COMMANDS, _Builder._big),
    (_OVER_ACCENTS, _Builder._accent), (_UNDER_ACCENTS, _Builder._accent),
    (accents.NARROW, _Builder._narrow_accent), (accents.WIDE, _Builder._wide_accent),
    (_EXTENSIBLE_ARROWS, _Builder._extensible_arrow), (_ENCLOSURES, _Builder._enclosure),
    (_LOGOS, _Builder._logo), (_EXTRA_OPERATORS, _Builder._extra_symbol),
    (_EXTRA_IDENTIFIERS, _Builder._extra_symbol),
):
    _BUILT.update(dict.fromkeys(_table, _handler))
del _table, _handler
# ...and commands rewritten into TeX that latex2mathml reads (the handler returns tokens).
_REWRITING: dict[str, Callable[[_Builder, _Reader, str, list[str]], list[str]]] = {
    r"\color": _Builder._color, r"\textcolor": _Builder._color, r"\Set": _Builder._bracketed,
    r"\set": _Builder._bracketed, r"\Braket": _Builder._bracketed, r"\braket": _Builder._bracketed,
    "'": _Builder._primes, r"\label": _Builder._numbering, r"\tag": _Builder._numbering,
    r"\nonumber": _Builder._numbering, r"\notag": _Builder._numbering,
    r"\hspace": _Builder._space, r"\hskip": _Builder._space, r"\mathrm": _Builder._upright,
    r"\mathup": _Builder._upright,
    **dict.fromkeys(_NAMED_COLOR_COMMANDS, _Builder._named_color),
    **dict.fromkeys(_DROPPED_WRAPPERS, _Builder._dropped_wrapper),
    **dict.fromkeys(_OPERATOR_NAMES, _Builder._operator_name),
    **dict.fromkeys(_LIMITS_OPERATORS, _Builder._limits),
    r"\operatorname": _Builder._named_operator, r"\mathop": _Builder._named_operator,
    r"\pmod": _Builder._modulo, r"\pod": _Builder._modulo, r"\mod": _Builder._modulo,
    r"\overset": _Builder._stacked, r"\underset": _Builder._stacked, r"\stackrel": _Builder._stacked,
}


def _operator_text(tokens: Sequence[str]) -> str | None:
    """The text of an operator name (``arg\\,min`` -> "arg min"), or None if it is more than
    letters, digits, hyphens, spaces and upright-text wrappers."""
    text: list[str] = []
    for token in tokens:
        if token in _NAME_SPACES:
            text.append(_NAME_SPACES[token])
        elif re.fullmatch(r"[A-Za-z0-9.'*-]", token):
            text.append(token)
        elif not (token in _NAME_WRAPPERS or token in ("{", "}") or token.isspace()):
            return None
    return "".join(text).strip("\u2009") or None


def _restyled(style: frozenset[str], change: tuple[frozenset[str], frozenset[str]]) -> frozenset[str]:
    removed, added = change
    return (style - removed) | added


@dataclass(frozen=True)
class _CdPiece:
    """Part of a ``CD`` row: an object (``parts`` is its TeX) or an arrow (its two labels)."""

    kind: str  # "object", or the arrow's letter: > < A V = | .
    parts: tuple[list[str], ...]


def _cd_pieces(row: Sequence[str]) -> list[_CdPiece]:
    """Split a ``CD`` row into objects and arrows (``@>above>below>``, ``@AleftAright A``...)."""
    pieces: list[_CdPiece] = []
    current: list[str] = []
    index = 0
    while index < len(row):
        if row[index] == "@" and index + 1 < len(row) and row[index + 1] in "<>AV=|.":
            pieces.append(_CdPiece("object", (current,)))
            current = []
            kind = row[index + 1]
            index += 2
            labels: list[list[str]] = [[], []]
            if kind in "<>AV":
                for label in labels:  # each label runs to the next repetition of the kind
                    while index < len(row) and row[index] != kind:
                        label.append(row[index])
                        index += 1
                    index += 1
            pieces.append(_CdPiece(kind, tuple(labels)))
            continue
        current.append(row[index])
        index += 1
    pieces.append(_CdPiece("object", (current,)))
    return pieces


def _switch_end(tokens: Sequence[str], index: int) -> int:
    """Where a switch such as ``\\color{red}`` stops: the end of its group or ``\\left..\\right``."""
    depth = 0
    for position in range(index, len(tokens)):
        token = tokens[position]
        if token in ("{", r"\left", r"\begin"):
            depth += 1
        elif token in ("}", r"\end"):
            depth -= 1
        elif token == r"\right":
            if depth == 0:
                return position
            depth -= 1
        elif token == r"\middle" and depth == 0:
            return position
    return len(tokens)


def _bracketed(command: str, argument: Sequence[str]) -> list[str]:
    """braket's ``\\Set{x | P}``, ``\\Braket{a | b}`` as ``\\left..\\middle|..\\right``."""
    big = command[1].isupper()
    opening, closing = (r"\{", r"\}") if command.lower() == r"\set" else (r"\langle", r"\rangle")
    bars_left = 1 if command.lower() == r"\set" else len(argument)
    body: list[str] = []
    depth = 0
    for token in argument:
        depth = _depth_after(token, depth)
        if token == "|" and depth == 0 and bars_left:
            bars_left -= 1
            body += [r"\middle", "|"] if big else [r"\mid"]
        else:
            body.append(token)
    if big:
        return [r"\left", opening, *body, r"\right", closing]
    return [opening, *body, closing]


def _array_spec(spec: str) -> tuple[list[str], list[str]]:
    """Column alignments and the rules after each column from an array spec like ``|rl:c||``."""
    expanded = re.sub(r"\*\{(\d+)\}\{([^{}]*)\}", lambda m: m.group(2) * int(m.group(1)), spec)
    expanded = re.sub(r"[@!>]\{[^{}]*\}|[pmb]\{[^{}]*\}", lambda m: "l" if m.group(0)[0] in "pmb"
                      else "", expanded)
    columns: list[str] = []
    lines: list[str] = []
    for char in expanded:
        if char in "lcr":
            columns.append(char)
            lines.append("")
        elif char in "|:" and columns:
            lines[-1] = lines[-1] or ("solid" if char == "|" else "dashed")
    return columns, lines


def _leading_rules(tokens: Sequence[str]) -> tuple[Sequence[str], list[str]]:
    """Strip ``\\hline``/``\\hdashline`` from the start of a row; returns the rules found."""
    rules: list[str] = []
    index = 0
    while index < len(tokens) and tokens[index] in (" ", r"\hline", r"\hdashline"):
        if tokens[index] != " ":
            rules.append("solid" if tokens[index] == r"\hline" else "dashed")
        index += 1
    return (tokens[index:] if rules else tokens), rules
