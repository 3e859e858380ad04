"""The site configuration: ``site.toml`` or ``site.yaml`` at the site root, validated against a
typed schema. Every message quotes the value, names ``site.toml:LINE`` and suggests a fix
(an unknown key gets "did you mean ...").
"""
from __future__ import annotations

import dataclasses
import difflib
import functools
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, get_type_hints

import yaml

from .errors import ConfigError, SourceLocation
from .permalinks import PATTERN_HINT, pattern_problem

CONFIG_NAMES = ("site.toml", "site.yaml", "site.yml")
# (plugin, option, value) -> None, raising ConfigError, TypeError or ValueError for a bad value:
# the plugins know their values, the config knows the line.
OptionCheck = Callable[[str, str, Any], None]
DEPLOY_KEYS = ("remote", "branch", "cname", "folder")


@dataclass(frozen=True)
class SiteConfig:
    """Every setting a site may make, with its default and what it means."""

    title: str = "A Stride blog"
    """The site's name, shown in the header, the feed and the title of every page."""
    author: str = ""
    """Default author of every post (feed and meta tags)."""
    base_url: str = "http://localhost:8000/"
    """Where the site is published; may carry a path (https://someone.github.io/blog/)."""
    description: str = ""
    """One sentence about the site, for the feed and meta description."""
    language: str = "en"
    """The lang attribute of every page."""
    permalink: str = "/{year}/{month}/{slug}/"
    """The URL pattern of posts: {year} {month} {day} {slug} {category}... (permalinks.FIELDS)."""
    posts_per_page: int = 10
    """How many posts an index page lists before paginating."""
    summary_words: int = 60
    """Length of an automatic summary when a post has neither summary: nor <!--more-->."""
    excerpt_separator: str = "<!--more-->"
    """The marker that ends a post's summary (Jekyll's and Hugo's default)."""
    date_format: str = "%d %B %Y"
    """strftime format of dates shown in pages."""
    execute: bool = True
    """Run ```{python} blocks at build time; false shows their code only (untrusted content)."""
    search: bool = False
    """Write a search index (/search/N.json, in parts) and a search page (/search/) linked in
    the header. Off unless asked for: the index holds every post's text and costs a tenth of a
    full build (docs/writing-loop.md, "The search index")."""
    search_words: int = 0
    """Words of each post's text the search index keeps (its first ones); 0 keeps them all."""
    menu: tuple[str, ...] = ()
    """Page slugs linked in the header, in order (default: every page in content/pages/)."""
    plugins: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Per-plugin options: [plugins.math] macros = {...}; see each plugin's documentation."""
    deploy: Mapping[str, str] = field(default_factory=dict)
    """Where `build.py deploy` publishes: [deploy] remote, branch, cname, or folder (flags win)."""
    source: str = ""
    """The config file this came from (set by the loader, not by the site)."""

    # The URL parts below are cached on the instance (the config is frozen, so they cannot go
    # stale): templates call link() and absolute() tens of times on every page.
    @functools.cached_property
    def base_path(self) -> str:
        """The URL path the site lives under: "/" or "/blog/"."""
        match = re.match(r"^[a-z][a-z0-9+.-]*://[^/]*(/.*)?$", self.base_url, re.I)
        path = (match.group(1) if match else "/") or "/"
        return path if path.endswith("/") else path + "/"

    @functools.cached_property
    def origin(self) -> str:
        """scheme://host of base_url, without the path."""
        match = re.match(r"^([a-z][a-z0-9+.-]*://[^/]*)", self.base_url, re.I)
        return match.group(1) if match else ""

    @functools.cached_property
    def _link_prefix(self) -> str:
        return self.base_path.rstrip("/")

    @functools.cached_property
    def _absolute_prefix(self) -> str:
        return self.origin + self._link_prefix

    def absolute(self, url_path: str) -> str:
        """A site-relative URL path ("/2024/01/x/") as an absolute URL."""
        return self._absolute_prefix + url_path

    def link(self, url_path: str) -> str:
        """A site-relative URL path as the path a browser requests (base path included)."""
        return self._link_prefix + url_path


def find_config(root: Path) -> Path | None:
    found = [root / name for name in CONFIG_NAMES if (root / name).is_file()]
    if len(found) > 1:
        raise ConfigError(f"both {found[0].name} and {found[1].name} exist",
                          location=SourceLocation(found[1].name),
                          hint="keep one configuration file and delete the other")
    return found[0] if found else None


def load_config(root: Path, *, plugin_options: Mapping[str, frozenset[str]] = MappingProxyType({}),
                check_option: OptionCheck | None = None,
                fallbacks: Mapping[str, tuple[Any, SourceLocation]] = MappingProxyType({})
                ) -> SiteConfig:
    """Read and validate the site's config; defaults everywhere when there is none.

    ``plugin_options`` maps each known plugin to the option names its function accepts.
    ``fallbacks`` are settings another generator's project file makes (``_quarto.yml``'s
    ``website: title:``, Jekyll's ``url``; ``generator.project``), each with where it is set:
    a setting (or ``plugins.NAME.OPTION``) that the config does not set takes its value there.
    """
    path = find_config(root)
    if path is None:
        return _validate({}, "", "", plugin_options, check_option, fallbacks)
    text = path.read_text(encoding="utf-8-sig")
    name = path.name
    try:
        if path.suffix == ".toml":
            raw = tomllib.loads(text)
        else:
            raw = yaml.safe_load(text) or {}
    except tomllib.TOMLDecodeError as error:
        line = re.search(r"line (\d+)", str(error))
        # "at end of document" (an unclosed array or string): the last line that has text.
        last = len(text.rstrip().split("\n")) if text.strip() else 0
        raise ConfigError(f"invalid TOML: {error}",
                          location=SourceLocation(name, int(line.group(1)) if line else last),
                          hint="fix the syntax; strings need quotes, tables look like [plugins.math]"
                          ) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        context = getattr(error, "context_mark", None)
        if mark is not None and context is not None and mark.line >= text.rstrip().count("\n") + 1:
            mark = context  # found only at the end (an unclosed bracket): where it was opened
        raise ConfigError(f"invalid YAML: {getattr(error, 'problem', error)}",
                          location=SourceLocation(name, mark.line + 1 if mark else 0,
                                                  mark.column + 1 if mark else 0),
                          hint="fix the syntax (indentation, a missing colon or quote)") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"the configuration must be a table of settings, not {type(raw).__name__}",
                          location=SourceLocation(name, 1), hint="write `title = \"My blog\"` lines")
    return _validate(raw, text, name, plugin_options, check_option, fallbacks)


def _line_of(text: str, key: str) -> int:
    """The line that sets ``key``: ``key = ...``, ``key: ...``, ``[key]`` or ``[plugins.key]``."""
    pattern = re.compile(rf"^[ \t]*(\[[ \t]*)?(plugins\.)?[\"']?{re.escape(key)}[\"']?\s*[=:\].]",
                         re.M)
    match = pattern.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else 0


def _suggest(key: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(key, choices, n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else "known keys: " + ", ".join(sorted(choices))


def _validate(raw: dict[str, Any], text: str, name: str,
              plugin_options: Mapping[str, frozenset[str]],
              check_option: OptionCheck | None,
              fallbacks: Mapping[str, tuple[Any, SourceLocation]]) -> SiteConfig:
    hints = get_type_hints(SiteConfig)
    known = [f.name for f in dataclasses.fields(SiteConfig) if f.name != "source"]
    values: dict[str, Any] = {"source": name}
    places: dict[str, SourceLocation] = {}  # settings a fallback made, and where
    for key, value in raw.items():
        where = SourceLocation(name, _line_of(text, key))
        if key not in known:
            raise ConfigError(f"unknown setting `{key}`", location=where, hint=_suggest(key, known))
        expected = hints[key]
        if key == "plugins":
            values[key] = _validate_plugins(value, text, name, plugin_options, check_option)
        elif key == "deploy":
            values[key] = _validate_deploy(value, text, name)
        elif key == "menu":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"`menu` must be a list of page slugs, not {value!r}", location=where,
                                  hint='menu = ["about", "notes"]')
            values[key] = tuple(value)
        else:
            values[key] = _check_type(key, value, expected, where)
    for key, (value, where) in fallbacks.items():
        plugin, _, option = key.removeprefix("plugins.").partition(".")
        if key.startswith("plugins.") and option not in raw.get("plugins", {}).get(plugin, {}):
            if check_option is not None:
                _check_option(check_option, plugin, option, value, where)
            options = dict(values.get("plugins", {}).get(plugin, {}), **{option: value})
            values["plugins"] = {**values.get("plugins", {}), plugin: options}
        elif key in known and key not in raw:
            values[key] = _check_type(key, value, hints[key], where)
            places[key] = where
    config = SiteConfig(**values)
    _check_permalink(config.permalink,
                     places.get("permalink", SourceLocation(name, _line_of(text, "permalink"))))
    if not re.match(r"^https?://[^/\s]+(/\S*)?$", config.base_url):
        raise ConfigError(f"`base_url` must be an absolute http(s) URL, not {config.base_url!r}",
                          location=places.get("base_url",
                                              SourceLocation(name, _line_of(text, "base_url"))),
                          hint='base_url = "https://someone.github.io/blog/" in site.toml' if
                          "base_url" in places else 'base_url = "https://someone.github.io/blog/"')
    if config.posts_per_page < 1:
        raise ConfigError("`posts_per_page` must be at least 1",
                          location=SourceLocation(name, _line_of(text, "posts_per_page")))
    if config.search_words < 0:
        raise ConfigError(f"`search_words` must be 0 (every word) or more, not "
                          f"{config.search_words}",
                          location=SourceLocation(name, _line_of(text, "search_words")),
                          hint="for example: search_words = 300 (the first 300 words of a post)")
    return config


TYPE_NAMES = {str: "text in quotes", int: "a whole number", bool: "true or false"}


def _as_written(value: Any) -> str:
    """A value as it would be written in the config (``true``, ``'text'``, ``10``)."""
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value)  # 'text' is a TOML literal string, and YAML reads it too


def _check_type(key: str, value: Any, expected: Any, where: SourceLocation) -> Any:
    kinds = {"str": str, "int": int, "bool": bool}
    kind = kinds.get(expected if isinstance(expected, str) else getattr(expected, "__name__", ""))
    if kind is int and isinstance(value, bool) or not isinstance(value, kind or object):
        default = SiteConfig.__dataclass_fields__[key].default
        raise ConfigError(f"`{key}` must be {TYPE_NAMES.get(kind, str(expected))}, not "
                          f"{_as_written(value)}", location=where,
                          hint=f"for example: {key} = {_as_written(default)}")
    return value


def _check_permalink(pattern: str, where: SourceLocation) -> None:
    problem = pattern_problem(pattern, site_wide=True)
    if problem is not None:
        raise ConfigError(problem, location=where, hint=PATTERN_HINT)


def _validate_deploy(value: Any, text: str, name: str) -> Mapping[str, str]:
    where = SourceLocation(name, _line_of(text, "deploy"))
    if not isinstance(value, dict):
        raise ConfigError(f"`deploy` must be a table, not {_as_written(value)}", location=where,
                          hint='[deploy]\nremote = "git@github.com:me/me.github.io.git"')
    for key, setting in value.items():
        line = SourceLocation(name, _line_of(text, key))
        if key not in DEPLOY_KEYS:
            raise ConfigError(f"unknown [deploy] setting `{key}`", location=line,
                              hint=_suggest(key, list(DEPLOY_KEYS)))
        if not isinstance(setting, str) or not setting.strip():
            raise ConfigError(f"[deploy] `{key}` must be text in quotes, not "
                              f"{_as_written(setting)}", location=line,
                              hint=f'for example: {key} = "{_DEPLOY_EXAMPLES[key]}"')
    if "remote" in value and "folder" in value:
        raise ConfigError("[deploy] sets both `remote` and `folder`", location=where,
                          hint="publish to a git repository (remote) or to a folder, not both")
    return dict(value)


_DEPLOY_EXAMPLES = {"remote": "git@github.com:me/me.github.io.git", "branch": "gh-pages",
                    "cname": "blog.example.org", "folder": "/srv/www/blog"}


def _validate_plugins(value: Any, text: str, name: str, plugin_options: Mapping[str, frozenset[str]],
                      check_option: OptionCheck | None) -> Mapping[str, Mapping[str, Any]]:
    if not isinstance(value, dict):
        raise ConfigError("`plugins` must be a table of tables: [plugins.math] ...",
                          location=SourceLocation(name, _line_of(text, "plugins")))
    checked: dict[str, Mapping[str, Any]] = {}
    for plugin, options in value.items():
        where = SourceLocation(name, _line_of(text, plugin))
        if plugin not in plugin_options:
            raise ConfigError(f"unknown plugin `{plugin}`", location=where,
                              hint=_suggest(plugin, list(plugin_options)))
        if not isinstance(options, dict):
            raise ConfigError(f"[plugins.{plugin}] must be a table of options, not {options!r}",
                              location=where)
        for option in options:
            if option not in plugin_options[plugin]:
                raise ConfigError(f"unknown option `{option}` of plugin `{plugin}`",
                                  location=SourceLocation(name, _line_of(text, option)),
                                  hint=_suggest(option, sorted(plugin_options[plugin])))
            if check_option is not None:
                _check_option(check_option, plugin, option, options[option],
                              SourceLocation(name, _line_of(text, option)))
        checked[plugin] = dict(options)
    return checked


def _check_option(check: OptionCheck, plugin: str, option: str, value: Any,
                  where: SourceLocation) -> None:
    try:
        check(plugin, option, value)
    except ConfigError as error:
        raise ConfigError(error.message, location=where,
                          hint=error.hint or f"see docs/{plugin}.md") from None
    except (TypeError, ValueError) as error:
        raise ConfigError(f"invalid [plugins.{plugin}] {option} = {value!r}: {error}",
                          location=where, hint=f"see docs/{plugin}.md") from None
