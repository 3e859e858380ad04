"""What the build process needs to know about rendering without rendering anything: the
plugins and their options, and the site-wide settings every render depends on.

Kept apart from ``generator.markdown`` so that it imports neither markdown-it nor a plugin: a
command-line edit's build process checks the config and plans the pages while a forked worker
imports the Markdown stack and renders the post; a plugin is imported here only when the
config names one of its options.
"""
from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .cache import content_key

# Build-time plugins in the order they are applied: compat rewrites Liquid/Hugo syntax before
# anything else reads the source; math must claim `$` before emphasis does.
PLUGINS: Mapping[str, str] = MappingProxyType({
    "compat": "plugins.compat:compat_plugin",
    "math": "plugins.math:math_plugin",
    "tikz": "plugins.tikz:tikz_plugin",
    "run": "plugins.run:run_plugin",
    "conv": "plugins.conv:conv_plugin",
})
RENDERER_VERSION = "1"


def load_plugin(name: str) -> Callable[..., None]:
    module_name, function_name = PLUGINS[name].split(":")
    return getattr(importlib.import_module(module_name), function_name)


def plugin_stylesheets() -> dict[str, Path]:
    """Each plugin's own stylesheet (``plugins/<name>/<name>.css``): URL path -> file."""
    root = Path(__file__).resolve().parent.parent / "plugins"
    return {f"/static/plugins/{name}.css": root / name / f"{name}.css"
            for name in PLUGINS if (root / name / f"{name}.css").is_file()}


def check_plugin_option(name: str, option: str, value: Any) -> None:
    """Let the plugin judge one option's value on a scratch parser (it raises if it is bad)."""
    from markdown_it import MarkdownIt

    load_plugin(name)(MarkdownIt(), **{option: value})


class _PluginOptionNames(Mapping[str, frozenset[str]]):
    """Each plugin's keyword-only options, read from its function when first asked for."""

    def __getitem__(self, name: str) -> frozenset[str]:
        if name not in PLUGINS:
            raise KeyError(name)
        return _keyword_options(name)

    def __iter__(self) -> Iterator[str]:
        return iter(PLUGINS)

    def __len__(self) -> int:
        return len(PLUGINS)


@cache
def _keyword_options(name: str) -> frozenset[str]:
    parameters = inspect.signature(load_plugin(name)).parameters.values()
    return frozenset(p.name for p in parameters if p.kind is p.KEYWORD_ONLY)


def plugin_option_names() -> Mapping[str, frozenset[str]]:
    """Each plugin's keyword-only options: exactly what ``[plugins.NAME]`` may set."""
    return _PluginOptionNames()


@dataclass(frozen=True)
class RenderSettings:
    """Site-wide inputs of every post's render; their fingerprint joins each page's cache key.

    The link table and the static paths are not part of it: a render records the entries it
    looked up (``Rendered.lookups``), and a cached render stands while those answers do, so
    adding a post does not render every other post again."""

    site_root: Path
    plugin_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    cache_root: Path | None = None
    refresh: bool = False
    strict: bool = False
    execute: bool = True
    site_vars: Mapping[str, Any] = field(default_factory=dict)
    base_path: str = "/"
    link_table: Mapping[str, str] = field(default_factory=dict)
    static_paths: frozenset[str] = frozenset()
    excerpt_separator: str = "<!--more-->"
    summary_words: int = 60
    search: bool = False  # the body as plain text too (``Rendered.text``), for the search index
    search_words: int = 0  # of that text, the first words only; 0: all of it

    def fingerprint(self) -> str:
        return content_key(RENDERER_VERSION, repr(sorted((k, sorted(v.items())) for k, v in
                                                         self.plugin_options.items())),
                           repr(self.execute), repr(sorted(self.site_vars.items())), self.base_path,
                           self.excerpt_separator, str(self.summary_words),
                           repr(self.search), str(self.search_words))
