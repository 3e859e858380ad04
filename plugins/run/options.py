"""A ``{python}`` block's ``#|`` options (Quarto's cell options), parsed and checked.

The leading ``#|`` lines of a block are one YAML mapping (``#| fig-cap: "a: b"`` and
``#| depends: [a.csv, b.csv]`` work as in Quarto). Every name and value is checked against
``OPTION_TYPES``; a mistake is a ``PluginError`` at the option's own ``post.md:LINE``.
The site's options are the defaults (``BlockOptions``) and the limits of every session
(``SessionLimits``).
"""
from __future__ import annotations

import dataclasses
import difflib
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from generator.errors import PluginError, SourceLocation

OPTION_PREFIX = "#|"
FIGURE_FORMATS = ("svg", "png")
LABEL_PATTERN = re.compile(r"[A-Za-z][\w-]*\Z")
MAX_FIGURE_INCHES = 50.0


@dataclass(frozen=True)
class BlockOptions:
    """What one block does; site-wide values are the defaults, ``#|`` lines override them."""

    echo: bool = True              # show the code
    evaluate: bool = True          # `eval`: run it at all
    output: bool = True            # show what it printed, returned and drew
    error: bool = False            # show an exception in the page instead of failing the build
    warning: bool = True           # show Python warnings (in the block's stderr)
    fig_cap: str | tuple[str, ...] | None = None
    fig_alt: str | tuple[str, ...] | None = None
    label: str | None = None
    fig_format: str = "svg"
    fig_width: float = 6.4         # inches, matplotlib's default
    fig_height: float = 4.8
    timeout: float = 30.0          # seconds for this block
    depends: tuple[str, ...] = ()  # files beside the post, relative to its folder
    code_fold: bool | str = False  # Quarto's: the code in a <details>, closed; "show": open
    code_summary: str = "Code"     # the <summary> of folded code
    column: str | None = None      # Quarto's page column for the block's output (COLUMNS)


@dataclass(frozen=True)
class SessionLimits:
    """What the site allows each session (``[plugins.run]``); a block cannot change them."""

    memory_limit_mb: int
    output_limit_bytes: int
    process_limit: int


# Quarto's option name -> the BlockOptions field it sets.
OPTION_FIELDS = {
    "echo": "echo", "eval": "evaluate", "output": "output", "error": "error",
    "warning": "warning", "fig-cap": "fig_cap", "fig-alt": "fig_alt", "label": "label",
    "fig-format": "fig_format", "fig-width": "fig_width", "fig-height": "fig_height",
    "timeout": "timeout", "depends": "depends", "code-fold": "code_fold",
    "code-summary": "code_summary", "column": "column",
}
# Quarto's page columns the theme lays out (theme/static/css/style.css); Quarto's one-sided and
# shaded variants (page-left, screen-inset-shaded...) take the column they are a variant of.
COLUMNS = ("body", "body-outset", "page", "screen-inset", "screen", "margin")
# Quarto's other cell options (layout, columns, listings, tables, knitr's): a post written for
# Quarto uses them, so they are read and ignored, each with a warning at its line, rather than
# stopping the build as a misspelt option does.
QUARTO_ONLY_OPTIONS = frozenset({
    "classes", "tags", "id", "cache", "freeze", "panel", "code-overflow", "code-line-numbers",
    "code-annotations", "code-copy", "code-tools", "lst-label", "lst-cap", "filename",
    "fig-subcap", "fig-link", "fig-align", "fig-env", "fig-pos", "fig-cap-location", "fig-scap",
    "fig-dpi", "fig-asp", "fig-responsive", "fig-column", "out-width", "out-height",
    "tbl-cap", "tbl-subcap", "tbl-colwidths", "tbl-cap-location", "tbl-column",
    "html-table-processing", "layout", "layout-ncol", "layout-nrow", "layout-align",
    "layout-valign", "cap-location", "message", "results", "comment", "prompt",
    "class-output", "attr-output", "class-source", "attr-source", "collapse", "strip-white",
    "tidy", "purl", "dependson", "autodep", "engine", "render", "output.var", "ojs-export",
})
# A post's frontmatter sets defaults for its blocks as Quarto's does: `execute:` for what runs
# and shows, and the HTML format's options (`format: html:`, or at the top level).
EXECUTE_OPTIONS = ("echo", "eval", "output", "error", "warning", "include")
EXECUTE_IGNORED = ("freeze", "cache", "daemon", "enabled")  # Stride caches every block itself
FORMAT_OPTIONS = ("code-fold", "code-summary", "fig-width", "fig-height", "fig-format")


@dataclass(frozen=True)
class ParsedBlock:
    """A block split into its options and its code.

    ``code`` is what runs and what the page shows: the content after the ``option_lines``
    leading ``#|`` lines, so its line N is line ``option_lines + N`` of the content.
    """

    options: BlockOptions
    code: str
    option_lines: int
    # Warnings about options that were read but are not carried over: (content line, message,
    # hint), for the caller to report at the post's line.
    notes: tuple[tuple[int, str, str], ...] = ()


def parse_block(content: str, *, defaults: BlockOptions, source_dir: Path,
                location: Callable[[int], SourceLocation]) -> ParsedBlock:
    """Parse ``content`` (a fence's text); ``location(k)`` places its 0-based line ``k``."""
    lines = _lines(content)
    count = 0
    while count < len(lines) and lines[count].lstrip().startswith(OPTION_PREFIX):
        count += 1
    option_text = "".join(_strip_prefix(line) for line in lines[:count])
    values = _read_mapping(option_text, location)
    changes = {}
    notes = []
    for name, (value, line) in values.items():
        field = OPTION_FIELDS.get(name)
        if name in QUARTO_ONLY_OPTIONS:
            notes.append((line, f"`#| {name}` is Quarto's and not carried over: it is ignored",
                          "see docs/migrating.md (what is not carried over)"))
            continue
        if name == "output" and value == "asis":
            notes.append((line, "`#| output: asis` shows what the block prints as text, not "
                          "as Markdown", "print plain text, or write the Markdown in the post"))
            value = True
        if field is None:
            close = difflib.get_close_matches(name, OPTION_FIELDS, n=1)
            suggestion = f"did you mean `{close[0]}`? " if close else ""
            raise PluginError(f"unknown option `#| {name}`", location=location(line),
                              hint=f"{suggestion}known options: {', '.join(OPTION_FIELDS)}")
        changes[field] = _checked(name, value, location(line), source_dir)
    return ParsedBlock(options=dataclasses.replace(defaults, **changes),
                       code="".join(lines[count:]), option_lines=count, notes=tuple(notes))


def _lines(content: str) -> list[str]:
    r"""Lines ending in ``\n`` only, as Markdown counts them (``str.splitlines`` also breaks at
    ``\x85``, ``\u2028``... that a string in the code may hold)."""
    parts = content.split("\n")
    return [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def _strip_prefix(line: str) -> str:
    text = line.lstrip()[len(OPTION_PREFIX):]
    return text[1:] if text.startswith(" ") else text


def _read_mapping(text: str, location: Callable[[int], SourceLocation]) -> dict:
    """``{name: (value, line)}`` from the options' YAML, with each key's line for errors."""
    if not text.strip():
        return {}
    # YAML reports an unexpected end of the text on the line after it.
    last_line = max(text.count("\n") - 1, 0)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        if not isinstance(node, yaml.MappingNode):
            raise PluginError("the `#|` lines are not `name: value` options",
                              location=location(0),
                              hint="write one `#| name: value` per line, e.g. `#| echo: false`")
        constructor = yaml.SafeLoader("")
        found: dict = {}
        for key, value in node.value:
            line = key.start_mark.line
            if not isinstance(key, yaml.ScalarNode):
                raise PluginError("an option name must be a plain word",
                                  location=location(line), hint="e.g. `#| echo: false`")
            if key.value in found:
                raise PluginError(f"option `#| {key.value}` is set twice",
                                  location=location(line), hint="keep one of the two lines")
            found[str(key.value)] = (constructor.construct_object(value, deep=True), line)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        raise PluginError(f"cannot read the `#|` options: {problem}",
                          location=location(min(mark.line, last_line) if mark else 0),
                          hint="write one `#| name: value` per line (YAML syntax)") from None
    return found


def _checked(name: str, value, where: SourceLocation, source_dir: Path, *, written: str = "#| "):
    """The option's value in its BlockOptions form, or a PluginError that quotes it as the
    author wrote it (``written`` is what comes before the name: ``#| `` or ``execute: ``)."""
    def fail(expected: str, hint: str = ""):
        raise PluginError(f"`{written}{name}` must be {expected}, not {value!r}", location=where,
                          hint=hint or f"for example `{written}{name}: {EXAMPLES[name]}`")

    if name in ("echo", "eval", "output", "error", "warning", "include"):
        if not isinstance(value, bool):
            fail("true or false")
        return value
    if name == "code-fold":
        if value not in (True, False, "show"):
            fail("true, false or show")
        return value
    if name == "code-summary":
        if not isinstance(value, str) or not value.strip():
            fail("a text")
        return value
    if name == "column":
        known = next((column for column in sorted(COLUMNS, key=len, reverse=True)
                      if isinstance(value, str) and (value == column or value.startswith(column + "-"))),
                     None)
        if known is None:
            fail("one of " + ", ".join(COLUMNS))
        return None if known == "body" else known
    if name in ("fig-cap", "fig-alt"):
        if isinstance(value, str):
            return value
        if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
            return tuple(value)
        fail("a text or a list of texts (one per figure)")
    if name == "label":
        if not isinstance(value, str) or not LABEL_PATTERN.match(value):
            fail("a name of letters, digits, `-` and `_` starting with a letter")
        return value
    if name == "fig-format":
        if value not in FIGURE_FORMATS:
            fail(" or ".join(FIGURE_FORMATS))
        return value
    if name in ("fig-width", "fig-height", "timeout"):
        limit = MAX_FIGURE_INCHES if name != "timeout" else math.inf
        if (isinstance(value, bool) or not isinstance(value, (int, float))
                or not 0 < value <= limit):
            fail("a positive number" + (f" of inches up to {limit:g}" if limit < math.inf else ""))
        return float(value)
    # depends
    paths = [value] if isinstance(value, str) else value
    if not isinstance(paths, list) or not paths or not all(isinstance(p, str) for p in paths):
        fail("a file name or a list of file names")
    for path in paths:
        relative = PurePosixPath(path)
        if relative.is_absolute() or ".." in relative.parts:
            fail("files inside the post's folder",
                 hint=f"copy `{path}` into the post's folder and name it relative to it")
        if not (source_dir / relative).is_file():
            raise PluginError(f"`#| depends` names `{path}`, which is not a file in "
                              f"{source_dir}", location=where,
                              hint="put the data file beside the post's index.md")
    return tuple(paths)


EXAMPLES = {
    "echo": "false", "eval": "false", "output": "false", "error": "true", "warning": "false",
    "fig-cap": '"The impulse response"', "fig-alt": '"A decaying exponential"',
    "label": "fig-response", "fig-format": "png", "fig-width": "6", "fig-height": "3.5",
    "timeout": "60", "depends": "[data.csv]", "code-fold": "true", "code-summary": '"Show the code"',
    "include": "false", "column": "margin",
}


def post_defaults(defaults: BlockOptions, page_vars: Mapping[str, Any], source_dir: Path,
                  located: Callable[[str], SourceLocation]) -> BlockOptions:
    """The site's defaults as a post's frontmatter changes them (Quarto's ``execute:`` and
    ``format: html:`` options); errors name the frontmatter key, at ``located(key)``: the post,
    or the defaults file (``_metadata.yml``) the post inherited the key from."""
    changes: dict[str, Any] = {}
    html_format = page_vars.get("format")
    html_format = html_format.get("html") if isinstance(html_format, Mapping) else None
    for scope, key in ((page_vars, None), (html_format if isinstance(html_format, Mapping) else {},
                                           "format")):
        for name in FORMAT_OPTIONS:
            if name in scope:
                changes[OPTION_FIELDS[name]] = _checked(name, scope[name], located(key or name),
                                                        source_dir, written="")
    execute = page_vars.get("execute")
    if execute is None:
        return dataclasses.replace(defaults, **changes)
    where = located("execute")
    if not isinstance(execute, Mapping):
        raise PluginError(f"frontmatter `execute` must be a mapping, not {execute!r}",
                          location=where, hint="for example:\nexecute:\n  echo: false")
    for name, value in execute.items():
        if name in EXECUTE_IGNORED:
            continue
        if name not in EXECUTE_OPTIONS:
            raise PluginError(f"unknown option `{name}` in the frontmatter's `execute`",
                              location=where, hint=f"known options: {', '.join(EXECUTE_OPTIONS)}")
        checked = _checked(name, value, where, source_dir, written="execute: ")
        if name == "include":  # Quarto's: neither the code nor its results, but it runs
            if not checked:
                changes.update(echo=False, output=False)
        else:
            changes[OPTION_FIELDS[name]] = checked
    return dataclasses.replace(defaults, **changes)
