"""Quarto's code cells in languages Stride does not run, and Pandoc's attributes on code fences.

````
```{r}                     ```{r setup, include=FALSE}      ```{.python}      ```{=html}
#| echo: false             options(width = 76)              x = 1             <div>...</div>
plot(x)                    ```                              ```               ```
```
````

- A cell in another language than Python (``{r}``, ``{julia}``, ``{ojs}``, ``{dot}``,
  ``{mermaid}``, ``{stan}``...) is shown as code in that language, without its leading option
  lines (``#|``, ``//|`` or ``--|``, which Quarto never shows). Nothing runs it, so it has no
  output: a cell that would show nothing in Quarto either (``include: false``, knitr's
  ``include=FALSE`` in the braces, or ``echo: false`` with ``output: false``) is left out. One
  warning per post and language names the first such cell's line.
- ``{.python}``, ``{.r filename="x.R"}``: Pandoc's attributes on a plain code block; the code is
  shown in that language.
- ``{=html}``: Pandoc's raw block, published as the author's raw HTML (so the sanitizer filters
  it); a raw block for another format (``{=latex}``, ``{=typst}``) is left out, as Pandoc leaves
  it out of a web page.

``{python}`` (the run plugin's), ``{conv}`` and ``{tikz}`` are other plugins' and left alone.
"""
from __future__ import annotations

import re

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from generator.context import render_context

QUARTO_KIND = "quarto"
OTHER_PLUGINS = frozenset({"python", "conv", "tikz"})
# The highlighter's name for a cell language where it differs.
LEXERS = {"ojs": "javascript"}

_RAW = re.compile(r"\{=(?P<format>[\w-]+)\}\Z")
_ATTRIBUTES = re.compile(r"\{\.(?P<language>[\w+#-]+)[^{}]*\}\Z")
_CELL = re.compile(r"\{(?P<language>[A-Za-z][\w+-]*)(?P<rest>[^{}]*)\}\Z")
_OPTION_LINE = re.compile(r"[ \t]*(?:#\||//\||--\|)")
_OPTION = re.compile(r"[ \t]*(?:#\||//\||--\|)[ \t]*(?P<name>[\w.-]+)[ \t]*:[ \t]*(?P<value>\S+)")
_KNITR_INCLUDE = re.compile(r"\binclude\s*=\s*F(?:ALSE)?\b")


def quarto_cells_plugin(md: MarkdownIt) -> None:
    """Show Quarto cells of other languages as code; read Pandoc's fence attributes."""
    md.core.ruler.after("block", "quarto_cells", _cells)


def _cells(state: StateCore) -> None:
    kept: list[Token] = []
    seen: dict[str, list] = {}  # language -> [first cell's line, cells shown, cells left out]
    for token in state.tokens:
        info = token.info.strip() if token.type == "fence" else ""
        if not info.startswith("{"):
            kept.append(token)
            continue
        if raw := _RAW.match(info):
            if raw.group("format").lower() in ("html", "html5"):
                kept.append(_raw_html(token))
            continue
        if attributes := _ATTRIBUTES.match(info):
            token.info = attributes.group("language")
            kept.append(token)
            continue
        cell = _CELL.match(info)
        language = cell.group("language").lower() if cell else ""
        if not cell or language in OTHER_PLUGINS:
            kept.append(token)
            continue
        counts = seen.setdefault(language, [token.map[0] if token.map else None, 0, 0])
        options = dict(match.group("name", "value") for line_text in token.content.split("\n")
                       if (match := _OPTION.match(line_text)))
        hidden = (_KNITR_INCLUDE.search(cell.group("rest")) or options.get("include") == "false"
                  or options.get("echo") == "false" and options.get("output") == "false")
        if hidden:
            counts[2] += 1
            continue
        counts[1] += 1
        lines = token.content.split("\n")
        while lines and _OPTION_LINE.match(lines[0]):
            lines.pop(0)
        token.content = "\n".join(lines)
        token.info = LEXERS.get(language, language)
        kept.append(token)
    state.tokens = kept
    ctx = render_context(state.env)
    for language, (line, shown, left_out) in seen.items():
        count = shown + left_out
        parts = [f"{shown} shown as code"] if shown else []
        parts += [f"{left_out} left out, as Quarto shows nothing of them"] if left_out else []
        ctx.warn(line, f"{count} {{{language}}} cell{'s' if count != 1 else ''} not run "
                 f"({', '.join(parts)}): Stride runs only {{python}} cells", kind=QUARTO_KIND,
                 hint="their output (text, figures) is not in the page; a figure can be saved "
                      "beside the post and shown with ![caption](figure.png)")


def _raw_html(fence: Token) -> Token:
    return Token("html_block", "", 0, map=fence.map, block=True, level=fence.level,
                 content=fence.content)
