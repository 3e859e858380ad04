"""How a real blog's posts build with Stride's compat plugin: built, warnings by kind, leaks.

    python benchmarks/measure_real_blog.py PATH/TO/BLOG [--base-path /blog/] [--pipeline compat]
        [--json report.json] [--show-leaks 10] [--execute]

PATH/TO/BLOG is a Jekyll, Hugo, Gatsby or Quarto site folder. Keep it outside this repository:
other people's posts are measured here, never committed. Posts are `_posts/**` (Jekyll), else
`posts/**` of a folder holding `_quarto.yml` (Quarto; `.qmd`, `.md`, and never a file or folder
whose name starts with `_`, which Quarto does not render: `_preamble.qmd` is an include), else
`content/**` (Hugo, Gatsby), else every Markdown file. Static files (what `/assets/x.png` may
name) are the site's other files (Jekyll: outside `_folders`; Hugo: `static/`; files beside a
post belong to that post's URL).

``{python}`` cells are shown, not run (``[plugins.run] execute = false``): a real blog's cells
import what its author had installed (pandas, torch...), and running other people's code is not
what this measures. ``--execute`` runs them.

``--pipeline stride`` (the default) renders with ``generator.markdown.build_markdown``, the
build's own parser and plugins; ``--pipeline compat`` uses only CommonMark, the
mdit-py-plugins the build enables and the compat plugin, to measure this plugin alone.
``--baseline`` renders every post a second time with the compat plugin's dialects switched off
and reports how many pages it changed and what it cost in time: on a blog with no Jekyll, Hugo
or kramdown syntax the first number must be 0.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from markdown_it import MarkdownIt  # noqa: E402
from mdit_py_plugins.anchors import anchors_plugin  # noqa: E402
from mdit_py_plugins.attrs import attrs_block_plugin, attrs_plugin  # noqa: E402
from mdit_py_plugins.deflist import deflist_plugin  # noqa: E402
from mdit_py_plugins.footnote import footnote_plugin  # noqa: E402

from generator.context import ENV_KEY, RenderContext  # noqa: E402
from generator.errors import StrideError  # noqa: E402
from plugins.compat import compat_plugin, summarize_diagnostics  # noqa: E402
from generator.discover import MARKDOWN_SUFFIXES  # noqa: E402
from plugins.compat.report import find_leaks  # noqa: E402

FRONTMATTER = re.compile(r"\A(?P<fence>---|\+\+\+)[ \t]*\n(?P<data>.*?)\n(?P=fence)[ \t]*\n", re.S)
DATED = re.compile(r"^\d{4}-\d{2}-\d{2}-")


DIALECTS_OFF = {"jekyll": False, "kramdown": False, "hugo": False, "site_urls": False,
                "quarto": False, "pandoc": False}


def compat_markdown(**compat_options: bool) -> MarkdownIt:
    md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    md.use(footnote_plugin).use(deflist_plugin).use(attrs_plugin, spans=True).use(attrs_block_plugin)
    md.use(anchors_plugin, min_level=1, max_level=6)
    return md.use(compat_plugin, **compat_options)


def stride_markdown(execute: bool = False, **compat_options: bool) -> MarkdownIt:
    from generator.markdown import build_markdown
    return build_markdown({"compat": compat_options, "run": {"execute": execute}})


def is_quarto(blog: Path) -> bool:
    return (blog / "_quarto.yml").is_file()


def find_posts(blog: Path) -> list[Path]:
    if is_quarto(blog):
        folder = blog / "posts" if (blog / "posts").is_dir() else blog
        return sorted(p for p in folder.rglob("*") if p.suffix in MARKDOWN_SUFFIXES
                      and not any(part.startswith(("_", "."))
                                  for part in p.relative_to(folder).parts))
    for folder in (blog / "_posts", blog / "content"):
        if folder.is_dir():
            return sorted(p for p in folder.rglob("*") if p.suffix in MARKDOWN_SUFFIXES)
    return sorted(p for p in blog.rglob("*") if p.suffix in MARKDOWN_SUFFIXES)


def post_url(post: Path) -> str:
    """Where the measured site puts a post: /posts/<slug>/ (a page bundle: its folder's name)."""
    stem = post.parent.name if post.stem in ("index", "_index") else post.stem
    return f"/posts/{DATED.sub('', stem)}/"


def link_table(posts: list[Path]) -> dict[str, str]:
    table = {}
    for post in posts:
        url = post_url(post)
        table[f"posts/{post.name}"] = url
        table[post.stem if post.stem not in ("index", "_index") else post.parent.name] = url
    return table


def static_paths(blog: Path, posts: list[Path]) -> frozenset[str]:
    paths = set()
    static = blog / "static"
    for file in blog.rglob("*"):
        if not file.is_file() or file.suffix in MARKDOWN_SUFFIXES:
            continue
        relative = file.relative_to(blog)
        if static.is_dir() and file.is_relative_to(static):
            paths.add("/" + file.relative_to(static).as_posix())
        elif not any(part.startswith((".", "_")) for part in relative.parts):
            paths.add("/" + relative.as_posix())
    for post in posts:
        if post.stem in ("index", "_index"):
            for file in post.parent.iterdir():
                if file.is_file() and file.suffix not in MARKDOWN_SUFFIXES:
                    paths.add(post_url(post) + file.name)
    return frozenset(paths)


def site_vars(blog: Path) -> dict[str, Any]:
    if is_quarto(blog):
        config = yaml.safe_load((blog / "_quarto.yml").read_text(encoding="utf-8")) or {}
        website = config.get("website") or {}
        url = str(website.get("site-url", ""))
        return {"title": website.get("title", ""), "description": website.get("description", ""),
                "url": url, "baseurl": url.split("://", 1)[-1].partition("/")[2]}
    for name in ("_config.yml", "hugo.toml", "config.toml"):
        config = blog / name
        if config.is_file():
            text = config.read_text(encoding="utf-8")
            data = yaml.safe_load(text) if name.endswith(".yml") else tomllib.loads(text)
            return {k: v for k, v in (data or {}).items() if isinstance(v, (str, int, float))}
    return {}


def split_frontmatter(text: str) -> tuple[dict[str, Any], str, int]:
    match = FRONTMATTER.match(text)
    if match is None:
        return {}, text, 0
    data = match.group("data")
    meta = tomllib.loads(data) if match.group("fence") == "+++" else yaml.safe_load(data)
    return (meta if isinstance(meta, dict) else {}), text[match.end():], \
        text[:match.end()].count("\n")


# What a post is made of, counted in its source: enough to compare blogs, not a parser.
CENSUS = {
    "display math": re.compile(r"^[ \t]*\$\$", re.M),
    "inline math": re.compile(r"(?<![$\\])\$(?![$\s])[^$\n]+?(?<![\s\\])\$(?!\$)"),
    "callouts": re.compile(r"^[ \t]*:{3,}[ \t]*\{[^}\n]*\.callout-", re.M),
    "fenced divs": re.compile(r"^[ \t]*:{3,}[ \t]*[{\w]", re.M),
    "cross-references": re.compile(r"(?<![\w@])@(?:fig|eq|sec|tbl|thm|def|lem|prp|cor|exm)-[\w-]"),
    "equation labels": re.compile(r"\$\$[ \t]*\{#eq-"),
    "citations": re.compile(r"\[[^\[\]\n]*@(?!(?:fig|eq|sec|tbl|thm|def|lem)-)[\w][^\]\n]*\]"),
    "shortcodes": re.compile(r"\{\{<\s*[\w-]+"),
    "footnotes": re.compile(r"\^\[|\[\^[^\]\s]+\]"),
}
_CELL = re.compile(r"^[ \t]*```+[ \t]*\{([A-Za-z]\w*)", re.M)


def census(text: str) -> Counter:
    """Counts of the Quarto/Pandoc syntax a post uses, and its executable cells by language."""
    counts = Counter({name: len(pattern.findall(text)) for name, pattern in CENSUS.items()})
    counts.update(f"{{{language}}} cells" for language in _CELL.findall(text))
    return counts


def _fastest(render: Any, body: str, context: Any, repeat: int) -> tuple[str, float]:
    """The render's output and its fastest time over ``repeat`` runs (the least disturbed by
    other work on the machine)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        html = render(body, {ENV_KEY: context()})
        best = min(best, time.perf_counter() - started)
    return html, best


def measure(blog: Path, md: MarkdownIt, base_path: str, baseline: MarkdownIt | None = None,
            repeat: int = 1, execute: bool = False) -> dict[str, Any]:
    posts = find_posts(blog)
    table = link_table(posts)
    statics = static_paths(blog, posts)
    variables = site_vars(blog)
    diagnostics = []
    failures: dict[str, str] = {}
    leaks: dict[str, list[str]] = {}
    changed: list[str] = []
    baseline_seconds = 0.0
    render_seconds = 0.0
    counts: Counter = Counter()
    source_bytes = 0
    for post in posts:
        relative = post.relative_to(blog).as_posix()
        try:
            text = post.read_text(encoding="utf-8")
            source_bytes += len(text.encode("utf-8"))
            counts.update(census(text))
            meta, body, offset = split_frontmatter(text)
        except (UnicodeDecodeError, yaml.YAMLError, tomllib.TOMLDecodeError) as error:
            failures[relative] = f"frontmatter: {error}"
            continue
        def context() -> RenderContext:
            return RenderContext(source_path=relative, source_dir=post.parent,
                                 line_offset=offset, site_vars=dict(variables),
                                 page_vars={**meta, "url": post_url(post)}, base_path=base_path,
                                 link_table=dict(table), static_paths=statics, site_root=blog,
                                 execute=execute)
        ctx = context()
        started = time.perf_counter()
        try:
            html = md.render(body, {ENV_KEY: ctx})
        except StrideError as error:
            failures[relative] = str(error)
            continue
        except Exception as error:  # a Stride bug: the build names the post, so does this
            failures[relative] = f"internal error: {type(error).__name__}: {error}"
            continue
        seconds = time.perf_counter() - started
        if repeat > 1:
            seconds = min(seconds, _fastest(md.render, body, context, repeat - 1)[1])
        render_seconds += seconds
        if baseline is not None:
            baseline_html, seconds = _fastest(baseline.render, body, context, repeat)
            if baseline_html != html:
                changed.append(relative)
            baseline_seconds += seconds
        diagnostics.extend(ctx.diagnostics)
        found = find_leaks(html)
        if found:
            leaks[relative] = list(found)
    return {"posts": len(posts), "built": len(posts) - len(failures), "failures": failures,
            "source_bytes": source_bytes, "census": dict(sorted(counts.items())),
            "warnings": len(diagnostics),
            "warnings_by_kind": {s.kind: s.count for s in summarize_diagnostics(diagnostics)},
            "summaries": [str(s) for s in summarize_diagnostics(diagnostics)],
            "leaks": leaks, "seconds": round(render_seconds, 3),
            "baseline_seconds": round(baseline_seconds, 3) if baseline is not None else None,
            "changed_by_compat": changed if baseline is not None else None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("blog", type=Path, help="the blog's site folder (outside this repository)")
    parser.add_argument("--base-path", help="the URL path the site is served under (default: "
                                              "the site config's baseurl, else /)")
    parser.add_argument("--pipeline", choices=("stride", "compat"), default="stride")
    parser.add_argument("--json", type=Path, help="also write the report as JSON here")
    parser.add_argument("--show-leaks", type=int, default=10, help="leaked snippets to print")
    parser.add_argument("--repeat", type=int, default=1,
                        help="render each post this many times and keep the fastest time")
    parser.add_argument("--baseline", action="store_true",
                        help="also render with the compat dialects off: pages changed, time cost")
    parser.add_argument("--execute", action="store_true",
                        help="run the posts' {python} cells (default: show their code only)")
    options = parser.parse_args(argv)
    if options.pipeline == "stride":
        def build(**compat: bool) -> MarkdownIt:
            return stride_markdown(options.execute, **compat)
    else:
        build = compat_markdown
    try:
        md = build()
        baseline = build(**DIALECTS_OFF) if options.baseline else None
    except (ImportError, AttributeError, StrideError) as error:
        print(f"Stride's pipeline cannot be built yet ({type(error).__name__}: {error}); "
              "run with --pipeline compat to measure the compat plugin alone", file=sys.stderr)
        return 2
    base_path = options.base_path or "/" + str(site_vars(options.blog).get("baseurl", "")).strip("/")
    report = measure(options.blog, md, base_path.rstrip("/") + "/", baseline, max(1, options.repeat),
                     execute=options.execute)
    kinds = Counter(report["warnings_by_kind"])
    leaked = sum(len(found) for found in report["leaks"].values())
    print(f"pipeline: {options.pipeline}" + ("" if options.execute else
                                             " ({python} cells shown, not run)"))
    print(f"posts: {report['posts']} found, {report['built']} built, "
          f"{len(report['failures'])} failed ({report['seconds']} s)")
    print(f"source: {report['source_bytes'] / 1000:.0f} kB; "
          + ", ".join(f"{name} {count}" for name, count in report["census"].items() if count))
    for post, error in report["failures"].items():
        print(f"  failed: {post}: {error}")
    print(f"warnings: {report['warnings']} ("
          + ", ".join(f"{kind} {count}" for kind, count in kinds.most_common()) + ")")
    for summary in report["summaries"]:
        print(f"  {summary}")
    print(f"leaked syntax: {leaked} snippets in {len(report['leaks'])} posts")
    shown = [(post, snippet) for post, found in report["leaks"].items() for snippet in found]
    for post, snippet in shown[:options.show_leaks]:
        print(f"  {post}: {snippet!r}")
    if baseline is not None:
        print(f"compat changed {len(report['changed_by_compat'])} of {report['built']} pages; "
              f"{report['seconds']} s with it, {report['baseline_seconds']} s without")
    if options.json:
        options.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
