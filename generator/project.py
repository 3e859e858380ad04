"""The frontmatter defaults and site settings a Quarto, Jekyll or Hugo project keeps outside its
posts.

An author who copies posts into ``content/posts/`` copies these files too, and the posts keep the
meaning they had:

- Quarto's ``_metadata.yml`` (or ``_metadata.yaml``) in a folder under ``content/`` applies to
  every post in that folder and below; ``_quarto.yml`` (or ``_quarto.yaml``) at the site folder
  applies to every post: its top-level document options (``execute:``, ``format:``,
  ``bibliography:``, ``crossref:``...), not the project's own tables (``project:``, ``website:``,
  ``book:``...). Its ``website:`` ``title``, ``site-url`` and ``description`` are site settings.
- Jekyll's ``_config.yml`` at the site folder: ``defaults:`` (``scope: {path, type}`` and
  ``values:``) sets frontmatter by path and type, as Jekyll matches them against its own layout
  (a post ``content/posts/x.md`` is ``_posts/x.md``, a page ``content/pages/x.md`` is
  ``x.md``); ``scholar:`` names the site's bibliography; ``title``, ``url`` + ``baseurl``,
  ``author``, ``description`` and ``excerpt_separator`` are site settings.
- Quarto's ``metadata-files`` (and ``metadata-file``) in ``_quarto.yml`` or ``_metadata.yml``
  name files read over the one naming them, and the active profiles' ``_quarto-<name>.yml`` are
  read over ``_quarto.yml``. Lists set by Quarto's files add up with those above them.
- Hugo's ``cascade:`` in a section's ``_index.md`` applies below its folder, entry by entry as its
  ``target`` (``path`` and ``kind`` globs) picks the pages; the ``cascade`` of Hugo's site config
  (``hugo.toml``... ``config/_default/``) applies below them all. Its ``title``, ``baseURL``,
  ``languageCode``, ``params``' ``description`` and ``author`` are site settings.
- Each tool's URL pattern (Jekyll's ``permalink``, Hugo's ``[permalinks]``, a Quarto website's
  own URLs; ``generator.permalinks``) is the site's ``permalink``, so that posts keep their URLs.

Layers, farthest first: ``_quarto.yml`` (its listed files, its profiles'), Jekyll's defaults (the
more specific scope over the less, as Jekyll orders them), the Hugo cascades and ``_metadata.yml``
files from ``content/`` down to the post's folder, then the post itself. Maps merge key by key
(``frontmatter.merge_frontmatter``); paths keep being relative to the file that names them
(``PostMeta.inherited`` says which). A post's title, slug, date and URL are its own: a default for
them is ignored, with a warning. Site settings only fill what ``site.toml`` leaves unset
(``config.load_config``'s ``fallbacks``).

The files are read with the frontmatter's YAML safety (duplicate keys, aliases, depth) and every
error names ``file:line``. A file is parsed again only when its bytes change.
"""
from __future__ import annotations

import fnmatch
import functools
import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from .errors import Diagnostic, FrontmatterError, SourceLocation
from .frontmatter import (compose_mapping, construct_mapping, load_toml, merge_frontmatter,
                          read_frontmatter, slugify)
from .records import Inherited, SourceFile
from .uptodate import (HUGO_CONFIG_FOLDER, HUGO_DEFAULT_FOLDER, HUGO_NAMES, HUGO_SUFFIXES,
                       JEKYLL_NAMES, QUARTO_NAMES, QUARTO_PROFILE_VARIABLE, hugo_environment)
from . import permalinks

# _quarto.yml's tables that describe the project, not a document
QUARTO_PROJECT_KEYS = frozenset({"project", "website", "book", "manuscript", "profile",
                                 "metadata-file", "metadata-files", "brand"})
# What makes a post's URL and identity: never inherited (every post would get the same).
OWN_KEYS = ("title", "slug", "date", "path", "permalink", "url")
MAX_FILE_BYTES = 2_000_000
JEKYLL_SCHOLAR_SOURCE = "./_bibliography"
JEKYLL_SCHOLAR_FILE = "references.bib"
WARNING_KIND = "defaults"


@dataclass(frozen=True)
class DefaultsLayer:
    """One set of defaults: a ``_metadata.yml``, ``_quarto.yml``'s document options, or one
    entry of Jekyll's ``defaults:``."""

    rel: str  # the file, relative to the site folder
    values: Mapping[str, Any]
    lines: Mapping[str, int]  # key -> line of the file
    scope_path: str = ""  # Jekyll: the scope's path ("" for every file)
    scope_type: str = ""  # Jekyll: posts, pages... ("" for any)
    concatenates: bool = False  # Quarto's files: a list adds to the one below it
    target_path: str = ""  # Hugo: the glob a page's path must match ("" for any)
    target_kind: str = ""  # Hugo: the glob its kind (always `page` here) must match


@dataclass(frozen=True)
class Project:
    """A site's project files, read: what its posts inherit and what its config falls back to."""

    quarto: tuple[DefaultsLayer, ...] = ()  # _quarto.yml, its metadata files, active profiles'
    jekyll: tuple[DefaultsLayer, ...] = ()
    folders: Mapping[str, tuple[DefaultsLayer, ...]] = field(default_factory=dict)  # content-
    #   relative folder ("" for content/ itself) -> its _metadata.yml and the files it lists
    site: Mapping[str, tuple[Any, SourceLocation]] = field(default_factory=dict)  # config.py's
    #   ``fallbacks``: setting -> (value, where the project file sets it)
    cascades: Mapping[str, tuple[DefaultsLayer, ...]] = field(default_factory=dict)  # content-
    #   relative folder -> the `cascade:` entries of its Hugo _index.md, in the file's order
    hugo: tuple[DefaultsLayer, ...] = ()  # the `cascade` entries of Hugo's site config
    diagnostics: tuple[Diagnostic, ...] = ()
    watched: tuple[Path, ...] = ()  # files outside content/ whose change matters (a .bib named)

    @property
    def empty(self) -> bool:
        return not (self.quarto or self.jekyll or self.folders or self.cascades or self.hugo)

    def inherit(self, sources: Iterable[SourceFile]) -> dict[str, Inherited]:
        """What each source inherits (by ``rel``); sources that inherit nothing are left out.
        The merge is made once per folder and kind, so a thousand posts cost a few merges."""
        if self.empty:
            return {}
        memo: dict[tuple, Inherited | None] = {}
        found: dict[str, Inherited] = {}
        for source in sources:
            folder = source.content_rel.rpartition("/")[0]
            jekyll: tuple[int, ...] = ()
            if self.jekyll:
                kind = "posts" if source.kind == "post" else "pages"
                candidates = _ancestors(_jekyll_path(source))
                jekyll = tuple(index for index, layer in enumerate(self.jekyll)
                               if _jekyll_applies(layer, kind, candidates))
            cascades: tuple[tuple[str, int], ...] = ()
            hugo: tuple[int, ...] = ()
            if self.cascades or self.hugo:
                path = _hugo_path(source)
                cascades = tuple((above, index) for above in _folders_above(folder)
                                 for index, layer in enumerate(self.cascades.get(above, ()))
                                 if _hugo_targets(layer, path))
                hugo = tuple(index for index, layer in enumerate(self.hugo)
                             if _hugo_targets(layer, path))
            key = (folder, jekyll, cascades, hugo)
            if key not in memo:
                memo[key] = self._merged(folder, jekyll, cascades, hugo)
            if memo[key] is not None:
                found[source.rel] = memo[key]
        return found

    def _merged(self, folder: str, jekyll: tuple[int, ...],
                cascades: tuple[tuple[str, int], ...], hugo: tuple[int, ...]
                ) -> Inherited | None:
        layers: list[DefaultsLayer] = list(self.quarto)
        layers.extend(_jekyll_order([self.jekyll[index] for index in jekyll]))
        # the site config's cascade is below every _index.md's; its first match wins, as theirs
        layers.extend(self.hugo[index] for index in reversed(hugo))
        for above in _folders_above(folder):
            # Hugo gives a key the first matching entry's value: later entries go below it
            layers.extend(self.cascades[above][index] for found, index in reversed(cascades)
                          if found == above)
            layers.extend(self.folders.get(above, ()))
        values: dict[str, Any] = {}
        origins: dict[str, SourceLocation] = {}
        concatenated: set[str] = set()
        for layer in layers:
            values = merge_frontmatter(values, layer.values,
                                       concatenate=layer.values if layer.concatenates else ())
            for key in layer.values:
                origins[key] = SourceLocation(layer.rel, layer.lines.get(key, 0))
                (concatenated.add if layer.concatenates else concatenated.discard)(key)
        if not values:
            return None
        digest = hashlib.sha256(json.dumps(
            [values, {key: where.path for key, where in origins.items()}, sorted(concatenated)],
            default=repr, ensure_ascii=False).encode("utf-8", "surrogatepass")).hexdigest()
        return Inherited(values, origins, digest, frozenset(concatenated))


def _folders_above(folder: str) -> list[str]:
    """``""``, ``a``, ``a/b`` for ``a/b``: content/ and the folders down to ``folder``."""
    parts = folder.split("/") if folder else []
    return ["/".join(parts[:depth]) for depth in range(len(parts) + 1)]


def _hugo_path(source: SourceFile) -> str:
    """The source's logical path as Hugo matches a cascade's ``path`` against it: below
    content/, without the suffix or a bundle's ``/index``, lower case, spaces as hyphens; a page
    of content/pages/ at the top, where a Hugo site keeps it (``/about``)."""
    head, _, rest = source.content_rel.partition("/")
    path = rest if source.kind == "page" and head == "pages" else source.content_rel
    path = path.rpartition(".")[0] or path
    if path == "index" or path.endswith("/index"):
        path = path[:-len("index")].rstrip("/")
    return "/" + path.lower().replace(" ", "-")


def _hugo_targets(layer: DefaultsLayer, path: str) -> bool:
    """Whether a cascade entry's ``target`` takes the page at ``path`` (a regular page)."""
    return (not layer.target_path or _hugo_glob(layer.target_path).match(path) is not None) \
        and (not layer.target_kind or _hugo_glob(layer.target_kind).match("page") is not None)


@functools.lru_cache(maxsize=256)
def _hugo_glob(pattern: str) -> re.Pattern[str]:
    """Hugo's glob as a regular expression: ``**`` any text, ``*`` and ``?`` any within one path
    part, ``{a,b}`` either, ``[abc]``, ``[!abc]``. Raises ``ValueError`` on a broken one."""
    out: list[str] = []
    index, depth = 0, 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**", index):
            out.append(".*")
            index += 2
            continue
        if char == "[" and (end := pattern.find("]", index + 2)) > 0:
            body = pattern[index + 1:end]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body)
                       .replace("\\", "\\\\") + "]")
            index = end + 1
            continue
        if char == "{":
            depth += 1
            out.append("(?:")
        elif char == "}" and depth:
            depth -= 1
            out.append(")")
        elif char == "," and depth:
            out.append("|")
        else:
            out.append({"*": "[^/]*", "?": "[^/]"}.get(char) or re.escape(char))
        index += 1
    if depth:
        raise ValueError(f"`{pattern}` opens a `{{` it never closes")
    return re.compile("".join(out) + r"\Z")


def _jekyll_path(source: SourceFile) -> str:
    """Where the source sits in a Jekyll site: posts in ``_posts/``, pages at its root."""
    head, _, rest = source.content_rel.partition("/")
    if source.kind == "post":
        return "_posts/" + rest if head == "posts" else source.content_rel
    return rest if head == "pages" else source.content_rel


def _ancestors(path: str) -> list[str]:
    """``a/b/c.md``, ``a/b``, ``a``: a path and the folders above it."""
    parts = path.split("/")
    return ["/".join(parts[:end]) for end in range(len(parts), 0, -1)]


def _jekyll_applies(layer: DefaultsLayer, kind: str, candidates: list[str]) -> bool:
    """Jekyll's rule: the scope's type is the source's (``posts``, ``pages``), and its path is
    the source's path or a folder above it (``candidates``; a glob when it has ``*``)."""
    if layer.scope_type and layer.scope_type != kind:
        return False
    if not layer.scope_path:
        return True
    if "*" in layer.scope_path:
        return any(fnmatch.fnmatchcase(candidate, layer.scope_path) for candidate in candidates)
    return layer.scope_path in candidates


def _jekyll_order(layers: list[DefaultsLayer]) -> list[DefaultsLayer]:
    """Matching defaults as Jekyll applies them, weakest first: a longer scope path wins, then a
    scope with a type; between equals, the later in the file wins."""
    return sorted(layers, key=lambda layer: (len(layer.scope_path), bool(layer.scope_type)))


# ---------------------------------------------------------------- reading

def load_project(root: Path, metadata_files: Iterable[Path], profile: str | None = None,
                 section_files: Iterable[Path] = (), environment: str | None = None) -> Project:
    """Read the site's project files: ``_quarto.yml`` (with the files it lists and those of the
    active ``profile``s: ``None`` reads ``QUARTO_PROFILE``), ``_config.yml`` and Hugo's config
    (``config/ENVIRONMENT/`` over ``config/_default/``: ``None`` reads ``HUGO_ENVIRONMENT``, else
    ``production``) at ``root``, and the ``_metadata.yml`` and Hugo ``_index.md`` files
    discovery found. Raises ``FrontmatterError`` with ``file:line``."""
    environment = hugo_environment(environment)
    diagnostics: list[Diagnostic] = []
    site: dict[str, tuple[Any, SourceLocation]] = {}
    watched: list[Path] = []
    quarto: tuple[DefaultsLayer, ...] = ()
    jekyll: tuple[DefaultsLayer, ...] = ()
    # Each tool's own URL pattern for a site that names none, in the order the files are read:
    # the first is the site's when neither site.toml nor any project file sets a permalink.
    tool_patterns: list[tuple[str, SourceLocation]] = []
    for name in JEKYLL_NAMES:
        if (root / name).is_file():
            jekyll = _read_jekyll(root, name, site, diagnostics, watched, tool_patterns)
    for name in QUARTO_NAMES:
        if (root / name).is_file():
            if profile is None:
                profile = os.environ.get(QUARTO_PROFILE_VARIABLE, "")
            quarto = _read_quarto(root, name, profile, site, diagnostics, watched, tool_patterns)
            break
    hugo = _read_hugo(root, environment, site, diagnostics, watched, tool_patterns)
    if tool_patterns:
        site.setdefault("permalink", tool_patterns[0])
    folders: dict[str, tuple[DefaultsLayer, ...]] = {}
    content = root / "content"
    for path in sorted(metadata_files):
        rel = path.relative_to(root).as_posix()
        folder = path.parent.relative_to(content).as_posix()
        folder = "" if folder == "." else folder
        if folder in folders:
            raise FrontmatterError(f"both {folders[folder][0].rel} and "
                                   f"{PurePosixPath(rel).name} set this folder's defaults",
                                   location=SourceLocation(rel),
                                   hint="keep one of the two files")
        values, lines = _read_mapping(path, rel)
        listed = _listed_files(root, rel, values, diagnostics, watched)
        folders[folder] = tuple(_layer(file_rel, _without_lists_of_files(file_values),
                                       file_lines, diagnostics, concatenates=True)
                                for file_rel, file_values, file_lines in ((rel, values, lines),
                                                                          *listed))
    cascades = {}
    for path in sorted(section_files):
        folder = path.parent.relative_to(content).as_posix()
        entries = _read_cascades(path, path.relative_to(root).as_posix(), environment,
                                 diagnostics)
        if entries:
            cascades["" if folder == "." else folder] = entries
    return Project(quarto, jekyll, folders, site, cascades, hugo, tuple(diagnostics),
                   tuple(watched))


def _read_cascades(path: Path, rel: str, environment: str, diagnostics: list[Diagnostic]
                   ) -> tuple[DefaultsLayer, ...]:
    """The ``cascade:`` of a Hugo section's ``_index.md``, in YAML, TOML or JSON frontmatter: a
    map, or a list of maps each with an optional ``target`` (or ``_target``)."""
    text = _decoded(path, rel)
    lines = text.split("\n")
    data, body_start, _ = read_frontmatter(text, rel)
    if "\n".join(lines[body_start:]).strip():
        diagnostics.append(Diagnostic(
            SourceLocation(rel, body_start + 1),
            "a Hugo section's text is not published: Stride makes no section pages",
            "move the text into a page of content/pages/", WARNING_KIND))
    if not isinstance(data, dict) or data.get("cascade") is None:
        return ()
    return _cascade_layers(data["cascade"], rel, lines, _key_line(lines, 1, "cascade"),
                           environment, diagnostics)


def _cascade_layers(cascade: Any, rel: str, lines: list[str], cursor: int, environment: str,
                    diagnostics: list[Diagnostic]) -> tuple[DefaultsLayer, ...]:
    """A Hugo ``cascade`` (of an ``_index.md`` or the site's config) whose key is on line
    ``cursor`` of ``rel``: a map, or a list of maps each with an optional ``target``; an entry
    whose target's ``environment`` glob does not match ``environment`` applies nowhere."""
    hint = "cascade:\n  - params: {math: true}\n    target: {path: \"/posts/**\"}"
    entries = [cascade] if isinstance(cascade, dict) else cascade
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise FrontmatterError("`cascade` must be a map of frontmatter, or a list of such maps",
                               location=SourceLocation(rel, cursor), hint=hint)
    layers = []
    for entry in entries:
        values = dict(entry)
        target_name = "target" if "target" in values else "_target"
        target = values.pop("target", None)
        legacy_target = values.pop("_target", None)
        target = target if target is not None else legacy_target
        key_lines = {key: _key_line(lines, cursor, key) for key in entry}
        where = SourceLocation(rel, key_lines.get(target_name, cursor))
        if target is None:
            target = {}
        if not isinstance(target, dict) or not all(
                isinstance(target.get(key, ""), str) for key in ("path", "kind", "environment")):
            raise FrontmatterError(f"a cascade's `{target_name}` is a map whose `path`, `kind` "
                                   "and `environment` are globs (text)", location=where,
                                   hint=hint)
        for key in target:
            if key not in ("path", "kind", "environment"):
                diagnostics.append(Diagnostic(
                    where, f"`{target_name}: {key}` is not read: the cascade applies as if it "
                           "were not there" + (" (Stride builds one language)" if key == "lang"
                                              else ""),
                    f"remove `{key}`, or move the pages it picks into a folder of their own",
                    WARNING_KIND))
        for key in ("path", "kind", "environment"):
            try:
                _hugo_glob(target.get(key, ""))
            except (ValueError, re.error) as error:
                raise FrontmatterError(f"a cascade's `{target_name}: {key}` is not a glob: "
                                       f"{error}", location=where, hint=hint) from None
        cursor = max(key_lines.values(), default=cursor) + 1
        if not _hugo_glob(target.get("environment", "") or "**").fullmatch(environment):
            continue
        layers.append(_layer(rel, values, key_lines, diagnostics,
                             target_path=target.get("path", "").strip(),
                             target_kind=target.get("kind", "").strip()))
    return tuple(layers)


def _key_line(lines: list[str], start: int, key: str) -> int:
    """The line at or after ``start`` that sets ``key``, in YAML (``key:``, ``- key:``), TOML
    (``key =``, ``[key]``, ``[[key]]``) or JSON (``"key":``); ``start`` if none does."""
    pattern = re.compile(rf"^\s*(?:-\s+)?(?:\[\[?\s*)?[\"']?{re.escape(key)}[\"']?\s*[:=\].]")
    for number in range(max(start, 1), len(lines) + 1):
        if pattern.match(lines[number - 1]):
            return number
    return start


def _read_mapping(path: Path, rel: str) -> tuple[dict[str, Any], dict[str, int]]:
    return _parsed(rel, _decoded(path, rel))


def _decoded(path: Path, rel: str) -> str:
    """A project file's text, with Unix line ends."""
    data = path.read_bytes()
    if len(data) > MAX_FILE_BYTES:
        raise FrontmatterError(f"the file is {len(data):,} bytes; a defaults file is limited to "
                               f"{MAX_FILE_BYTES:,}", location=SourceLocation(rel),
                               hint="keep only the settings the posts need")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise FrontmatterError("the file is not valid UTF-8", location=SourceLocation(rel, line),
                               hint="save it as UTF-8 in your editor") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


@functools.lru_cache(maxsize=64)
def _parsed(rel: str, text: str) -> tuple[dict[str, Any], dict[str, int]]:
    """A file's values and the line of each key; the same text is parsed once per process (a
    ``serve`` session reads the files on every rebuild). Callers never change what it returns."""
    node = _node(rel, text)
    return construct_mapping(node, rel, 1) if node is not None else ({}, {})


@functools.lru_cache(maxsize=64)
def _node(rel: str, text: str) -> yaml.MappingNode | None:
    return compose_mapping(text, rel, 1, "this file")


def _layer(rel: str, values: Mapping[str, Any], lines: Mapping[str, int],
           diagnostics: list[Diagnostic], scope_path: str = "", scope_type: str = "", *,
           concatenates: bool = False, target_path: str = "", target_kind: str = ""
           ) -> DefaultsLayer:
    """A layer without the keys that belong to each post, each dropped with a warning."""
    kept = dict(values)
    for key in OWN_KEYS:
        if key in kept:
            del kept[key]
            hint = ("the site's URL pattern is `permalink` in site.toml"
                    if key in ("permalink", "path", "url") else f"set `{key}:` in each post")
            diagnostics.append(Diagnostic(
                SourceLocation(rel, lines.get(key, 0)),
                f"`{key}` is not inherited: each post has its own", hint, WARNING_KIND))
    return DefaultsLayer(rel, kept, lines, scope_path, scope_type, concatenates, target_path,
                         target_kind)


def _read_quarto(root: Path, name: str, profile: str,
                 site: dict[str, tuple[Any, SourceLocation]], diagnostics: list[Diagnostic],
                 watched: list[Path], tool_patterns: list[tuple[str, SourceLocation]]
                 ) -> tuple[DefaultsLayer, ...]:
    """``_quarto.yml``, then the files its ``metadata-files`` lists, then the active profiles'
    ``_quarto-<name>.yml``: Quarto merges each over the ones before (``project-context.ts`` and
    ``project-profile.ts``), and so do their ``website:`` settings."""
    values, lines = _read_mapping(root / name, name)
    files = [(name, values, lines), *_listed_files(root, name, values, diagnostics, watched)]
    for profile_name in reversed(_active_profiles(profile, values.get("profile"),
                                                  SourceLocation(name, lines.get("profile", 0)))):
        # merged in reverse, so that the first profile named wins, as Quarto merges them
        candidates = [root / f"_quarto-{profile_name}{suffix}" for suffix in (".yml", ".yaml")]
        watched.extend(candidates)
        found = next((path for path in candidates if path.is_file()), None)
        if found is not None:
            files.append((found.name, *_read_mapping(found, found.name)))
    website: dict[str, tuple[Any, SourceLocation]] = {}
    for rel, file_values, file_lines in files:
        table = file_values.get("website")
        if not isinstance(table, dict):
            continue
        text = (root / rel).read_text(encoding="utf-8-sig")
        for key, setting in (("title", "title"), ("site-url", "base_url"),
                             ("description", "description")):
            if table.get(key) not in (None, ""):
                website[setting] = (table[key], SourceLocation(
                    rel, _nested_line(text, file_lines.get("website", 1), key)))
    for setting, found_at in website.items():
        site.setdefault(setting, found_at)
    project = values.get("project")
    if isinstance(project, dict) and project.get("type") == "website":
        tool_patterns.append((permalinks.QUARTO_DEFAULT, SourceLocation(
            name, _nested_line((root / name).read_text(encoding="utf-8-sig"),
                               lines.get("project", 1), "type"))))
    return tuple(_layer(rel, {key: value for key, value in file_values.items()
                              if key not in QUARTO_PROJECT_KEYS},
                        file_lines, diagnostics, concatenates=True)
                 for rel, file_values, file_lines in files)


def _active_profiles(profile: str, settings: Any, where: SourceLocation) -> list[str]:
    """The profiles Quarto activates: those named (``--profile``, else ``QUARTO_PROFILE``: names
    separated by commas), else ``profile: default:``; then, for each ``profile: group:`` none of
    whose names is active, its first (``project-profile.ts``)."""
    hint = "profile:\n  default: draft\n  group: [[draft, final]]"
    if settings is None:
        settings = {}
    if not isinstance(settings, dict):
        raise FrontmatterError("`profile` must be a map with `default` and `group`",
                               location=where, hint=hint)
    default = settings.get("default")
    if default is not None and not _names(default):
        raise FrontmatterError("`profile: default` must be a profile's name or a list of names",
                               location=where, hint=hint)
    group = settings.get("group")
    groups = [group] if _names(group) and isinstance(group, list) else group or []
    if not isinstance(groups, list) or not all(isinstance(names, list) and _names(names)
                                               for names in groups):
        raise FrontmatterError("`profile: group` must be a list of names, or a list of such "
                               "lists", location=where, hint=hint)
    named = profile.split(",") if profile.strip() else (
        default.split(",") if isinstance(default, str) else [str(item) for item in default or ()])
    active = [name.strip() for name in named if name.strip()]
    for names in groups:
        if names and not any(str(name) in active for name in names):
            active.append(str(names[0]))
    return active


def _names(value: Any) -> bool:
    """A profile's name, or a list of names."""
    if isinstance(value, list):
        return all(isinstance(item, (str, int)) and not isinstance(item, bool) for item in value)
    return isinstance(value, str)


def _listed_files(root: Path, rel: str, values: Mapping[str, Any],
                  diagnostics: list[Diagnostic], watched: list[Path]
                  ) -> list[tuple[str, dict[str, Any], dict[str, int]]]:
    """The files a Quarto file's ``metadata-file`` and ``metadata-files`` name, relative to its
    folder, read in that order (``includedMetadata`` in Quarto's ``config/metadata.ts``)."""
    if "metadata-file" not in values and "metadata-files" not in values:
        return []
    text = (root / rel).read_text(encoding="utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    node = _node(rel, text)
    nodes = {str(key.value): value for key, value in node.value} if node is not None else {}
    named: list[tuple[str, int]] = []
    for key in ("metadata-file", "metadata-files"):  # Quarto reads them in this order
        if key not in nodes:
            continue
        value_node = nodes[key]
        items = [value_node] if key == "metadata-file" else \
            value_node.value if isinstance(value_node, yaml.SequenceNode) else None
        if items is None or not all(isinstance(item, yaml.ScalarNode) and item.value.strip()
                                    for item in items):
            raise FrontmatterError(f"`{key}` must be " + (
                "a file's name" if key == "metadata-file" else "a list of file names"),
                location=SourceLocation(rel, value_node.start_mark.line + 1),
                hint="metadata-files:\n  - _shared.yml")
        named.extend((item.value.strip(), item.start_mark.line + 1) for item in items)
    folder = (root / rel).parent
    listed = []
    for file, line in named:
        path = folder / file
        where = SourceLocation(rel, line)
        if not path.resolve().is_relative_to(root.resolve()):
            raise FrontmatterError(f"`{file}` is outside the site folder: it is not read",
                                   location=where, hint="copy it into the site folder")
        watched.append(path)
        if not path.is_file():
            raise FrontmatterError(f"the metadata file `{file}` is not there "
                                   f"({path.relative_to(root).as_posix()})",
                                   location=where, hint="copy it there, or remove the line")
        file_rel = path.resolve().relative_to(root.resolve()).as_posix()
        listed.append((file_rel, *_read_mapping(path, file_rel)))
    return listed


def _without_lists_of_files(values: Mapping[str, Any]) -> dict[str, Any]:
    """A ``_metadata.yml``'s keys but those naming the files read with it."""
    return {key: value for key, value in values.items()
            if key not in ("metadata-file", "metadata-files")}


def _read_jekyll(root: Path, name: str, site: dict[str, tuple[Any, SourceLocation]],
                 diagnostics: list[Diagnostic], watched: list[Path],
                 tool_patterns: list[tuple[str, SourceLocation]]) -> tuple[DefaultsLayer, ...]:
    values, lines = _read_mapping(root / name, name)

    def where(key: str) -> SourceLocation:
        return SourceLocation(name, lines.get(key, 0))

    permalink = values.get("permalink")
    if permalink in (None, ""):
        # Jekyll's own default, so that a blog that never set one keeps its URLs too
        tool_patterns.append((permalinks.from_jekyll(permalinks.JEKYLL_DEFAULT_STYLE),
                              SourceLocation(name, 1)))
    elif not isinstance(permalink, str):
        raise FrontmatterError(f"`permalink` must be a style's name or a template, not "
                               f"{permalink!r}", location=where("permalink"),
                               hint="permalink: /:year/:month/:day/:title/")
    else:
        site["permalink"] = (_foreign_pattern(permalinks.from_jekyll, permalink,
                                              where("permalink"),
                                              "permalink: /:year/:month/:day/:title/"),
                             where("permalink"))

    for key, setting in (("title", "title"), ("description", "description"),
                         ("excerpt_separator", "excerpt_separator")):
        if values.get(key) not in (None, ""):
            site[setting] = (values[key], where(key))
    author = values.get("author")
    if isinstance(author, dict):
        author = author.get("name")
    if author not in (None, ""):
        site["author"] = (author, where("author"))
    url = values.get("url")
    if isinstance(url, str) and url.strip():
        base = values.get("baseurl") or ""
        base = base.strip().strip("/") if isinstance(base, str) else ""
        site["base_url"] = (url.strip().rstrip("/") + "/" + (base + "/" if base else ""),
                            where("url"))
    if "scholar" in values:
        _read_scholar(root, name, values["scholar"], where("scholar"), site, diagnostics, watched)
    if "defaults" not in values:
        return ()
    node = _node(name, (root / name).read_text(encoding="utf-8-sig")
                 .replace("\r\n", "\n").replace("\r", "\n"))
    return tuple(_jekyll_defaults(node, name, diagnostics))


def _read_scholar(root: Path, name: str, scholar: Any, where: SourceLocation,
                  site: dict[str, tuple[Any, SourceLocation]], diagnostics: list[Diagnostic],
                  watched: list[Path]) -> None:
    """jekyll-scholar's bibliography, ``source`` + ``bibliography`` (default
    ``./_bibliography/references.bib``; a name without a suffix is a ``.bib``), as the site's."""
    scholar = scholar if isinstance(scholar, dict) else {}
    folder = scholar.get("source") or JEKYLL_SCHOLAR_SOURCE
    file = scholar.get("bibliography") or JEKYLL_SCHOLAR_FILE
    if not isinstance(folder, str) or not isinstance(file, str):
        raise FrontmatterError("jekyll-scholar's `source` and `bibliography` must be file names",
                               location=where, hint="bibliography: references.bib")
    if not PurePosixPath(file).suffix:
        file += ".bib"
    relative = PurePosixPath(folder.strip().lstrip("/"), file.strip())
    parts = [part for part in relative.parts if part != "."]
    bibliography = PurePosixPath(*parts).as_posix() if parts else file
    path = root / bibliography
    watched.append(path)
    if path.is_file():
        site["plugins.compat.bibliography"] = (bibliography, where)
    else:
        diagnostics.append(Diagnostic(
            where, f"jekyll-scholar's bibliography `{bibliography}` is not in the site folder: "
                   "citations have no works to show",
            f"copy it to {bibliography}, or set [plugins.compat] bibliography in site.toml",
            WARNING_KIND))


def _jekyll_defaults(node: yaml.MappingNode | None, name: str,
                     diagnostics: list[Diagnostic]) -> list[DefaultsLayer]:
    listed = next((value for key, value in (node.value if node is not None else ())
                   if str(key.value) == "defaults"), None)
    if listed is None or isinstance(listed, yaml.ScalarNode) and listed.value in ("", "~", "null"):
        return []  # `defaults:` left empty
    hint = "defaults:\n  - scope: {path: \"_posts\", type: \"posts\"}\n    values: {author: Me}"
    if not isinstance(listed, yaml.SequenceNode):
        raise FrontmatterError("`defaults` must be a list of `- scope: ... values: ...` entries",
                               location=SourceLocation(name, listed.start_mark.line + 1),
                               hint=hint)
    layers = []
    for entry in listed.value:
        line = SourceLocation(name, entry.start_mark.line + 1)
        parts = {str(key.value): value for key, value in entry.value} \
            if isinstance(entry, yaml.MappingNode) else None
        values_node = parts.get("values") if parts is not None else None
        if values_node is None or not isinstance(values_node, yaml.MappingNode):
            raise FrontmatterError("an entry of `defaults` needs `values:`, a map of frontmatter",
                                   location=line, hint=hint)
        scope: Any = {}
        if parts.get("scope") is not None:
            scope, _ = construct_mapping(parts["scope"], name, 1) \
                if isinstance(parts["scope"], yaml.MappingNode) else (None, None)
        if not isinstance(scope, dict) or not all(
                isinstance(scope.get(key, ""), str) for key in ("path", "type")):
            raise FrontmatterError("a `scope` is a map with a `path` and a `type`, both text",
                                   location=line, hint=hint)
        values, lines = construct_mapping(values_node, name, 1)
        path = scope.get("path", "").strip()
        while path.startswith(("./", "/")):
            path = path[1:] if path.startswith("/") else path[2:]
        layers.append(_layer(name, values, lines, diagnostics, path.rstrip("/"),
                             scope.get("type", "").strip()))
    return layers


def _foreign_pattern(translate, text: str, where: SourceLocation, hint: str) -> str:
    """Another tool's permalink as Stride's pattern; a token Stride cannot fill stops the build
    where it is written."""
    try:
        return translate(text)
    except permalinks.UnknownToken as error:
        raise FrontmatterError(str(error), location=where, hint=hint) from None


HUGO_KEY_FILES = ("params", "permalinks")  # config/_default/params.toml holds [params]' keys
HUGO_PERMALINK_HINT = '[permalinks.page]\nposts = "/:year/:month/:slug/"'


def _read_hugo(root: Path, environment: str, site: dict[str, tuple[Any, SourceLocation]],
               diagnostics: list[Diagnostic], watched: list[Path],
               tool_patterns: list[tuple[str, SourceLocation]]) -> tuple[DefaultsLayer, ...]:
    """Hugo's site configuration, as Hugo merges it: ``config/ENVIRONMENT/``'s files over
    ``config/_default/``'s, over the first of ``hugo.toml`` ... ``config.json`` at the site
    folder. A configuration folder holds a ``hugo.*`` or ``config.*``, and ``params.*`` and
    ``permalinks.*`` holding that key. Its settings fill only what is not set already (the
    files are read from the one that wins); its ``cascade``s are returned, as layers."""
    files: list[tuple[str, str | None]] = []
    for folder in (environment, HUGO_DEFAULT_FOLDER):
        for stems, key in ((("hugo", "config"), None),
                           *(((name,), name) for name in HUGO_KEY_FILES)):
            candidates = [f"{HUGO_CONFIG_FOLDER}/{folder}/{stem}{suffix}" for stem in stems
                          for suffix in HUGO_SUFFIXES]
            watched.extend(root / name for name in candidates)
            files += [(name, key) for name in candidates if (root / name).is_file()][:1]
    files += [(name, None) for name in HUGO_NAMES if (root / name).is_file()][:1]
    if not files:
        return ()
    layers: tuple[DefaultsLayer, ...] | None = None
    pattern_set = False
    for rel, key in files:
        text = _decoded(root / rel, rel)
        values = _hugo_values(text, rel)
        lines = text.split("\n")
        if key is not None:  # the file is that key's value: its keys start at line 1
            values, base = {key: values}, {key: 0}
        else:
            base = {}
        pattern_set |= _hugo_settings(rel, values, lines, base, site)
        cascade = {k.lower(): v for k, v in values.items()}.get("cascade")
        if cascade is not None and layers is None:  # the winning file's cascade replaces others'
            layers = _cascade_layers(cascade, rel, lines, _key_line(lines, 1, "cascade"),
                                     environment, diagnostics)
    if not pattern_set:
        tool_patterns.append((permalinks.HUGO_DEFAULT, SourceLocation(files[0][0], 1)))
    return layers or ()


def _hugo_values(text: str, rel: str) -> dict[str, Any]:
    suffix = PurePosixPath(rel).suffix
    if suffix in (".yaml", ".yml"):
        return dict(_parsed(rel, text)[0])
    if suffix == ".toml":
        return load_toml(text, rel, first_line=1, what="TOML",
                         hint='strings need quotes: title = "My blog"')
    try:
        values = json.loads(text or "{}")
    except json.JSONDecodeError as error:
        raise FrontmatterError(f"invalid JSON: {error.msg}",
                               location=SourceLocation(rel, error.lineno, error.colno),
                               hint='keys and strings need double quotes: "title": "My blog"'
                               ) from None
    if not isinstance(values, dict):
        raise FrontmatterError("Hugo's configuration must be a map of settings",
                               location=SourceLocation(rel, 1), hint='title = "My blog"')
    return values


def _hugo_settings(rel: str, values: Mapping[str, Any], lines: list[str],
                   base: Mapping[str, int], site: dict[str, tuple[Any, SourceLocation]]) -> bool:
    """Hugo's site settings that Stride has (keys in any case, as Hugo reads them) into
    ``site``, where nothing set them yet; whether the file names the posts' permalink."""
    keys = {key.lower(): key for key in values}

    def line(key: str, within: str = "") -> SourceLocation:
        """Where ``key`` is set: at the top, or in the table ``within`` (a key file's keys
        are its top)."""
        start = _key_line(lines, 1, keys[within]) if within and within not in base else 1
        return SourceLocation(rel, _key_line(lines, start, key))

    for key, setting in (("title", "title"), ("baseurl", "base_url"),
                         ("languagecode", "language"), ("author", "author")):
        value = values.get(keys.get(key, ""))
        if isinstance(value, dict) and key == "author":
            value = {k.lower(): v for k, v in value.items()}.get("name")
        if value not in (None, ""):
            site.setdefault(setting, (value, line(keys.get(key, key))))
    params = values.get(keys.get("params", ""))
    if isinstance(params, dict):
        lowered = {key.lower(): key for key in params}
        for key in ("description", "author"):
            value = params.get(lowered.get(key, ""))
            if isinstance(value, dict) and key == "author":
                value = {k.lower(): v for k, v in value.items()}.get("name")
            if value not in (None, ""):
                site.setdefault(key, (value, line(lowered[key], "params")))
    table = values.get(keys.get("permalinks", ""))
    if table is None:
        return False
    where = line(keys["permalinks"]) if "permalinks" not in base else SourceLocation(rel, 1)
    lowered = {str(key).lower(): value for key, value in table.items()} \
        if isinstance(table, dict) else None
    if isinstance(lowered, dict) and isinstance(lowered.get("page"), dict):
        lowered = {str(key).lower(): value for key, value in lowered["page"].items()}
    section = next((name for name in ("posts", "post") if lowered and name in lowered), None)
    if lowered is None or section is None:
        raise FrontmatterError("Hugo's `permalinks` names no pattern for `posts` (Stride's "
                               "posts are content/posts/)", location=where,
                               hint=HUGO_PERMALINK_HINT)
    pattern = lowered[section]
    found_at = SourceLocation(rel, _key_line(lines, max(where.line, 1), section))
    if not isinstance(pattern, str) or not pattern.strip():
        raise FrontmatterError(f"a permalink pattern is text, not {pattern!r}", location=found_at,
                               hint=HUGO_PERMALINK_HINT)
    site.setdefault("permalink", (_foreign_pattern(permalinks.from_hugo, pattern, found_at,
                                                   HUGO_PERMALINK_HINT), found_at))
    return True


def _nested_line(text: str, start: int, key: str) -> int:
    """The line of ``key:`` at or after line ``start`` (a key inside a table)."""
    lines = text.split("\n")
    for number in range(max(start, 1), len(lines) + 1):
        if lines[number - 1].lstrip().startswith(f"{key}:"):
            return number
    return start


def site_fallbacks(root: Path, profile: str | None = None, environment: str | None = None
                   ) -> Mapping[str, tuple[Any, SourceLocation]]:
    """The site settings of the project files at ``root`` alone (for ``config.load_config``'s
    ``fallbacks`` where no build runs: ``serve``'s base path, ``check``)."""
    return load_project(root, (), profile, environment=environment).site
