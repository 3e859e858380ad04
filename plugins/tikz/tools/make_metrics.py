"""Regenerate ``plugins/tikz/cm_metrics.json`` from the TeX Font Metric files of a TeX install.

The built-in renderer sizes nodes from the same numbers TeX uses: the widths, heights, depths and
italic corrections of Computer Modern's TFM files, plus the math font parameters (``sup1``,
``sub1``, x-height...). Those files live in a TeX installation, which the built-in renderer must
not need, so this script extracts the few fonts LaTeX's default sizes use into a small table that
is committed beside the renderer. Run it where ``kpsewhich`` finds the fonts:

    python plugins/tikz/tools/make_metrics.py

The TFM reader is written here because the one reader in the allowed dependencies
(``matplotlib.dviread.Tfm``) does not expose the font parameters the math layout needs. The format
is the one in Knuth's TFtoPL: twelve 16-bit lengths, then tables of 32-bit words.
"""
from __future__ import annotations

import json
import struct
import subprocess
from pathlib import Path

# Every design size LaTeX's OT1/OML/OMS font definitions pick for \tiny ... \Huge and their math
# script sizes (ot1cmr.fd, omlcmm.fd, omscmsy.fd), and cmex10 for big operators and the rule
# thickness.
FONTS = (
    [f"cmr{size}" for size in (5, 6, 7, 8, 9, 10, 12, 17)]
    + [f"cmmi{size}" for size in (5, 6, 7, 8, 9, 10, 12)]
    + [f"cmsy{size}" for size in (5, 6, 7, 8, 9, 10)]
    + ["cmbx10", "cmbx12", "cmti10", "cmti12", "cmtt10", "cmtt12", "cmex10"]
)
OUTPUT = Path(__file__).resolve().parent.parent / "cm_metrics.json"


def _fix_word(raw: int) -> float:
    """A TFM ``fix_word``: a signed 32-bit number with 20 fractional bits (units of design size)."""
    return round((raw - (1 << 32) if raw & 0x80000000 else raw) / (1 << 20), 6)


def read_tfm(path: Path) -> dict:
    data = path.read_bytes()
    lf, lh, bc, ec, nw, nh, nd, ni, nl, nk, ne, np_ = struct.unpack(">12H", data[:24])
    words = struct.unpack(f">{lf - 6}I", data[24:4 * lf])
    header, rest = words[:lh], words[lh:]
    char_info, rest = rest[:ec - bc + 1], rest[ec - bc + 1:]
    widths, rest = [_fix_word(w) for w in rest[:nw]], rest[nw:]
    heights, rest = [_fix_word(w) for w in rest[:nh]], rest[nh:]
    depths, rest = [_fix_word(w) for w in rest[:nd]], rest[nd:]
    italics, rest = [_fix_word(w) for w in rest[:ni]], rest[ni:]
    params = [_fix_word(w) for w in rest[nl + nk + ne:nl + nk + ne + np_]]
    glyphs = {}
    for offset, info in enumerate(char_info):
        width_index = info >> 24
        if width_index == 0:  # no glyph at this code
            continue
        height_index, depth_index = (info >> 20) & 0xF, (info >> 16) & 0xF
        italic_index = (info >> 10) & 0x3F
        glyphs[str(bc + offset)] = [widths[width_index], heights[height_index],
                                    depths[depth_index], italics[italic_index]]
    return {"design_size_pt": _fix_word(header[1]), "glyphs": glyphs,
            "params": params}


def main() -> None:
    table = {}
    for name in FONTS:
        located = subprocess.run(["kpsewhich", f"{name}.tfm"], capture_output=True, text=True,
                                 check=True).stdout.strip()
        table[name] = read_tfm(Path(located))
    OUTPUT.write_text(json.dumps(table, separators=(",", ":"), sort_keys=True) + "\n")
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size} bytes, {len(table)} fonts)")


if __name__ == "__main__":
    main()
