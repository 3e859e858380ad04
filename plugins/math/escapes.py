"""Undoing remark/Gatsby's Markdown escapes inside math, and detecting posts that use them.

Posts written for remark (seed 000) escape TeX for Markdown: ``\\\\\\\\`` is a row break
``\\\\``, ``\\\\{`` is ``\\{`` and ``\\*`` is ``*`` (``\\_`` is ``_``). Only these escapes are
undone: a general Markdown unescape would also turn ``\\,`` into ``,``.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

MODES = ("auto", "remark", "none")

# A doubled backslash, or an escaped emphasis character, is a remark escape.
_REMARK_ESCAPE = re.compile(r"\\\\|\\([*_])")
# Evidence that a post's math was escaped for remark: "\\\\" (a row break written twice over),
# "\\{"/"\\}" (an escaped \{) or "\*" (as in align\*).
_REMARK_EVIDENCE = re.compile(r"\\\\\\\\|\\\\[{}]|\\\*")


def undo_remark_escapes(tex: str) -> str:
    """``\\\\`` -> ``\\``, ``\\*`` -> ``*``, ``\\_`` -> ``_``; every other ``\\x`` stays."""
    return _REMARK_ESCAPE.sub(lambda match: match.group(1) or "\\", tex)


def uses_remark_escapes(formulas: Iterable[str]) -> bool:
    """Whether a post's math shows remark's escaping (see ``_REMARK_EVIDENCE``)."""
    return any(_REMARK_EVIDENCE.search(tex) for tex in formulas)
