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
process of a run (``getrusage(RUSAGE_CHILDREN)`` in a wrapper process). CPU time (user + system,
all processes of a run) is printed beside: on a loaded machine it is the better estimate of what
a single-process run takes when idle. Run it on an idle machine: the numbers are only comparable
with a floor measured in the same run. ``--profile`` adds a
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
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"code": code, "wall": wall, "peak_mb": usage.ru_maxrss / 1024,
                  "cpu": usage.ru_utime + usage.ru_stime}))
"""
TARGETS = {"full_over_floor": 1.3, "peak_mb": 300, "no_change_s": 0.15, "edit_cli_s": 0.5,
           "edit_serve_s": 0.05}  # from issue 8


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
    no_change = [measure(stride) for _ in range(runs)]
    posts = sorted((site / "content" / "posts").glob("*.md"))
    edits = []
    for number in range(runs):
        edit(posts[len(posts) // 2 + number], number)
        edits.append(measure(stride))
    serve_wall, serve_cpu = bench_serve(site, posts, runs)
    return {"floor_s": floor["wall"], "floor_cpu_s": floor["cpu"],
            "floor_peak_mb": floor["peak_mb"], "full_s": full["wall"], "full_cpu_s": full["cpu"],
            "peak_mb": full["peak_mb"], "full_over_floor": full["wall"] / floor["wall"],
            "no_change_s": statistics.median(r["wall"] for r in no_change),
            "no_change_cpu_s": statistics.median(r["cpu"] for r in no_change),
            "edit_cli_s": statistics.median(r["wall"] for r in edits),
            "edit_cli_cpu_s": statistics.median(r["cpu"] for r in edits),
            "edit_serve_s": serve_wall, "edit_serve_cpu_s": serve_cpu}


def bench_serve(site: Path, posts: list[Path], runs: int) -> tuple[float, float]:
    """The rebuild ``serve`` does after an edit: same Rebuilder, warm session, no HTTP."""
    sys.path.insert(0, str(REPO))
    from generator.serve import Rebuilder

    rebuilder = Rebuilder(site.resolve(), drafts=False, quiet=True)
    status = rebuilder.rebuild(None)
    if status.errors:
        raise SystemExit("\n".join(status.errors))
    rebuilder.settle()  # as serve does between changes
    walls, cpus = [], []
    for number in range(runs):
        post = posts[len(posts) // 3 + number].resolve()
        edit(post, 100 + number)
        started, cpu = time.perf_counter(), time.process_time()
        status = rebuilder.rebuild(frozenset({post}))
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
        if status.errors:
            raise SystemExit("\n".join(status.errors))
        rebuilder.settle()
    return statistics.median(walls), statistics.median(cpus)


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
    print(f"  {'':28s} {'wall':>9s} {'cpu':>9s}")
    print(f"  {'floor (two processes)':28s} {results['floor_s']:8.3f}s {results['floor_cpu_s']:8.3f}s"
          f"  {results['floor_peak_mb']:.0f} MB peak")
    rows = (("full build", "full_s", "full_cpu_s"), ("no-change rebuild", "no_change_s",
                                                      "no_change_cpu_s"),
            ("one-post edit, CLI", "edit_cli_s", "edit_cli_cpu_s"),
            ("one-post edit, serve", "edit_serve_s", "edit_serve_cpu_s"))
    for label, key, cpu in rows:
        target = TARGETS.get(key)
        verdict = "" if target is None else \
            f"  target <= {target} s: {'ok' if results[key] <= target else 'OVER'}"
        print(f"  {label:28s} {results[key]:8.3f}s {results[cpu]:8.3f}s{verdict}")
    ratio, peak = results["full_over_floor"], results["peak_mb"]
    print(f"  {'full build / floor':28s} {ratio:8.2f}x  target <= {TARGETS['full_over_floor']}x: "
          f"{'ok' if ratio <= TARGETS['full_over_floor'] else 'OVER'}")
    print(f"  {'peak memory':28s} {peak:8.0f} MB target <= {TARGETS['peak_mb']} MB: "
          f"{'ok' if peak <= TARGETS['peak_mb'] else 'OVER'}")
    (work / "results.json").write_text(json.dumps(results, indent=2))
    print(f"results in {work / 'results.json'}")
    if args.profile:
        profile(site)
    return 0


if __name__ == "__main__":
    sys.exit(main())
