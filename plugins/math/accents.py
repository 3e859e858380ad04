"""Accents over formulas, placed as TeX places them, in Chromium's MathML layout.

What Chromium does by itself, and what is done here instead (each seen in Chromium with the
theme's Latin Modern Math, beside TeX's output):

- The font's combining accents (U+0302...) are drawn alone, up and to the left of their base:
  accents are the spacing characters (ˆ, not U+0302), set as accents (``accent="true"``: close
  over the base, not a limit's gap above it).
- An accent is centred over its base's box; TeX moves it right over a slanted letter (the
  font's top accent attachment, which Chromium does not read): ``f̂`` had its hat over the
  stem. The accent is moved by a ``math-skew-N`` class (N steps of 0.04em, ``m`` for left).
- Chromium sets an accent on the top of its base's ink, with no gap (``X̄`` read as one glyph);
  TeX leaves the gap the font draws the accent with over an x-height letter, over any base.
  A ``math-lift-N`` class pads the accent's foot by that gap (N steps of 0.02em).
- Chromium stretches no tilde (U+0303 is not a horizontal operator in MathML Core's dictionary;
  ``~`` and ``˜`` have no wider variants in the font) and draws its stretched U+0302 off-centre
  by the glyph's bearing. Over more than one symbol, a wide accent is the glyph widened by a
  ``math-wide-N`` class (N half steps of its own width) to about the width of what it covers,
  estimated from the symbols. Without the style sheet (a feed reader) accents stay narrow.

``math.css`` holds the classes.
"""
from __future__ import annotations

import html
import re

# TeX's accents over a symbol: the spacing character each is drawn with, and the gap TeX leaves
# under it (em): in Latin Modern Math, the bottom of the glyph's ink less the accent base height
# (0.45em, the height TeX sets accents for). amsmath sets \dddot and \ddddot as text dots.
NARROW = {r"\hat": ("ˆ", 0.066), r"\check": ("ˇ", 0.066), r"\tilde": ("˜", 0.108),
          r"\acute": ("´", 0.06), r"\grave": ("`", 0.06), r"\dot": ("˙", 0.101),
          r"\ddot": ("¨", 0.107), r"\dddot": ("...", 0.1), r"\ddddot": ("....", 0.1),
          r"\breve": ("˘", 0.068), r"\bar": ("¯", 0.139), r"\mathring": ("˚", 0.079)}
UNSKEWED = frozenset({r"\dddot", r"\ddddot"})  # amsmath centres them over the box
# Wide accents: the glyph, and the width of its ink in Latin Modern Math (em). They, and the
# other accents Stride builds (\vec), keep the gap of TeX's wide accents.
WIDE = {r"\widehat": ("ˆ", 0.30), r"\widetilde": ("~", 0.56), r"\widecheck": ("ˇ", 0.30)}
WIDE_GAP = 0.08
WIDEST = 24  # math-wide-24: twelve times the glyph's width
SKEW_STEP = 0.04  # em per math-skew step
LIFT_STEP = 0.02  # em per math-lift step

# How far right of the middle of its box an accent goes over each italic letter, in em: Latin
# Modern Math's top accent attachment of the letter's italic glyph (U+1D44E...) less half its
# advance. tests/math/test_accents.py reads them from the font again.
SKEWS = {
    "a": 0.022, "b": -0.05, "c": 0.101, "d": 0.182, "e": 0.067, "f": 0.219, "g": 0.077,
    "h": -0.075, "i": 0.074, "j": 0.153, "k": -0.048, "l": 0.035, "m": -0.035, "n": -0.035,
    "o": 0.072, "p": -0.005, "q": 0.126, "r": 0.021, "s": 0.061, "t": 0.044, "u": 0.019,
    "v": 0.051, "w": 0.047, "x": 0.043, "y": 0.059, "z": 0.103, "A": 0.175, "B": 0.041, "C": 0.238,
    "D": 0.013, "E": 0.114, "F": 0.153, "G": 0.203, "H": 0.127, "I": 0.127, "J": 0.209, "K": 0.12,
    "L": 0.019, "M": 0.14, "N": 0.141, "O": 0.114, "P": 0.095, "Q": 0.1, "R": 0.018, "S": 0.192,
    "T": 0.106, "U": 0.08, "V": 0.121, "W": 0.08, "X": 0.114, "Y": 0.108, "Z": 0.143, "α": 0.072,
    "β": 0.154, "γ": 0.0, "δ": 0.113, "ε": 0.051, "ζ": 0.094, "η": 0.024, "θ": 0.075, "ι": 0.007,
    "κ": 0.043, "λ": -0.053, "μ": 0.048, "ν": 0.05, "ξ": 0.066, "ο": 0.001, "π": 0.043, "ρ": 0.096,
    "ς": 0.001, "σ": 0.001, "τ": 0.051, "υ": 0.036, "φ": 0.028, "χ": 0.018, "ψ": 0.143, "ω": 0.034,
    "ϵ": 0.066, "ϑ": 0.116, "ϕ": 0.125, "ϱ": 0.102, "ϖ": 0.039, "ı": 0.007, "ȷ": 0.083,
}
# Rough advance widths (em): binary operators and relations count their spaces; letters in
# scripts count as full size (an accent a little too wide rather than too narrow).
_WIDTHS = {**dict.fromkeys("+−=<>≤≥≠≈∼≃≡±∓×÷·∘⋅∈∉⊂⊆⊃⊇∪∩→←↦⇒⟹", 1.2),
           **dict.fromkeys("()[]{}|‖⟨⟩,;:.!'′", 0.4)}
_SYMBOL_TEXT = re.compile(r"<(?:mi|mn|mo|mtext|ms)\b[^>]*>([^<]*)</")
_SINGLE_SYMBOL = re.compile(r"(?:<mrow>)?<(mi|mn)\b([^>]*)>([^<]*)</\1>(?:</mrow>)?")
# What is taller than a line of text: brackets around it stretch
_TALLER = re.compile(r'<(?:mfrac|mtable|msqrt|mroot|munderover)\b|stretchy="true"')


def single_symbol(markup: str) -> bool:
    """Whether ``markup`` is one identifier or number (TeX's accent on a single character)."""
    return _SINGLE_SYMBOL.fullmatch(markup) is not None


def one_line(markup: str) -> bool:
    """Whether accented ``markup`` is no taller than a line of text."""
    return _TALLER.search(markup) is None


def accent_classes(base: str, *, gap: float, scale: int = 2, skew: bool = True,
                   size: float = 1.0) -> str:
    """The classes of an accent over the converted ``base``: ``scale`` half steps of its width
    (2: as drawn), its skew over an italic letter, and its ``gap`` over the base's ink. The
    classes move the accent by ems of its own size: one drawn at ``size`` (\\vec's 70%) takes
    as many more steps as make the base's ems."""
    classes = [f"math-wide-{scale}"] if scale > 2 else []
    symbol = _SINGLE_SYMBOL.fullmatch(base)
    if skew and symbol and "mathvariant" not in symbol.group(2) and len(symbol.group(3)) == 1:
        steps = round(SKEWS.get(symbol.group(3), 0.0) / size / SKEW_STEP)
        if steps:
            classes.append(f"math-skew-{steps}" if steps > 0 else f"math-skew-m{-steps}")
    if lift := round(gap / size / LIFT_STEP):
        classes.append(f"math-lift-{lift}")
    return " ".join(classes)


def wide_scale(base: str, glyph_width: float) -> int:
    """Half steps of ``glyph_width`` that make a wide accent about as wide as ``base``: a little
    narrower, as TeX's widest variant that fits. One symbol gets the glyph as drawn."""
    if single_symbol(base):
        return 2
    return min(max(round(2 * 0.9 * estimated_width(base) / glyph_width), 2), WIDEST)


def estimated_width(markup: str) -> float:
    """About how wide ``markup`` is set, in em, from its symbols."""
    return sum(_WIDTHS.get(char, 0.72 if char.isupper() else 0.52)
               for text in _SYMBOL_TEXT.findall(markup) for char in html.unescape(text))
