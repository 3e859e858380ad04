#!/usr/bin/env python3
"""The writing-loop benchmark: Stride against the two-process floor pipeline, in the same run.

    python benchmarks/site_bench.py [--posts 1000] [--jobs 2] [--work DIR] [--profile]

1. generates the shared corpus (``../shared/bench/make_corpus.py``) and lays it out as a Stride
   site (its ``static/`` moves under ``content/``);
2. times the floor (``../shared/bench/floor.py --jobs N``): markdown-it-py + latex2mathml + jinja2;
3. times Stride: a cold full build, a rebuild with nothing changed, a one-post edit from the
   command line, and the same edit inside ``serve`` (its ``Rebuilder``, warm, without HTTP);
4. prints each number with its target and writes them to ``WORK/results.json``.

Wall times are medians of several runs; peak memory is the largest resident set of any single
process of a run (``getrusage(RUSAGE_CHILDREN)`` in a wrapper process). Run it on an idle machine:
the numbers are only comparable with a floor measured in the same run. ``--profile`` adds a
cProfile of a serial full build, grouped by where the time goes.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO.parent / "shared" / "bench"
# Measures one command in a fresh process: its wall time and its largest process's peak RSS.
WRAPPER = """
import resource, subprocess, sys, time, json
started = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
wall = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"code": code, "wall": wall, "peak_mb": peak / 1024}))
"""
TARGETS = {"full_over_floor": 1.3, "peak_mb": 300, "no_change_s": 0.15, "edit_cli_s": 0.5,
           "edit_serve_s": 0.05}


def measure(command: list[str]) -> dict:
    # As an author runs it: bytecode is cached (some sandboxes set PYTHONDONTWRITEBYTECODE,
    # which makes every run compile Stride and its libraries from source).
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    run = subprocess.run([sys.executable, "-c", WRAPPER, *command], capture_output=True,
                         text=True, check=True, env=environment)
    result = json.loads(run.stdout)
    if result["code"] != 0:
        raise SystemExit(f"failed: {' '.join(command)}")
    return result


def make_site(work: Path, posts: int) -> Path:
    site = work / "site"
    if not (site / "content" / "posts").is_dir():
        subprocess.run([sys.executable, str(BENCH / "make_corpus.py"), str(site), "--posts",
                        str(posts)], check=True, stdout=subprocess.DEVNULL)
        shutil.move(str(site / "static"), str(site / "content" / "static"))
    return site


def edit(post: Path, number: int) -> None:
    """Change a sentence in the middle of the body: the summary and the metadata stay."""
    text = post.read_text()
    middle = text.index("\n## ")
    post.write_text(text[:middle] + f"\nAn edited sentence, number {number}.\n" + text[middle:])


def bench(site: Path, jobs: int, runs: int) -> dict:
    build_py = str(REPO / "build.py")
    stride = [sys.executable, build_py, "--root", str(site), "-q", "-j", str(jobs)]
    floor_out = site.parent / "floor-out"
    shutil.rmtree(floor_out, ignore_errors=True)
    floor = measure([sys.executable, str(BENCH / "floor.py"), str(site / "content"),
                     str(floor_out), "--jobs", str(jobs)])
    for leftover in (site / ".stride-cache", site / "public"):
        shutil.rmtree(leftover, ignore_errors=True)
    full = measure(stride)
    no_change = [measure(stride)["wall"] for _ in range(runs)]
    posts = sorted((site / "content" / "posts").glob("*.md"))
    edits = []
    for number in range(runs):
        edit(posts[len(posts) // 2 + number], number)
        edits.append(measure(stride)["wall"])
    return {"floor_s": floor["wall"], "floor_peak_mb": floor["peak_mb"], "full_s": full["wall"],
            "peak_mb": full["peak_mb"], "full_over_floor": full["wall"] / floor["wall"],
            "no_change_s": statistics.median(no_change), "edit_cli_s": statistics.median(edits),
            "edit_serve_s": bench_serve(site, posts, runs)}


def bench_serve(site: Path, posts: list[Path], runs: int) -> float:
    """The rebuild ``serve`` does after an edit: same Rebuilder, warm session, no HTTP."""
    sys.path.insert(0, str(REPO))
    from generator.serve import Rebuilder

    rebuilder = Rebuilder(site.resolve(), drafts=False, quiet=True)
    status = rebuilder.rebuild(None)
    if status.errors:
        raise SystemExit("\n".join(status.errors))
    times = []
    for number in range(runs):
        post = posts[len(posts) // 3 + number].resolve()
        edit(post, 100 + number)
        started = time.perf_counter()
        status = rebuilder.rebuild(frozenset({post}))
        times.append(time.perf_counter() - started)
        if status.errors:
            raise SystemExit("\n".join(status.errors))
    return statistics.median(times)


def profile(site: Path, top: int = 25) -> None:
    """Where a serial full build spends its time, by area and by function."""
    import cProfile
    import pstats

    sys.path.insert(0, str(REPO))
    from generator.build import BuildOptions, build

    out = site.parent / "profile-out"
    shutil.rmtree(out, ignore_errors=True)
    profiler = cProfile.Profile()
    profiler.enable()
    build(BuildOptions(root=site, out=out, jobs=1, refresh=True))
    profiler.disable()
    stats = pstats.Stats(profiler)
    areas: dict[str, float] = {}
    for (filename, _, _), (_, _, own, _, _) in stats.stats.items():
        area = _area(filename)
        areas[area] = areas.get(area, 0.0) + own
    total = sum(areas.values())
    print("\nserial full build, own time by area (cProfile):")
    for area, seconds in sorted(areas.items(), key=lambda kv: -kv[1]):
        print(f"  {area:28s} {seconds:7.2f} s  {seconds / total:6.1%}")
    stats.sort_stats("cumulative").print_stats(top)


def _area(filename: str) -> str:
    for marker, name in (("/plugins/", "plugins/"), ("/generator/", "generator/"),
                         ("markdown_it", "markdown-it-py"), ("mdit_py_plugins", "mdit-py-plugins"),
                         ("latex2mathml", "latex2mathml"), ("jinja2", "jinja2"),
                         ("pygments", "pygments"), ("nh3", "nh3"), ("yaml", "pyyaml"),
                         ("<template>", "jinja2 templates"), ("templates/", "jinja2 templates")):
        if marker in filename:
            if name == "plugins/":
                return "plugins/" + filename.split("/plugins/")[1].split("/")[0]
            return name
    return "python and other"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--runs", type=int, default=5, help="runs per timed rebuild")
    parser.add_argument("--work", type=Path, help="working folder (default: a temporary one)")
    parser.add_argument("--profile", action="store_true", help="also profile a serial build")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="stride-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    site = make_site(work, args.posts)
    results = {"posts": args.posts, "jobs": args.jobs, "cpus": os.cpu_count(),
               "load_average": os.getloadavg()[0], **bench(site, args.jobs, args.runs)}
    print(f"{args.posts} posts, {args.jobs} jobs, {os.cpu_count()} cores, "
          f"load average {results['load_average']:.1f} at the start")
    print(f"  floor (two processes)        {results['floor_s']:7.2f} s "
          f"{results['floor_peak_mb']:6.0f} MB")
    rows = (("full build", "full_s", "s"), ("  ratio to the floor", "full_over_floor", "x"),
            ("peak memory", "peak_mb", "MB"), ("no-change rebuild", "no_change_s", "s"),
            ("one-post edit, CLI", "edit_cli_s", "s"), ("one-post edit, serve", "edit_serve_s", "s"))
    for label, key, unit in rows:
        target = TARGETS.get(key)
        verdict = "" if target is None else ("  ok" if results[key] <= target else "  OVER") + \
            f" (target <= {target} {unit})"
        print(f"  {label:28s} {results[key]:7.3f} {unit}{verdict}")
    (work / "results.json").write_text(json.dumps(results, indent=2))
    print(f"results in {work / 'results.json'}")
    if args.profile:
        profile(site)
    return 0


if __name__ == "__main__":
    sys.exit(main())
