"""The font metrics plugins/math keeps as tables, read again from the theme's Latin Modern Math,
and the accent classes math.css must define."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from fontTools.pens.boundsPen import BoundsPen
from fontTools.ttLib import TTFont

from plugins.math.accents import (LIFT_STEP, NARROW, SKEW_STEP, SKEWS, WIDE, WIDE_GAP, WIDEST,
                                  accent_classes)
from plugins.math.convert import FIXED_ACCENT_SIZES
from plugins.math.mathml import DESCENDERS

STATIC = Path(__file__).resolve().parents[2] / "theme" / "static" / "math"
# Where Chromium finds a letter's italic glyph (MathML Core's text-transform: math-auto)
_ITALIC_OFFSETS = (("a", "z", 0x1D44E), ("A", "Z", 0x1D434), ("α", "ω", 0x1D6FC))
_ITALIC_EXTRA = {"h": 0x210E, "ϵ": 0x1D716, "ϑ": 0x1D717, "ϕ": 0x1D719, "ϱ": 0x1D71A,
                 "ϖ": 0x1D71B, "ı": 0x1D6A4, "ȷ": 0x1D6A5}
LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZαβγδεζηθικλμνξοπρςστυφχψωϵϑϕϱϖıȷ"


@pytest.fixture(scope="module")
def font() -> TTFont:
    return TTFont(STATIC / "latinmodern-math.woff2")


def italic(letter: str) -> int:
    if letter in _ITALIC_EXTRA:
        return _ITALIC_EXTRA[letter]
    for first, last, start in _ITALIC_OFFSETS:
        if first <= letter <= last:
            return start + ord(letter) - ord(first)
    return ord(letter)


def ink(font: TTFont, codepoint: int) -> tuple[float, float, float, float]:
    glyphs = font.getGlyphSet()
    pen = BoundsPen(glyphs)
    glyphs[font.getBestCmap()[codepoint]].draw(pen)
    units = font["head"].unitsPerEm
    return tuple(value / units for value in pen.bounds)


def test_skews_are_the_fonts_top_accent_attachments(font: TTFont) -> None:
    attachments = font["MATH"].table.MathGlyphInfo.MathTopAccentAttachment
    covered = attachments.TopAccentCoverage.glyphs
    units = font["head"].unitsPerEm
    measured = {}
    for letter in LETTERS:
        glyph = font.getBestCmap().get(italic(letter))
        if glyph in covered:
            attachment = attachments.TopAccentAttachment[covered.index(glyph)].Value
            measured[letter] = round((attachment - font["hmtx"][glyph][0] / 2) / units, 3)
    assert measured == SKEWS


def test_accent_gaps_are_the_glyphs_height_over_the_accent_base_height(font: TTFont) -> None:
    base = font["MATH"].table.MathConstants.AccentBaseHeight.Value / font["head"].unitsPerEm
    for command, (glyph, gap) in NARROW.items():
        if len(glyph) == 1:  # not amsmath's text dots
            _, bottom, _, _ = ink(font, ord(glyph))
            assert abs(gap - (bottom - base)) <= 0.002, command


def test_wide_accent_widths_are_their_glyphs_ink(font: TTFont) -> None:
    for command, (glyph, width) in WIDE.items():
        left, _, right, _ = ink(font, ord(glyph))
        assert abs(width - (right - left)) <= 0.01, command


def test_descenders_are_the_letters_whose_italic_glyph_goes_below_the_baseline(font: TTFont) -> None:
    assert {letter for letter in LETTERS if ink(font, italic(letter))[1] < -0.05} == DESCENDERS


def test_math_css_defines_every_class_an_accent_can_get() -> None:
    css = (STATIC / "math.css").read_text(encoding="utf-8")
    defined = set(re.findall(r"\.(math-(?:skew|lift|wide)-m?\d+)\s*\{", css))
    used = set()
    # the font's accents at full size; the arrows Stride draws smaller (\vec) with the wide gap
    placements = {*((gap, 1.0) for _, gap in NARROW.values()),
                  *((WIDE_GAP, float(size.rstrip("%")) / 100)
                    for size in FIXED_ACCENT_SIZES.values())}
    for letter in SKEWS:
        for gap, size in placements:
            used.update(accent_classes(f"<mi>{letter}</mi>", gap=gap, size=size).split())
    used.update(f"math-wide-{scale}" for scale in range(3, WIDEST + 1))
    assert used <= defined, used - defined
    assert max(abs(skew) for skew in SKEWS.values()) / SKEW_STEP < 6.5
    assert max(gap for _, gap in NARROW.values()) / LIFT_STEP < 8.5
