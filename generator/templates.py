"""Render the site's pages with Jinja2 (autoescaped everywhere).

``plan_pages`` says which pages the site has, with which template and arguments; rendering is
separate, so a build can skip the pages whose inputs did not change. The environment records,
while a page renders, which templates it loaded and which attributes of the site's records it
read: that is what ``generator.incremental`` compares on the next build.

A site's own ``theme/templates`` overrides the built-in theme file by file.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import math
import zlib
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from jinja2.runtime import BlockReference, Context, Macro

from .config import SiteConfig
from .errors import SourceLocation, StrideError
from .records import Site
from .site import tag_slug

BUILTIN_THEME = Path(__file__).resolve().parent.parent / "theme"
BUILTIN_SEARCH_SCRIPT = BUILTIN_THEME / "static" / "js" / "search.js"
PYGMENTS_CSS = "static/css/pygments.css"
DATE_MEMO_SIZE = 100_000  # formatted dates kept by each date filter: a few per post
# Posts and pages per part of the search index: 50 posts of 1,300 words make a part of 0.4 MB
SEARCH_SHARD_ENTRIES = 50


@dataclass(frozen=True)
class PageJob:
    """One page of the site to render: the template and what it is given besides site and config."""

    path: str  # relative to the output folder, posix
    template: str
    url: str
    arguments: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RenderedPage:
    data: bytes
    templates: frozenset[str]  # every template the page loaded (extends, imports, includes)
    reads: Mapping[str, frozenset[str]]  # root -> attribute paths the templates read below it


def output_path(url: str) -> str:
    path = url.lstrip("/")
    if not path or path.endswith("/"):
        return path + "index.html"
    return path


def theme_roots(site_root: Path) -> tuple[Path, ...]:
    own = site_root / "theme"
    return (own, BUILTIN_THEME) if own.is_dir() and own.resolve() != BUILTIN_THEME else (BUILTIN_THEME,)


class _DirectCallContext(Context):
    """Jinja's template context, calling straight away what takes no context: the environment's
    ``direct_calls`` and Jinja's own macros and blocks (``self.title()``), which Jinja never marks.

    Jinja's ``call`` first probes the callable for ``pass_context`` and the like, which costs more
    than ``url()`` itself, and a page makes dozens of such calls."""

    def call(__self, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 (Jinja's names)
        direct = __self.environment.direct_calls.get(id(__obj)) is __obj
        if not direct and type(__obj) not in _UNMARKED:
            return super().call(__obj, *args, **kwargs)
        kwargs.pop("_loop_vars", None)  # what Jinja hands to the callables that take the
        kwargs.pop("_block_vars", None)  # context; these do not
        try:
            return __obj(*args, **kwargs)
        except StopIteration:  # as Jinja's call answers it
            return __self.environment.undefined(
                "value was undefined because a callable raised a StopIteration exception")


_UNMARKED = frozenset({Macro, BlockReference})


class TrackingEnvironment(jinja2.Environment):
    """A Jinja environment that notes what each page reads from the records placed in it.

    Templates reach attributes only through ``getattr``/``getitem`` of the environment (also the
    ``attribute=`` of filters such as ``map`` and ``sort``), so overriding those two sees every
    read. Records reached from one another (``post.meta``) are not reads themselves: what the
    template then reads inside them is.
    """

    context_class = _DirectCallContext
    # Functions of the templates that take no context, by id (see _DirectCallContext)
    direct_calls: Mapping[int, Callable[..., Any]] = {}
    places: Mapping[int, tuple[str, str]] = {}
    _reads: defaultdict[str, set[str]] | None = None
    _loaded: set[str] | None = None

    def getattr(self, obj: Any, attribute: str) -> Any:
        # Every attribute a template reads comes through here, so the common case (a plain
        # attribute of an object that is not a record) costs one call and one dict lookup.
        try:
            value = getattr(obj, attribute)
        except AttributeError:  # an item of that name, or undefined: as Jinja does it
            value = super().getattr(obj, attribute)
        place = self.places.get(id(obj))
        if place is not None and self._reads is not None and id(value) not in self.places:
            self._reads[place[0]].add(place[1] + attribute)
        return value

    def getitem(self, obj: Any, argument: Any) -> Any:
        value = super().getitem(obj, argument)
        place = self.places.get(id(obj))
        if place is not None and self._reads is not None and isinstance(argument, str) \
                and id(value) not in self.places:
            self._reads[place[0]].add(place[1] + argument)
        return value

    def get_template(self, name, parent=None, globals=None):  # noqa: A002 (Jinja's signature)
        if self._loaded is not None and isinstance(name, str):
            self._loaded.add(name)
        return super().get_template(name, parent, globals)

    def render_page(self, job: PageJob, site: Site) -> RenderedPage:
        self._reads, self._loaded = defaultdict(set), set()
        try:
            text = self.get_template(job.template).render(site=site, page_url=job.url,
                                                          **job.arguments)
            return RenderedPage(text.encode("utf-8"), frozenset(self._loaded),
                                {root: frozenset(paths) for root, paths in self._reads.items()})
        except jinja2.TemplateError as error:
            raise _template_error(error, job.template) from None
        finally:
            self._reads = self._loaded = None

    def template_digest(self, name: str) -> str | None:
        """The digest of the source the loader finds for ``name`` now; None when it is gone."""
        try:
            source, _, _ = self.loader.get_source(self, name)
        except jinja2.TemplateNotFound:
            return None
        return hashlib.sha256(source.encode("utf-8")).hexdigest()


def make_environment(site_root: Path, config: SiteConfig, bytecode_folder: Path | None = None,
                     *, stylesheets: tuple[str, ...] = ()) -> TrackingEnvironment:
    """The Jinja environment; ``stylesheets`` are the plugins' URL paths every page links."""
    loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(root / "templates"))
                                  for root in theme_roots(site_root)])
    # Compiled templates are cached on disk: a one-post rebuild must not recompile the theme.
    bytecode = jinja2.FileSystemBytecodeCache(str(bytecode_folder)) if bytecode_folder else None
    if bytecode_folder:
        bytecode_folder.mkdir(parents=True, exist_ok=True)
    # cache_size=-1: the loaded templates (a theme's dozen) in a plain dict, without the LRU
    # bookkeeping Jinja would otherwise do each time a page loads one
    env = TrackingEnvironment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                              bytecode_cache=bytecode, cache_size=-1)
    functions = {"url": config.link, "absolute": config.absolute, "tag_slug": tag_slug,
                 "json_object": _json_object}
    env.globals.update(functions, config=config, stylesheets=list(stylesheets))
    env.direct_calls = {id(function): function for function in functions.values()}
    env.filters["date"] = _memo_by_identity(
        lambda value, fmt=None: value.strftime(fmt or config.date_format))
    env.filters["iso"] = _memo_by_identity(
        lambda value: value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
    # the text of each entry of a table of contents (Jinja's map(attribute="text") takes ten
    # times as long, and the search index asks it of every post)
    env.filters["texts"] = lambda entries: [entry.text for entry in entries]
    return env


def _memo_by_identity(format_date: Callable[..., str]) -> Callable[..., str]:
    """``format_date`` remembering its answers: a post's date is shown on its page, an index
    page, each of its tags' pages and the archive. Dates are told apart by identity, not
    equality, because equal datetimes (one instant in two time zones) may print differently;
    the memo holds each date it answered for, so no other object can take that id meanwhile.
    It starts again when full, so a long ``serve`` does not keep every date it ever saw."""
    answers: dict[tuple[int, tuple[Any, ...]], tuple[Any, str]] = {}

    def remembered(value: Any, *arguments: Any, **options: Any) -> str:
        if options:  # date(fmt=...): not what the theme writes, so not worth remembering
            return format_date(value, *arguments, **options)
        key = (id(value), arguments)
        known = answers.get(key)
        if known is not None:
            return known[1]
        if len(answers) >= DATE_MEMO_SIZE:
            answers.clear()
        text = format_date(value, *arguments)
        answers[key] = (value, text)
        return text

    return remembered


def _json_object(**fields: Any) -> str:
    """``json_object(key=value, ...)``: the fields (plain values: text, numbers, lists or tuples
    of them, None), in the order given, as one compact JSON object; an entry of the search
    index, one call per post rather than a filter per field. Not Jinja's ``tojson``, which
    escapes `<`, `>`, `&` and `'` for embedding in HTML. Characters outside ASCII are written
    as \\u escapes: json's C encoder writes those 2.7 times faster than UTF-8."""
    return json.dumps(fields, separators=(",", ":"))


def plan_pages(site: Site, config: SiteConfig, build_time: dt.datetime) -> tuple[PageJob, ...]:
    """Every templated page of the site, in a fixed order."""
    jobs: list[PageJob] = []

    def page(template: str, url: str, **arguments: Any) -> None:
        jobs.append(PageJob(output_path(url), template, url, arguments))

    posts = site.posts
    for index, post in enumerate(posts):
        newer = posts[index - 1] if index > 0 else None
        older = posts[index + 1] if index + 1 < len(posts) else None
        page("post.html", post.url, post=post, newer=newer, older=older)
    for item in site.pages:
        page("page.html", item.url, post=item)
    count = max(1, math.ceil(len(posts) / config.posts_per_page))
    for number in range(1, count + 1):
        chunk = posts[(number - 1) * config.posts_per_page: number * config.posts_per_page]
        page("index.html", _index_url(number), posts=chunk, pagination=_pagination(number, count))
    for tag in site.tags:
        page("tag.html", tag.url, tag=tag)
    page("tags.html", "/tags/")
    page("archive.html", "/archive/")
    page("404.html", "/404.html")
    if config.search:
        shards = _search_shards(posts, site.pages)
        page("search.html", "/search/", index=tuple(url for url, _, _ in shards))
        for url, shard_posts, shard_pages in shards:
            page("search.json", url, posts=shard_posts, pages=shard_pages)
    updated = max((p.meta.updated or p.meta.date for p in posts), default=build_time)
    page("feed.xml", "/feed.xml", posts=posts[:20], updated=updated)
    page("sitemap.xml", "/sitemap.xml", build_time=build_time)
    page("robots.txt", "/robots.txt")
    return tuple(jobs)


@functools.lru_cache(maxsize=1)
def pygments_css() -> bytes:
    """The code highlighting stylesheet; it depends on Pygments alone, so one per process."""
    from .highlight import stylesheet

    return stylesheet().encode("utf-8")


def _search_shards(posts: Sequence[Any], pages: Sequence[Any]
                   ) -> list[tuple[str, tuple[Any, ...], tuple[Any, ...]]]:
    """The search index in parts of about ``SEARCH_SHARD_ENTRIES`` posts and pages each, as
    (url, posts, pages): an edit rewrites the one part that holds the post, not the text of
    every post. A post's part comes from its source path, so adding a post leaves the others
    where they were (until the count of parts grows)."""
    count = max(1, math.ceil((len(posts) + len(pages)) / SEARCH_SHARD_ENTRIES))
    parts: list[tuple[list[Any], list[Any]]] = [([], []) for _ in range(count)]
    for kind, items in ((0, posts), (1, pages)):
        for item in items:
            parts[zlib.crc32(item.source.rel.encode()) % count][kind].append(item)
    return [(f"/search/{number}.json", tuple(part_posts), tuple(part_pages))
            for number, (part_posts, part_pages) in enumerate(parts)]


def _index_url(number: int) -> str:
    return "/" if number == 1 else f"/page/{number}/"


def _pagination(number: int, pages: int) -> Mapping[str, Any]:
    return {"number": number, "pages": pages,
            "newer": _index_url(number - 1) if number > 1 else None,
            "older": _index_url(number + 1) if number < pages else None}


def _template_error(error: jinja2.TemplateError, template: str) -> StrideError:
    name = getattr(error, "filename", None) or template
    line = getattr(error, "lineno", 0) or 0
    return StrideError(f"template error: {error.message or error}",
                       location=SourceLocation(str(name), line),
                       hint="fix the template (or delete it to fall back to the built-in theme)")
