"""Site-relative URLs in links, images and raw HTML: resolved against the base path, checked.

Jekyll and Hugo posts write `/assets/images/x.png` meaning "from the site's root", which breaks
when the site is served under a path (`https://host/blog/`). This core rule prefixes the base
path and warns, with the post's line, about files the site does not have (``ctx.static_paths``).
Paths relative to the post (`./figure.png`, Gatsby's images beside the post) are checked too
when the post's own URL is known.
"""
from __future__ import annotations

import posixpath
import re

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from generator.context import RenderContext, render_context

from . import sitepaths

_HTML_URL = re.compile(
    r"""(?P<name>\b(?:src|href|poster)\s*=\s*)(?P<quote>["'])(?P<url>[^"']*)(?P=quote)""", re.I)
_EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//|#|\?)", re.I)


def _resolve(ctx: RenderContext, url: str, line: int | None, page_url: str | None) -> str:
    if sitepaths.is_site_path(url):
        return sitepaths.resolve_site_path(ctx, url, line)
    if url and page_url and not _EXTERNAL.match(url):
        path = url.split("#", 1)[0].split("?", 1)[0]
        if path:
            base = page_url if page_url.endswith("/") else posixpath.dirname(page_url) + "/"
            sitepaths.check_asset(ctx, posixpath.normpath(posixpath.join(base, path)), line)
    return url


def _rewrite_html(ctx: RenderContext, fragment: str, line: int | None, page_url: str | None) -> str:
    def replace(match: re.Match[str]) -> str:
        url = _resolve(ctx, match.group("url"), line, page_url)
        return f"{match.group('name')}{match.group('quote')}{url}{match.group('quote')}"
    return _HTML_URL.sub(replace, fragment)


def _rewrite(ctx: RenderContext, token: Token, line: int | None, page_url: str | None) -> None:
    if token.type == "image":
        token.attrSet("src", _resolve(ctx, str(token.attrGet("src") or ""), line, page_url))
    elif token.type == "link_open":
        token.attrSet("href", _resolve(ctx, str(token.attrGet("href") or ""), line, page_url))
    elif token.type in ("html_block", "html_inline"):
        token.content = _rewrite_html(ctx, token.content, line, page_url)


def _site_urls(state: StateCore) -> None:
    ctx = render_context(state.env)
    own = ctx.page_vars.get("url")
    page_url = own if isinstance(own, str) else sitepaths.lookup_post(
        ctx, re.sub(r"^content/", "", ctx.source_path))
    if page_url is not None:
        # the post's own URL already carries the base path; assets are listed without it
        page_url = sitepaths.resolve_site_path(ctx, page_url, None, check=False)
        prefix = sitepaths.base_prefix(ctx)
        page_url = page_url[len(prefix):] if prefix and page_url.startswith(prefix) else page_url
    for token in state.tokens:
        line = token.map[0] if token.map else None
        _rewrite(ctx, token, line, page_url)
        for child in token.children or []:
            _rewrite(ctx, child, line, page_url)


def site_urls_plugin(md: MarkdownIt) -> None:
    """Resolve ``/...`` URLs of links, images and raw HTML against the site's base path and
    warn about missing files."""
    md.core.ruler.after("inline", "compat_site_urls", _site_urls)
