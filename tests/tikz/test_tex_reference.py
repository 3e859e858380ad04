"""The built-in renderer against real TeX: node anchors and bounding boxes within 1 pt.

Needs ``latex`` and ``dvisvgm`` (Debian: texlive-pictures, texlive-latex-extra, dvisvgm); skips
with that reason where they are missing.
"""
from __future__ import annotations

import pytest

from plugins.tikz import texrender
from plugins.tikz.model import TikzError
from plugins.tikz.parser import anchor_point, interpret

from .reference_pictures import REFERENCE_PICTURES

pytestmark = pytest.mark.skipif(
    not texrender.available(),
    reason="latex and dvisvgm are not installed (apt-get install texlive-pictures "
           "texlive-latex-extra dvisvgm)")

TOLERANCE_PT = 1.0
ANCHORS = ("center", "north east", "south west")
BOX = "current bounding box"


@pytest.mark.parametrize(("source", "names"), [pytest.param(source, names, id=title)
                                               for title, source, names in REFERENCE_PICTURES])
def test_node_anchors_and_bounding_box_match_tex(source: str, names: list[str]) -> None:
    wanted = [(name, anchor) for name in names for anchor in ANCHORS]
    wanted += [(BOX, "south west"), (BOX, "north east")]
    tex = texrender.anchors(source, wanted)
    assert set(tex) == set(wanted), "TeX did not report every anchor"
    diagram = interpret(source)
    min_x, min_y, max_x, max_y = diagram.bbox
    builtin = {(BOX, "south west"): (min_x, min_y), (BOX, "north east"): (max_x, max_y)}
    builtin.update({(name, anchor): anchor_point(diagram.named[name], anchor)
                    for name, anchor in wanted if name != BOX})
    errors = {key: max(abs(builtin[key][0] - tex[key][0]), abs(builtin[key][1] - tex[key][1]))
              for key in wanted}
    off = {f"{name}.{anchor}": round(error, 3) for (name, anchor), error in errors.items()
           if error > TOLERANCE_PT}
    assert off == {}


def test_tex_renderer_output_is_sanitized_and_themed() -> None:
    source = (r"\node[draw] (a) at (0,0) {a};"
              r"\node at (1,0) {\special{dvisvgm:raw <script>alert(1)</script>}b};")
    svg = texrender.render(source, timeout=60, title="t <x>", description="d")
    assert "<script" not in svg and "alert" not in svg
    assert 'role="img"' in svg and "<title>t &lt;x&gt;</title>" in svg
    assert 'fill="currentColor"' in svg


def test_tex_never_runs_shell_commands_or_reads_outside_its_folder(tmp_path) -> None:
    marker = tmp_path / "ran"
    secret = tmp_path / "secret.tex"
    secret.write_text("SECRET-CONTENT")
    with pytest.raises(TikzError):
        texrender.render(f"\\immediate\\write18{{touch {marker}}}\\input{{{secret}}}",
                         timeout=60, title="t", description="d")
    assert not marker.exists()
