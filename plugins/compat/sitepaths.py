"""Site-relative URLs, post references and code fences, shared by the Liquid and Hugo dialects.

URL paths are resolved against ``ctx.base_path`` (the path the site is served under) and checked
against ``ctx.has_static``; references to other posts (`{% post_url %}`, `{% link %}`,
`{{< ref >}}`) go through ``ctx.find_link``, which records each question for the page cache.
"""
from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from urllib.parse import unquote, urlsplit

from generator.context import RenderContext

from .regions import LinePreservingEdits

ASSET_KIND = "asset"
LINK_KIND = "link"

# A path whose last segment has an extension is a file (an image, a PDF), not a page.
_FILE_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,5}$")


def base_prefix(ctx: RenderContext) -> str:
    """The base path without its trailing slash ("" for a site served at the root), as
    Jekyll's ``site.baseurl``."""
    return ctx.base_path.rstrip("/")


def site_origin(ctx: RenderContext) -> str:
    """Scheme and host of the site's public URL (Jekyll's ``site.url``), "" when unknown."""
    for key in ("url", "base_url"):
        value = ctx.site_vars.get(key)
        if isinstance(value, str) and value:
            parts = urlsplit(value)
            if parts.scheme and parts.netloc:
                return f"{parts.scheme}://{parts.netloc}"
    return ""


def is_site_path(url: str) -> bool:
    """A root-relative URL path (``/assets/x.png``), not ``//host/x`` nor ``/`` alone."""
    return url.startswith("/") and not url.startswith("//")


def resolve_site_path(ctx: RenderContext, url: str, body_line: int | None, *,
                      check: bool = True) -> str:
    """``/assets/x.png`` -> ``BASE/assets/x.png``; warns when it names a file the site lacks.

    Idempotent: a path already under the base path is only checked, so a URL written as
    ``{{ site.baseurl }}/assets/x.png`` is not prefixed twice.
    """
    if not is_site_path(url):
        return url
    parts = urlsplit(url)
    prefix = base_prefix(ctx)
    site_relative = parts.path
    if prefix and (site_relative == prefix or site_relative.startswith(prefix + "/")):
        site_relative = site_relative[len(prefix):] or "/"
    if check:
        check_asset(ctx, site_relative, body_line)
    resolved = prefix + site_relative
    if parts.query:
        resolved += "?" + parts.query
    if parts.fragment:
        resolved += "#" + parts.fragment
    return resolved


def check_asset(ctx: RenderContext, site_relative: str, body_line: int | None) -> None:
    """Warn when a site-relative path names a file (it has an extension) the site does not have."""
    if not _FILE_EXTENSION.search(site_relative) or site_relative.endswith(".html"):
        return
    # markdown-it percent-encodes link targets (`my plot.png` -> `my%20plot.png`); files are not
    if ctx.has_static(site_relative) or ctx.has_static(unquote(site_relative)):
        return
    ctx.warn(body_line, f"`{site_relative}` is not a file of this site",
             hint="copy it into the site's static folder (or beside the post) under that path, "
                  "or fix the path", kind=ASSET_KIND)


def absolute_url(ctx: RenderContext, url_path: str) -> str:
    """A site URL path (already resolved against the base path) made absolute, when the site's
    public URL is known."""
    return site_origin(ctx) + url_path if is_site_path(url_path) else url_path


def relative_url_filter(ctx: RenderContext, value: str) -> str:
    """Jekyll's ``relative_url``: a path is taken relative to the site root. The file is
    checked later, where the URL lands in a link, an image or raw HTML (``urls.py``)."""
    if re.match(r"^[a-z][a-z0-9+.-]*:|^//|^#", value, re.I):
        return value
    return resolve_site_path(ctx, "/" + value.lstrip("/"), None, check=False)


def _post_url(ctx: RenderContext, url_path: str) -> str:
    return resolve_site_path(ctx, url_path if url_path.startswith("/") else "/" + url_path, None,
                             check=False)


def lookup_post(ctx: RenderContext, reference: str) -> str | None:
    """The URL of another post named as Jekyll or Hugo name it, or None.

    Accepted: ``posts/2020-04-07-x.md`` (relative to content/), ``_posts/2020-04-07-x.md``
    (Jekyll's folder), ``/posts/x.md`` and ``x.md`` (Hugo), ``about.md`` (a page in
    content/pages/), the bare stem ``2020-04-07-x``, and a Jekyll ``post_url`` with a subfolder
    (``drafts/2020-04-07-x``).
    """
    reference = reference.strip().strip("\"'")
    if not reference:
        return None
    path = reference.lstrip("/")
    stem = posixpath.splitext(posixpath.basename(path))[0]
    candidates = [path, re.sub(r"^_?posts/", "posts/", path), re.sub(r"^content/", "", path),
                  f"posts/{path}", f"pages/{path}", stem]
    for candidate in candidates:
        if (url_path := ctx.find_link(candidate)) is not None:
            return _post_url(ctx, url_path)
    if path.endswith("index.md"):  # a page bundle (Hugo's index.md or _index.md) by its folder
        folder = posixpath.dirname(path)
        for candidate in (folder, posixpath.basename(folder)):
            if (url_path := ctx.find_link(candidate)) is not None:
                return _post_url(ctx, url_path)
    return None


def lookup_file(ctx: RenderContext, reference: str) -> str | None:
    """A static file named by its path from the site root (Jekyll's ``{% link assets/x.pdf %}``)."""
    site_relative = "/" + reference.strip().lstrip("/")
    if ctx.has_static(site_relative):
        return resolve_site_path(ctx, site_relative, None, check=False)
    return None


def embed_as_link(warn: Callable[[int, str, str], None], edits: LinePreservingEdits,
                  span: tuple[int, int], shown: str, url: str, title: str, usage: str) -> int:
    """A Hugo shortcode or Liquid tag (``shown``, at ``span`` of the source) that embedded
    another site's player or post, an iframe or a script, which are not published from posts:
    a Markdown link to ``url`` instead, with a warning; removed, with a warning naming
    ``usage``, when it names nothing. Returns where the scan goes on."""
    start, end = span
    if not url:
        warn(start, f"`{shown}` names nothing to link; it is removed", usage)
        edits.replace(start, end, "")
        return end
    warn(start, f"`{shown}` is shown as a link to {url}: embedded players, posts and scripts "
         "are not carried over", "link it in Markdown, or save a poster image beside the post "
         "and link it")
    label = re.sub(r"([\\\[\]])", r"\\\1", title)
    edits.replace(start, end, f"[{label}](<{url.replace('<', '%3C').replace('>', '%3E')}>)")
    return end


def code_fence(code: str, info: str) -> tuple[str, str]:
    """Opening and closing fence lines for ``code``: longer than any backtick run inside it."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}", fence


_BLOCK_PREFIX = re.compile(r"[ \t>]*")  # indentation and blockquote markers before a block


def _line_start(source: str, position: int) -> int:
    return source.rfind("\n", 0, position) + 1


def _line_end(source: str, position: int) -> int:
    end = source.find("\n", position)
    return len(source) if end < 0 else end


def block_start(source: str, position: int) -> int:
    """Where a block may begin on ``position``'s line: past its indentation and blockquote
    markers."""
    line_start = _line_start(source, position)
    return line_start + _BLOCK_PREFIX.match(source, line_start, position).end() - line_start


def stands_alone(source: str, start: int, end: int) -> bool:
    """Whether ``source[start:end]`` is alone on its line(s), so it may become a block."""
    return (_BLOCK_PREFIX.fullmatch(source[_line_start(source, start):start]) is not None
            and not source[end:_line_end(source, end)].strip())


def fenced_block(source: str, open_start: int, close_end: int, code: str, info: str) -> str:
    """The fenced code block replacing a paired code tag (``{% highlight %}...`` or
    ``{{< highlight >}}...``) that spans ``source[open_start:close_end]`` around ``code``.

    The code is kept byte for byte; line breaks are added only where the tags shared a line
    with other text, since a fence needs lines of its own.
    """
    opening, closing = code_fence(code, info)
    if _BLOCK_PREFIX.fullmatch(source[_line_start(source, open_start):open_start]) is None:
        opening = "\n" + opening  # the tag was opened mid-paragraph
    first_line, newline, rest = code.partition("\n")
    if not newline:  # `{% highlight x %}code{% endhighlight %}` on one line
        body = "\n" + (first_line.strip() + "\n" if first_line.strip() else "")
    elif first_line.strip():  # code right after the opening tag is the first code line
        body = "\n" + code
    else:
        body = "\n" + rest
    if _BLOCK_PREFIX.fullmatch(body[body.rfind("\n") + 1:]) is None:
        body += "\n"  # code right before the closing tag ends its own line
    tail = "\n" if source[close_end:_line_end(source, close_end)].strip() else ""
    return opening + body + closing + tail


def fence_info(language: str, *, line_numbers: bool = False,
               highlighted_lines: tuple[int, ...] = (), first_line: int | None = None) -> str:
    """The info string the site's highlighter reads: the language, then Jekyll's own words
    ``linenos``, ``hl_lines="1 3"`` and ``linenostart=N``."""
    words = [language or "text"]
    if line_numbers:
        words.append("linenos")
    if highlighted_lines:
        words.append('hl_lines="' + " ".join(map(str, highlighted_lines)) + '"')
    if first_line is not None:
        words.append(f"linenostart={first_line}")
    return " ".join(words)


def line_numbers_spec(spec: str) -> tuple[int, ...]:
    """``"1 3-5"`` or ``"1,3-5"`` -> (1, 3, 4, 5); malformed parts are skipped."""
    numbers: list[int] = []
    for part in re.split(r"[\s,]+", spec.strip()):
        bounds = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if bounds:
            low = int(bounds.group(1))
            high = int(bounds.group(2) or low)
            numbers.extend(range(low, min(high, low + 10_000) + 1))
    return tuple(numbers)
