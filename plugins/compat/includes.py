"""Block-level includes, shared by Liquid's ``{% include %}`` and Quarto's ``{{< include >}}``.

A source pass (Liquid's or Hugo's) replaces an include standing on its own line by a private-use
marker and keeps the included text in the page's ``IncludeStore``; the block rule parses that
text as Markdown blocks where the marker stands.
"""
from __future__ import annotations

import re
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from markdown_it.rules_block import StateBlock

from generator.context import env_store

INCLUDE_KIND = "include"
MAX_INCLUDE_DEPTH = 8
ENV_KEY = "stride_compat_includes"
_INCLUDE_MARKER = re.compile("\ue010(\\d+)\ue011")


@dataclass
class IncludeStore:
    """Block-level includes, parsed by the block rule where their marker stands."""

    texts: list[str] = field(default_factory=list)

    def add(self, text: str) -> str:
        self.texts.append(text)
        return f"\ue010{len(self.texts) - 1}\ue011"


def include_store(env: MutableMapping[str, Any]) -> IncludeStore:
    return env_store(env, ENV_KEY, IncludeStore)


def too_deep(depth: int, name: str, warn: Callable[[str, str], None]) -> bool:
    """Whether an include at ``depth`` would nest too deep (warned with ``warn(message, hint)``)."""
    if depth < MAX_INCLUDE_DEPTH:
        return False
    warn(f"includes nest deeper than {MAX_INCLUDE_DEPTH} at `{name}`; is an include including "
         "itself?", "break the cycle")
    return True


def include_block(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """A block-level `{% include %}` (or a code tag's fence): its text is parsed as Markdown
    where the marker stands; text after the marker on its line is parsed after it, as if it
    began the line (a fence from `{% highlight %}x{% endhighlight %} more`)."""
    start = state.bMarks[start_line] + state.tShift[start_line]
    if not state.src.startswith("\ue010", start):
        return False
    marker = _INCLUDE_MARKER.match(state.src, start, state.eMarks[start_line])
    store = include_store(state.env)
    # the author's own text may hold these private-use characters: only real markers count
    if marker is None or int(marker.group(1)) >= len(store.texts):
        return False
    if silent:
        return True
    first_new = len(state.tokens)
    state.md.block.parse(store.texts[int(marker.group(1))], state.md, state.env, state.tokens)
    for token in state.tokens[first_new:]:
        token.level += state.level
        if token.map is not None:
            token.map = [start_line, start_line + 1]
    rest = state.src[marker.end():state.eMarks[start_line]]
    if not rest.strip():
        state.line = start_line + 1
        return True
    # The rest of the line starts a block of its own on this line (its warnings keep it).
    spaces = len(rest) - len(rest.lstrip(" \t"))
    state.bMarks[start_line] = marker.end()
    state.tShift[start_line] = spaces
    state.sCount[start_line] = state.blkIndent
    state.md.block.tokenize(state, start_line, end_line)
    return True
