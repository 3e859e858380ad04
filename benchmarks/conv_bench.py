#!/usr/bin/env python3
"""How long a ```{conv} block takes to render, drawn and from the cache.

    python benchmarks/conv_bench.py [--repeat 5]

Each case renders one block through the plugin (``md.render`` with a fresh ``RenderContext``)
and reports the best of ``--repeat`` wall-clock and CPU times, the figure's size in bytes and
its frame count: once with no cache (every figure drawn), once with a warm cache (figures read
back, only the numbers recomputed). It also reports whether anything imported matplotlib
(figures must not: a build whose figures are cached should not pay for it).
"""
from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from markdown_it import MarkdownIt  # noqa: E402
from PIL import Image  # noqa: E402

from generator.context import ENV_KEY, RenderContext  # noqa: E402
from plugins.conv import conv_plugin  # noqa: E402

SEVEN_BY_SEVEN_ROWS = "".join(
    "  " + " ".join(str((row * 7 + column) % 5) for column in range(7)) + "\n" for row in range(7))
SEVEN_BY_SEVEN = "input: |\n" + SEVEN_BY_SEVEN_ROWS
CASES = {
    # 7x7 input, 3x3 kernel: 25 output cells, so 25 frames.
    "grid 25 frames gif": SEVEN_BY_SEVEN + "kernel: arange\nformat: gif\n",
    "grid 25 frames svg": SEVEN_BY_SEVEN + "kernel: arange\nformat: svg\n",
    "grid 25 frames png": SEVEN_BY_SEVEN + "kernel: arange\nformat: png\n",
    "grid 3 channels gif": "input: |\n" + "\n".join([SEVEN_BY_SEVEN_ROWS] * 3) + "kernel: gauss\n",
    "transposed 25 frames gif": "input: [[1, 2, 3], [4, 5, 6], [7, 8, 9]]\nkernel: arange\n"
                                "mode: transposed\nstride: 2\npadding: 1\n",
    "signal 25 frames gif": "signal:\n  h: 2*exp(-t/2)*step(t)\n  x: (t >= 0)*(t < 3)\n"
                            "  t: [-2, 15]\n  tau: [-5, 16]\n",
    "unrolled 4x16 (no figure)": "input: [[1, 0, -1, 1], [1, 2, -2, 0], [1, 1, -1, 1], "
                                 "[0, 1, 1, 0]]\nkernel: sobel_x\nshow: unrolled\n",
}


def render_once(md: MarkdownIt, body: str, cache_root: Path | None
                ) -> tuple[float, float, dict]:
    """Wall-clock and CPU seconds of one render, and the assets it wrote."""
    context = RenderContext(source_path="bench.md", source_dir=Path("."), cache_root=cache_root)
    wall, cpu = time.perf_counter(), time.process_time()
    md.render("```{conv}\n" + body + "```\n", {ENV_KEY: context})
    return time.perf_counter() - wall, time.process_time() - cpu, context.assets


def frames_of(data: bytes) -> int:
    if data.startswith(b"<svg"):
        return data.count(b'<g id="f')
    return getattr(Image.open(io.BytesIO(data)), "n_frames", 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    md = MarkdownIt("commonmark").use(conv_plugin)
    print(f"{'case':30} {'drawn ms':>9} {'drawn cpu':>10} {'cached ms':>10} {'bytes':>8} "
          f"{'frames':>7}")
    with tempfile.TemporaryDirectory() as folder:
        cache_root = Path(folder)
        for name, body in CASES.items():
            drawn = [render_once(md, body, None) for _ in range(args.repeat)]
            render_once(md, body, cache_root)  # fill the cache
            cached = [render_once(md, body, cache_root) for _ in range(args.repeat)]
            data = next(iter(cached[0][2].values()), b"")
            frames = frames_of(data) if data else 0
            print(f"{name:30} {min(run[0] for run in drawn) * 1000:9.1f} "
                  f"{min(run[1] for run in drawn) * 1000:10.1f} "
                  f"{min(run[0] for run in cached) * 1000:10.1f} {len(data):8} {frames:7}")
    print("matplotlib imported:", "matplotlib" in sys.modules)


if __name__ == "__main__":
    main()
