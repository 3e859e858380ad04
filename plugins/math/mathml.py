"""latex2mathml at the core, its output made into safe MathML Core.

latex2mathml writes MathML 3 (``mathvariant``, ``menclose``, ``columnalign``, ``rowlines``...),
puts character references as literal ``&#x...;`` strings into element text and, through its
``convert``, un-escapes the serialised markup (so ``\\text{<script>}`` would come out live).
Stride therefore takes its element tree, decodes the character references, rewrites what
MathML Core lacks into Unicode or classes styled by ``theme/static/math/math.css``, and then
passes every element and attribute through an allowlist before serialising with escaping.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from xml.etree.ElementTree import Element, SubElement, fromstring

from latex2mathml.commands import FUNCTIONS
from latex2mathml.converter import Converter
from latex2mathml.symbols_parser import SYMBOLS_FILE

from .alphabets import KNOWN_VARIANTS, styled
from .tex import TexError

MATHML_NS = "http://www.w3.org/1998/Math/MathML"

# MathML Core elements and the attributes each may carry besides the global ones.
_ELEMENT_ATTRIBUTES: dict[str, frozenset[str]] = {
    "math": frozenset({"display", "alttext"}),
    "semantics": frozenset(), "annotation": frozenset({"encoding"}),
    "mrow": frozenset(), "mstyle": frozenset(), "merror": frozenset(), "mphantom": frozenset(),
    "mi": frozenset({"mathvariant"}), "mn": frozenset(), "mtext": frozenset(), "ms": frozenset(),
    "mo": frozenset({"form", "fence", "separator", "lspace", "rspace", "stretchy", "symmetric",
                     "maxsize", "minsize", "largeop", "movablelimits"}),
    "mspace": frozenset({"width", "height", "depth"}),
    "mpadded": frozenset({"width", "height", "depth", "lspace", "voffset"}),
    "mfrac": frozenset({"linethickness"}), "msqrt": frozenset(), "mroot": frozenset(),
    "msub": frozenset(), "msup": frozenset(), "msubsup": frozenset(),
    "munder": frozenset({"accentunder"}), "mover": frozenset({"accent"}),
    "munderover": frozenset({"accent", "accentunder"}),
    "mmultiscripts": frozenset(), "mprescripts": frozenset(),
    "mtable": frozenset(), "mtr": frozenset(), "mtd": frozenset({"columnspan", "rowspan"}),
}
_GLOBAL_ATTRIBUTES = frozenset({"class", "id", "dir", "displaystyle", "scriptlevel", "mathcolor",
                                "mathbackground", "mathsize"})
_LENGTH_ATTRIBUTES = frozenset({"width", "height", "depth", "lspace", "rspace", "voffset",
                                "maxsize", "minsize", "linethickness", "mathsize"})
_BOOLEAN_ATTRIBUTES = frozenset({"fence", "separator", "stretchy", "symmetric", "largeop",
                                 "movablelimits", "accent", "accentunder", "displaystyle"})
_LENGTH = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:em|ex|px|pt|pc|in|cm|mm|%)?")
_COLOR = re.compile(r"[A-Za-z]{1,30}|#(?:[0-9A-Fa-f]{3,4}|[0-9A-Fa-f]{6}|[0-9A-Fa-f]{8})")
_CHARACTER_REFERENCE = re.compile(r"&#x([0-9A-Fa-f]{1,6});|&#([0-9]{1,7});")
_LEAKED_COMMAND = re.compile(r"\\(?:[A-Za-z]+|.?)")  # a command latex2mathml printed as text
_TOKEN_ELEMENTS = frozenset({"mi", "mn", "mo", "mtext", "ms"})
_ALIGN_CLASSES = {"left": "math-l", "right": "math-r", "center": "math-c"}
# The symbols latex2mathml writes as <mo> that LaTeX and amssymb declare ordinary (\mathord),
# spaced as letters are: tests/math/test_symbol_classes.py derives this set from those files.
ORDINARY_SYMBOLS = frozenset("∂∞∅∇⊤⊥∀∃∄∎∠∡∢∁")
_FUNCTION_NAMES = frozenset(name[1:] for name in FUNCTIONS)
_SCRIPTED = frozenset({"msub", "msup", "msubsup", "munder", "mover", "munderover"})
_OPENING = frozenset("([{⟨|‖⌈⌊\u2061")
# Elements whose children are laid out in a row (MathML's inferred <mrow>).
_ROWS = frozenset({"math", "mrow", "mtd", "msqrt", "mstyle", "mpadded", "mphantom", "menclose",
                   "merror", "none"})
_SIGNS = frozenset("+−±∓")
# What convert.py builds itself stands in latex2mathml's output as <mtext>, these around its
# number, until the fragment is converted: its size is not known here. Its TeX class follows the
# number where it is not an ordinary atom (a sized bracket opens or closes, an arrow is a
# relation): the spacing of its neighbours depends on it, and so may its own.
PLACEHOLDER_OPEN, PLACEHOLDER_CLOSE = "\ue000", "\ue001"
# The piece's number, its TeX class if not ordinary, and "L" if it is one line of text high.
PLACEHOLDER = re.compile(f"{PLACEHOLDER_OPEN}(\\d+)(math[a-z]+)?(L)?{PLACEHOLDER_CLOSE}")
_PLACEHOLDER_MARKUP = re.compile(f"<mtext([^>]*)>{PLACEHOLDER.pattern}</mtext>")
_SPACING_ATTRIBUTE = re.compile(r'\b(lspace|rspace)="([^"]*)"')
# Symbols with no space of their own in TeX that latex2mathml writes as <mo>, which MathML spaces
# as an infix operator unless told otherwise: ordinary ones (a|0⟩, p(x|y), a/b) and the dots,
# which the operators beside them space (x_1, \dots, x_n; x_1 + \cdots + x_n).
_UNSPACED = frozenset("|‖/…⋯⋮⋱")
_RELATION_SPACE = "0.2778em"  # TeX's \thickmuskip, 5mu
_BINARY_SPACE = "0.2222em"  # TeX's \medmuskip, 4mu
_THIN_SPACE = "0.1667em"  # TeX's \thinmuskip, 3mu
# what an operator name needs no space before: ∏(x), \Pr[A], \max, x, \max = ...
_AFTER_NAME_UNSPACED = frozenset({"mathopen", "mathclose", "mathpunct", "mathrel"})
# what a function name (\log, \sin) needs no space after: an operator, relation or punctuation
# brings its own (∑_i \log, = \log, + \log, ", \log"), an opening bracket takes none
_BEFORE_NAME_UNSPACED = frozenset({"mathop", "mathbin", "mathrel", "mathpunct", "mathopen"})
# TeX's rule: a sign after an operator, a relation, an opening fence or punctuation is unary
# ("= −1", "(−x", "∑ −p"), so it is not spaced as a binary operator.
_BEFORE_UNARY = frozenset({"mathbin", "mathrel", "mathopen", "mathpunct", "mathop"})
# and before which a binary operator is ordinary: a + = b, (a+), a+, b
_BEFORE_ORDINARY_BINARY = frozenset({"mathrel", "mathclose", "mathpunct"})
# Letters whose italic glyph descends below the baseline in Latin Modern Math. TeX sets the
# subscript of a character at the same height whatever its depth (The TeXbook, rule 18a);
# Chromium lowers it by the base's depth: the i of y_i sat 0.16em below the i of x_i.
DESCENDERS = frozenset("fgjpqyQβγζημξρςφχψϕϱȷ")
_NAMED_LINE_WIDTHS = {"thin": "0.04em", "medium": "0.067em", "thick": "0.12em"}


@dataclass(frozen=True)
class Fragment:
    """Converted TeX: MathML markup (escaped, well-formed) and the problems met on the way."""

    markup: str
    unsupported: tuple[str, ...] = ()  # TeX commands latex2mathml did not know


def _tex_classes() -> dict[str, str]:
    """TeX's class of each math symbol (``mathbin``, ``mathrel``, ``mathopen``...), from the
    Unicode math table latex2mathml ships with (empty if that table cannot be read)."""
    classes: dict[str, str] = {}
    try:
        with open(SYMBOLS_FILE, encoding="utf-8") as table:
            for line in table:
                columns = line.split("^")
                if not line.startswith("#") and len(columns) > 5 and len(columns[1]) == 1:
                    classes.setdefault(columns[1], columns[5])
    except OSError:
        return {}
    classes["!"] = "mathclose"  # the factorial ends an operand (the table says punctuation)
    classes[":"] = "mathrel"  # as in TeX: f : X → Y, {x : x > 0} (\colon is the punctuation)
    return classes


_TEX_CLASSES = _tex_classes()
# latex2mathml writes these as <mi> (\pm, \setminus, \leqslant, \bigoplus...): as operators,
# MathML spaces and sizes them.
_OPERATOR_CLASSES = frozenset({"mathbin", "mathrel", "mathop"})


def _decode_references(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        code = int(match.group(1), 16) if match.group(1) else int(match.group(2))
        if code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0x10FFFF:
            if not 0xFDD0 <= code <= 0xFDEF and code & 0xFFFE != 0xFFFE:
                return chr(code)
        return "\ufffd"
    return _CHARACTER_REFERENCE.sub(replace, text)


def _length(value: str, name: str) -> str | None:
    """A CSS length MathML Core accepts, or None. Relative "+x" sizes are not in Core."""
    value = value.strip()
    if name == "linethickness" and value in _NAMED_LINE_WIDTHS:
        return _NAMED_LINE_WIDTHS[value]
    if value.startswith("+"):
        if name in ("width", "height", "depth"):
            return None
        value = value[1:]
    if value.endswith("mu") and _LENGTH.fullmatch(value[:-2]):
        return f"{float(value[:-2]) / 18:.4g}em"
    return value if _LENGTH.fullmatch(value) else None


def _descends(base: Element) -> bool:
    text = base.text or ""
    return base.tag == "mi" and not len(base) and len(text) == 1 \
        and unicodedata.normalize("NFKC", text) in DESCENDERS


def _hide_depth(scripted: Element) -> None:
    """Wrap the base of ``scripted`` so that Chromium lowers its subscript as TeX does."""
    holder = Element("mpadded", {"depth": "0"})
    holder.append(scripted[0])
    scripted.remove(scripted[0])
    scripted.insert(0, holder)


def _sanitize(element: Element, unsupported: list[str]) -> None:
    """Rewrite ``element``'s subtree into MathML Core, in place."""
    for child in list(element):
        _sanitize(child, unsupported)
    tag = element.tag
    if tag in _ROWS and len(element):
        if len(element) > 1:
            _set_operators(element)
            _unstretch_fences_of_one_line(element)
        _space_row_as_tex(element)
    elif tag in _SCRIPTED and len(element) and element[0].tag == "mi" \
            and _TEX_CLASSES.get(element[0].text or "") == "mathop":
        _make_operator(element[0])  # \bigoplus_{i=1}^n: drawn large, its limits below in a display
    elif tag in ("msub", "msubsup") and len(element) and _descends(element[0]):
        _hide_depth(element)
    classes: list[str] = [name for name in element.attrib.get("class", "").split()
                          if name.startswith("math-")]
    if tag == "menclose":
        classes += [f"math-enclose-{notation}" for notation in
                    element.attrib.get("notation", "box").split() if notation.isalpha()]
        tag = "mrow"
    elif tag == "none":
        tag = "mrow"
    elif tag == "mtable":
        _table_classes(element)
    elif tag == "mtd" and "columnalign" in element.attrib:
        classes.append(_ALIGN_CLASSES.get(element.attrib["columnalign"], "math-c"))
    elif tag not in _ELEMENT_ATTRIBUTES:
        unsupported.append(f"<{tag}>")
        tag = "mrow"
    if tag in ("mi", "mn", "mo") and len(element):
        tag = "mrow"  # a token holds text only; latex2mathml nests a row in <mo> for \mathop{...}
    variant = element.attrib.get("mathvariant")
    if element.text:
        element.text = _decode_references(element.text)
        if tag == "mo" and element.text == "*":
            element.text = "\u2217"  # TeX's * is \ast, the binary operator on the axis: f ∗ g
        if tag == "mi" and len(element.text) == 1 and unicodedata.category(element.text) in ("Ps", "Pe"):
            tag = "mo"  # \rangle, \lceil...: fences, spaced and sized as operators
            element.set("stretchy", "false")
        elif tag == "mo" and element.text in ORDINARY_SYMBOLS and not element.attrib:
            tag = "mi"
        elif tag == "mo" and element.text in _UNSPACED and element.get("stretchy") != "true":
            element.attrib.update(lspace="0", rspace="0")
        if tag in _TOKEN_ELEMENTS:
            leaked = _LEAKED_COMMAND.fullmatch(element.text.strip())
            if leaked and tag != "mtext":
                unsupported.append(leaked.group(0))
                tag = "merror"  # shows the command, in red, inside the rest of the formula
                classes.append("math-unsupported")
                SubElement(element, "mtext").text = element.text.strip()
                element.text = None
                variant = None
    if variant and variant != "normal" and variant in KNOWN_VARIANTS:
        if tag in ("mi", "mn", "mo") and element.text:
            element.text = styled(element.text, variant)
        elif tag == "mtext":
            classes.append(f"math-text-{variant}")
    attributes = _core_attributes(tag, element.attrib, element.text or "")
    if classes:
        attributes["class"] = " ".join(dict.fromkeys(classes))
    element.tag = tag
    element.attrib.clear()
    element.attrib.update(attributes)


def _set_operators(row: Element) -> None:
    """In a row of several items: symbols TeX classes as operators are ``<mo>`` (alone in a
    script, ``A^\\dagger``, TeX makes them ordinary), and ``form="prefix"`` marks the signs TeX
    reads as unary, except the first (MathML already takes a row's first operator as prefix)."""
    for child in row:
        if child.tag == "mi" and _TEX_CLASSES.get(child.text or "") in _OPERATOR_CLASSES:
            _make_operator(child)
    previous = row[0]
    for child in list(row)[1:]:
        if child.tag == "mo" and child.text in _SIGNS and "form" not in child.attrib:
            # the operator before the sign, also when it carries limits or scripts (∑_i −x)
            if _atom_class(previous) in _BEFORE_UNARY:
                child.set("form", "prefix")
        previous = child


def _space_row_as_tex(row: Element) -> None:
    """Spacing TeX gives a list and Chromium would not:
    - none at its edges (``$\\to$`` alone in a sentence, ``$a =$``);
    - none around a binary operator TeX reads as ordinary, being first or last in its list,
      after an operator, opening or punctuation, or before a relation, closing or punctuation
      (``3$\\times$3``, ``(a+)``; signs marked unary by ``form`` are unspaced already);
    - none between relations side by side (``:=``, ``= \\sim``);
    - a thin space around an operator name (``\\max``, ``\\operatorname{Var}``) where TeX puts
      one, none before a bracket: ``\\max_i x_i``, ``\\Pr[A]`` (Chromium gives names it does
      not know a thick space on both sides).
    An operator convert.py builds is spaced through its placeholder (``_is_operator``)."""
    items = list(row)
    classes = [_atom_class(item) for item in items]
    last = len(items) - 1
    for index, item in enumerate(items):
        previous = classes[index - 1] if index > 0 else None
        following = classes[index + 1] if index < last else None
        if _is_operator(item) and classes[index] == "mathbin" and "form" not in item.attrib and (
                (index == 0 and item.text not in _SIGNS) or index == last
                or previous in _BEFORE_UNARY or following in _BEFORE_ORDINARY_BINARY):
            item.attrib.setdefault("lspace", "0")
            item.attrib.setdefault("rspace", "0")
        head = _head(item)
        if classes[index] == "mathrel" and following == "mathrel" and _is_operator(head):
            # relations side by side are one relation to TeX: := and =: take no space inside
            head.attrib.setdefault("rspace", "0")
            _head(items[index + 1]).attrib.setdefault("lspace", "0")
        if head.tag == "mo" and _is_operator_name(head.text):
            space = _RELATION_SPACE if head.text == "mod" else _THIN_SPACE  # \bmod: 5mu kerns
            spaced_before = index > 0 and (previous not in _BEFORE_UNARY
                                           or _is_unary_sign(items, index - 1))
            spaced_after = index < last and following not in _AFTER_NAME_UNSPACED
            head.attrib.setdefault("lspace", space if spaced_before else "0")
            head.attrib.setdefault("rspace", space if spaced_after else "0")
    # (an opening bracket or a sign first, a closing bracket last: MathML spaces them so already)
    first, final = items[0], items[last]
    if _is_operator(first) and classes[0] != "mathopen" and first.get("form") != "prefix" \
            and first.text not in _SIGNS:
        first.attrib.setdefault("lspace", "0")
    if _is_operator(final) and classes[last] != "mathclose" and final.get("form") != "postfix":
        final.attrib.setdefault("rspace", "0")


def _unstretch_fences_of_one_line(row: Element) -> None:
    """``\\left( x_i \\right)``: brackets around one line of text height need no stretching (TeX
    draws them at their normal size), and Chromium lays a stretchy bracket out wider than its
    glyph, leaving a gap inside: "( x )". Taller content keeps them stretchy."""
    fences = [item for item in row if item.tag == "mo" and item.get("stretchy") == "true"
              and item.get("fence") == "true"]
    if len(fences) < 2 or row[0] is not fences[0] or row[-1] is not fences[-1] \
            or not all(_one_line(item) for item in row if item not in fences):
        return
    for fence in fences:
        fence.set("stretchy", "false")


def _one_line(element: Element, *, in_script: bool = False) -> bool:
    """Whether ``element`` is no taller than a line of text: tokens, rows of them, accents, and
    scripts of such (scripts of scripts excepted)."""
    tag = element.tag
    if tag == "mtext" and PLACEHOLDER_OPEN in (element.text or ""):
        # built by convert.py: an accented symbol, or an array, a sized delimiter... (taller)
        placeholder = PLACEHOLDER.fullmatch(element.text or "")
        return bool(placeholder and placeholder.group(3))
    if tag in ("mi", "mn", "mtext", "mspace"):
        return True
    if tag == "mo":
        return element.get("stretchy") != "true" \
            and _TEX_CLASSES.get(element.text or "") != "mathop"
    if tag in ("mrow", "mpadded"):
        return all(_one_line(child, in_script=in_script) for child in element)
    if tag in ("msub", "msup", "msubsup") and not in_script:
        return all(_one_line(child, in_script=index > 0) for index, child in enumerate(element))
    if tag in ("mover", "munder") and len(element) == 2 and (
            element.get("accent") == "true" or element.get("accentunder") == "true"):
        return _one_line(element[0], in_script=in_script)
    return False


def _head(element: Element) -> Element:
    """An item of a row without its scripts: ``∑`` of ``∑_i``."""
    return element[0] if element.tag in _SCRIPTED and len(element) else element


def _is_operator_name(text: str | None) -> bool:
    return bool(text) and text.replace("\u2009", "").isalpha()


def _is_operator(element: Element) -> bool:
    """Whether the spacing rules may set ``element``'s ``lspace``/``rspace``: an ``<mo>``, or the
    placeholder of an operator convert.py builds (``\\sim``, ``\\xrightarrow``, ``\\bigl(``), whose
    spacing goes onto that operator when it is swapped in (``fill_placeholders``)."""
    if element.tag == "mo":
        return True
    placeholder = element.tag == "mtext" and PLACEHOLDER.fullmatch(element.text or "")
    return bool(placeholder and placeholder.group(2))


def _atom_class(element: Element) -> str | None:
    """TeX's class of an item of a row: its operator's, also when it carries scripts (∑_i), a
    function name's (``\\sin``, an operator latex2mathml writes as ``<mi>``), or the one a
    placeholder carries; None for an ordinary atom."""
    head = _head(element)
    if head.tag == "mtext":
        placeholder = PLACEHOLDER.fullmatch(head.text or "")
        return placeholder.group(2) if placeholder else None
    if head.tag == "mi":
        return "mathop" if head.text in _FUNCTION_NAMES else None
    if head.tag != "mo":
        return None
    return "mathop" if _is_operator_name(head.text) else _TEX_CLASSES.get(head.text or "")


def _spacing_in_place(element: Element, *, script: bool, compact: bool) -> None:
    """Operator spacing that depends on where the operator is. TeX spaces no binary operator,
    relation or punctuation in a script (``a_{n-1}``, ``\\sum_{i=1}``, the parts of an inline
    fraction), but Chromium spaces an ``<mo>`` at every depth; elsewhere, ``:`` is a relation
    (``f : X \\to Y``), which Chromium spaces as punctuation. ``script`` follows where the
    browser sets a deeper ``math-depth``: scripts, a root's index, and the parts of a fraction
    in compact style (inline, or in a table cell). Spacing set before (``\\colon``, a formula's
    edges) stays."""
    tag = element.tag
    if _is_operator(element):
        atom_class = _TEX_CLASSES.get(element.text or "") if tag == "mo" else _atom_class(element)
        if script and atom_class != "mathop":
            element.attrib.setdefault("lspace", "0")
            element.attrib.setdefault("rspace", "0")
        elif element.text == ":":
            element.attrib.setdefault("lspace", _RELATION_SPACE)
            element.attrib.setdefault("rspace", _RELATION_SPACE)
        return
    if tag == "mtable":
        compact = True
    if "displaystyle" in element.attrib:
        compact = element.attrib["displaystyle"] != "true"
    level = element.attrib.get("scriptlevel", "")
    if level.isdigit():
        script = level != "0"
    elif level.startswith("+"):
        script = True
    children = list(element)
    for index, child in enumerate(children):
        if tag in _SCRIPTED or tag == "mroot":
            _spacing_in_place(child, script=script or index > 0, compact=compact or index > 0)
        elif tag == "mfrac":
            _spacing_in_place(child, script=script or compact, compact=True)
        else:
            _spacing_in_place(child, script=script, compact=compact)


def _make_operator(identifier: Element) -> None:
    identifier.tag = "mo"
    identifier.attrib.pop("mathvariant", None)  # <mi> only


def _core_attributes(tag: str, attributes: dict[str, str], text: str) -> dict[str, str]:
    """The attributes MathML Core allows on ``tag``, with valid values only (class excepted)."""
    allowed = _ELEMENT_ATTRIBUTES.get(tag, frozenset()) | _GLOBAL_ATTRIBUTES
    kept: dict[str, str] = {}
    for name, value in attributes.items():
        if name not in allowed or name == "class":
            continue
        if name == "mathvariant":
            # Core keeps only "normal", meaningful on a single-letter <mi> (upright x).
            valid: str | None = value if value == "normal" and tag == "mi" and len(text) == 1 else None
        elif name in ("mathcolor", "mathbackground"):
            valid = value if _COLOR.fullmatch(value) else None
        elif name in _LENGTH_ATTRIBUTES:
            valid = _length(value, name)
        elif name in _BOOLEAN_ATTRIBUTES:
            valid = value if value in ("true", "false") else None
        elif name == "scriptlevel":
            valid = value if re.fullmatch(r"[+-]?\d{1,2}", value) else None
        elif name == "form":
            valid = value if value in ("prefix", "infix", "postfix") else None
        elif name in ("columnspan", "rowspan"):
            valid = value if value.isdigit() else None
        else:  # dir, encoding, display, alttext, id: latex2mathml never sets them from TeX
            valid = None
        if valid is not None:
            kept[name] = valid
    return kept


def _space_functions(element: Element) -> None:
    """Thin spaces around ``\\sin``, ``\\log_2``...: TeX spaces an operator name from an operand
    or a closing bracket on either side, scripted or not (``p(x) \\log x``, ``(a+b)^2 \\log``),
    MathML has no such rule for ``<mi>sin</mi>``. Operators, relations and punctuation beside it
    bring their own space, and there is none inside brackets (``\\{\\sin, \\cos\\}``)."""
    for child in list(element):
        _space_functions(child)
    if element.tag in _SCRIPTED:
        return  # the name is the base here; its msub/msup is spaced in the parent row

    def is_function(node: Element | None) -> bool:
        head = node[0] if node is not None and node.tag in _SCRIPTED and len(node) else node
        return head is not None and head.tag == "mi" and head.text in _FUNCTION_NAMES

    children = list(element)
    for position, child in enumerate(children):
        if not is_function(child):
            continue
        following = children[position + 1] if position + 1 < len(children) else None
        # none before a bracket, punctuation or a relation: \log(x), \{\sin, \cos\}
        if following is not None and _atom_class(following) not in _AFTER_NAME_UNSPACED \
                and not (following.tag == "mo" and following.text in _OPENING):
            element.insert(list(element).index(child) + 1, Element("mspace", {"width": "0.1667em"}))
        preceding = children[position - 1] if position else None
        if preceding is not None and preceding.tag != "mspace" and not is_function(preceding) \
                and (_atom_class(preceding) not in _BEFORE_NAME_UNSPACED
                     or _is_unary_sign(children, position - 1)):
            element.insert(list(element).index(child), Element("mspace", {"width": "0.1667em"}))


def _is_unary_sign(items: list[Element], index: int) -> bool:
    """A sign TeX reads as unary is an ordinary atom, so an operator name after it is spaced as
    after an operand: TeX sets ``-\\sin x`` and ``\\sin + \\cos`` with a thin space before the name."""
    item = items[index]
    return item.tag == "mo" and item.text in _SIGNS and (index == 0 or item.get("form") == "prefix")


def _table_classes(table: Element) -> None:
    """Carry ``columnalign``/``rowlines``/``columnlines`` of a table over to its cells' classes."""
    column_aligns = table.attrib.get("columnalign", "").split()
    row_lines = table.attrib.get("rowlines", "").split()
    column_lines = table.attrib.get("columnlines", "").split()
    rows = [row for row in table if row.tag == "mtr"]
    for row_index, row in enumerate(rows):
        for column_index, cell in enumerate(row):
            names = cell.attrib.get("class", "").split()
            if column_aligns and "columnalign" not in cell.attrib:
                names.append(_ALIGN_CLASSES.get(column_aligns[min(column_index, len(column_aligns) - 1)],
                                                "math-c"))
            if row_index < len(rows) - 1 and row_lines:
                line = row_lines[min(row_index, len(row_lines) - 1)]
                if line in ("solid", "dashed"):
                    names.append(f"math-rule-below-{line}")
            if column_index < len(row) - 1 and column_lines:
                line = column_lines[min(column_index, len(column_lines) - 1)]
                if line in ("solid", "dashed"):
                    names.append(f"math-rule-right-{line}")
            if names:
                cell.set("class", " ".join(names))


_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_ATTRIBUTE_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                                    "\r": "&#13;", "\n": "&#10;", "\t": "&#09;"})


def _serialize(element: Element) -> str:
    """The markup ElementTree's ``tostring(..., short_empty_elements=False)`` writes for a tree of
    plain (namespace-less) MathML tags, without its namespace bookkeeping: that bookkeeping was
    a tenth of a post's math time."""
    parts: list[str] = []
    _write(element, parts.append)
    return "".join(parts)


def _write(element: Element, write: Callable[[str], object]) -> None:
    tag = element.tag
    write("<" + tag)
    for name, value in element.attrib.items():
        write(f' {name}="{value.translate(_ATTRIBUTE_ESCAPES)}"')
    write(">")
    if element.text:
        write(element.text.translate(_TEXT_ESCAPES))
    for child in element:
        _write(child, write)
    write(f"</{tag}>")
    if element.tail:
        write(element.tail.translate(_TEXT_ESCAPES))


@lru_cache(maxsize=8192)
def convert_fragment(tex: str, display: bool, script: bool = False) -> Fragment:
    """Convert normalised TeX with latex2mathml into a Core ``<mrow>`` (memoised per process);
    ``script``: it is set in a script (a label over an arrow), where TeX spaces no operator.

    Every exception latex2mathml raises on malformed input (its own, ``StopIteration``,
    ``IndexError``, ``RecursionError``...) becomes a ``TexError``.
    """
    try:
        converter = Converter(display="block" if display else "inline")
        math = converter.convert_to_element(tex)
    except Exception as error:  # noqa: BLE001 - StopIteration, IndexError, RecursionError, its own...
        detail = type(error).__name__.removesuffix("Error").replace("_", " ")
        raise TexError(f"latex2mathml cannot read this TeX ({detail or 'error'})",
                       "check that braces, \\left/\\right and \\begin/\\end pairs match") from None
    row = math[0] if len(math) else Element("mrow")
    unsupported: list[str] = []
    _sanitize(row, unsupported)
    if any(node.text in _FUNCTION_NAMES for node in row.iter("mi")):  # else nothing to space
        _space_functions(row)
    _spacing_in_place(row, script=script, compact=script or not display)
    return Fragment(_serialize(row), tuple(dict.fromkeys(unsupported)))


def fill_placeholders(markup: str, pieces: Sequence[str]) -> str:
    """``markup`` with each placeholder swapped for the piece it stands for. Spacing the rules
    gave a placeholder (none between relations, at an edge, in a script) goes onto the piece's
    core operator, the ``<mo>`` MathML spaces it by, in place of the piece's own: the ``∼`` of
    ``a = \\sim b``, the arrow of ``\\xrightarrow{f} =``."""
    def piece(match: re.Match[str]) -> str:
        built = pieces[int(match.group(2))]
        spacing = _SPACING_ATTRIBUTE.findall(match.group(1))
        if not spacing:
            return built
        holder = fromstring(f"<mrow>{built}</mrow>")
        core = _core_operator(holder[0]) if len(holder) == 1 else None
        if core is None:
            return built
        core.attrib.update(spacing)
        return _serialize(holder[0])
    return _PLACEHOLDER_MARKUP.sub(piece, markup)


def atom_class_of(markup: str) -> str | None:
    """TeX's class of converted markup that is one atom (``=``, ``\\to``, ``+``), as a row's
    spacing rules see it; None for an ordinary atom or for several."""
    atom = _sole_atom(fromstring(f"<mrow>{markup}</mrow>"))
    if atom is None:
        return None
    return _operator_symbol_class(atom) or _atom_class(atom)


def _operator_symbol_class(atom: Element) -> str | None:
    """The class of a relation or binary symbol that, alone in its row, stayed an ``<mi>`` (a
    one-item row is no list for TeX's spacing; ``\\longrightarrow``)."""
    if atom.tag != "mi":
        return None
    atom_class = _TEX_CLASSES.get(atom.text or "")
    return atom_class if atom_class in ("mathrel", "mathbin") else None


def spaced_as(markup: str, atom_class: str) -> str:
    """Converted markup of one operator, its core ``<mo>`` spaced as TeX spaces a relation
    (``mathrel``) or a binary operator (``mathbin``) between ordinary atoms: alone in its row it
    was given no space, and as the base of ``\\overset`` it spaces the whole (the rules of the
    row it goes into take the space away where TeX has none)."""
    holder = fromstring(f"<mrow>{markup}</mrow>")
    atom = _sole_atom(holder)
    if atom is not None and _operator_symbol_class(atom):
        _make_operator(atom)  # the base of \stackrel: an operator, spaced as the whole
    core = _core_operator(atom) if atom is not None else None
    if core is None:
        return markup
    space = _RELATION_SPACE if atom_class == "mathrel" else _BINARY_SPACE
    core.attrib.update(lspace=space, rspace=space)
    return "".join(_serialize(child) for child in holder)


def _sole_atom(row: Element) -> Element | None:
    """The one item of ``row``, looking through rows of one item."""
    while row.tag == "mrow" and len(row) == 1:
        row = row[0]
    return None if row.tag == "mrow" else row


def _core_operator(element: Element) -> Element | None:
    """The ``<mo>`` that spaces ``element`` as an embellished operator (MathML Core): itself, the
    core of its base (the arrow of an arrow with labels), or of a row that holds only it."""
    if element.tag == "mo":
        return element
    if element.tag in _SCRIPTED and len(element):
        return _core_operator(element[0])
    if element.tag in ("mrow", "mstyle", "mpadded"):
        operands = [child for child in element if child.tag != "mspace"]
        return _core_operator(operands[0]) if len(operands) == 1 else None
    return None


def text_element(tag: str, text: str, **attributes: str) -> str:
    """A token element such as ``<mtext>`` holding ``text``, escaped."""
    element = Element(tag, attributes)
    element.text = text
    return _serialize(element)


def math_element(body: str, tex: str, *, display: bool, extra_class: str = "") -> str:
    """Wrap converted markup into ``<math>`` with the TeX source as an annotation."""
    attributes = {"display": "block"} if display else {}
    if extra_class:
        attributes["class"] = extra_class
    annotation = Element("annotation", {"encoding": "application/x-tex"})
    annotation.text = tex
    opening = "".join(f' {name}="{value}"' for name, value in attributes.items())
    return (f'<math xmlns="{MATHML_NS}"{opening}><semantics><mrow>{body}</mrow>'
            f"{_serialize(annotation)}</semantics></math>")


def reference_link(target_id: str, text: str) -> str:
    """An equation reference: an HTML link inside ``<mtext>``, which HTML parses as HTML."""
    mtext = Element("mtext", {"class": "math-ref"})
    link = SubElement(mtext, "a", {"href": f"#{target_id}"})
    link.text = text
    return _serialize(mtext)
