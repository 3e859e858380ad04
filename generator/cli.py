"""The command line: a thin layer over ``build()`` and friends. Errors are printed as
``file:line: message`` with a hint, never as a traceback (``-v`` shows one for internal errors)."""
from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import sys
from collections import Counter
from pathlib import Path

from .errors import BuildFailed, StrideError

COMMANDS = ("build", "new", "clean")
DEFAULT_ROOT = Path(__file__).resolve().parent.parent


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--root", type=Path, default=DEFAULT_ROOT,
                        help="the site folder holding content/ and the config (default: %(default)s)")
    common.add_argument("--out", type=Path, help="output folder (default: ROOT/public)")
    common.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    common.add_argument("-v", "--verbose", action="store_true", help="print more detail")
    parser = argparse.ArgumentParser(prog="build.py", description="Stride: build a static blog.",
                                     parents=[common])
    commands = parser.add_subparsers(dest="command")
    build = commands.add_parser("build", parents=[common], help="build the site (the default)")
    build.add_argument("--drafts", action="store_true", help="include posts marked draft: true")
    build.add_argument("--strict", action="store_true", help="treat warnings as errors")
    build.add_argument("--refresh", action="store_true",
                       help="ignore the caches: re-render every post and re-run every figure")
    build.add_argument("-j", "--jobs", type=int, default=0, help="worker processes (default: cores)")
    new = commands.add_parser("new", parents=[common], help="start a new post")
    new.add_argument("title", help="the post's title")
    commands.add_parser("clean", parents=[common], help="remove the output and the caches")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS and argv[0] not in ("-h", "--help"):
        argv.insert(0, "build")
    args = _parser().parse_args(argv)
    try:
        if args.command == "new":
            return _new(args)
        if args.command == "clean":
            return _clean(args)
        return _build(args)
    except BuildFailed as failure:
        for error in failure.errors:
            print(f"error: {error}", file=sys.stderr)
        print(f"build failed: {len(failure.errors)} error(s); the previous site was left as it was",
              file=sys.stderr)
        return 1
    except StrideError as error:
        print(f"error: {error}", file=sys.stderr)
        if args.verbose and error.__cause__ is not None:
            import traceback
            traceback.print_exception(error.__cause__)
        return 1
    except KeyboardInterrupt:
        print("interrupted: the previous site was left as it was", file=sys.stderr)
        return 130


def _build(args: argparse.Namespace) -> int:
    from .build import BuildOptions, build

    options = BuildOptions(root=args.root, out=args.out, drafts=args.drafts, strict=args.strict,
                           refresh=args.refresh, jobs=args.jobs)
    show_progress = sys.stdout.isatty() and not args.quiet and not os.environ.get("CI")
    result = build(options, progress=_progress_bar if show_progress else None)
    if show_progress:
        print("\r\033[K", end="")
    for diagnostic in result.diagnostics:
        if not args.quiet:
            print(diagnostic, file=sys.stderr)
    if not args.quiet:
        kinds = Counter(d.kind for d in result.diagnostics)
        warned = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        written = "nothing changed" if result.write.unchanged else \
            f"{result.write.written} files written, {result.write.linked} unchanged"
        print(f"built {result.posts} posts and {result.pages} pages into {result.output} "
              f"({result.rendered} rendered, {result.posts + result.pages - result.rendered} cached; "
              f"{written}; {len(result.diagnostics)} warnings{' (' + warned + ')' if warned else ''}) "
              f"in {result.seconds:.2f} s")
    return 0


def _progress_bar(name: str, done: int, total: int) -> None:
    width = 30
    filled = int(width * done / max(total, 1))
    print(f"\r\033[K[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {name[-40:]}",
          end="", flush=True)


def _new(args: argparse.Namespace) -> int:
    from .frontmatter import slugify

    today = dt.date.today()
    slug = slugify(args.title) or "post"
    path = args.root / "content" / "posts" / f"{today.isoformat()}-{slug}.md"
    if path.exists():
        raise StrideError(f"{path} already exists", hint="choose another title or edit that post")
    path.parent.mkdir(parents=True, exist_ok=True)
    title = args.title.replace("\\", "\\\\").replace('"', '\\"')
    path.write_text(f'---\ntitle: "{title}"\ndate: {today.isoformat()}\ntags: []\n'
                    f'draft: true\n---\n\nWrite here. Math like $e^{{i\\pi}} + 1 = 0$ works.\n',
                    encoding="utf-8")
    print(f"created {path}")
    return 0


def _clean(args: argparse.Namespace) -> int:
    from .build import CACHE_DIR
    from .writer import MANIFEST, check_output_folder, sweep_leftovers

    root = args.root.resolve()
    out = (args.out or root / "public").resolve()
    check_output_folder(out, root)
    if (out / MANIFEST).exists():
        shutil.rmtree(out)
    sweep_leftovers(out)
    shutil.rmtree(root / CACHE_DIR, ignore_errors=True)
    if not args.quiet:
        print(f"removed {out} and {root / CACHE_DIR}")
    return 0
