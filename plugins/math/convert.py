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
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from latex2mathml.symbols_parser import convert_symbol

from .mathml import convert_fragment, reference_link, text_element
from .tex import TexError, group_text, matching_brace, read_argument, read_optional, serialize, tokenize

PLACEHOLDER_OPEN, PLACEHOLDER_CLOSE = "\ue000", "\ue001"
PRIVATE_MARKERS = re.compile("[\ue000\ue001]")
_PLACEHOLDER_MARKUP = re.compile(f"<mtext[^>]*>{PLACEHOLDER_OPEN}(\\d+){PLACEHOLDER_CLOSE}</mtext>")
REFERENCE_COMMAND = r"\@ref"  # \eqref/\ref after the page pass resolved them: \@ref{id}{text}

ROW_BREAKS = frozenset({r"\\", r"\cr", r"\newline"})
NUMBERED_ENVIRONMENTS = frozenset({"equation", "align", "gather", "multline", "alignat", "flalign",
                                   "eqnarray"})

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

_TEXT_COMMANDS = {
    r"\text": "", r"\textrm": "", r"\textup": "", r"\textnormal": "", r"\textmd": "",
    r"\mbox": "", r"\hbox": "", r"\textbf": "bold", r"\textit": "italic", r"\emph": "italic",
    r"\textsl": "italic", r"\textsf": "sans-serif", r"\texttt": "monospace",
}
_TEXT_SWITCHES = {r"\rm": "", r"\it": "italic", r"\bf": "bold", r"\sf": "sans-serif",
                  r"\tt": "monospace", r"\sl": "italic", r"\em": "italic", r"\normalfont": "",
                  r"\itshape": "italic", r"\bfseries": "bold", r"\upshape": "", r"\ttfamily": "monospace",
                  r"\sffamily": "sans-serif", r"\rmfamily": ""}
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
_BIG_FORMS = {"l": "prefix", "r": "postfix", "m": "infix", "": ""}
_BIG_COMMANDS = {f"\\{size}{kind}": (height, form) for size, height in _BIG_SIZES.items()
                 for kind, form in _BIG_FORMS.items()}
_OVER_ACCENTS = {r"\Overrightarrow": "⇒", r"\overgroup": "⏜", r"\overlinesegment": "―",
                 r"\overleftharpoon": "↼", r"\overrightharpoon": "⇀", r"\widecheck": "ˇ",
                 r"\overleftrightarrow": "↔", r"\overleftarrow": "←", r"\overrightarrow": "→"}
_UNDER_ACCENTS = {r"\undergroup": "⏝", r"\underlinesegment": "―", r"\utilde": "˜",
                  r"\underleftarrow": "←", r"\underrightarrow": "→", r"\underleftrightarrow": "↔"}
_EXTENSIBLE_ARROWS = {
    r"\xrightarrow": "→", r"\xleftarrow": "←", r"\xRightarrow": "⇒", r"\xLeftarrow": "⇐",
    r"\xleftrightarrow": "↔", r"\xLeftrightarrow": "⇔", r"\xhookrightarrow": "↪",
    r"\xhookleftarrow": "↩", r"\xtwoheadrightarrow": "↠", r"\xtwoheadleftarrow": "↞",
    r"\xrightharpoonup": "⇀", r"\xrightharpoondown": "⇁", r"\xleftharpoonup": "↼",
    r"\xleftharpoondown": "↽", r"\xrightleftharpoons": "⇌", r"\xleftrightharpoons": "⇋",
    r"\xrightleftarrows": "⇄", r"\xleftrightarrows": "⇆", r"\xrightequilibrium": "⇌",
    r"\xleftequilibrium": "⇋", r"\xmapsto": "↦", r"\xlongequal": "=", r"\xtofrom": "⇄",
}
_ENCLOSURES = {r"\phase": "phasorangle", r"\angl": "actuarial", r"\sout": "horizontalstrike"}
_LOGOS = {r"\KaTeX": "KaTeX", r"\LaTeX": "LaTeX", r"\TeX": "TeX"}
_EXTRA_OPERATORS = {r"\minuso": "⦵"}  # symbols latex2mathml's table lacks
# invisible in MathML: line-break hints ("\*" is a discretionary times), \relax, \vcenter's box
_NO_OPS = frozenset({r"\*", r"\/", r"\nobreak", r"\allowbreak", r"\relax", r"\displaybreak", r"\vcenter"})
_COLOR_NAME = re.compile(r"[A-Za-z]{1,30}|#?[0-9A-Fa-f]{6}|#[0-9A-Fa-f]{3}")


@dataclass(frozen=True)
class Converted:
    """MathML for one formula (the content of its top ``<mrow>``) and what it could not render."""

    markup: str
    unsupported: tuple[str, ...] = ()


@lru_cache(maxsize=8192)
def convert_tex(tex: str, display: bool) -> Converted:
    """Convert expanded TeX; identical TeX is converted once per process."""
    builder = _Builder()
    markup = builder.build(tokenize(tex), display=display, top=True)
    return Converted(markup, tuple(dict.fromkeys(builder.unsupported)))


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


class _Builder:
    """Converts one formula; built pieces are kept as placeholders until latex2mathml ran."""

    def __init__(self) -> None:
        self.unsupported: list[str] = []

    def build(self, tokens: Sequence[str], *, display: bool, top: bool = False) -> str:
        pieces: list[str] = []
        rewritten = self._rewrite(tokens, pieces, display=display, top=top)
        if not "".join(rewritten).strip():
            return ""
        if len(pieces) == 1 and rewritten == [r"\text", "{", self._marker(0), "}"]:
            return pieces[0]  # nothing for latex2mathml to do
        fragment = convert_fragment(serialize(rewritten), display)
        self.unsupported.extend(fragment.unsupported)
        return _PLACEHOLDER_MARKUP.sub(lambda match: pieces[int(match.group(1))], fragment.markup)

    @staticmethod
    def _marker(index: int) -> str:
        return f"{PLACEHOLDER_OPEN}{index}{PLACEHOLDER_CLOSE}"

    def _placeholder(self, pieces: list[str], markup: str) -> list[str]:
        pieces.append(markup)
        return [r"\text", "{", self._marker(len(pieces) - 1), "}"]

    def _rewrite(self, tokens: Sequence[str], pieces: list[str], *, display: bool,
                 top: bool = False) -> list[str]:
        """The tokens latex2mathml will see: structure replaced by placeholders."""
        rows = split_rows(tokens)
        if len(rows) > 1:
            if top:  # rows outside any environment: stacked lines, as MathJax/KaTeX show them
                return self._placeholder(pieces, self._table(
                    [[row] for row in rows], ["c" if display else "l"], "math-lines", display))
            tokens = [token for row in rows for token in (*row, " ")]
        out: list[str] = []
        index = 0
        while index < len(tokens):
            token = tokens[index]
            index += 1
            if token == r"\begin":
                name_tokens, index = read_argument(tokens, index)
                name = group_text(name_tokens)
                end = find_environment_end(tokens, index, name)
                body = tokens[index:end]
                _, index = read_argument(tokens, end + 1)
                out += self._placeholder(pieces, self._environment(name, body, display))
            elif token in _TEXT_COMMANDS:
                argument, index = read_argument(tokens, index)
                out += self._placeholder(pieces, self._text(argument, _TEXT_COMMANDS[token]))
            elif token in (r"\color", r"\textcolor"):
                model, index = read_optional(tokens, index)
                value, index = read_argument(tokens, index)
                color = css_color(group_text(model) if model is not None else None, group_text(value))
                index = self._skip_spaces(tokens, index)
                if token == r"\textcolor" or (index < len(tokens) and tokens[index] == "{"):
                    body, index = read_argument(tokens, index)
                else:  # a switch: colours the rest of the group, cell or \left..\right
                    end = _switch_end(tokens, index)
                    body, index = list(tokens[index:end]), end
                out += self._colored(color, group_text(value), body, pieces, display)
            elif token in _NAMED_COLOR_COMMANDS:
                body, index = read_argument(tokens, index)
                out += self._colored(token[1:], token[1:], body, pieces, display)
            elif token in _DROPPED_WRAPPERS:
                _, index = read_argument(tokens, index)
                body, index = read_argument(tokens, index)
                out += ["{", *self._rewrite(body, pieces, display=display), "}"]
            elif token in (r"\mathrm", r"\mathup") and self._is_word(tokens, index):
                # latex2mathml drops the upright style of a single letter (\mathrm{d}x)
                argument, index = read_argument(tokens, index)
                word = group_text(argument)
                attributes = {"mathvariant": "normal"} if len(word) == 1 else {}
                out += self._placeholder(pieces, text_element("mi", word, **attributes))
            elif token.startswith(r"\verb") and token[5:6] not in ("", *map(chr, range(65, 123))):
                content = token[6:-1] if token.startswith(r"\verb*") else token[5:]
                out += self._placeholder(pieces, text_element(
                    "mtext", content[1:-1].replace(" ", "\u00a0"), **{"class": "math-text-monospace"}))
            elif token in _BIG_COMMANDS:
                index = self._skip_spaces(tokens, index)
                delimiter = tokens[index] if index < len(tokens) else "."
                index += 1
                out += self._placeholder(pieces, self._big(delimiter, *_BIG_COMMANDS[token]))
            elif token in _OVER_ACCENTS or token in _UNDER_ACCENTS:
                argument, index = read_argument(tokens, index)
                over = token in _OVER_ACCENTS
                accent = text_element("mo", (_OVER_ACCENTS if over else _UNDER_ACCENTS)[token],
                                      stretchy="true")
                tag, attribute = ("mover", "accent") if over else ("munder", "accentunder")
                inner = self.build(argument, display=display)
                out += self._placeholder(pieces, f'<{tag} {attribute}="true"><mrow>{inner}</mrow>'
                                                 f"{accent}</{tag}>")
            elif token in _EXTENSIBLE_ARROWS:
                below, index = read_optional(tokens, index)
                above, index = read_argument(tokens, index)
                out += self._placeholder(pieces, self._arrow(_EXTENSIBLE_ARROWS[token], above, below))
            elif token in _ENCLOSURES or token == r"\angln":
                argument, index = (["n"], index) if token == r"\angln" else read_argument(tokens, index)
                notation = _ENCLOSURES.get(token, "actuarial")
                inner = self.build(argument, display=display)
                out += self._placeholder(pieces, f'<mrow class="math-enclose-{notation}">{inner}</mrow>')
            elif token == r"\phantom":
                argument, index = read_argument(tokens, index)
                out += self._placeholder(pieces, f"<mphantom>{self.build(argument, display=display)}"
                                                 "</mphantom>")
            elif token == r"\raisebox":
                height, index = read_argument(tokens, index)
                argument, index = read_argument(tokens, index)
                inner = self._text(argument, "")
                shift = group_text(height)
                attribute = f' voffset="{shift}"' if re.fullmatch(r"-?\d*\.?\d+(em|ex|pt|px)", shift) else ""
                out += self._placeholder(pieces, f"<mpadded{attribute}>{inner}</mpadded>")
            elif token in (r"\Set", r"\set", r"\Braket", r"\braket"):
                argument, index = read_argument(tokens, index)
                out += self._rewrite(_bracketed(token, argument), pieces, display=display)
            elif token == "'":
                primes = 1
                while index < len(tokens) and tokens[index] == "'":
                    primes += 1
                    index += 1
                after = self._skip_spaces(tokens, index)
                script: list[str] = []
                if after < len(tokens) and tokens[after] == "^":
                    script, index = read_argument(tokens, after + 1)
                    script = self._rewrite(script, pieces, display=display)
                out += ["^", "{", *[r"\prime"] * primes, *script, "}"]
            elif token == r"\includegraphics":
                options, index = read_optional(tokens, index)
                path, index = read_argument(tokens, index)
                alt = re.search(r"alt=([^,]*)", "".join(options or []))
                self.unsupported.append(r"\includegraphics (images are not shown in math)")
                shown = alt.group(1).strip() if alt else "".join(path).rsplit("/", 1)[-1]
                out += self._placeholder(pieces, text_element("mtext", f"[{shown}]"))
            elif token in _LOGOS:
                out += self._placeholder(pieces, text_element("mtext", _LOGOS[token]))
            elif token in _EXTRA_OPERATORS:
                out += self._placeholder(pieces, text_element("mo", _EXTRA_OPERATORS[token]))
            elif token in _NO_OPS:
                continue
            elif token in (r"\hspace", r"\hskip") and self._skip_spaces(tokens, index) < len(tokens) \
                    and tokens[self._skip_spaces(tokens, index)] == "*":
                out.append(token)  # \hspace* only differs from \hspace at a line break
                index = self._skip_spaces(tokens, index) + 1
            elif token in (r"\colorbox", r"\fcolorbox"):
                frame = None
                if token == r"\fcolorbox":
                    frame, index = read_argument(tokens, index)
                background, index = read_argument(tokens, index)
                argument, index = read_argument(tokens, index)
                color = css_color(None, group_text(background))
                if color is None:
                    self.unsupported.append(f"colour {group_text(background)!r}")
                classes = "math-colorbox" + (" math-enclose-box" if frame is not None else "")
                fill = f' mathbackground="{color}"' if color else ""
                out += self._placeholder(pieces, f'<mrow class="{classes}"{fill}>'
                                                 f"{self._text(argument, '')}</mrow>")
            elif token == r"\url":
                argument, index = read_argument(tokens, index)
                out += self._placeholder(pieces, text_element("mtext", "".join(argument)))
            elif token == REFERENCE_COMMAND:
                target, index = read_argument(tokens, index)
                label, index = read_argument(tokens, index)
                out += self._placeholder(pieces, reference_link("".join(target), "".join(label)))
            elif token in (r"\label", r"\tag"):
                _, index = read_argument(tokens, self._skip_star(tokens, index))
            elif token in (r"\nonumber", r"\notag"):
                continue
            elif token == "&":
                self.unsupported.append("& outside a table")
            elif token == "{":
                end = matching_brace(tokens, index - 1)
                out += ["{", *self._rewrite(tokens[index:end], pieces, display=display), "}"]
                index = end + 1
            elif token.startswith(r"\@"):
                self.unsupported.append(token)
            else:
                out.append(token)
        return out

    def _is_word(self, tokens: Sequence[str], index: int) -> bool:
        index = self._skip_spaces(tokens, index)
        if index >= len(tokens) or tokens[index] != "{":
            return False
        argument, _ = read_argument(tokens, index)
        return bool(argument) and all(len(token) == 1 and token.isalnum() for token in argument)

    @staticmethod
    def _skip_spaces(tokens: Sequence[str], index: int) -> int:
        while index < len(tokens) and tokens[index] == " ":
            index += 1
        return index

    def _skip_star(self, tokens: Sequence[str], index: int) -> int:
        index = self._skip_spaces(tokens, index)
        return index + 1 if index < len(tokens) and tokens[index] == "*" else index

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
            table = self._table(rows, [alignment], "math-matrix", display and base != "smallmatrix")
            if base == "smallmatrix":
                table = f'<mstyle scriptlevel="1">{table}</mstyle>'
            return self._fenced(table, *_FENCES.get(base, ("", "")))
        if base in _CASES_ENVIRONMENTS:
            table = self._table(rows, ["l", "l"], "math-cases", base == "dcases")
            return self._fenced(table, *_FENCES[base])
        if base in _ARRAY_ENVIRONMENTS:
            spec_tokens, body = read_argument(body, 0)[0], body[read_argument(body, 0)[1]:]
            columns, lines = _array_spec(group_text(spec_tokens))
            rows = [split_cells(row) for row in split_rows(body)]
            table = self._table(rows, columns or ["c"], "math-array", base == "darray", lines)
            return f'<mstyle scriptlevel="1">{table}</mstyle>' if base == "subarray" else table
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
            vertical = all(kind in "AV|." for kind, _ in pieces if kind != "object") and not any(
                "".join(tokens).strip() for kind, tokens in pieces if kind == "object")
            cells: list[str] = []
            if vertical:
                for kind, labels in ((k, t) for k, t in pieces if k != "object"):
                    if cells:
                        cells.append("")
                    cells.append(self._cd_vertical(kind, labels))
            else:
                for kind, content in pieces:
                    if kind == "object":
                        cells.append(self.build(content, display=True))
                    else:
                        cells.append(self._cd_horizontal(kind, content))
            parts.append("<mtr>" + "".join(f'<mtd class="math-c">{cell}</mtd>' for cell in cells)
                         + "</mtr>")
        parts.append("</mtable>")
        return "".join(parts)

    def _cd_horizontal(self, kind: str, labels: Sequence[Sequence[str]]) -> str:
        if kind == "=":
            return text_element("mo", "=", stretchy="true") + '<mspace width="2em"></mspace>'
        above, below = (labels + [[], []])[:2] if labels else ([], [])
        return self._arrow("→" if kind == ">" else "←", above, below)

    def _cd_vertical(self, kind: str, labels: Sequence[Sequence[str]]) -> str:
        if kind == ".":
            return ""
        arrow = {"A": "↑", "V": "↓", "|": "‖"}[kind]
        left, right = (list(labels) + [[], []])[:2]
        def label(tokens: Sequence[str]) -> str:
            inner = self.build(tokens, display=False) if "".join(tokens).strip() else ""
            return f'<mstyle scriptlevel="1">{inner}</mstyle>' if inner else ""
        operator = text_element("mo", arrow, stretchy="true", minsize="2.4em")
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
               displaystyle: bool, lines: Sequence[str] = (), *, aligned: bool = False) -> str:
        """An ``<mtable>``; ``columns`` repeat cyclically, ``lines`` are rules between columns."""
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
                content = self.build(cell_tokens, display=displaystyle)
                parts.append(f'<mtd class="{" ".join(classes)}">{content}</mtd>')
            parts.append("</mtr>")
        parts.append("</mtable>")
        return "".join(parts)

    @staticmethod
    def _big(delimiter: str, height: str, form: str) -> str:
        """``\\bigl(``: a delimiter of a fixed size, whatever it encloses."""
        if delimiter == ".":
            return ""
        symbol = convert_symbol(delimiter) if delimiter.startswith("\\") else None
        char = chr(int(symbol, 16)) if symbol else delimiter.removeprefix("\\")
        attributes = {"minsize": height, "maxsize": height, "stretchy": "true", "symmetric": "true"}
        if form:
            attributes["form"] = form
        return text_element("mo", char, **attributes)

    def _arrow(self, arrow: str, above: Sequence[str], below: Sequence[str] | None) -> str:
        """``\\xrightarrow[below]{above}``: an arrow stretched under/over its labels."""
        def label(tokens: Sequence[str]) -> str:
            pad = '<mspace width="0.4em"></mspace>'
            return f"<mrow>{pad}{self.build(tokens, display=False)}{pad}</mrow>"
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

    def _text(self, tokens: Sequence[str], style: str) -> str:
        """Text-mode material as ``<mtext>`` runs (and math for ``$...$`` inside it)."""
        runs: list[tuple[str, str]] = []  # (style, text) or ("math", markup)
        self._text_runs(tokens, style, runs)
        parts: list[str] = []
        for run_style, content in runs:
            if run_style == "math":
                parts.append(content)
                continue
            text = content
            for sequence, replacement in _TEXT_LIGATURES if run_style != "monospace" else ():
                text = text.replace(sequence, replacement)
            attributes = {"class": f"math-text-{run_style}"} if run_style else {}
            parts.append(text_element("mtext", text, **attributes))
        if len(parts) == 1:
            return parts[0]
        return "<mrow>" + "".join(parts) + "</mrow>"

    def _text_runs(self, tokens: Sequence[str], style: str, runs: list[tuple[str, str]]) -> None:
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
                runs.append(("math", self.build(tokens[index:end], display=False)))
                index = end + 1
            elif token == "{":
                end = matching_brace(tokens, index - 1)
                self._text_runs(tokens[index:end], style, runs)
                index = end + 1
            elif token in _TEXT_COMMANDS:
                argument, index = read_argument(tokens, index)
                self._text_runs(argument, _TEXT_COMMANDS[token] or style if token != r"\textrm"
                                else "", runs)
            elif token in _TEXT_SWITCHES:
                style = _TEXT_SWITCHES[token]
            elif token in _TEXT_DECORATIONS or token == r"\phantom":
                argument, index = read_argument(tokens, index)
                inner = self._text(argument, style)
                runs.append(("math", f"<mphantom>{inner}</mphantom>" if token == r"\phantom" else
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


def _cd_pieces(row: Sequence[str]) -> list[tuple[str, list[list[str]]] | tuple[str, list[str]]]:
    """Split a ``CD`` row into ("object", tokens) and (arrow kind, [labels]) pieces."""
    pieces: list = []
    current: list[str] = []
    index = 0
    while index < len(row):
        token = row[index]
        if token == "@" and index + 1 < len(row) and row[index + 1] in "<>AV=|.":
            pieces.append(("object", current))
            current = []
            kind = row[index + 1]
            index += 2
            labels: list[list[str]] = []
            if kind in "<>AV":
                for _ in range(2):  # the labels run to the next two repetitions of the kind
                    label: list[str] = []
                    while index < len(row) and row[index] != kind:
                        label.append(row[index])
                        index += 1
                    labels.append(label)
                    index += 1
            pieces.append((kind, labels))
            continue
        current.append(token)
        index += 1
    pieces.append(("object", current))
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
