"""A TikZ picture drawn: the ``tikz_picture`` token to inline SVG, cached by content.

The built-in renderer lays the picture out (``parser``, with ``text``'s font metrics) and writes
it (``svg``); ``renderer="tex"`` hands it to real TeX (``texrender``). The package's render rule
imports this module with a post's first picture, so a build without one never loads them.
"""
from __future__ import annotations

from collections import Counter
from functools import cache
from typing import Any

from markdown_it.token import Token

from generator.cache import content_key
from generator.context import env_store, render_context
from generator.errors import PluginError

from . import texrender
from .model import TikzError
from .parser import interpret
from .svg import describe, render_svg

# Bump whenever the built-in renderer's output for the same input changes.
RENDERER_VERSION = "8"
ENV_KEY = "stride_tikz"


@cache
def _tex_version() -> str:
    return texrender.tool_versions()


def render_picture(token: Token, options: Any, env: Any, *, renderer: str, tex_timeout: float,
                   fence_rule: Any) -> str:
    """The picture as inline SVG, from the cache or drawn; its source as code if it cannot be."""
    context = render_context(env)
    body_line: int = token.meta["body_line"]
    use_tex = renderer == "tex"
    if use_tex and not texrender.available():
        context.warn(body_line, "renderer = \"tex\" but latex or dvisvgm is not installed; "
                     "drawn with the built-in renderer", kind="tikz",
                     hint="apt-get install texlive-pictures texlive-latex-extra dvisvgm")
        use_tex = False
    try:
        version = RENDERER_VERSION + (f"-tex-{_tex_version()}" if use_tex else "-builtin")
        cache_store = context.cache("tikz", content_key(version)[:16])
        key = content_key(token.content, token.meta["title"])
        prefix = texrender.id_prefix(token.content) if use_tex else _id_prefix(token.content)
        cached = cache_store.get(key)
        if cached is not None:
            return _unique_ids(cached.decode("utf-8"), prefix, env) + "\n"
        svg = _draw(token.content, use_tex, tex_timeout, token.meta["title"], prefix)
    except TikzError as error:
        context.warn(body_line + error.line, f"TikZ picture not drawn: {error.message}",
                     hint=error.hint, kind="tikz")
        return _as_code(fence_rule, token, options, env)
    except (ArithmeticError, ValueError, IndexError, KeyError, RecursionError) as error:
        raise PluginError(f"internal error in the TikZ renderer: {type(error).__name__}: {error}",
                          location=context.location(body_line),
                          hint="this is a bug in Stride: please report it with this picture; "
                               "meanwhile set [plugins.tikz] renderer = \"tex\"") from error
    cache_store.put(key, svg.encode("utf-8"))
    return _unique_ids(svg, prefix, env) + "\n"


def _draw(source: str, use_tex: bool, tex_timeout: float, title: str, prefix: str) -> str:
    if use_tex:
        return texrender.render(source, timeout=tex_timeout, title=title,
                                description="Diagram drawn with TikZ.")
    diagram = interpret(source)
    return render_svg(diagram, title=title, description=describe(diagram), id_prefix=prefix)


def _id_prefix(source: str) -> str:
    """The built-in SVG's ids start with a digest of the picture: different pictures on a page
    never share one, and a rebuild writes the same ids."""
    return "tikz-" + content_key(source)[:10]


def _unique_ids(svg: str, prefix: str, env: Any) -> str:
    """The second and later copies of one picture on a page get ``PREFIX-2-...`` ids, so no id
    repeats on the page (the first copy keeps the cached SVG's)."""
    seen: Counter[str] = env_store(env, ENV_KEY, Counter)
    seen[prefix] += 1
    if seen[prefix] == 1:
        return svg
    copy = f"{prefix}-{seen[prefix]}"
    return svg.replace(f'"{prefix}-', f'"{copy}-').replace(f"#{prefix}-", f"#{copy}-")


def _as_code(fence_rule: Any, token: Token, options: Any, env: Any) -> str:
    """The picture's source through the page's fence rule (escaped, highlighted as LaTeX)."""
    code = Token("fence", "code", 0, info="latex", content=token.content, markup="```",
                 map=token.map, block=True)
    return fence_rule([code], 0, options, env)
