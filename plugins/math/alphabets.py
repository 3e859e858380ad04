"""Unicode mathematical alphanumerics: ``mathvariant`` turned into the characters MathML Core wants.

MathML Core drops ``mathvariant`` (except ``normal`` on ``<mi>``); styled letters are spelled
with the Mathematical Alphanumeric Symbols block (U+1D400...). The block's layout is regular
apart from the "holes" filled by older Letterlike Symbols, so a table of offsets and the holes is
all it takes; no maintained Python package exposes this mapping on its own.
"""
from __future__ import annotations

_LATIN_START = {
    "bold": 0x1D400, "italic": 0x1D434, "bold-italic": 0x1D468, "script": 0x1D49C,
    "bold-script": 0x1D4D0, "fraktur": 0x1D504, "double-struck": 0x1D538,
    "bold-fraktur": 0x1D56C, "sans-serif": 0x1D5A0, "bold-sans-serif": 0x1D5D4,
    "sans-serif-italic": 0x1D608, "sans-serif-bold-italic": 0x1D63C, "monospace": 0x1D670,
}
_DIGIT_START = {
    "bold": 0x1D7CE, "double-struck": 0x1D7D8, "sans-serif": 0x1D7E2,
    "bold-sans-serif": 0x1D7EC, "monospace": 0x1D7F6,
}
_GREEK_START = {
    "bold": 0x1D6A8, "italic": 0x1D6E2, "bold-italic": 0x1D71C,
    "bold-sans-serif": 0x1D756, "sans-serif-bold-italic": 0x1D790,
}
# The order of a Greek run in the block: capitals with theta-symbol in the reserved slot, nabla,
# small letters, then partial and the variant forms.
_GREEK_ORDER = ("ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡϴΣΤΥΦΧΨΩ∇αβγδεζηθικλμνξοπρςστυφχψω∂ϵϑϰϕϱϖ")
_HOLES = {
    ("italic", "h"): "ℎ",
    ("script", "B"): "ℬ", ("script", "E"): "ℰ", ("script", "F"): "ℱ", ("script", "H"): "ℋ",
    ("script", "I"): "ℐ", ("script", "L"): "ℒ", ("script", "M"): "ℳ", ("script", "R"): "ℛ",
    ("script", "e"): "ℯ", ("script", "g"): "ℊ", ("script", "o"): "ℴ",
    ("fraktur", "C"): "ℭ", ("fraktur", "H"): "ℌ", ("fraktur", "I"): "ℑ", ("fraktur", "R"): "ℜ",
    ("fraktur", "Z"): "ℨ",
    ("double-struck", "C"): "ℂ", ("double-struck", "H"): "ℍ", ("double-struck", "N"): "ℕ",
    ("double-struck", "P"): "ℙ", ("double-struck", "Q"): "ℚ", ("double-struck", "R"): "ℝ",
    ("double-struck", "Z"): "ℤ",
}
_ALIASES = {"sans-serif-bold": "bold-sans-serif", "bold-sans-serif-italic": "sans-serif-bold-italic"}

KNOWN_VARIANTS = frozenset(_LATIN_START) | frozenset(_ALIASES) | {"normal"}


def styled(text: str, variant: str) -> str:
    """``text`` in the Unicode alphabet of ``variant``; characters without one stay as they are."""
    variant = _ALIASES.get(variant, variant)
    return "".join(_styled_char(char, variant) for char in text)


def _styled_char(char: str, variant: str) -> str:
    hole = _HOLES.get((variant, char))
    if hole is not None:
        return hole
    if "A" <= char <= "Z" and variant in _LATIN_START:
        return chr(_LATIN_START[variant] + ord(char) - ord("A"))
    if "a" <= char <= "z" and variant in _LATIN_START:
        return chr(_LATIN_START[variant] + 26 + ord(char) - ord("a"))
    if "0" <= char <= "9" and variant in _DIGIT_START:
        return chr(_DIGIT_START[variant] + ord(char) - ord("0"))
    if variant in _GREEK_START:
        position = _GREEK_ORDER.find(char)
        if position >= 0:
            return chr(_GREEK_START[variant] + position)
    return char
