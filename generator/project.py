"""The frontmatter defaults and site settings a Quarto or Jekyll project keeps outside its posts.

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

Layers, farthest first: ``_quarto.yml``, Jekyll's defaults (the more specific scope over the less,
as Jekyll orders them), the ``_metadata.yml`` files from ``content/`` down to the post's folder,
then the post itself. Maps merge key by key (``frontmatter.merge_frontmatter``); paths keep being
relative to the file that names them (``PostMeta.inherited`` says which). A post's title, slug,
date and URL are its own: a default for them is ignored, with a warning. Site settings only fill
what ``site.toml`` leaves unset (``config.load_config``'s ``fallbacks``).

The files are read with the frontmatter's YAML safety (duplicate keys, aliases, depth) and every
error names ``file:line``. A file is parsed again only when its bytes change.
"""
from __future__ import annotations

import fnmatch
import functools
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from .errors import Diagnostic, FrontmatterError, SourceLocation
from .frontmatter import compose_mapping, construct_mapping, merge_frontmatter
from .records import Inherited, SourceFile
from .uptodate import JEKYLL_NAMES, QUARTO_NAMES

# _quarto.yml's tables that describe the project, not a document
QUARTO_PROJECT_KEYS = frozenset({"project", "website", "book", "manuscript", "profile",
                                 "metadata-files", "brand"})
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


@dataclass(frozen=True)
class Project:
    """A site's project files, read: what its posts inherit and what its config falls back to."""

    quarto: DefaultsLayer | None = None
    jekyll: tuple[DefaultsLayer, ...] = ()
    folders: Mapping[str, DefaultsLayer] = field(default_factory=dict)  # content-relative folder
    #   ("" for content/ itself) -> its _metadata.yml
    site: Mapping[str, tuple[Any, SourceLocation]] = field(default_factory=dict)  # config.py's
    #   ``fallbacks``: setting -> (value, where the project file sets it)
    diagnostics: tuple[Diagnostic, ...] = ()
    watched: tuple[Path, ...] = ()  # files outside content/ whose change matters (a .bib named)

    @property
    def empty(self) -> bool:
        return self.quarto is None and not self.jekyll and not self.folders

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
            key = (folder, jekyll)
            if key not in memo:
                memo[key] = self._merged(folder, jekyll)
            if memo[key] is not None:
                found[source.rel] = memo[key]
        return found

    def _merged(self, folder: str, jekyll: tuple[int, ...]) -> Inherited | None:
        layers: list[DefaultsLayer] = [self.quarto] if self.quarto is not None else []
        layers.extend(_jekyll_order([self.jekyll[index] for index in jekyll]))
        parts = folder.split("/") if folder else []
        for depth in range(len(parts) + 1):
            layer = self.folders.get("/".join(parts[:depth]))
            if layer is not None:
                layers.append(layer)
        values: dict[str, Any] = {}
        origins: dict[str, SourceLocation] = {}
        for layer in layers:
            values = merge_frontmatter(values, layer.values)
            for key in layer.values:
                origins[key] = SourceLocation(layer.rel, layer.lines.get(key, 0))
        if not values:
            return None
        digest = hashlib.sha256(json.dumps(
            [values, {key: str(where) for key, where in origins.items()}],
            default=repr, ensure_ascii=False).encode("utf-8", "surrogatepass")).hexdigest()
        return Inherited(values, origins, digest)


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

def load_project(root: Path, metadata_files: Iterable[Path]) -> Project:
    """Read the site's project files: ``_quarto.yml`` and ``_config.yml`` at ``root`` and the
    ``_metadata.yml`` files discovery found. Raises ``FrontmatterError`` with ``file:line``."""
    diagnostics: list[Diagnostic] = []
    site: dict[str, tuple[Any, SourceLocation]] = {}
    watched: list[Path] = []
    quarto = None
    jekyll: tuple[DefaultsLayer, ...] = ()
    for name in JEKYLL_NAMES:
        if (root / name).is_file():
            jekyll = _read_jekyll(root, name, site, diagnostics, watched)
    for name in QUARTO_NAMES:
        if (root / name).is_file():
            quarto = _read_quarto(root, name, site, diagnostics)
            break
    folders: dict[str, DefaultsLayer] = {}
    content = root / "content"
    for path in sorted(metadata_files):
        rel = path.relative_to(root).as_posix()
        folder = path.parent.relative_to(content).as_posix()
        folder = "" if folder == "." else folder
        if folder in folders:
            raise FrontmatterError(f"both {folders[folder].rel} and {PurePosixPath(rel).name} "
                                   "set this folder's defaults", location=SourceLocation(rel),
                                   hint="keep one of the two files")
        values, lines = _read_mapping(path, rel)
        folders[folder] = _layer(rel, values, lines, diagnostics)
    return Project(quarto, jekyll, folders, site, tuple(diagnostics), tuple(watched))


def _read_mapping(path: Path, rel: str) -> tuple[dict[str, Any], dict[str, int]]:
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
    return _parsed(rel, text.replace("\r\n", "\n").replace("\r", "\n"))


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
           diagnostics: list[Diagnostic], scope_path: str = "", scope_type: str = ""
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
    return DefaultsLayer(rel, kept, lines, scope_path, scope_type)


def _read_quarto(root: Path, name: str, site: dict[str, tuple[Any, SourceLocation]],
                 diagnostics: list[Diagnostic]) -> DefaultsLayer:
    values, lines = _read_mapping(root / name, name)
    document = {key: value for key, value in values.items() if key not in QUARTO_PROJECT_KEYS}
    website = values.get("website")
    if isinstance(website, dict):
        text = (root / name).read_text(encoding="utf-8-sig")
        for key, setting in (("title", "title"), ("site-url", "base_url"),
                             ("description", "description")):
            if website.get(key) not in (None, ""):
                site.setdefault(setting, (website[key], SourceLocation(
                    name, _nested_line(text, lines.get("website", 1), key))))
    return _layer(name, document, lines, diagnostics)


def _read_jekyll(root: Path, name: str, site: dict[str, tuple[Any, SourceLocation]],
                 diagnostics: list[Diagnostic], watched: list[Path]) -> tuple[DefaultsLayer, ...]:
    values, lines = _read_mapping(root / name, name)

    def where(key: str) -> SourceLocation:
        return SourceLocation(name, lines.get(key, 0))

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


def _nested_line(text: str, start: int, key: str) -> int:
    """The line of ``key:`` at or after line ``start`` (a key inside a table)."""
    lines = text.split("\n")
    for number in range(max(start, 1), len(lines) + 1):
        if lines[number - 1].lstrip().startswith(f"{key}:"):
            return number
    return start


def site_fallbacks(root: Path) -> Mapping[str, tuple[Any, SourceLocation]]:
    """The site settings of the project files at ``root`` alone (for ``config.load_config``'s
    ``fallbacks`` where no build runs: ``serve``'s base path, ``check``)."""
    return load_project(root, ()).site
