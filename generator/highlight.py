"""Build-time code highlighting with Pygments: CSS classes, a light and a dark style."""
from __future__ import annotations

import html
import re
from functools import lru_cache

from pygments import format as pygments_format
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from .fast_lexing import get_tokens

LIGHT_STYLE = "friendly"
DARK_STYLE = "monokai"


# One formatter for every block: building one per block was a sixth of a large build's time.
_INLINE_FORMATTER = HtmlFormatter(nowrap=True)


@lru_cache(maxsize=256)
def _lexer(language: str):
    try:
        return get_lexer_by_name(language, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


def highlight_code(code: str, language: str, attributes: str = "") -> str:
    """markdown-it's ``highlight`` hook: a complete ``<pre>`` so markdown-it adds no wrapper.

    markdown-it passes the info string's first word as ``language`` and the rest as
    ``attributes``; ``linenos`` there numbers the lines (Jekyll's ``{% highlight python linenos %}``).
    """
    language = re.sub(r"[^\w+#.-]", "", language)
    numbered = "linenos" in attributes.split()
    lexer = _lexer(language.lower()) if language else None
    class_attr = f' class="language-{html.escape(language)}"' if language else ""
    if lexer is None:
        body = html.escape(code)
    else:
        body = pygments_format(get_tokens(lexer, code), _INLINE_FORMATTER)
    if numbered:
        lines = body.rstrip("\n").split("\n")
        body = "".join(f'<span class="lineno">{i}</span>{line}\n' for i, line in enumerate(lines, 1))
    # tabindex: a long line scrolls inside the block, and a keyboard must be able to scroll it
    return f'<pre class="highlight" tabindex="0"><code{class_attr}>{body}</code></pre>\n'


def stylesheet() -> str:
    """The CSS of both styles; dark applies under prefers-color-scheme: dark."""
    light = HtmlFormatter(style=LIGHT_STYLE).get_style_defs(".highlight")
    dark = HtmlFormatter(style=DARK_STYLE).get_style_defs(".highlight")
    return (f"/* Pygments {LIGHT_STYLE} (light) and {DARK_STYLE} (dark) */\n{light}\n"
            f"@media (prefers-color-scheme: dark) {{\n{dark}\n}}\n")
