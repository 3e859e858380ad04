"""From parsed posts to the site: URLs (with collision checks), tags, archive, ordering."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from .config import SiteConfig
from .errors import ContentError, SourceLocation
from .frontmatter import file_stem, normalize_url_path, slugify
from .permalinks import date_fields, expand
from .records import ParsedSource, Post, Site, TagPage

RESERVED = {"/tags/", "/archive/", "/page/", "/static/", "/feed.xml", "/sitemap.xml",
            "/robots.txt", "/404.html"}


def url_for(parsed: ParsedSource, config: SiteConfig) -> str:
    meta = parsed.meta
    if meta.url_path:
        return meta.url_path
    if parsed.source.kind == "page":
        return f"/{meta.slug}/"
    url = expand(meta.url_pattern or config.permalink, url_fields(parsed))
    # The fields come from file names, titles and categories: the result must still be a
    # plain path inside the site.
    return normalize_url_path(url, SourceLocation(parsed.source.rel))


def url_fields(parsed: ParsedSource) -> dict[str, object]:
    """What a post gives each field of a permalink pattern (``permalinks.FIELDS``)."""
    meta, source = parsed.meta, parsed.source
    folders = source.content_rel.split("/")[:-1]
    if source.bundle is not None:
        folders = folders[:-1]
    name = source.bundle.name if source.bundle is not None else Path(source.content_rel).stem
    filename = _urlized(name)
    title = slugify(meta.title) or meta.slug
    categories = [part for part in (slugify(category) for category in meta.categories) if part]
    return {**date_fields(meta.date), "slug": meta.slug,
            "name": _jekyll_pretty(meta.slug if meta.slug_set else file_stem(source)),
            "title": title, "slug_or_title": _urlized(meta.slug) if meta.slug_set else title,
            "filename": filename,
            "slug_or_filename": _urlized(meta.slug) if meta.slug_set else filename,
            "category": categories[0] if categories else "posts",
            "categories": "/".join(dict.fromkeys(categories)),
            "section": folders[0].lower() if folders else "",
            "sections": "/".join(folders).lower(),
            "path": source.content_rel.rpartition(".")[0] or source.content_rel}


def _jekyll_pretty(text: str) -> str:
    """Jekyll's ``pretty`` slug, as its ``:title`` has it: case kept, and runs of characters
    other than letters, digits and ``._~!$&'()+,;=@`` one hyphen."""
    return re.sub(r"(?:[^\w.~!$&'()+,;=@]|_)+", "-", text).strip("-")


def _urlized(text: str) -> str:
    """A name as Hugo writes it in a URL: lower case, spaces as hyphens, no punctuation that
    would end the path."""
    return re.sub(r"[^\w.~+-]", "", re.sub(r"\s+", "-", text.strip().lower()))


def plan_urls(parsed: Iterable[ParsedSource], config: SiteConfig) -> dict[str, str]:
    """Source rel path -> URL path; two sources on one URL is an error naming both."""
    owners: dict[str, ParsedSource] = {}
    urls: dict[str, str] = {}
    for item in parsed:
        url = url_for(item, config)
        if url == "/" or any(url == r or url.startswith(r) for r in RESERVED if r.endswith("/")) \
                or url in RESERVED:
            raise ContentError(f"the URL {url} is reserved for Stride's own pages",
                               location=SourceLocation(item.source.rel),
                               hint="choose another path/slug")
        key = url.lower()
        if key in owners:
            other = owners[key].source.rel
            raise ContentError(f"{item.source.rel} and {other} both want the URL {url}",
                               location=SourceLocation(item.source.rel),
                               hint=f"give one of them another slug: or path: (the other is {other})")
        owners[key] = item
        urls[item.source.rel] = url
    return urls


def link_table(parsed: Iterable[ParsedSource], urls: Mapping[str, str]) -> dict[str, str]:
    """What Liquid's post_url / Hugo's ref resolve: content-relative path and bare stem -> URL."""
    table: dict[str, str] = {}
    for item in parsed:
        url = urls[item.source.rel]
        content_rel = item.source.content_rel
        table[content_rel] = url
        stem = Path(content_rel).parent.name if Path(content_rel).stem == "index" else \
            Path(content_rel).stem
        table.setdefault(stem, url)
        table.setdefault(Path(content_rel).name, url)
    return table


def tag_slug(name: str) -> str:
    return slugify(name) or re.sub(r"\W+", "-", name.lower()).strip("-") or "tag"


def assemble(posts: Iterable[Post], pages: Iterable[Post], static_files: Mapping[str, Path]) -> Site:
    ordered = tuple(sorted(posts, key=lambda p: (p.meta.date, p.url), reverse=True))
    by_tag: dict[str, list[Post]] = {}
    names: dict[str, str] = {}
    for post in ordered:
        for tag in post.meta.tags:
            slug = tag_slug(tag)
            names.setdefault(slug, tag)
            by_tag.setdefault(slug, []).append(post)
    tags = tuple(TagPage(names[slug], slug, f"/tags/{slug}/", tuple(items))
                 for slug, items in sorted(by_tag.items(), key=lambda kv: names[kv[0]].lower()))
    years: dict[int, list[Post]] = {}
    for post in ordered:
        years.setdefault(post.meta.date.year, []).append(post)
    archive = tuple((year, tuple(items)) for year, items in sorted(years.items(), reverse=True))
    return Site(posts=ordered, pages=tuple(sorted(pages, key=lambda p: p.url)), tags=tags,
                archive=archive, static_files=static_files)
