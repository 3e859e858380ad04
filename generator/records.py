"""The immutable records that flow through the pipeline, one step to the next.

Mapping fields hold plain dicts (they cross process boundaries by pickle) and are never mutated
after construction.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import Diagnostic, SourceLocation

@dataclass(frozen=True)
class SourceFile:
    """A Markdown file found under ``content/``.

    ``rel`` is the path shown to authors (``content/posts/x.md``); ``content_rel`` is relative to
    ``content/`` (the key Jekyll's ``post_url`` and Hugo's ``ref`` resolve against).
    ``bundle`` is the folder of a folder-post (``my-post/index.md``) whose other files are copied
    next to the page.
    """

    path: Path
    rel: str
    content_rel: str
    kind: str  # "post" | "page"
    text: str
    digest: str
    mtime: float
    bundle: Path | None = None
    # (size, mtime_ns, ctime_ns, inode) when the file was read; () when it had been modified too
    # recently for its timestamps to be trusted. Equal stats let the next build skip the read.
    stat: tuple[int, ...] = ()


@dataclass(frozen=True)
class PostMeta:
    """What the frontmatter (or its absence) says about a post."""

    title: str
    date: dt.datetime
    date_inferred: bool
    updated: dt.datetime | None
    tags: tuple[str, ...]
    categories: tuple[str, ...]
    summary: str | None
    slug: str
    draft: bool
    url_path: str | None  # from path:/permalink:, exact
    dialect: str  # yaml | toml | json | pelican | none
    extra: Mapping[str, Any] = field(default_factory=dict)
    # A permalink: of Jekyll placeholders (/:year/:title/), as a Stride pattern the post's
    # fields fill (generator.permalinks); None when its URL is exact or the site's pattern's.
    url_pattern: str | None = None
    slug_set: bool = False  # whether the frontmatter names the slug (Hugo's :slug reads it)
    # The keys the post did not set itself but inherited from a defaults file (``_metadata.yml``,
    # ``_quarto.yml``, ``_config.yml``), with the place that set them.
    inherited: Mapping[str, SourceLocation] = field(default_factory=dict)


@dataclass(frozen=True)
class Inherited:
    """The frontmatter defaults that apply to one source, merged from its project's files
    (``generator.project``); the post's own keys win over them."""

    values: Mapping[str, Any]
    origins: Mapping[str, SourceLocation]  # top-level key -> the line that set it
    # Of ``values`` and the files that set them (paths are relative to those), not of the lines:
    # a parse or render made with other defaults is not reused, one made before a comment line
    # moved the keys is (its warnings are moved to the keys' new lines).
    digest: str
    # Top-level keys set by a Quarto file: a post's list is added to theirs, as Quarto merges.
    concatenated: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ParsedSource:
    """A source split into its metadata and its Markdown body."""

    source: SourceFile
    meta: PostMeta
    body: str
    body_line_offset: int  # file lines before the body
    diagnostics: tuple[Diagnostic, ...] = ()
    defaults: str = ""  # digest of the ``Inherited`` defaults merged in ("" when none)


@dataclass(frozen=True)
class TocEntry:
    level: int
    anchor: str
    text: str


@dataclass(frozen=True)
class Rendered:
    """A post's body as HTML plus everything its render produced."""

    html: str
    summary_html: str
    toc: tuple[TocEntry, ...]
    word_count: int
    # The body as plain text, for the search index (``generator.search``; its first words only
    # when the site sets search_words); "" when the site has no search
    text: str = ""
    assets: Mapping[str, bytes] = field(default_factory=dict)
    diagnostics: tuple[Diagnostic, ...] = ()
    dependencies: Mapping[str, str] = field(default_factory=dict)  # path -> digest of files the render read
    cache_keys: Mapping[str, frozenset[str]] = field(default_factory=dict)  # namespace/version -> keys
    # What the render asked of the site's link table and static files, with the answers:
    # (kind, key) -> answer (see ``RenderContext.find_link``)
    lookups: Mapping[tuple[str, str], str | None] = field(default_factory=dict)
    # Where the post's inherited keys were when it was rendered (``PostMeta.inherited``): its
    # warnings about them name those lines.
    inherited: Mapping[str, SourceLocation] = field(default_factory=dict)


@dataclass(frozen=True)
class Post:
    """A post or page ready for the templates."""

    source: SourceFile
    meta: PostMeta
    url: str  # URL path below the site root, "/2024/01/slug/"
    rendered: Rendered

    @property
    def reading_minutes(self) -> int:
        return max(1, round(self.rendered.word_count / 230))


@dataclass(frozen=True)
class TagPage:
    name: str
    slug: str
    url: str
    posts: tuple[Post, ...]


@dataclass(frozen=True)
class Site:
    """The whole site: what every template may see besides the config."""

    posts: tuple[Post, ...]  # newest first, drafts only with --drafts
    pages: tuple[Post, ...]
    tags: tuple[TagPage, ...]
    archive: tuple[tuple[int, tuple[Post, ...]], ...]  # (year, posts) newest year first
    static_files: Mapping[str, Path] = field(default_factory=dict)  # URL path -> file on disk
