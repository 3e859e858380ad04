"""The per-post render context: the typed slice of markdown-it's ``env`` that plugins share.

A plugin never keeps state in globals. It reads its options, reports warnings and emits
assets (figures written beside the post's page) through the ``RenderContext`` found with
``render_context(env)``. The pipeline creates one per post render and turns what it collected
into the immutable ``Rendered`` record.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from .cache import Cache
from .errors import Diagnostic, SourceLocation

ENV_KEY = "stride"
Store = TypeVar("Store")


@dataclass
class RenderContext:
    """Everything one post's render may read or report.

    ``source_path`` is the post as shown to the author (relative to the site root);
    ``source_dir`` is the post's folder on disk (data files, images beside it);
    ``line_offset`` is the number of file lines before the Markdown body (the frontmatter), so
    a token's ``map[0]`` is file line ``line_offset + map[0] + 1``; ``line_maps`` undo, latest
    first, the passes that moved body lines down (a Liquid block opened mid-line).
    """

    source_path: str
    source_dir: Path
    line_offset: int = 0
    line_maps: list[Callable[[int], int]] = field(default_factory=list)
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    cache_root: Path | None = None
    refresh: bool = False
    strict: bool = False
    execute: bool = True
    diagnostics: list[Diagnostic] = field(default_factory=list)
    assets: dict[str, bytes] = field(default_factory=dict)
    dependencies: dict[str, str] = field(default_factory=dict)  # path -> content digest
    caches: dict[str, Cache] = field(default_factory=dict)
    # What Liquid/Hugo-style references may resolve against (filled by the site phase):
    site_vars: dict[str, Any] = field(default_factory=dict)   # title, base_url, author...
    page_vars: dict[str, Any] = field(default_factory=dict)   # this post's frontmatter
    # Its keys that a defaults file (_metadata.yml, _quarto.yml, _config.yml) set, and where: a
    # path in such a value is relative to that file's folder, and a message about it points there
    inherited: dict[str, SourceLocation] = field(default_factory=dict)
    base_path: str = "/"                                      # URL path the site is served under
    # Read these two through find_link and has_static: the page cache keeps a render only while
    # the answers it got stand, and it knows them only from those two methods.
    link_table: dict[str, str] = field(default_factory=dict)  # source rel path / stem -> URL path
    static_paths: frozenset[str] = frozenset()                # URL paths of static files and assets
    site_root: Path | None = None                             # the folder holding content/ and config
    lookups: dict[tuple[str, str], str | None] = field(default_factory=dict)  # see find_link

    def location(self, body_line: int | None = None, column: int = 0) -> SourceLocation:
        """The file location of a 0-based body line (as in ``token.map[0]``)."""
        if body_line is None:
            return SourceLocation(self.source_path)
        for original_line in reversed(self.line_maps):
            body_line = original_line(body_line)
        return SourceLocation(self.source_path, self.line_offset + body_line + 1, column)

    def warn(self, body_line: int | None, message: str, *, hint: str = "", kind: str = "warning",
             column: int = 0) -> None:
        self.diagnostics.append(Diagnostic(self.location(body_line, column), message, hint, kind))

    def post_digest(self) -> str:
        """A short digest of the post's path: ids that must not repeat on a page listing several
        posts (a tabset's, a drawing's in a summary) end with it."""
        return hashlib.blake2s(self.source_path.encode(), digest_size=4).hexdigest()

    def plugin_options(self, name: str) -> dict[str, Any]:
        return self.options.get(name, {})

    def cache(self, namespace: str, version: str) -> Cache:
        """The cache namespace for a plugin; ``version`` must change whenever its output would."""
        existing = self.caches.get(namespace)
        if existing is None or existing.version != version:
            existing = Cache(self.cache_root, namespace, version, read=not self.refresh)
            self.caches[namespace] = existing
        return existing

    def add_asset(self, name: str, data: bytes) -> str:
        """Write ``data`` beside the post's page as ``name``; returns the relative URL."""
        self.assets[name] = data
        return f"./{name}"

    def find_link(self, key: str) -> str | None:
        """The URL path the link table gives ``key`` (a source path or a stem). Every question
        and its answer is recorded, so that a cached render is redone when, and only when, an
        answer it got has changed: adding a post re-renders the posts that referred to it."""
        answer = self.lookups[("link", key)] = lookup_answer("link", key, self.link_table,
                                                             self.static_paths)
        return answer

    def has_static(self, url_path: str) -> bool:
        """Whether the site has a static file or post asset at ``url_path`` (recorded too)."""
        answer = self.lookups[("static", url_path)] = lookup_answer(
            "static", url_path, self.link_table, self.static_paths)
        return answer is not None

    def add_dependency(self, path: str, digest: str) -> None:
        """Record a file the render read, so an incremental build re-renders when it changes."""
        self.dependencies[path] = digest


def env_store(env: MutableMapping[str, Any], key: str, new: Callable[[], Store]) -> Store:
    """A plugin's record of one render under ``key`` in markdown-it's ``env``, made on first use
    (a fresh ``env`` per render, so nothing outlives the post)."""
    store = env.get(key)
    if store is None:
        store = env[key] = new()
    return store


def render_context(env: MutableMapping[str, Any]) -> RenderContext:
    """The post's context; a bare ``RenderContext`` when a plugin is used outside a build."""
    context = env.get(ENV_KEY)
    if context is None:
        context = env[ENV_KEY] = RenderContext(source_path="<string>", source_dir=Path("."))
    return context


def lookup_answer(kind: str, key: str, link_table: Mapping[str, str],
                  static_paths: frozenset[str]) -> str | None:
    """What ``RenderContext.find_link`` ("link") or ``has_static`` ("static") answers."""
    if kind == "link":
        return link_table.get(key)
    return "present" if key in static_paths else None


def lookups_hold(lookups: Mapping[tuple[str, str], str | None], link_table: Mapping[str, str],
                 static_paths: frozenset[str]) -> bool:
    """Whether every question a render asked gets the same answer today."""
    return all(lookup_answer(kind, key, link_table, static_paths) == answer
               for (kind, key), answer in lookups.items())
