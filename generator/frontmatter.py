"""Frontmatter in every dialect authors bring: YAML ``---``, TOML ``+++``, JSON (an object first,
as Hugo reads it), Pelican ``Key: value`` header lines, or none (title from the first
``# heading``).

YAML is composed into a node tree before it is constructed, so that we can reject duplicate keys,
alias bombs and absurd nesting with a line number, and keep string fields (``slug: 0777``) as the
author typed them instead of YAML 1.1's octal/boolean coercions.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
import unicodedata
from functools import lru_cache
from collections.abc import Container, Mapping
from pathlib import Path
from typing import Any

import yaml

from . import permalinks
from .errors import Diagnostic, FrontmatterError, SourceLocation
from .records import Inherited, ParsedSource, PostMeta, SourceFile

MAX_YAML_DEPTH = 50
MAX_YAML_NODES = 10_000
PELICAN_KEYS = {"title", "date", "modified", "tags", "category", "slug", "author", "authors",
                "summary", "status", "lang", "template", "save_as", "url", "keywords"}
# Read as the author typed them; dates are parsed by _parse_date, which can say what is wrong.
STRING_FIELDS = {"title", "summary", "slug", "path", "permalink", "url", "date", "updated", "lastmod"}
DATE_PREFIX = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[-_]")  # `_`: Quarto's and distill's folders
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_source(source: SourceFile, inherited: Inherited | None = None) -> ParsedSource:
    """Split a source into metadata and body; raise FrontmatterError with file:line on bad input.

    ``inherited`` holds the defaults of the post's project files (``generator.project``): the
    post's own keys win, maps are merged key by key."""
    data, body_start, dialect = read_frontmatter(source.text, source.rel)
    body = "\n".join(source.text.split("\n")[body_start:])
    diagnostics: list[Diagnostic] = []
    if dialect == "none" or "title" not in data:
        title, body = _title_from_heading(body, source, diagnostics, body_start)
        data.setdefault("title", title)
    origins: dict[str, SourceLocation] = {}
    if inherited is not None and inherited.values:
        origins = {key: where for key, where in inherited.origins.items() if key not in data}
        data = merge_frontmatter(inherited.values, data, concatenate=inherited.concatenated)
    meta = _meta(data, source, dialect, diagnostics, origins)
    return ParsedSource(source, meta, body, body_start, tuple(diagnostics),
                        inherited.digest if inherited is not None else "")


def merge_frontmatter(base: Mapping[str, Any], over: Mapping[str, Any], *,
                      concatenate: Container[str] = ()) -> dict[str, Any]:
    """``over`` on top of ``base``: maps are merged key by key, as Quarto and Jekyll merge a
    post's ``execute:`` or ``format: html:`` with their defaults; any other value of ``over``
    replaces ``base``'s (a list too), except below the keys in ``concatenate``, where a list and
    the list (or value) below it add up, as Quarto merges its files with a post. Quarto's
    ``format: html`` is ``format: {html: {}}``."""
    merged = dict(base)
    for key, value in over.items():
        below = merged.get(key)
        if key == "format" and below is not None:
            below, value = _format_map(below), _format_map(value)
        adding = key in concatenate
        if isinstance(below, dict) and isinstance(value, dict):
            merged[key] = merge_frontmatter(below, value,
                                            concatenate=EVERY_KEY if adding else ())
        elif adding and (isinstance(below, list) or isinstance(value, list)):
            merged[key] = _concatenated(below, value)
        else:
            merged[key] = value
    return merged


class _EveryKey:
    """A container that holds every key: below a key whose lists add up, every list does."""

    def __contains__(self, key: object) -> bool:
        return True


EVERY_KEY = _EveryKey()


def _concatenated(below: Any, value: Any) -> Any:
    """Quarto's rule for a list met in a merge (``mergeArrayCustomizer`` in its
    ``core/config.ts``): an empty side (null, false, "", 0) gives the other; else both, a single
    value taken as a list of one, the later list after the earlier, each value once."""
    if _empty_in_javascript(below):
        return value
    if _empty_in_javascript(value):
        return below
    combined: dict[str, Any] = {}
    for item in [*(below if isinstance(below, list) else [below]),
                 *(value if isinstance(value, list) else [value])]:
        combined.setdefault(json.dumps(item, sort_keys=True, default=str), item)
    return list(combined.values())


def _empty_in_javascript(value: Any) -> bool:
    """JavaScript's falsy values among YAML's (an empty list is not one)."""
    return value is None or value is False or (
        isinstance(value, (int, float, str)) and not isinstance(value, bool) and not value)


def _format_map(value: Any) -> Any:
    """Quarto's shorthands for formats as the map they stand for: ``html`` and ``[html, pdf]``
    name formats with their default options, as ``html: default`` does."""
    if isinstance(value, str):
        return {value: {}}
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return {item: {} for item in value}
    if isinstance(value, dict):
        return {name: {} if options == "default" else options for name, options in value.items()}
    return value


JSON_OPENING = re.compile(r'\{\s*(?:"|\})')


def read_frontmatter(text: str, rel: str) -> tuple[dict[str, Any], int, str]:
    """The frontmatter of a file's text, the line its body starts on (0-based) and the dialect:
    YAML (``---``), TOML (``+++``), JSON (an object first, as Hugo reads it), Pelican's
    ``Key: value`` lines, or none."""
    lines = text.split("\n")
    first = lines[0].rstrip("\r").rstrip() if lines else ""
    if first == "---":
        raw, body_start = _fenced(lines, ("---", "..."), rel, "---")
        node = compose_mapping(raw, rel, 2, "the frontmatter")
        return (construct_mapping(node, rel, 2)[0] if node is not None else {}), body_start, "yaml"
    if first == "+++":
        raw, body_start = _fenced(lines, ("+++",), rel, "+++")
        return load_toml(raw, rel), body_start, "toml"
    if JSON_OPENING.match(text):  # not `{% include %}` or `{: .class}`, which start no object
        try:
            data, end = json.JSONDecoder().raw_decode(text)
        except json.JSONDecodeError as error:
            raise FrontmatterError(f"invalid JSON frontmatter: {error.msg}",
                                   location=SourceLocation(rel, error.lineno, error.colno),
                                   hint='keys and strings need double quotes: "title": "A post"'
                                   ) from None
        if not isinstance(data, dict):
            raise FrontmatterError("JSON frontmatter must be an object",
                                   location=SourceLocation(rel, 1),
                                   hint='{"title": "A post", "tags": ["math"]}')
        return data, text.count("\n", 0, end) + 1, "json"
    if _looks_like_pelican(lines):
        data, body_start = _load_pelican(lines)
        return data, body_start, "pelican"
    return {}, 0, "none"


def _fenced(lines: list[str], closers: tuple[str, ...], rel: str, opener: str
            ) -> tuple[str, int]:
    for index in range(1, len(lines)):
        if lines[index].rstrip() in closers:
            return "\n".join(lines[1:index]), index + 1
    raise FrontmatterError(f"the frontmatter opened with `{opener}` is never closed",
                           location=SourceLocation(rel, 1),
                           hint=f"add a line `{opener}` after the last metadata line")


def compose_mapping(raw: str, rel: str, first_line: int, what: str) -> yaml.MappingNode | None:
    """The YAML ``raw`` (whose first line is line ``first_line`` of the file ``rel``) as a checked
    node tree: no duplicate keys, no aliases, no absurd nesting; None when it is empty. ``what``
    names it in messages ("the frontmatter", "this file")."""
    try:
        node = yaml.compose(raw, Loader=_YAML_LOADER)
    except yaml.YAMLError as error:
        raise _yaml_error(error, rel, first_line, raw, what) from None
    if node is None:
        return None
    if not isinstance(node, yaml.MappingNode):
        raise FrontmatterError(f"{what} must be `key: value` lines, not a YAML {node.id}",
                               location=SourceLocation(rel, node.start_mark.line + first_line),
                               hint="write e.g. `title: My post`" + (
                                   " between the --- lines" if first_line > 1 else ""))
    _check_yaml_tree(node, rel, first_line, raw, what)
    return node


def construct_mapping(node: yaml.MappingNode, rel: str, first_line: int
                      ) -> tuple[dict[str, Any], dict[str, int]]:
    """The values of a checked mapping node, and the file line of each key."""
    result: dict[str, Any] = {}
    lines: dict[str, int] = {}
    for key_node, value_node in node.value:
        key = str(key_node.value)
        if key in STRING_FIELDS and isinstance(value_node, yaml.ScalarNode):
            # Keep what the author typed: YAML 1.1 reads `slug: 0777` as 511, `title: yes` as True.
            value: Any = value_node.value
        else:
            try:
                value = _construct(value_node)
            except (yaml.YAMLError, ValueError) as error:
                raise FrontmatterError(f"cannot read `{key}`: {error}",
                                       location=SourceLocation(
                                           rel, value_node.start_mark.line + first_line),
                                       hint="check the value's syntax") from None
        result[key] = value
        lines[key] = key_node.start_mark.line + first_line
    return result, lines


def _construct(node: yaml.Node) -> Any:
    """The Python value of a composed node, as ``yaml.load`` would make it."""
    loader = _YAML_LOADER("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def _first_alias(raw: str, rel: str, first_line: int) -> SourceLocation | None:
    """Where the first ``*alias`` is (the composed tree only knows the anchored node)."""
    try:
        for event in yaml.parse(raw, Loader=_YAML_LOADER):
            if isinstance(event, yaml.AliasEvent):
                mark = event.start_mark
                return SourceLocation(rel, mark.line + first_line, mark.column + 1)
    except yaml.YAMLError:
        return None
    return None


def _check_yaml_tree(root: yaml.Node, rel: str, first_line: int, raw: str, what: str) -> None:
    seen_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, int]] = [(root, 0)]
    count = 0
    while stack:
        node, depth = stack.pop()
        if id(node) in seen_nodes:
            where = "in frontmatter" if what == "the frontmatter" else "here"
            raise FrontmatterError(f"YAML aliases (*name) are not allowed {where}",
                                   location=_first_alias(raw, rel, first_line)
                                   or _at(node, rel, first_line),
                                   hint="write the value out instead of an alias")
        seen_nodes.add(id(node))
        count += 1
        if depth > MAX_YAML_DEPTH or count > MAX_YAML_NODES:
            raise FrontmatterError(f"{what} is nested too deeply or is too large",
                                   location=_at(node, rel, first_line),
                                   hint=f"keep it under {MAX_YAML_DEPTH} levels and "
                                        f"{MAX_YAML_NODES} values")
        if isinstance(node, yaml.MappingNode):
            keys: set[str] = set()
            for key_node, value_node in node.value:
                key = str(key_node.value)
                if key in keys:
                    raise FrontmatterError(f"duplicate key `{key}`",
                                           location=_at(key_node, rel, first_line),
                                           hint="keep one of the two lines")
                keys.add(key)
                stack.append((key_node, depth + 1))
                stack.append((value_node, depth + 1))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in node.value)


def _at(node: yaml.Node, rel: str, first_line: int) -> SourceLocation:
    """Where a node starts, as a line of the file (``first_line``: the YAML's first line)."""
    return SourceLocation(rel, node.start_mark.line + first_line, node.start_mark.column + 1)


def _yaml_error(error: yaml.YAMLError, rel: str, first_line: int, raw: str, what: str
                ) -> FrontmatterError:
    mark = getattr(error, "problem_mark", None)
    context = getattr(error, "context_mark", None)
    if mark is not None and context is not None and mark.line >= raw.count("\n"):
        # Found only at the end (an unclosed bracket or quote): point where it was opened.
        mark = context
    problem = getattr(error, "problem", None) or str(error)
    location = SourceLocation(rel, mark.line + first_line, mark.column + 1) if mark else \
        SourceLocation(rel, 1)
    noun = "YAML frontmatter" if what == "the frontmatter" else "YAML"
    return FrontmatterError(f"invalid {noun}: {problem}", location=location,
                            hint="quote values that contain `: ` or start with a special character")


def load_toml(raw: str, rel: str, *, first_line: int = 2, what: str = "TOML frontmatter",
              hint: str = 'strings need quotes: title = "My post"') -> dict[str, Any]:
    """TOML whose first line is line ``first_line`` of the file ``rel`` (frontmatter: after
    its ``+++``); an error names ``what`` and its line and column there."""
    try:
        # The final newline lets an error on the last line say its line and column, not just
        # "at end of document".
        return tomllib.loads(raw + "\n")
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(error))
        line, column = (int(match.group(1)) + first_line - 1, int(match.group(2))) if match \
            else (1, 0)
        message = re.sub(r"\s*\(at line.*\)", "", str(error))
        raise FrontmatterError(f"invalid {what}: {message}",
                               location=SourceLocation(rel, line, column), hint=hint) from None


def _looks_like_pelican(lines: list[str]) -> bool:
    match = re.match(r"^([A-Za-z][A-Za-z_]*):\s", lines[0] if lines else "")
    return bool(match and match.group(1).lower() in PELICAN_KEYS)


def _load_pelican(lines: list[str]) -> tuple[dict[str, Any], int]:
    data: dict[str, Any] = {}
    index = 0
    while index < len(lines):
        match = re.match(r"^([A-Za-z][A-Za-z_]*):\s*(.*)$", lines[index].rstrip("\r"))
        if not match:
            break
        key, value = match.group(1).lower(), match.group(2).strip()
        if key in ("tags", "keywords"):
            data["tags"] = [t.strip() for t in value.split(",") if t.strip()]
        elif key == "category":
            data["categories"] = [value]
        elif key == "status":
            data["draft"] = value.lower() == "draft"
        elif key == "modified":
            data["updated"] = value
        else:
            data[key] = value
        index += 1
    if index < len(lines) and not lines[index].strip():
        index += 1
    return data, index


def _title_from_heading(body: str, source: SourceFile, diagnostics: list[Diagnostic],
                        offset: int) -> tuple[str, str]:
    """The first ATX `# heading` becomes the title and leaves the body (the page prints it)."""
    lines = body.split("\n")
    fence = None
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            fence = None if fence and stripped.startswith(fence) else (fence or stripped[:3])
            continue
        match = re.match(r"^ {0,3}#\s+(.+?)\s*#*\s*$", line)
        if match and fence is None:
            del lines[index]
            lines.insert(index, "")  # keep line numbers of everything after it
            return match.group(1), "\n".join(lines)
    fallback = file_stem(source).replace("-", " ").strip().capitalize() or "Untitled"
    diagnostics.append(Diagnostic(SourceLocation(source.rel, offset + 1),
                                  f"no title: using {fallback!r}",
                                  "add a `title:` line or a `# Heading` at the top", "frontmatter"))
    return fallback, body


def file_stem(source: SourceFile) -> str:
    """The name a file gives its post: a bundle's folder or the file, without suffix or date."""
    stem = source.bundle.name if source.bundle is not None else Path(source.content_rel).stem
    return DATE_PREFIX.sub("", stem)


@lru_cache(maxsize=4096)
def slugify(text: str) -> str:
    normal = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", normal.lower()).strip("-")


def _meta(data: dict[str, Any], source: SourceFile, dialect: str,
          diagnostics: list[Diagnostic], origins: Mapping[str, SourceLocation]) -> PostMeta:
    def where(key: str) -> SourceLocation:
        inherited = origins.get(key)
        if inherited is not None:  # set by a defaults file, not by the post
            return inherited
        return SourceLocation(source.rel, _line_of_key(source.text, key))

    title = _as_text(data.get("title"), "title", where)
    date, inferred = _date_of(data, source, where, diagnostics)
    updated_key = "updated" if data.get("updated") else "lastmod"
    updated = _parse_date(data[updated_key], where(updated_key)) if data.get(updated_key) else None
    slug_raw = data.get("slug")
    slug = _as_text(slug_raw, "slug", where) if slug_raw is not None else slugify(file_stem(source))
    _check_url_part(slug, where("slug"), "slug")
    slug = slug or slugify(title) or "post"
    url_path = url_pattern = None
    for key in ("path", "permalink", "url"):
        if data.get(key) not in (None, ""):
            text = _as_text(data[key], key, where)
            if key == "permalink" and permalinks.has_tokens(text):
                url_pattern = _post_pattern(text, where(key))
            else:
                url_path = normalize_url_path(text, where(key))
            break
    draft = data.get("draft", False)
    if not isinstance(draft, bool):
        raise FrontmatterError(f"`draft` must be true or false, not {draft!r}",
                               location=where("draft"), hint="draft: true")
    # Quarto's listings, Hugo and jekyll-seo-tag describe a post with `description`.
    summary_key = "summary" if "summary" in data else "description"
    summary = data.get(summary_key)
    known = {"title", "date", "updated", "lastmod", "tags", "categories", "category", "summary",
             "slug", "draft", "path", "permalink", "url"}
    extra = {k: v for k, v in data.items() if k not in known}
    return PostMeta(
        title=title, date=date, date_inferred=inferred, updated=updated,
        tags=_as_list(data.get("tags"), "tags", where),
        categories=_as_list(data.get("categories", data.get("category")), "categories", where),
        summary=_as_text(summary, summary_key, where) or None if summary is not None else None,
        slug=slug, draft=draft, url_path=url_path, dialect=dialect,
        extra=extra, url_pattern=url_pattern, slug_set=slug_raw is not None, inherited=origins)


def _post_pattern(text: str, where: SourceLocation) -> str:
    """A post's own Jekyll template (``permalink: /:year/:title/``) as a Stride pattern; Jekyll
    reads no built-in style's name there, so neither does Stride."""
    try:
        pattern = permalinks.from_jekyll(text if text.startswith("/") else "/" + text)
    except permalinks.UnknownToken as error:
        raise FrontmatterError(str(error), location=where,
                               hint="permalink: /:year/:month/:title/") from None
    problem = permalinks.pattern_problem(pattern, site_wide=False)
    if problem is not None:
        raise FrontmatterError(problem, location=where, hint="permalink: /:year/:month/:title/")
    return pattern


def _line_of_key(text: str, key: str) -> int:
    match = re.search(rf"^[ \t]*{re.escape(key)}[ \t]*[:=]", text, re.M | re.I)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def _as_text(value: Any, key: str, where) -> str:
    if value is None:
        return ""
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    raise FrontmatterError(f"`{key}` must be text, not {type(value).__name__} {value!r}",
                           location=where(key), hint=f'quote it: {key}: "..."')


def _as_list(value: Any, key: str, where) -> tuple[str, ...]:
    """Tags as a YAML list, or one string split on commas or spaces (Jekyll: `tags: a b c`)."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        parts = value.split(",") if "," in value else value.split()
        return tuple(dict.fromkeys(p.strip() for p in parts if p.strip()))
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return tuple(dict.fromkeys(str(v).strip() for v in value if str(v).strip()))
    raise FrontmatterError(f"`{key}` must be a list of names, not {value!r}", location=where(key),
                           hint=f"{key}: [math, signals]")


def _date_of(data: dict[str, Any], source: SourceFile, where, diagnostics: list[Diagnostic]
             ) -> tuple[dt.datetime, bool]:
    if data.get("date") not in (None, ""):
        return _parse_date(data["date"], where("date")), False
    match = DATE_PREFIX.match(Path(source.content_rel).name) or (
        DATE_PREFIX.match(source.bundle.name + "-") if source.bundle is not None else None)
    if match:
        try:
            return dt.datetime(int(match.group(1)), int(match.group(2)), int(match.group(3)),
                               tzinfo=dt.timezone.utc), False
        except ValueError:
            pass
    if source.kind == "post":
        diagnostics.append(Diagnostic(SourceLocation(source.rel, 1),
                                      "no date: using the file's modification time",
                                      "add `date: YYYY-MM-DD` or name the file YYYY-MM-DD-slug.md",
                                      "frontmatter"))
    return dt.datetime.fromtimestamp(int(source.mtime), tz=dt.timezone.utc), True


def _parse_date(value: Any, where: SourceLocation) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc)
    text = str(value).strip()
    reason = ""
    for attempt in (text, text.replace(" ", "T", 1)):
        try:
            parsed = dt.datetime.fromisoformat(attempt)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)
        except ValueError as error:
            reason = reason or str(error)
    # "%m/%d/%Y": Quarto's templates and many of its blogs write "2/11/2024", read month first
    # as Quarto (and JavaScript's Date) reads it.
    for pattern in ("%Y-%m-%d %H:%M:%S %z", "%d %B %Y", "%B %d, %Y", "%Y/%m/%d", "%m/%d/%Y"):
        try:
            parsed = dt.datetime.strptime(text, pattern)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)
        except ValueError:
            continue
    detail = f" ({reason})" if "must be" in reason or "out of range" in reason else ""
    raise FrontmatterError(f"not a valid date: {text!r}{detail}", location=where,
                           hint="write it as YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS (a real day and month; "
                                "M/D/YYYY is read month first, as Quarto reads it)")


def _check_url_part(text: str, where: SourceLocation, key: str) -> None:
    if any(bad in text for bad in ("/", "\\", "\x00", "..")) or re.search(r"%(2f|5c|00)", text, re.I):
        raise FrontmatterError(f"`{key}` {text!r} may not contain /, \\, .., NUL or encoded slashes",
                               location=where, hint="use letters, digits and dashes")


def normalize_url_path(text: str, where: SourceLocation) -> str:
    """An author's `path:`/`permalink:` (or a filled pattern) as a safe site-relative URL path
    ("/a/b/", "/a/b.html")."""
    text = text.strip()
    if not text.startswith("/"):
        text = "/" + text
    segments = text.split("/")
    if (any(s in (".", "..") for s in segments) or "\\" in text or "\x00" in text
            or re.search(r"%(2e|2f|5c|00)", text, re.I) or "//" in text or re.match(r"^/?[a-z]+:", text, re.I)):
        raise FrontmatterError(f"URL {text!r} escapes the site or is not a plain path",
                               location=where, hint='write a path like "/my-post/" without .. or \\')
    if not re.search(r"\.[A-Za-z0-9]+$", text) and not text.endswith("/"):
        text += "/"
    # /x/index.html is the file /x/ names: one URL, so that two posts asking for it collide
    return text[:-len("index.html")] if text.endswith("/index.html") else text
