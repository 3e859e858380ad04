"""Site-relative URLs in links, images and raw HTML: resolved against the base path, checked.

Jekyll and Hugo posts write `/assets/images/x.png` meaning "from the site's root", which breaks
when the site is served under a path (`https://host/blog/`). This core rule prefixes the base
path and warns, with the post's line, about files the site does not have (``ctx.static_paths``).
Paths relative to the post (`./figure.png`, Gatsby's images beside the post) are checked too
when the post's own URL is known. A relative link to another post's source file
(`GP2.qmd#sec-kernel`, `../2020/intro.md`), which Quarto rewrites to that page, goes to the
post's URL; a `.qmd`/`.ipynb` one naming no post warns as a broken link.
"""
from __future__ import annotations

import posixpath
import re
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from generator.context import RenderContext, render_context

from . import sitepaths

_HTML_URL = re.compile(
    r"""(?P<name>\b(?:src|href|poster)\s*=\s*)(?P<quote>["'])(?P<url>[^"']*)(?P=quote)""", re.I)
_EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//|#|\?)", re.I)
_SOURCE_LINK = re.compile(r"(?P<path>[^#?]+\.(?P<suffix>qmd|ipynb|rmd|md|markdown))(?P<rest>[#?].*)?\Z",
                          re.I)


def _source_link(ctx: RenderContext, url: str, line: int | None) -> str | None:
    """The URL of the post a relative link to its source file names (Quarto rewrites links to
    ``.qmd`` files to their pages); None when it is no such link."""
    found = _SOURCE_LINK.match(url)
    if found is None or _EXTERNAL.match(url) or url.startswith("/"):
        return None
    folder = posixpath.dirname(re.sub(r"^content/", "", ctx.source_path))
    target = posixpath.normpath(posixpath.join(folder, unquote(found.group("path"))))
    post = sitepaths.lookup_post(ctx, target)
    if post is not None:
        return post + (found.group("rest") or "")
    if found.group("suffix").lower() in ("md", "markdown"):
        return None  # perhaps a file of the site: the asset check below says
    ctx.warn(line, f"`{url}`: no post `{target}` in this site; the link is left as written",
             kind=sitepaths.LINK_KIND, hint="copy that post too, or link its published URL")
    return url


def _resolve(ctx: RenderContext, url: str, line: int | None, page_url: str | None) -> str:
    if sitepaths.is_site_path(url):
        return sitepaths.resolve_site_path(ctx, url, line)
    if (post := _source_link(ctx, url, line)) is not None:
        return post
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


_WITH_URLS = frozenset({"image", "link_open", "html_block", "html_inline"})


def _rewrite(ctx: RenderContext, token: Token, line: int | None, page_url: str | None) -> None:
    if token.type == "image":
        token.attrSet("src", _resolve(ctx, str(token.attrGet("src") or ""), line, page_url))
    elif token.type == "link_open":
        token.attrSet("href", _resolve(ctx, str(token.attrGet("href") or ""), line, page_url))
    elif token.type in ("html_block", "html_inline"):
        token.content = _rewrite_html(ctx, token.content, line, page_url)


def _site_urls(state: StateCore) -> None:
    found = [(token.map[0] if token.map else None, item) for token in state.tokens
             for item in (token, *(token.children or ())) if item.type in _WITH_URLS]
    if not found:
        return
    ctx = render_context(state.env)
    own = ctx.page_vars.get("url")
    page_url = own if isinstance(own, str) else sitepaths.lookup_post(
        ctx, re.sub(r"^content/", "", ctx.source_path))
    if page_url is not None:
        # the post's own URL already carries the base path; assets are listed without it
        page_url = sitepaths.resolve_site_path(ctx, page_url, None, check=False)
        prefix = sitepaths.base_prefix(ctx)
        page_url = page_url[len(prefix):] if prefix and page_url.startswith(prefix) else page_url
    for line, token in found:
        _rewrite(ctx, token, line, page_url)


def site_urls_plugin(md: MarkdownIt) -> None:
    """Resolve ``/...`` URLs of links, images and raw HTML against the site's base path and
    warn about missing files."""
    md.core.ruler.after("inline", "compat_site_urls", _site_urls)
