"""``build()``: the pipeline discover -> frontmatter -> markdown -> site -> templates -> writer.

A build does only the work its changes call for:

- nothing changed: the stamp of ``generator.uptodate`` says so from ``stat`` alone, before the
  Markdown stack is even imported;
- a post changed: only that post is parsed and rendered again (the others come from the parse
  state and the page cache, keyed by the source, the site-wide render settings and Stride's own
  code, and checked against the files each render read); only the pages that read something of it
  are rendered again (``generator.incremental``), and only files whose bytes changed are written;
- many posts changed: they are rendered in parallel, one process per core, each with one parser.

A ``BuildSession`` holds that state. The command line loads it from ``.stride-cache/`` and saves
it after the build; ``serve`` keeps one warm in memory across rebuilds.
"""
from __future__ import annotations

import ctypes
import datetime as dt
import functools
import gc
import hashlib
import json
import os
import pickle
import re
import signal
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from .discover import DEFAULTS_NAMES, MARKDOWN_SUFFIXES, RACY_NS
from .errors import BuildFailed, Diagnostic, SourceLocation, StrideError, WorkerDied
from .uptodate import (PROJECT_NAMES, QUARTO_PROFILE_VARIABLE, compare_stamp, forget_stamp,
                       hugo_environment, scan_inputs, stamp_path, stat_outputs, write_stamp)
from .writer import OutputFile, WriteReport, build_lock, check_output_folder

from .cache import ShardedCache

if TYPE_CHECKING:  # the Markdown stack is imported only when something must be rendered
    from concurrent.futures import Executor

    from .config import SiteConfig
    from .discover import Discovery
    from .incremental import PageRecord, RecordIndex, SiteSnapshot
    from .markdown import MarkdownRenderer
    from .project import Project
    from .render_settings import RenderSettings
    from .records import Inherited, ParsedSource, Rendered, SourceFile
    from .templates import PageJob, TrackingEnvironment

CACHE_DIR = ".stride-cache"
LOCK_NAME = "build.lock"
PR_SET_PDEATHSIG = 1  # prctl(2)
PAGE_CACHE_VERSION = "1"
STATE_VERSION = "6"
CODE_ROOT = Path(__file__).resolve().parent.parent
CODE_ROOTS = ("generator", "plugins")
LIBRARIES = ("markdown-it-py", "mdit-py-plugins", "latex2mathml", "pygments", "nh3", "jinja2",
             "pybtex")  # its style formats the references lists
CODE_MEMO = "code-fingerprint.json"
# Plugin cache namespaces whose entries are figures and run code: what the summary counts.
FIGURE_NAMESPACES = ("conv", "run", "tikz")
# Cache folders the build manages itself; the plugin-cache pruning must leave them alone.
OWN_CACHE_FOLDERS = ("pages", "parsed", "records", "state", "stamps", "templates", "serve")
PAGES_PER_WORKER = 100  # fewer pages than this render in the build process: forking costs more
# Cached renders to unpickle that make it worth rendering even a single post in a worker meanwhile
OVERLAP_MIN = 200
MIN_CHUNK = 4  # posts sent to a render worker at a time, at least


@dataclass(frozen=True)
class BuildOptions:
    root: Path
    out: Path | None = None
    drafts: bool = False
    strict: bool = False
    refresh: bool = False
    jobs: int = 0  # 0: one per core
    profile: str | None = None  # Quarto's active profiles, "a,b"; None: QUARTO_PROFILE's
    # Hugo's environment (config/NAME/ over config/_default/); None: HUGO_ENVIRONMENT's, else
    # production
    environment: str | None = None

    @property
    def quarto_profile(self) -> str:
        return self.profile if self.profile is not None else \
            os.environ.get(QUARTO_PROFILE_VARIABLE, "")

    @property
    def hugo_environment(self) -> str:
        return hugo_environment(self.environment)

    @property
    def output(self) -> Path:
        return (self.out or self.root / "public").resolve()


@dataclass(frozen=True)
class BuildResult:
    posts: int
    pages: int
    rendered: int  # posts rendered this time (the rest came from the caches)
    diagnostics: tuple[Diagnostic, ...]
    write: WriteReport
    seconds: float
    output: Path
    sources: tuple[str, ...] = ()
    pages_rendered: tuple[str, ...] = ()  # output pages whose templates ran this time
    figures_run: int = 0
    figures_cached: int = 0
    up_to_date: bool = False  # nothing changed since the last build: nothing was even read
    page_sources: Mapping[str, str] = field(default_factory=dict)  # output path -> what made it


Progress = Callable[[str, int, int], None]


# ---------------------------------------------------------------- the session (warm state)

@dataclass
class BuildSession:
    """What one build leaves for the next: parsed sources, rendered posts, page dependencies.

    Mutable on purpose and owned by one process: the command line (one build) or ``serve``
    (every rebuild). ``changed`` tells the next build which files changed when the caller knows
    (``serve`` hears it from the file watcher); None means "look at everything".
    """

    code: str = ""
    parsed: dict[str, ParsedSource] = field(default_factory=dict)  # rel -> last parse
    rendered: dict[str, Rendered] = field(default_factory=dict)  # page-cache key -> render
    pages: dict[str, PageRecord] = field(default_factory=dict)  # output path -> record
    discovery: Discovery | None = None
    environment: tuple[str, TrackingEnvironment] | None = None  # (config digest, env)
    renderer: tuple[str, MarkdownRenderer] | None = None  # (settings fingerprint, renderer)
    changed: frozenset[Path] | None = None
    page_cache: ShardedCache | None = None  # renders by page-cache key, on disk
    urls: tuple[str, tuple, dict[str, str], dict[str, str], str] | None = None  # _plan_urls
    saved: tuple[dict[str, ParsedSource], dict[str, PageRecord]] = field(
        default_factory=lambda: ({}, {}))  # parses and page records as they are on disk
    stores: tuple[ShardedCache, ShardedCache] | None = None  # where they are: loaded once
    pages_unread: bool = False  # the page records are still on disk only (``page_records``)
    lookup_basis: tuple[Mapping[str, str], frozenset[str]] | None = None  # see _render_all
    versions: dict[str, tuple[Rendered, str, str, str]] = field(default_factory=dict)  # rel ->
    #   (render, page-cache key, URL, version): a post's version is made once per change
    record_index: RecordIndex = field(default_factory=lambda: _record_index())
    pages_structure: str = ""  # the structure (see _render_pages) the page records were made for
    pygments_css: str = ""  # the digest of the highlighting stylesheet this code writes
    render_keys: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # rel -> (digest
    #   and defaults digest, settings fingerprint, page-cache key): hashed once per change
    project: Project | None = None  # the project files' defaults, as the last build read them

    @classmethod
    def load(cls, cache_root: Path, out: Path) -> BuildSession:
        """The state the last command-line build saved; empty when missing, foreign or stale."""
        session = cls(code=code_fingerprint(cache_root))
        parsed, records = session.stores = (_parsed_store(cache_root, session.code),
                                            _records_store(cache_root, out, session.code))
        for rel, stored in parsed.entries().items():
            try:
                session.parsed[rel] = _thaw_parse(stored)
            except Exception:  # a corrupt or foreign entry: that file is read again
                continue
        session.saved = (dict(session.parsed), {})
        session.pages_unread = True
        for path, attributes in ((_urls_state(cache_root), ("urls",)),
                                 (_pages_state(cache_root, out),
                                  ("pages_structure", "pygments_css"))):
            try:
                code, values = pickle.loads(path.read_bytes())
            except Exception:  # missing, truncated or from another version: start afresh
                continue
            if code == session.code and isinstance(values, tuple) \
                    and len(values) == len(attributes):
                for attribute, value in zip(attributes, values):
                    setattr(session, attribute, value)
        return session

    def page_records(self) -> dict[str, PageRecord]:
        """The page records, read from disk the first time they are needed."""
        if self.pages_unread:
            from .incremental import PageRecord

            self.pages = {path: record for path, record in self.stores[1].entries().items()
                          if isinstance(record, PageRecord)}
            self.saved = (self.saved[0], dict(self.pages))
            self.pages_unread = False
        return self.pages

    def index_records(self) -> None:
        """Index the page records now rather than at the start of the next build: ``serve``
        does it while it waits for an edit (for 1000 posts, 10 ms the first edit need not pay)."""
        if not self.pages_unread:
            self.record_index.update(self.pages)

    def save(self, cache_root: Path, out: Path) -> None:
        # The parses keep their files' text: the next build takes the files whose stat has not
        # changed from here instead of reading them (``discover``). They are stored in shards, so
        # an edit rewrites one shard, not the text of every post.
        if self.discovery is not None:
            present = {source.rel for source in self.discovery.sources}
            self.parsed = {rel: item for rel, item in self.parsed.items() if rel in present}
        parsed, records = self.stores or (_parsed_store(cache_root, self.code),
                                          _records_store(cache_root, out, self.code))
        stored = [(parsed, self.parsed, self.saved[0], _freeze_parse)]
        if not self.pages_unread:
            stored.append((records, self.pages, self.saved[1], None))
        for store, current, saved, freeze in stored:
            for key, value in current.items():
                if saved.get(key) is not value:
                    store.put(key, freeze(value) if freeze else value)
            store.prune(set(current))
        self.saved = (dict(self.parsed), dict(self.pages))
        for stale in (cache_root / "state").glob("v*-*.pickle"):  # an older Stride's state
            if not stale.name.startswith(f"v{STATE_VERSION}-"):
                stale.unlink(missing_ok=True)
        for path, values in ((_urls_state(cache_root), (self.urls,)),
                             (_pages_state(cache_root, out),
                              (self.pages_structure, self.pygments_css))):
            path.parent.mkdir(parents=True, exist_ok=True)
            temp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
            temp.write_bytes(pickle.dumps((self.code, values), protocol=5))
            os.replace(temp, path)


def _record_index() -> RecordIndex:
    from .incremental import RecordIndex

    return RecordIndex()


def _out_key(out: Path) -> str:
    return hashlib.sha256(str(out).encode()).hexdigest()[:16]


def _parsed_store(cache_root: Path, code: str) -> ShardedCache:
    return ShardedCache(cache_root, "parsed", f"{STATE_VERSION}-{code}")


def _records_store(cache_root: Path, out: Path, code: str) -> ShardedCache:
    """Page records, per output folder: output path -> ``PageRecord``."""
    return ShardedCache(cache_root, f"records/{_out_key(out)}", f"{STATE_VERSION}-{code}")


def _freeze_parse(item: ParsedSource) -> tuple[ParsedSource, int]:
    """A parse as stored: the body, almost always the end of the file's text, is not kept twice."""
    text, body = item.source.text, item.body
    if text.endswith(body):
        return replace(item, body=""), len(body)
    return item, -1


def _thaw_parse(stored: tuple[ParsedSource, int]) -> ParsedSource:
    item, body_length = stored
    if body_length < 0:
        return item
    text = item.source.text
    return replace(item, body=text[len(text) - body_length:])


def _urls_state(cache_root: Path) -> Path:
    return cache_root / "state" / f"v{STATE_VERSION}-urls.pickle"


def _pages_state(cache_root: Path, out: Path) -> Path:
    return cache_root / "state" / f"v{STATE_VERSION}-pages-{_out_key(out)}.pickle"


def page_sources_path(cache_root: Path, out: Path) -> Path:
    """Where a build records which source made each output file (read by ``check``)."""
    return cache_root / "state" / f"sources-{_out_key(out)}.json"


# ---------------------------------------------------------------- build

def build(options: BuildOptions, *, progress: Progress | None = None,
          session: BuildSession | None = None) -> BuildResult:
    """Build the site. Without a ``session`` this is a command-line build: it returns at once when
    the stamp says nothing changed, and loads and saves its state in ``.stride-cache/``."""
    started = time.perf_counter()
    root = options.root.resolve()
    out = options.output
    check_output_folder(out, root)
    cache_root = root / CACHE_DIR
    with build_lock(cache_root / LOCK_NAME):
        if session is not None:
            return _build_locked(options, root, out, cache_root, started, progress, session)
        stamp = stamp_path(cache_root, out)
        scan = scan_inputs(root, CODE_ROOT, _stamped_extras(stamp))
        settings = json.dumps([options.drafts, options.strict, options.quarto_profile,
                               options.hugo_environment])
        summary, changed = (None, None) if options.refresh else \
            compare_stamp(stamp, scan, settings, out)
        if summary is not None:
            return _unchanged_result(summary, out, started)
        forget_stamp(stamp)
        with _warm_workers(root, options.jobs, changed) as workers:
            session = BuildSession.load(cache_root, out)
            # The last build's state lasts the whole build: the cyclic collector need not walk
            # it again and again while the build allocates (a tenth of an edit's time).
            gc.freeze()
            try:
                result = _build_locked(options, root, out, cache_root, started, progress,
                                       session, workers)
            finally:
                gc.unfreeze()
        session.save(cache_root, out)
        _prune_caches(cache_root, session)
        summary = _summary(result, session, root)
        write_stamp(stamp, scan.with_files(summary["extra_inputs"]), settings,
                    stat_outputs(out, sorted(result.page_sources)), summary)
        return result


def _stamped_extras(stamp: Path) -> tuple[str, ...]:
    """Files outside the site that the last build's renders read (a stamp lists them as inputs)."""
    try:
        inputs = json.loads(stamp.read_text()).get("summary", {}).get("extra_inputs", [])
    except (OSError, ValueError, AttributeError):
        return ()
    return tuple(str(path) for path in inputs)


def _summary(result: BuildResult, session: BuildSession, root: Path) -> dict[str, object]:
    extra = sorted({str(root / path) for rendered in session.rendered.values()
                    for path in rendered.dependencies}
                   | {str(path) for path in (session.project.watched if session.project else ())})
    return {"posts": result.posts, "pages": result.pages, "sources": list(result.sources),
            "figures": result.figures_run + result.figures_cached,
            "diagnostics": [[d.location.path, d.location.line, d.location.column, d.message,
                             d.hint, d.kind] for d in result.diagnostics],
            "extra_inputs": extra}


def _unchanged_result(summary: dict, out: Path, started: float) -> BuildResult:
    diagnostics = tuple(Diagnostic(SourceLocation(path, line, column), message, hint, kind)
                        for path, line, column, message, hint, kind in summary["diagnostics"])
    return BuildResult(posts=summary["posts"], pages=summary["pages"], rendered=0,
                       diagnostics=diagnostics, write=WriteReport(0, 0, 0, unchanged=True),
                       seconds=time.perf_counter() - started, output=out,
                       sources=tuple(summary["sources"]), figures_cached=summary["figures"],
                       up_to_date=True)


def _build_locked(options: BuildOptions, root: Path, out: Path, cache_root: Path, started: float,
                  progress: Progress | None, session: BuildSession,
                  workers: Executor | None = None) -> BuildResult:
    from .config import load_config
    from .frontmatter import parse_source
    from .render_settings import RenderSettings, check_plugin_option, plugin_option_names
    from .project import load_project
    from .records import Post
    from .site import assemble, link_table, plan_urls
    from .templates import BUILTIN_SEARCH_SCRIPT, theme_roots

    wall_started = time.time()
    themes = theme_roots(root)
    found = _discover(root, themes, session, refresh=options.refresh)
    # _quarto.yml, Jekyll's _config.yml, the _metadata.yml files and Hugo's _index.md cascades:
    # frontmatter defaults, and site settings for what site.toml leaves unset
    project = session.project = load_project(root, found.defaults_files, options.quarto_profile,
                                             found.section_files, options.hugo_environment)
    config = load_config(root, plugin_options=plugin_option_names(),
                         check_option=check_plugin_option, fallbacks=project.site)
    static = dict(found.static_files)
    if not config.search:  # the built-in search page's script, without the page
        static = {url: path for url, path in static.items() if path != BUILTIN_SEARCH_SCRIPT}
    inherited = project.inherit(found.sources)

    errors: list[StrideError] = []
    parsed: list[ParsedSource] = []
    for source in found.sources:
        try:
            item = _parse(source, session, parse_source, inherited.get(source.rel))
        except StrideError as error:
            errors.append(error)
            continue
        if item.meta.draft and not options.drafts:
            continue
        parsed.append(item)
    if errors:
        raise BuildFailed(errors)
    urls, links, structure = _plan_urls(parsed, config, session, plan_urls, link_table)
    asset_paths = {_join(urls[p.source.rel], f.name)
                   for p in parsed for f in found.bundle_files.get(p.source.rel, ())}
    settings = RenderSettings(
        site_root=root, plugin_options={k: dict(v) for k, v in config.plugins.items()},
        cache_root=cache_root, refresh=options.refresh, strict=options.strict,
        execute=config.execute, site_vars=_site_vars(config), base_path=config.base_path,
        link_table=links, static_paths=frozenset(static) | asset_paths,
        excerpt_separator=config.excerpt_separator, summary_words=config.summary_words,
        search=config.search, search_words=config.search_words)

    rendered, keys, fresh = _render_all(parsed, settings, options, root, cache_root, progress,
                                        session, workers)
    posts, pages = [], []
    diagnostics: list[Diagnostic] = [*found.diagnostics, *project.diagnostics]
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
    from .writer import discard_stage, open_stage, write_site

    # A first build writes every page: the page workers write them into the stage themselves.
    stage = open_stage(out)
    try:
        files, page_sources, pages_rendered = _render_pages(
            site, config, root, out, cache_root, keys, structure, session, options.jobs, stage)
        files.extend(OutputFile(url.lstrip("/"), source=path)
                     for url, path in sorted(static.items()))
        for post in (*site.posts, *site.pages):
            folder = _output_folder(post.url)
            for bundled in found.bundle_files.get(post.source.rel, ()):
                if bundled.name not in post.rendered.assets:
                    files.append(OutputFile(folder + bundled.name, source=bundled))
                    page_sources[folder + bundled.name] = post.source.rel
            for name, data in sorted(post.rendered.assets.items()):
                files.append(OutputFile(folder + name, data=data))
                page_sources[folder + name] = post.source.rel
        for url, path in static.items():
            page_sources[url.lstrip("/")] = _rel_to(path, root)
        files = _unique(files)
        report = write_site(out, files, stage)
    except BaseException:
        discard_stage(stage)
        raise
    sources_file = page_sources_path(cache_root, out)
    sources_file.parent.mkdir(parents=True, exist_ok=True)
    sources_file.write_text(json.dumps(page_sources, sort_keys=True))
    run, cached = _count_figures(cache_root, rendered, fresh, wall_started)
    return BuildResult(posts=len(site.posts), pages=len(site.pages), rendered=len(fresh),
                       diagnostics=tuple(diagnostics), write=report,
                       seconds=time.perf_counter() - started, output=out,
                       sources=tuple(p.source.rel for p in parsed), pages_rendered=pages_rendered,
                       figures_run=run, figures_cached=cached,
                       page_sources={f.path: page_sources.get(f.path, "") for f in files})


def _discover(root: Path, themes: tuple[Path, ...], session: BuildSession, *,
              refresh: bool = False) -> Discovery:
    """The site's files. When the caller knows that only existing posts changed, and they sit in
    folders of Markdown files only (so which files belong to which post cannot have changed),
    those posts are read again and the rest of the last discovery is kept."""
    from .discover import discover, read_source

    previous, changed = session.discovery, session.changed
    if previous is not None and changed is not None and changed:
        by_path = {source.path: source for source in previous.sources}
        if all(path in by_path and path.is_file() and by_path[path].bundle is None
               and not previous.bundle_files.get(by_path[path].rel)
               and _only_markdown(path.parent) for path in changed):
            content = root / "content"
            sources = tuple(read_source(s.path, root, content, s.kind, s.bundle)
                            if s.path in changed else s for s in previous.sources)
            session.discovery = replace(previous, sources=sources)
            return session.discovery
    from .render_settings import plugin_stylesheets

    # --refresh trusts nothing from the last build: every file is read again
    known = {} if refresh else {item.source.path: item.source for item in session.parsed.values()}
    found = discover(root, themes[0], known)
    static = {**plugin_stylesheets(), **found.static_files}
    if len(themes) > 1:  # a partial site theme: built-in static files fill the gaps
        builtin = discover(root, themes[1]).static_files
        static = {**{k: v for k, v in builtin.items() if k.startswith("/static/")}, **static}
    found = replace(found, static_files=static)
    session.discovery = found
    return found


def _only_markdown(folder: Path) -> bool:
    return all(name.lower().endswith(MARKDOWN_SUFFIXES) or name.startswith(".")
               or name in DEFAULTS_NAMES for name in os.listdir(folder))


def _parse(source: SourceFile, session: BuildSession,
           parse_source: Callable[[SourceFile, Inherited | None], ParsedSource],
           inherited: Inherited | None) -> ParsedSource:
    """Frontmatter is parsed again only when the file's bytes or the defaults it inherits (from
    ``_metadata.yml``, ``_quarto.yml``, ``_config.yml``) changed."""
    known = session.parsed.get(source.rel)
    defaults = inherited.digest if inherited is not None else ""
    if known is not None and not _same_places(known, inherited):
        known = None  # the same defaults, on other lines: warnings and errors must name those
    if known is not None and known.source is source and known.defaults == defaults:
        return known
    if known is not None and known.source.digest == source.digest \
            and known.source.content_rel == source.content_rel and known.defaults == defaults:
        item = replace(known, source=source)
    else:
        item = parse_source(source, inherited)
    session.parsed[source.rel] = item
    return item


def _same_places(known: ParsedSource, inherited: Inherited | None) -> bool:
    """Whether the keys a parse inherited are still where it found them (a comment line added
    above them moves them without changing any value)."""
    origins = inherited.origins if inherited is not None else {}
    return all(origins.get(key) == where for key, where in known.meta.inherited.items())


def _relocated(render: Rendered, inherited: Mapping[str, SourceLocation]) -> Rendered:
    """A render reused for defaults whose keys moved to other lines since it was made: its
    warnings at a key's old line name the new one."""
    if render.inherited == inherited:
        return render
    moved = {(old.path, old.line): inherited[key]
             for key, old in render.inherited.items() if key in inherited}

    def place(diagnostic: Diagnostic) -> Diagnostic:
        new = moved.get((diagnostic.location.path, diagnostic.location.line))
        if new is None:
            return diagnostic
        return replace(diagnostic, location=replace(diagnostic.location, line=new.line))
    return replace(render, diagnostics=tuple(map(place, render.diagnostics)),
                   inherited=dict(inherited))


def _plan_urls(parsed: list[ParsedSource], config: SiteConfig, session: BuildSession,
               plan_urls, link_table) -> tuple[dict[str, str], dict[str, str], str]:
    """URLs and the link table depend on the posts' paths, metadata and the config alone: while
    those equal the last build's, its answer stands (unchanged parses are the very same objects,
    so the comparison is mostly identity). The third value names this structure: a new token
    whenever any of it changed."""
    metas = tuple((item.source.rel, item.source.content_rel, item.meta) for item in parsed)
    known = session.urls
    if known is not None and known[0] == repr(config) and len(known[1]) == len(metas) and all(
            a[0] == b[0] and a[1] == b[1] and (a[2] is b[2] or a[2] == b[2])
            for a, b in zip(known[1], metas)):
        # Keep today's metadata objects, so that the next comparison is by identity (the stored
        # ones were loaded from disk, equal but not the same).
        session.urls = (known[0], metas, *known[2:])
        return known[2], known[3], known[4]
    urls = plan_urls(parsed, config)
    links = link_table(parsed, urls)
    token = os.urandom(8).hex()
    session.urls = (repr(config), metas, urls, links, token)
    return urls, links, token


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


def _version(post, key: str, session: BuildSession) -> str:
    """What a post's page records compare: its render (by page-cache key, what it read and
    asked) and its URL."""
    known = session.versions.get(post.source.rel)
    if known is not None and known[0] is post.rendered and known[1:3] == (key, post.url):
        return known[3]
    version = (f"{key} {post.url} {sorted(post.rendered.dependencies.items())} "
               f"{sorted(post.rendered.lookups.items())}")
    session.versions[post.source.rel] = (post.rendered, key, post.url, version)
    return version


@functools.lru_cache(maxsize=4096)
def _rel_to(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _unique(files: list[OutputFile]) -> list[OutputFile]:
    """Later files of the same path win (a post's page over a static file of that name)."""
    by_path = {f.path: f for f in files}
    return [by_path[p] for p in sorted(by_path)]


# ---------------------------------------------------------------- templated pages

def _render_pages(site, config: SiteConfig, root: Path, out: Path, cache_root: Path,
                  keys: Mapping[str, str], structure: str, session: BuildSession,
                  jobs: int, stage: Path | None
                  ) -> tuple[list[OutputFile], dict[str, str], tuple[str, ...]]:
    """Render the pages whose inputs changed; keep the others' files as they are.

    When the site's structure is the one the page records were made for (``structure``, from
    ``_plan_urls``: same posts, paths, metadata and config, so every page is planned with the
    same arguments as when its record was made), only the pages whose
    records read something that changed are even looked at: an edit to one post's body costs
    what reads that post, not a comparison per page of the site."""
    from .cache import content_key
    from .incremental import SiteSnapshot, post_root
    from .templates import PYGMENTS_CSS, make_environment, plan_pages, pygments_css, theme_roots
    from .writer import bytes_digest, read_manifest

    config_digest = content_key(repr(config))
    # Which theme folders exist decides the loader; which file each template name resolves to is
    # part of every page's record, so a new site theme re-renders only what it overrides.
    environment_key = content_key(config_digest, *(str(t) for t in theme_roots(root)))
    if session.environment is None or session.environment[0] != environment_key:
        from .render_settings import plugin_stylesheets
        session.environment = (environment_key,
                               make_environment(root, config, cache_root / "templates",
                                                stylesheets=tuple(sorted(plugin_stylesheets()))))
    environment = session.environment[1]
    build_time = max((p.meta.updated or p.meta.date for p in site.posts),
                     default=dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc))
    versions = {post_root(p): _version(p, keys[p.source.rel], session)
                for p in (*site.posts, *site.pages)}
    for gone in session.versions.keys() - keys.keys():
        del session.versions[gone]
    snapshot = SiteSnapshot(site, versions)
    environment.places = snapshot.places
    template_digest = functools.lru_cache(maxsize=None)(environment.template_digest)
    written = read_manifest(out)
    # The records were made for this structure and this environment (config and theme folders)
    structure = f"{structure} {environment_key}"
    previous = session.page_records()
    suspects = None
    if structure == session.pages_structure:
        session.record_index.update(previous)
        suspects = session.record_index.suspects(snapshot, template_digest)
    records: dict[str, PageRecord] = {}
    files: list[OutputFile] = []
    sources: dict[str, str] = {}
    todo: list[tuple[int, PageJob, str]] = []
    for job in plan_pages(site, config, build_time):
        post = job.arguments.get("post")
        sources[job.path] = post.source.rel if post is not None else f"template {job.template}"
        old = previous.get(job.path)
        if old is not None and suspects is not None and job.path not in suspects \
                and written.get(job.path) == old.output \
                and os.path.isfile(os.path.join(out, job.path)):
            records[job.path] = old
            files.append(OutputFile.kept(job.path, old.output))
            continue
        arguments = snapshot.arguments_text(job.template, job.url, job.arguments, config_digest)
        if old is not None and written.get(job.path) == old.output \
                and snapshot.is_current(old, arguments, template_digest) \
                and os.path.isfile(os.path.join(out, job.path)):
            records[job.path] = old
            files.append(OutputFile.kept(job.path, old.output))
            continue
        if old is not None:
            snapshot.reuse(old)
        todo.append((len(files), job, arguments))
        files.append(OutputFile(job.path))  # replaced below by the rendered page
    for (index, job, _), (data, record) in zip(todo, _render_jobs(
            _PageContext(environment, site, snapshot, template_digest, todo, stage), jobs)):
        records[job.path] = record
        files[index] = OutputFile.in_stage(job.path, record.output) if data is None else \
            OutputFile(job.path, data=data, data_digest=record.output)
    environment.places = {}
    session.pages = records
    session.pages_structure = structure
    # It depends on Pygments and Stride's code alone, both in the state's code fingerprint: while
    # the file written last is there, the build process need not import Pygments' formatters.
    if session.pygments_css and written.get(PYGMENTS_CSS) == session.pygments_css \
            and os.path.isfile(os.path.join(out, PYGMENTS_CSS)):
        files.append(OutputFile.kept(PYGMENTS_CSS, session.pygments_css))
    else:
        stylesheet = pygments_css()
        session.pygments_css = bytes_digest(stylesheet)
        files.append(OutputFile(PYGMENTS_CSS, data=stylesheet))
    sources[PYGMENTS_CSS] = "Pygments styles"
    return files, sources, tuple(job.path for _, job, _ in todo)


@dataclass(frozen=True)
class _PageContext:
    """What page rendering needs; forked workers inherit it, so none of it is pickled. Records
    must keep their identity in the workers: the places that say which post an attribute read
    belongs to are keyed by object id."""

    environment: TrackingEnvironment
    site: object
    snapshot: SiteSnapshot
    template_digest: Callable[[str], str | None]
    todo: list[tuple[int, PageJob, str]]
    stage: Path | None  # where a page is written as soon as it is rendered (a first build)


_page_context: _PageContext | None = None


def _render_page(context: _PageContext, position: int) -> tuple[bytes | None, PageRecord]:
    """A page and its record (what it read, with digests), made where it was rendered: in a
    worker during a full build, so that the digests are computed (and the page written into the
    stage, then None instead of its bytes) in parallel too."""
    from .writer import bytes_digest, stage_file

    _, job, arguments = context.todo[position]
    page = context.environment.render_page(job, context.site)
    record = context.snapshot.record(page.reads, page.templates, context.template_digest,
                                     arguments, bytes_digest(page.data))
    if context.stage is None:
        return page.data, record
    stage_file(context.stage, job.path, page.data)
    return None, record


def _start_page_worker() -> None:
    _tie_worker_to_build()
    gc.freeze()  # the site it inherited lasts its life: the collector need not walk it


def _render_chunk(positions: range) -> list[tuple[bytes | None, PageRecord] | StrideError]:
    results: list[tuple[bytes | None, PageRecord] | StrideError] = []
    for position in positions:
        try:
            results.append(_render_page(_page_context, position))
        except StrideError as error:
            results.append(error)
    return results


def _render_jobs(context: _PageContext, jobs: int) -> list[tuple[bytes | None, PageRecord]]:
    """Render the pages, in worker processes when there are many (a full build)."""
    global _page_context
    count = len(context.todo)
    workers = min(jobs or os.cpu_count() or 1, count // PAGES_PER_WORKER)
    if workers <= 1:
        return [_render_page(context, position) for position in range(count)]
    import concurrent.futures
    import multiprocessing
    from concurrent.futures.process import BrokenProcessPool

    _page_context = context
    chunks = [range(start, count, workers) for start in range(workers)]
    try:
        with concurrent.futures.ProcessPoolExecutor(
                workers, mp_context=multiprocessing.get_context("fork"),
                initializer=_start_page_worker) as pool:
            done = list(pool.map(_render_chunk, chunks))
    except BrokenProcessPool:
        raise WorkerDied() from None
    finally:
        _page_context = None
    results: list[tuple[bytes | None, PageRecord]] = []
    for position in range(count):
        result = done[position % workers][position // workers]
        if isinstance(result, StrideError):
            raise result
        results.append(result)
    return results


# ---------------------------------------------------------------- rendering with the page cache

def code_fingerprint(cache_root: Path) -> str:
    """Stride's own code and library versions: a change to either re-renders every post.

    Reading the code and asking importlib.metadata costs a build 30 ms, so the fingerprint is
    kept in the cache under the stat of the code files and of the folders libraries are
    installed in (installing or upgrading one renames its dist-info folder there). Files
    modified in the last seconds are not trusted to have a settled stat: then it is worked out."""
    stat_key = _code_stat_key()
    memo = cache_root / "state" / CODE_MEMO
    if stat_key is not None:
        try:
            known = json.loads(memo.read_text())
            if known["key"] == stat_key:
                return str(known["fingerprint"])
        except (OSError, ValueError, KeyError, TypeError):
            pass
    fingerprint = _code_digest()
    if stat_key is not None:
        with suppress(OSError):
            memo.parent.mkdir(parents=True, exist_ok=True)
            temporary = memo.with_name(f"{memo.name}.{os.getpid()}")
            temporary.write_text(json.dumps({"key": stat_key, "fingerprint": fingerprint}))
            os.replace(temporary, memo)
    return fingerprint


def _code_stat_key() -> str | None:
    """A digest of the stat of Stride's code files and of the library folders; None when one
    of them changed too recently to be sure its stat will show the next change."""
    entries: list[str] = [PAGE_CACHE_VERSION, sys.version]
    newest = 0
    for folder in CODE_ROOTS:
        for directory, subfolders, files in os.walk(CODE_ROOT / folder):
            subfolders[:] = sorted(name for name in subfolders if name != "__pycache__")
            for name in sorted(files):
                if name.endswith(".py"):
                    stat = os.stat(os.path.join(directory, name))
                    entries.append(f"{directory}/{name}:{stat.st_size}:{stat.st_mtime_ns}")
                    newest = max(newest, stat.st_mtime_ns)
    for entry in sys.path:
        with suppress(OSError):
            stat = os.stat(entry or ".")
            entries.append(f"{entry}:{stat.st_mtime_ns}")
            newest = max(newest, stat.st_mtime_ns)
    if time.time_ns() - newest < RACY_NS:
        return None
    return hashlib.sha256("\n".join(entries).encode()).hexdigest()


@functools.lru_cache(maxsize=1)
def _code_digest() -> str:
    """One per process: ``serve`` restarts itself when Stride's code changes."""
    from importlib.metadata import PackageNotFoundError, version

    digest = hashlib.sha256(PAGE_CACHE_VERSION.encode())
    for folder in CODE_ROOTS:
        for path in sorted((CODE_ROOT / folder).rglob("*.py")):
            digest.update(path.relative_to(CODE_ROOT).as_posix().encode())
            digest.update(path.read_bytes())
    for library in LIBRARIES:
        try:
            digest.update(f"{library}={version(library)}".encode())
        except PackageNotFoundError:
            digest.update(f"{library}=missing".encode())
    return digest.hexdigest()


def _file_digest(path: str, root: Path) -> str:
    try:
        return hashlib.sha256((root / path).read_bytes()).hexdigest()
    except OSError:
        return "missing"


def _render_all(parsed: list[ParsedSource], settings: RenderSettings, options: BuildOptions,
                root: Path, cache_root: Path, progress: Progress | None, session: BuildSession,
                workers: Executor | None
                ) -> tuple[dict[str, Rendered | StrideError], dict[str, str], set[str]]:
    """Every post's render, from memory, the page cache or the renderer; returns the renders,
    each post's page-cache key and the posts rendered now.

    Renders that must be made start in worker processes before the cached ones are unpickled, so
    that after a one-post edit one core renders the post while the other loads the rest (and the
    page records the next step needs)."""
    from .cache import ShardedCache, content_key
    from .context import lookups_hold
    from .records import Rendered

    pages_cache = session.page_cache
    if pages_cache is None or pages_cache.read == options.refresh:
        pages_cache = session.page_cache = ShardedCache(cache_root, "pages", session.code,
                                                        read=not options.refresh)
    fingerprint = settings.fingerprint()
    results: dict[str, Rendered | StrideError] = {}
    keys: dict[str, str] = {}
    todo: list[ParsedSource] = []
    cached: list[tuple[ParsedSource, str, Rendered | bytes]] = []
    kept: dict[str, Rendered] = {}
    for item in parsed:
        known_key = session.render_keys.get(item.source.rel)
        inputs = item.source.digest + item.defaults  # the file, and the defaults it inherits
        if known_key is not None and known_key[:2] == (inputs, fingerprint):
            key = known_key[2]
        else:
            key = content_key(item.source.digest, item.source.rel, item.source.kind, fingerprint,
                              item.defaults)
            session.render_keys[item.source.rel] = (inputs, fingerprint, key)
        keys[item.source.rel] = key
        known = None if options.refresh else session.rendered.get(key) or pages_cache.get(key)
        if known is None:
            todo.append(item)
        else:
            cached.append((item, key, known))
    unpickling = sum(isinstance(known, bytes) for _, _, known in cached)
    # Renders kept in memory were checked against the last build's link table and static
    # files; while those are the same, their answers are too.
    basis = (settings.link_table, settings.static_paths)
    same_basis = session.lookup_basis is not None and session.lookup_basis[0] is basis[0] \
        and session.lookup_basis[1] == basis[1]
    with _Renderer(settings, options.jobs, session, workers,
                   pool=len(todo) > 1 or (bool(todo) and unpickling >= OVERLAP_MIN)) as renderer:
        renderer.submit(todo)
        for item, key, known in cached:
            render = _unpickled(known) if isinstance(known, bytes) else known
            if render is not None and all(_file_digest(p, root) == d
                                          for p, d in render.dependencies.items()) \
                    and ((same_basis and render is known) or lookups_hold(
                        render.lookups, settings.link_table, settings.static_paths)):
                results[item.source.rel] = kept[key] = _relocated(render, item.meta.inherited)
            else:
                todo.append(item)
                renderer.submit([item])
        session.page_records()  # loaded now, while the workers render
        for done, (item, outcome) in enumerate(renderer.results(), 1):
            result = pickle.loads(outcome) if isinstance(outcome, bytes) else outcome
            results[item.source.rel] = result
            if isinstance(result, Rendered):
                kept[keys[item.source.rel]] = result
                pages_cache.put(keys[item.source.rel], outcome)
            if progress:
                progress(item.source.rel, done, len(todo))
    pages_cache.flush()
    session.rendered = kept
    session.lookup_basis = basis
    return results, keys, {item.source.rel for item in todo}


def _unpickled(data: bytes) -> Rendered | None:
    try:
        return pickle.loads(data)
    except Exception:  # a corrupt or foreign entry is a miss, never a crash
        return None


# The renderer of a worker process: inherited from the build process when the worker was forked
# after it was built (and its options checked, so a bad plugin option is one error, not a broken
# pool), else built in the worker from the settings that come with the posts.
_worker_renderer: MarkdownRenderer | None = None


def _render_one(item: ParsedSource) -> bytes | StrideError:
    """A render, pickled where it was made: the page cache stores exactly these bytes, so the
    build process does not pickle every render a second time."""
    try:
        return pickle.dumps(_worker_renderer.render(item), protocol=5)
    except StrideError as error:
        return error


def _render_many(settings: RenderSettings, items: list[ParsedSource]
                 ) -> list[bytes | StrideError]:
    global _worker_renderer
    if _worker_renderer is None or _worker_renderer.settings != settings:
        from .markdown import MarkdownRenderer

        try:
            _worker_renderer = MarkdownRenderer(settings)
        except StrideError as error:
            return [error for _ in items]
    return [_render_one(item) for item in items]


# A fenced code block with its language, for warming up: ```python, ~~~ c++ (not ```{python},
# which runs).
FENCED_CODE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})[ \t]*([\w+#.-]+)[^\n]*\n(.*?)^[ \t]{0,3}\1[ \t]*$",
                         re.M | re.S)
WARM_UP_FILES = 20
WARM_UP_CODE = 20_000  # characters of the posts' own code to highlight, at most


@contextmanager
def _warm_workers(root: Path, jobs: int, changed: tuple[str, ...] | None
                  ) -> Iterator[Executor | None]:
    """Worker processes forked at the start of a command-line build that will render posts,
    which import the Markdown stack and compile the highlighters the changed posts use while the
    build process loads its state; ``_render_all`` gives them the posts. None when no Markdown
    file changed (or there is one core)."""
    markdown = [path for path in changed if path.lower().endswith(MARKDOWN_SUFFIXES)
                and "/content/" in path] if changed is not None else None
    if changed is not None and any(os.path.basename(path) in (*DEFAULTS_NAMES, *PROJECT_NAMES)
                                   for path in changed):
        markdown = None  # a defaults file changed: any number of posts may render again
    cores = jobs or os.cpu_count() or 1
    if cores <= 1 or markdown == []:
        yield None
        return
    import concurrent.futures
    import multiprocessing

    # Forked before the build process has imported the Markdown stack or a plugin (it needs
    # neither to load its state, check the config and plan the pages): the workers import them
    # while it does that, instead of it importing them first, its build waiting.
    executor = concurrent.futures.ProcessPoolExecutor(
        cores if markdown is None else min(cores, len(markdown)),
        mp_context=multiprocessing.get_context("fork"),
        initializer=_warm_up, initargs=(root, warm_up_text(markdown)))
    executor.submit(int)  # workers start with the first task: now, not when posts arrive
    try:
        yield executor
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def _warm_up(root: Path, text: str) -> None:
    _tie_worker_to_build()
    warm_up_renderer(root, text)
    # What the worker imported and compiled lasts its life: the collector need not walk it
    # again and again while posts allocate (a fortieth of a post's time).
    gc.freeze()


def warm_up_renderer(root: Path, text: str) -> None:
    """Render ``text`` and throw it away, so this process has imported the converters and
    compiled the highlighters before the post that counts arrives."""
    from .frontmatter import parse_source
    from .markdown import MarkdownRenderer
    from .records import SourceFile
    from .render_settings import RenderSettings

    source = SourceFile(path=root / "content" / "warm-up.md", rel="warm-up.md",
                        content_rel="warm-up.md", kind="post", text=text, digest="", mtime=0.0)
    try:  # only a head start: nothing it could raise may stop the caller
        MarkdownRenderer(RenderSettings(site_root=root, execute=False)).render(
            parse_source(source))
    except Exception:
        pass


def warm_up_text(paths: list[str] | None) -> str:
    """A small document with math and the code blocks of these posts (their own code: the
    highlighters compile their patterns for the characters they meet)."""
    fences: list[str] = []
    size = 0
    for path in (paths or [])[:WARM_UP_FILES]:
        try:
            found = FENCED_CODE.findall(Path(path).read_text(errors="replace"))
        except OSError:
            continue
        for _, language, code in found:
            if size < WARM_UP_CODE:
                fences.append(f"````{language}\n{code[:WARM_UP_CODE - size]}\n````\n\n")
                size += len(code)
    if paths is None:
        fences.append("```python\nx = 1\n```\n\n")
    return f"# Warm-up\n\n$x^2$ and $$\\sum_i x_i$$\n\n{''.join(fences)}"


class _Renderer:
    """Renders posts in the build process, or in worker processes (one per core, or the warm
    ones the build started) that start working as soon as posts are submitted; ``results``
    gives them back in submission order."""

    def __init__(self, settings: RenderSettings, jobs: int, session: BuildSession,
                 workers: Executor | None, *, pool: bool):
        self.settings, self.session = settings, session
        self.workers = (jobs or os.cpu_count() or 1) if pool else 1
        self.executor, self.own_executor = workers, False
        self.started = False
        self.submitted: list[tuple[list[ParsedSource], object]] = []

    def __enter__(self) -> _Renderer:
        return self

    def __exit__(self, *exc_info) -> None:
        if self.own_executor:
            self.executor.shutdown(wait=True, cancel_futures=True)

    def _start(self) -> None:
        global _worker_renderer
        self.started = True
        if self.executor is not None:  # warm workers build their renderer from the settings
            return
        from .markdown import MarkdownRenderer

        fingerprint = repr(self.settings)
        if self.session.renderer is None or self.session.renderer[0] != fingerprint:
            self.session.renderer = (fingerprint, MarkdownRenderer(self.settings))
        _worker_renderer = self.session.renderer[1]
        if self.workers > 1:
            import concurrent.futures
            import multiprocessing

            self.executor = concurrent.futures.ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("fork"),
                initializer=_tie_worker_to_build)
            self.own_executor = True

    def submit(self, items: list[ParsedSource]) -> None:
        if not items:
            return
        if not self.started:
            self._start()
        if self.executor is None:
            self.submitted.append((items, None))
            return
        # Chunks shrink as the posts run out (guided scheduling): few round trips early, and at
        # the end no core idles while the other finishes a long chunk.
        start = 0
        while start < len(items):
            size = max(MIN_CHUNK, (len(items) - start) // (self.workers * 2))
            chunk = items[start:start + size]
            self.submitted.append((chunk, self.executor.submit(_render_many, self.settings,
                                                               chunk)))
            start += size

    def results(self):
        from concurrent.futures.process import BrokenProcessPool

        for items, future in self.submitted:
            try:
                outcomes = future.result() if future is not None else \
                    [_render_one(item) for item in items]
            except BrokenProcessPool:
                raise WorkerDied() from None
            yield from zip(items, outcomes)


def _tie_worker_to_build() -> None:
    """A render worker dies with the build that forked it, so a kill -9 of the build never
    leaves workers holding the build lock (inherited by fork); on Ctrl-C it ends at once and
    quietly (its code-running session dies with it), and the build reports the interruption once."""
    signal.signal(signal.SIGINT, lambda _signal, _frame: os._exit(130))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:  # the build died before prctl took effect
        os._exit(1)


def _count_figures(cache_root: Path, rendered: Mapping[str, object], fresh: set[str],
                   wall_started: float) -> tuple[int, int]:
    """Figures (and code runs) computed by this build vs. read from the cache: an entry a fresh
    render used counts as run when its file was written during this build."""
    run = cached = 0
    for rel, result in rendered.items():
        for folder, entries in getattr(result, "cache_keys", {}).items():
            if folder.split("/", 1)[0] not in FIGURE_NAMESPACES:
                continue
            for key in entries:
                path = cache_root / folder / key[:2] / key
                if rel in fresh and _written_since(path, wall_started):
                    run += 1
                else:
                    cached += 1
    return run, cached


def _written_since(path: Path, since: float) -> bool:
    try:
        return path.stat().st_mtime >= since
    except OSError:
        return True  # used but not stored (an error result is never cached): it ran


def _prune_caches(cache_root: Path, session: BuildSession) -> None:
    """Drop page-cache and plugin-cache entries no current post used; every post reports its
    keys, whether it was rendered now or came from a cache."""
    from .cache import ShardedCache, prune_unused

    (session.page_cache or ShardedCache(cache_root, "pages", session.code)).prune(
        set(session.rendered))
    keep: dict[str, set[str]] = {}
    for result in session.rendered.values():
        for folder, keys in result.cache_keys.items():
            keep.setdefault(folder, set()).update(keys)
    prune_unused(cache_root, keep, skip=OWN_CACHE_FOLDERS)

