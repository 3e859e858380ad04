#!/usr/bin/env python3
"""How long ```{python} blocks take to build: cold, from the cache, and against a fresh
interpreter per post.

    python benchmarks/run_bench.py [--posts 10] [--jobs 1 2] [--repeat 3]

Ten posts with one matplotlib figure each are rendered through ``run_plugin``:
- cold: an empty cache and no worker yet; with ``--jobs N`` the posts are split over N build
  processes (each starts its own zygote, as a parallel build would);
- cached: a fresh process renders the same posts from the warm cache; it reports whether a worker
  started and whether numpy or matplotlib were imported (neither should be);
- baseline: each post's code run by a new ``python`` process that imports numpy and pyplot and
  saves the figure, the least a Quarto-style executor (a kernel per document) pays.
Each phase runs in its own process; the best of ``--repeat`` wall-clock times is reported with
the CPU seconds the phase used (its processes, the zygotes and the sessions they forked), which
other work on a busy machine does not inflate, and the machine's load average.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

POST_CODE = """\
import numpy as np
import matplotlib.pyplot as plt

t = np.linspace(0, 1, 500)
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(t, np.sin(2 * np.pi * {frequency} * t) * np.exp(-3 * t))
ax.set_title("A damped sine at {frequency} Hz")
"""


def post_markdown(index: int) -> str:
    return (f"# Post {index}\n\nSome prose.\n\n```{{python}}\n#| fig-alt: a damped sine\n"
            f"{POST_CODE.format(frequency=index + 1)}```\n")


def cpu_seconds() -> float:
    """CPU time of this process and of every descendant it (or they) waited for."""
    return sum(getattr(resource.getrusage(who), field)
               for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
               for field in ("ru_utime", "ru_stime"))


def render_posts(indices: list[int], cache_root: str) -> dict:
    """Render the given posts in this process; what it cost and what it started."""
    from markdown_it import MarkdownIt

    from generator.context import RenderContext
    from plugins.run import run_plugin, shutdown, worker

    md = MarkdownIt("commonmark").use(run_plugin)
    started = time.perf_counter()
    figures = 0
    each: list[float] = []
    for index in indices:
        context = RenderContext(source_path=f"content/posts/p{index}/index.md",
                                source_dir=Path(cache_root), cache_root=Path(cache_root))
        post_started = time.perf_counter()
        md.render(post_markdown(index), {"stride": context})
        each.append(time.perf_counter() - post_started)
        figures += len(context.assets)
    elapsed = time.perf_counter() - started
    # The first post starts the worker and imports numpy and matplotlib; the others show what
    # one more uncached figure costs after that.
    report = {"seconds": elapsed, "figures": figures, "first": each[0] if each else 0.0,
              "next": statistics.median(each[1:]) if len(each) > 1 else 0.0,
              "worker_started": worker._zygote is not None,
              "numpy_imported": "numpy" in sys.modules,
              "matplotlib_imported": "matplotlib" in sys.modules}
    shutdown()  # reaps the zygote, so its CPU time (and its sessions') is counted below
    report["cpu"] = cpu_seconds()
    return report


def phase(cache_root: str, posts: int, jobs: int) -> dict:
    """One build of every post over ``jobs`` processes, timed from the first post to the last."""
    indices = list(range(posts))
    if jobs == 1:
        return render_posts(indices, cache_root)
    shares = [indices[start::jobs] for start in range(jobs)]
    started = time.perf_counter()
    with ProcessPoolExecutor(jobs) as pool:
        reports = list(pool.map(render_posts, shares, [cache_root] * jobs))
    return {"seconds": time.perf_counter() - started, "cpu": cpu_seconds(),
            "figures": sum(r["figures"] for r in reports),
            "worker_started": any(r["worker_started"] for r in reports),
            "numpy_imported": any(r["numpy_imported"] for r in reports),
            "matplotlib_imported": any(r["matplotlib_imported"] for r in reports)}


def in_subprocess(*arguments: str) -> dict:
    result = subprocess.run([sys.executable, __file__, *arguments], check=True,
                            capture_output=True, text=True)
    return json.loads(result.stdout)


def baseline(posts: int) -> tuple[float, float]:
    """A new interpreter per post importing numpy and pyplot and saving the figure: wall and CPU
    seconds."""
    started, used = time.perf_counter(), cpu_seconds()
    with tempfile.TemporaryDirectory() as folder:
        for index in range(posts):
            code = ("import matplotlib\nmatplotlib.use('Agg')\n" + POST_CODE.format(frequency=index)
                    + "fig.savefig('figure.svg')\n")
            subprocess.run([sys.executable, "-c", code], cwd=folder, check=True)
    return time.perf_counter() - started, cpu_seconds() - used


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--cache", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.phase:
        print(json.dumps(phase(arguments.cache, arguments.posts, int(arguments.phase))))
        return

    print(f"{arguments.posts} posts, one figure each; best of {arguments.repeat}; "
          f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at start")
    for jobs in arguments.jobs:
        cold, cached = [], []
        for _ in range(arguments.repeat):
            with tempfile.TemporaryDirectory() as cache_root:
                common = ("--posts", str(arguments.posts), "--cache", cache_root)
                cold.append(in_subprocess("--phase", str(jobs), *common))
                cached.append(in_subprocess("--phase", str(jobs), *common))
        best_cold = min(cold, key=lambda report: report["seconds"])
        best_cached = min(cached, key=lambda report: report["seconds"])
        print(f"cold, {jobs} process(es):   {best_cold['seconds']:6.2f} s, "
              f"{best_cold['cpu']:5.2f} CPU s ({best_cold['figures']} figures)")
        if jobs == 1:
            print(f"  first figure (starts the worker, imports matplotlib): "
                  f"{best_cold['first'] * 1000:.0f} ms; each next uncached figure: "
                  f"{best_cold['next'] * 1000:.0f} ms (median)")
        print(f"cached, {jobs} process(es): {best_cached['seconds']:6.2f} s, "
              f"{best_cached['cpu']:5.2f} CPU s; worker started: "
              f"{any(r['worker_started'] for r in cached)}; numpy imported: "
              f"{any(r['numpy_imported'] for r in cached)}; matplotlib imported: "
              f"{any(r['matplotlib_imported'] for r in cached)}")
    wall, cpu = min(baseline(arguments.posts) for _ in range(arguments.repeat))
    print(f"baseline, a new interpreter per post: {wall:6.2f} s, {cpu:5.2f} CPU s")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
