"""The demo posts: they build, write the figures seed 000 names, and quote the real error."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from generator.errors import PluginError

from .helpers import render

POSTS = Path(__file__).resolve().parents[2] / "content" / "posts"
CORRELATE = "2026-02-10-convnets-correlate"
MATRIX = "2026-02-24-convolution-as-matrix-product"


def split_post(folder: str) -> tuple[str, str, int]:
    """(path as the build names it, body, number of frontmatter lines before the body)."""
    text = (POSTS / folder / "index.md").read_text(encoding="utf-8")
    _, frontmatter, body = text.split("---\n", 2)
    assert {"title", "date", "tags", "summary"} <= yaml.safe_load(frontmatter).keys()
    return f"content/posts/{folder}/index.md", body, frontmatter.count("\n") + 2


@pytest.mark.parametrize("folder", [CORRELATE, MATRIX])
def test_demo_posts_render_and_their_expect_lines_hold(folder):
    path, body, offset = split_post(folder)
    html, context = render(body, source_path=path, line_offset=offset)
    assert context.assets and not context.diagnostics
    for name in context.assets:
        assert f'src="./{name}"' in html


def test_seed_000_figures_keep_their_file_names():
    path, body, offset = split_post(CORRELATE)
    html, context = render(body, source_path=path, line_offset=offset)
    assert {"corr_numerical_no_padding_no_strides.gif",
            "conv_numerical_no_padding_no_strides.gif"} <= context.assets.keys()
    assert "flipped kernel" in html and 'class="conv conv-transposed"' in html


def test_the_quoted_error_is_the_one_the_build_gives():
    path, body, offset = split_post(MATRIX)
    # Make the example block live: blank its outer ```` fence lines, keeping every line number.
    live = re.sub(r"^````(markdown)?$", "", body, flags=re.M)
    with pytest.raises(PluginError) as caught:
        render(live, source_path=path, line_offset=offset)
    quoted = re.search(r"```text\n(.*?)```", body, re.S).group(1)
    assert " ".join(str(caught.value).split()) == " ".join(quoted.split())
