"""Render the site's pages with Jinja2 (autoescaped everywhere) into {output path: bytes}.

A site's own ``theme/templates`` overrides the built-in theme file by file.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from .config import SiteConfig
from .errors import StrideError, SourceLocation
from .highlight import stylesheet
from .records import Site
from .site import tag_slug

BUILTIN_THEME = Path(__file__).resolve().parent.parent / "theme"


@dataclass(frozen=True)
class PageOutput:
    """One file of the built site and the template that made it."""

    path: str  # relative to the output folder, posix
    data: bytes


def output_path(url: str) -> str:
    path = url.lstrip("/")
    if not path or path.endswith("/"):
        return path + "index.html"
    return path


def theme_roots(site_root: Path) -> tuple[Path, ...]:
    own = site_root / "theme"
    return (own, BUILTIN_THEME) if own.is_dir() and own.resolve() != BUILTIN_THEME else (BUILTIN_THEME,)


def make_environment(site_root: Path, config: SiteConfig) -> jinja2.Environment:
    loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(root / "templates"))
                                  for root in theme_roots(site_root)])
    env = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.globals.update(url=config.link, absolute=config.absolute, config=config, tag_slug=tag_slug)
    env.filters["date"] = lambda value, fmt=None: value.strftime(fmt or config.date_format)
    env.filters["iso"] = lambda value: value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return env


def render_site(site: Site, config: SiteConfig, env: jinja2.Environment,
                build_time: dt.datetime) -> list[PageOutput]:
    outputs: list[PageOutput] = []

    def emit(template: str, url: str, **context: Any) -> None:
        try:
            text = env.get_template(template).render(site=site, page_url=url, **context)
        except jinja2.TemplateError as error:
            raise _template_error(error, template) from None
        outputs.append(PageOutput(output_path(url), text.encode("utf-8")))

    posts = site.posts
    for index, post in enumerate(posts):
        newer = posts[index - 1] if index > 0 else None
        older = posts[index + 1] if index + 1 < len(posts) else None
        emit("post.html", post.url, post=post, newer=newer, older=older)
    for page in site.pages:
        emit("page.html", page.url, post=page)
    pages = max(1, math.ceil(len(posts) / config.posts_per_page))
    for number in range(1, pages + 1):
        chunk = posts[(number - 1) * config.posts_per_page: number * config.posts_per_page]
        emit("index.html", _index_url(number), posts=chunk, pagination=_pagination(number, pages))
    for tag in site.tags:
        emit("tag.html", tag.url, tag=tag)
    emit("tags.html", "/tags/")
    emit("archive.html", "/archive/")
    emit("404.html", "/404.html")
    updated = max((p.meta.updated or p.meta.date for p in posts), default=build_time)
    emit("feed.xml", "/feed.xml", posts=posts[:20], updated=updated)
    emit("sitemap.xml", "/sitemap.xml", build_time=build_time)
    emit("robots.txt", "/robots.txt")
    outputs.append(PageOutput("static/css/pygments.css", stylesheet().encode("utf-8")))
    return outputs


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

