"""The command line: a thin layer over ``build()``, ``serve()``, ``check_site()`` and ``deploy()``.

Errors are printed as ``file:line: message`` with a hint, never as a traceback (``-v`` shows one
for internal errors). Only the standard library and Stride's light modules are imported up front:
a build with nothing to do must not pay for the Markdown stack.
"""
from __future__ import annotations

import argparse
import atexit
import datetime as dt
import os
import shutil
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import NoReturn

from .errors import BuildFailed, StrideError

COMMANDS = ("build", "new", "clean", "serve", "check", "deploy")
DEFAULT_ROOT = Path(__file__).resolve().parent.parent
PROGRESS_AFTER_SECONDS = 0.5  # a build quicker than this shows no progress bar at all


PROFILE_HELP = ("the Quarto profiles to activate, names separated by commas: _quarto-NAME.yml "
                "is read over _quarto.yml (default: QUARTO_PROFILE, else _quarto.yml's "
                "profile: default:)")
ENVIRONMENT_HELP = ("Hugo's environment: config/NAME/ is read over config/_default/ (default: "
                    "HUGO_ENVIRONMENT, else %s)")


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
    build.add_argument("--profile", help=PROFILE_HELP)
    build.add_argument("-e", "--environment", help=ENVIRONMENT_HELP % "production")
    new = commands.add_parser("new", parents=[common], help="start a new post")
    new.add_argument("title", help="the post's title")
    commands.add_parser("clean", parents=[common], help="remove the output and the caches")
    serve = commands.add_parser("serve", parents=[common],
                                help="build, serve on 127.0.0.1 and rebuild on every change")
    serve.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default: 8000)")
    serve.add_argument("--drafts", action="store_true", help="include posts marked draft: true")
    serve.add_argument("--profile", help=PROFILE_HELP)
    serve.add_argument("-e", "--environment", help=ENVIRONMENT_HELP % "development")
    check = commands.add_parser("check", parents=[common],
                                help="check a built site: links, anchors, assets, feed, HTML")
    check.add_argument("--no-validator", action="store_true",
                       help="skip the W3C Nu HTML validator (it needs Java)")
    deploy = commands.add_parser("deploy", parents=[common],
                                 help="build --strict, check, then publish to a git branch or folder")
    target = deploy.add_mutually_exclusive_group()
    target.add_argument("--remote", help="git repository to push to (URL or path; default: "
                                         "[deploy] remote in the config)")
    target.add_argument("--folder", type=Path, help="folder to publish into (default: [deploy] "
                                                    "folder in the config)")
    deploy.add_argument("--branch", help="branch to publish (default: [deploy] branch, else "
                                         "gh-pages)")
    deploy.add_argument("--cname", help="custom domain written to CNAME (GitHub Pages; default: "
                                        "[deploy] cname)")
    deploy.add_argument("--message", help="commit message (default: names the source commit)")
    deploy.add_argument("--no-validator", action="store_true",
                        help="skip the W3C Nu HTML validator during the check")
    return parser


def exit_quickly(status: int) -> NoReturn:
    """End the command-line process without freeing the build's objects one by one (tens of
    milliseconds after a large build): output is flushed and the exit handlers run (they stop
    worker processes), then the operating system reclaims the memory at once."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:  # the reader went away (`build.py | head`): nothing left to tell it
            pass
    if threading.active_count() > 1:  # a thread still working is waited for, as usual
        sys.exit(status)
    atexit._run_exitfuncs()
    os._exit(status)


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
        if args.command == "serve":
            from .serve import serve
            return serve(args.root, port=args.port, drafts=args.drafts, quiet=args.quiet,
                         profile=args.profile, environment=args.environment)
        if args.command == "check":
            return _check(args)
        if args.command == "deploy":
            return _deploy(args)
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
                           refresh=args.refresh, jobs=args.jobs, profile=args.profile,
                           environment=args.environment)
    bar = ProgressBar() if _interactive(args) else None
    try:
        result = build(options, progress=bar)
    finally:
        if bar:
            bar.clear()
    if not args.quiet:
        print_warnings(result.diagnostics, every=args.verbose)
        print(summary_line(result))
    return 0


SHOWN_PER_KIND = 3


def print_warnings(diagnostics, *, every: bool) -> None:
    """Each warning with its file:line and hint; past a few of one kind (a migrated blog can
    have hundreds of missing images), one line for the rest of that kind, unless -v."""
    by_kind: dict[str, list] = {}
    for diagnostic in diagnostics:
        by_kind.setdefault(diagnostic.kind, []).append(diagnostic)
    for kind, items in by_kind.items():
        shown = items if every else items[:SHOWN_PER_KIND]
        for diagnostic in shown:
            print(diagnostic, file=sys.stderr)
        if len(items) > len(shown):
            rest = items[len(shown):]
            files = len({d.location.path for d in rest})
            print(f"warning[{kind}]: {_count(len(rest), 'more warning')} of this kind in "
                  f"{_count(files, 'file')} (-v lists them all)", file=sys.stderr)


def _interactive(args: argparse.Namespace) -> bool:
    return sys.stdout.isatty() and not args.quiet and not os.environ.get("CI")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def summary_line(result) -> str:
    """One line about a build: what was written, rendered and run, the warnings, the time."""
    kinds = Counter(d.kind for d in result.diagnostics)
    warned = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    warnings = _count(len(result.diagnostics), "warning") + (f" ({warned})" if warned else "")
    site = f"{result.posts} posts and {result.pages} pages"  # tests/site hold this wording
    if result.up_to_date:
        return f"up to date: {site} in {result.output}, nothing changed; {warnings} " \
               f"(checked in {result.seconds:.2f} s)"
    written = "no file changed" if result.write.unchanged else \
        f"{_count(result.write.written, 'file')} written, {result.write.kept} unchanged" + \
        (f", {result.write.removed} removed" if result.write.removed else "")
    return (f"built {site} into {result.output}: {result.rendered} rendered, "
            f"{result.posts + result.pages - result.rendered} from cache; "
            f"{_count(len(result.pages_rendered), 'page')} templated; {written}; "
            f"figures {result.figures_run} run, {result.figures_cached} cached; {warnings}; "
            f"{result.seconds:.2f} s")


class ProgressBar:
    """``[#####.....] 412/1000 posts rendered: content/posts/x.md``, shown only once a build has
    taken longer than a moment, redrawn in place; ``clear`` wipes it before the summary."""

    def __init__(self, width: int = 30):
        self.width = width
        self.started = time.perf_counter()
        self.shown = False

    def __call__(self, name: str, done: int, total: int) -> None:
        if not self.shown and time.perf_counter() - self.started < PROGRESS_AFTER_SECONDS:
            return
        self.shown = True
        filled = int(self.width * done / max(total, 1))
        print(f"\r\033[K[{'#' * filled}{'.' * (self.width - filled)}] {done}/{total} posts "
              f"rendered: {name[-40:]}", end="", flush=True)

    def clear(self) -> None:
        if self.shown:
            print("\r\033[K", end="", flush=True)


def _check(args: argparse.Namespace) -> int:
    from .check import check_site

    root = args.root.resolve()
    out = (args.out or root / "public").resolve()
    report = check_site(root, out, validate=not args.no_validator)
    print(report.text(), file=sys.stderr if report.problems else sys.stdout)
    return 1 if report.problems else 0


def _deploy(args: argparse.Namespace) -> int:
    from .config import load_config
    from .deploy import DeployTarget, deploy
    from .render_settings import plugin_option_names

    # Flags win over the [deploy] table; a target named on the command line replaces the
    # configured one whichever kind it is.
    configured = load_config(args.root, plugin_options=plugin_option_names()).deploy
    remote = args.remote or (None if args.folder else configured.get("remote"))
    folder = args.folder or (args.root / configured["folder"]
                             if not (args.remote or remote) and "folder" in configured else None)
    if remote is None and folder is None:
        raise StrideError("deploy needs a target", hint="pass --remote URL or --folder PATH, or "
                          "set remote or folder under [deploy] in the site's config")
    target = DeployTarget(remote=remote, folder=folder,
                          branch=args.branch or configured.get("branch", "gh-pages"),
                          cname=args.cname or configured.get("cname"), message=args.message)
    published = deploy(args.root, target, out=args.out, validate=not args.no_validator,
                       log=None if args.quiet else print)
    if not args.quiet:
        print(published)
    return 0


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
    from .build import CACHE_DIR, LOCK_NAME
    from .writer import MANIFEST, build_lock, check_output_folder, sweep_leftovers

    root = args.root.resolve()
    out = (args.out or root / "public").resolve()
    check_output_folder(out, root)
    cache = root / CACHE_DIR
    # Wait for a running build, and keep the lock file itself: a build queued behind this
    # clean holds it open, and must stay serialised with any build that starts afterwards.
    with build_lock(cache / LOCK_NAME):
        sweep_leftovers(out)
        if (out / MANIFEST).exists():
            shutil.rmtree(out)
        for entry in cache.iterdir():
            if entry.name != LOCK_NAME:
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    if not args.quiet:
        print(f"removed {out} and {root / CACHE_DIR}")
    return 0
