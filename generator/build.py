"""``build()``: the whole pipeline, discover -> frontmatter -> markdown -> site -> templates -> writer.

Posts whose inputs did not change come from the page cache (keyed by the source, the site-wide
render settings and the code of Stride itself, and checked against the files each render read);
the rest are rendered in parallel, one process per core, each with one parser built once.
"""
from __future__ import annotations

import concurrent.futures
import datetime as dt
import hashlib
import multiprocessing
import os
import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .cache import Cache, content_key, prune_unused
from .config import SiteConfig, load_config
from .discover import discover
from .errors import BuildFailed, Diagnostic, StrideError
from .frontmatter import parse_source
from .records import ParsedSource, Post, Rendered
from .writer import OutputFile, WriteReport, build_lock, check_output_folder, write_site

CACHE_DIR = ".stride-cache"
PAGE_CACHE_VERSION = "1"
CODE_ROOTS = ("generator", "plugins")
LIBRARIES = ("markdown-it-py", "mdit-py-plugins", "latex2mathml", "pygments", "nh3", "jinja2")


@dataclass(frozen=True)
class BuildOptions:
    root: Path
    out: Path | None = None
    drafts: bool = False
    strict: bool = False
    refresh: bool = False
    jobs: int = 0  # 0: one per core
    base_url: str | None = None  # overrides the config (serve uses http://127.0.0.1:PORT/)

    @property
    def output(self) -> Path:
        return (self.out or self.root / "public").resolve()


@dataclass(frozen=True)
class BuildResult:
    posts: int
    pages: int
    rendered: int  # posts rendered this time (the rest came from the cache)
    diagnostics: tuple[Diagnostic, ...]
    write: WriteReport
    seconds: float
    output: Path
    sources: tuple[str, ...] = field(default=())


Progress = Callable[[str, int, int], None]


def build(options: BuildOptions, *, progress: Progress | None = None) -> BuildResult:
    started = time.perf_counter()
    root = options.root.resolve()
    out = options.output
    check_output_folder(out, root)
    cache_root = root / CACHE_DIR
    with build_lock(cache_root / "build.lock"):
        return _build_locked(options, root, out, cache_root, started, progress)


def _build_locked(options: BuildOptions, root: Path, out: Path, cache_root: Path, started: float,
                  progress: Progress | None) -> BuildResult:
    from .markdown import RenderSettings, plugin_option_names
    from .site import assemble, link_table, plan_urls
    from .templates import make_environment, render_site, theme_roots

    config = load_config(root, plugin_options=plugin_option_names())
    if options.base_url:
        config = _with_base_url(config, options.base_url)
    themes = theme_roots(root)
    found = discover(root, themes[0])
    static = dict(found.static_files)
    if len(themes) > 1:  # a partial site theme: built-in static files fill the gaps
        builtin = discover(root, themes[1]).static_files
        static = {**{k: v for k, v in builtin.items() if k.startswith("/static/")}, **static}

    errors: list[StrideError] = []
    parsed: list[ParsedSource] = []
    for source in found.sources:
        try:
            item = parse_source(source)
        except StrideError as error:
            errors.append(error)
            continue
        if item.meta.draft and not options.drafts:
            continue
        parsed.append(item)
    if errors:
        raise BuildFailed(errors)
    urls = plan_urls(parsed, config)
    asset_paths = {_join(urls[p.source.rel], f.name)
                   for p in parsed for f in found.bundle_files.get(p.source.rel, ())}
    settings = RenderSettings(
        site_root=root, plugin_options={k: dict(v) for k, v in config.plugins.items()},
        cache_root=cache_root, refresh=options.refresh, strict=options.strict,
        execute=config.execute, site_vars=_site_vars(config), base_path=config.base_path,
        link_table=link_table(parsed, urls), static_paths=frozenset(static) | asset_paths,
        excerpt_separator=config.excerpt_separator, summary_words=config.summary_words)

    rendered, fresh = _render_all(parsed, settings, options, cache_root, progress)
    posts, pages = [], []
    diagnostics: list[Diagnostic] = list(found.diagnostics)
    for item in parsed:
        result = rendered[item.source.rel]
        if isinstance(result, StrideError):
            errors.append(result)
            continue
        diagnostics.extend(result.diagnostics)
        post = Post(item.source, item.meta, urls[item.source.rel], result)
        (pages if item.source.kind == "page" else posts).append(post)
    if options.strict:
        errors.extend(d.as_error() for d in diagnostics)
    if errors:
        raise BuildFailed(errors)

    site = assemble(posts, pages, static)
    environment = make_environment(root, config)
    build_time = max((p.meta.updated or p.meta.date for p in site.posts),
                     default=dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc))
    files = [OutputFile(page.path, data=page.data)
             for page in render_site(site, config, environment, build_time)]
    files.extend(OutputFile(url.lstrip("/"), source=path) for url, path in sorted(static.items()))
    for post in (*site.posts, *site.pages):
        folder = _output_folder(post.url)
        for bundled in found.bundle_files.get(post.source.rel, ()):
            if bundled.name not in post.rendered.assets:
                files.append(OutputFile(folder + bundled.name, source=bundled))
        for name, data in sorted(post.rendered.assets.items()):
            files.append(OutputFile(folder + name, data=data))
    files = _unique(files)
    report = write_site(out, files)
    _prune_caches(cache_root, rendered)
    return BuildResult(posts=len(site.posts), pages=len(site.pages), rendered=len(fresh),
                       diagnostics=tuple(diagnostics), write=report,
                       seconds=time.perf_counter() - started, output=out,
                       sources=tuple(p.source.rel for p in parsed))


def _with_base_url(config: SiteConfig, base_url: str) -> SiteConfig:
    from dataclasses import replace
    return replace(config, base_url=base_url)


def _site_vars(config: SiteConfig) -> dict[str, object]:
    return {"title": config.title, "author": config.author, "url": config.origin,
            "baseurl": config.base_path.rstrip("/"), "base_url": config.base_url,
            "description": config.description, "language": config.language}


def _join(url: str, name: str) -> str:
    """The URL path of a file beside the page at ``url``."""
    return "/" + _output_folder(url) + name


def _output_folder(url: str) -> str:
    """The output folder (relative, with a trailing slash) of the page at ``url``."""
    path = url.lstrip("/")
    if not path or path.endswith("/"):
        return path
    return path.rsplit("/", 1)[0] + "/" if "/" in path else ""


def _unique(files: list[OutputFile]) -> list[OutputFile]:
    """Later files of the same path win (a post's page over a static file of that name)."""
    by_path = {f.path: f for f in files}
    return [by_path[p] for p in sorted(by_path)]


# ---------------------------------------------------------------- rendering with the page cache

def code_fingerprint(site_root: Path) -> str:
    """Stride's own code and library versions: a change to either re-renders every post."""
    from importlib.metadata import PackageNotFoundError, version

    digest = hashlib.sha256(PAGE_CACHE_VERSION.encode())
    package_root = Path(__file__).resolve().parent.parent
    for folder in CODE_ROOTS:
        for path in sorted((package_root / folder).rglob("*.py")):
            digest.update(path.relative_to(package_root).as_posix().encode())
            digest.update(path.read_bytes())
    for library in LIBRARIES:
        try:
            digest.update(f"{library}={version(library)}".encode())
        except PackageNotFoundError:
            digest.update(f"{library}=missing".encode())
    return digest.hexdigest()


def _file_digest(path: str) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return "missing"


def _render_all(parsed: list[ParsedSource], settings, options: BuildOptions, cache_root: Path,
                progress: Progress | None) -> tuple[dict[str, Rendered | StrideError], set[str]]:
    pages_cache = Cache(cache_root, "pages", code_fingerprint(options.root.resolve()),
                        read=not options.refresh)
    fingerprint = settings.fingerprint()
    results: dict[str, Rendered | StrideError] = {}
    keys: dict[str, str] = {}
    todo: list[ParsedSource] = []
    for item in parsed:
        key = content_key(item.source.digest, item.source.rel, item.source.kind, fingerprint)
        keys[item.source.rel] = key
        cached = pages_cache.get(key)
        if cached is not None:
            try:
                rendered: Rendered = pickle.loads(cached)
            except Exception:  # a corrupt or foreign entry is a miss, never a crash
                rendered = None
            if rendered is not None and all(_file_digest(p) == d
                                            for p, d in rendered.dependencies.items()):
                results[item.source.rel] = rendered
                continue
        todo.append(item)
    total = len(todo)
    for done, (item, result) in enumerate(_render_parallel(todo, settings, options.jobs), 1):
        results[item.source.rel] = result
        if isinstance(result, Rendered) and not result.diagnostics:
            pages_cache.put(keys[item.source.rel], pickle.dumps(result, protocol=5))
        if progress:
            progress(item.source.rel, done, total)
    used = set(keys.values())
    pages_cache.prune(used)
    return results, {item.source.rel for item in todo}


_worker_renderer = None


def _init_worker(settings) -> None:
    global _worker_renderer
    from .markdown import MarkdownRenderer
    _worker_renderer = MarkdownRenderer(settings)


def _render_one(item: ParsedSource) -> Rendered | StrideError:
    try:
        return _worker_renderer.render(item)
    except StrideError as error:
        return error


def _render_parallel(todo: list[ParsedSource], settings, jobs: int):
    workers = min(jobs or os.cpu_count() or 1, len(todo))
    if workers <= 1:
        _init_worker(settings)
        for item in todo:
            yield item, _render_one(item)
        return
    context = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context,
                                                initializer=_init_worker,
                                                initargs=(settings,)) as pool:
        chunk = max(1, len(todo) // (workers * 4))
        yield from zip(todo, pool.map(_render_one, todo, chunksize=chunk))


def _prune_caches(cache_root: Path, rendered: dict[str, Rendered | StrideError]) -> None:
    """Drop plugin cache entries that no current page used; every page reports its keys, whether
    it was rendered now or came from the page cache."""
    keep: dict[str, set[str]] = {}
    for result in rendered.values():
        if isinstance(result, Rendered):
            for folder, keys in result.cache_keys.items():
                keep.setdefault(folder, set()).update(keys)
    prune_unused(cache_root, keep, skip=("pages",))
