"""Code that runs at build time: ```` ```{python} ```` blocks, with Quarto's ``#|`` options.

All ``{python}`` blocks of a post run in order in one isolated session (``worker`` / ``kernel``);
a plain ```` ```python ```` fence is only displayed, by the existing fence rule. A core rule placed
after block parsing collects the post's blocks, answers them from the cache or runs the session
(``session``), and replaces each fence by tokens that ``render`` turns into HTML. See docs/run.md.

This module checks the site's options and installs the rules; ``session`` and the worker are
imported with a post's first ``{python}`` block, so a build without one never loads them.
"""
from __future__ import annotations

from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from generator.errors import ConfigError, SourceLocation

from . import render
from .options import FIGURE_FORMATS, BlockOptions, SessionLimits

__all__ = ["run_plugin", "shutdown"]

CELL_INFO = "{python}"


def run_plugin(md: MarkdownIt, *, execute: bool = True, timeout: float = 30,
               memory_limit_mb: int = 2048, output_limit_bytes: int = 100_000,
               process_limit: int = 64, fig_format: str = "svg", fig_width: float = 6.4,
               fig_height: float = 4.8, echo: bool = True, output: bool = True,
               warning: bool = True, error: bool = False) -> None:
    """Run ``{python}`` blocks at build time.

    ``execute=False`` shows their code only and never starts a process (untrusted content).
    ``timeout`` (seconds per block), ``fig_format``, ``fig_width`` / ``fig_height`` (inches),
    ``echo``, ``output``, ``warning`` and ``error`` are the defaults a block's ``#|`` options
    override. Each session gets ``memory_limit_mb`` of address space, at most ``process_limit``
    processes more than its user already runs, and ``output_limit_bytes`` per output stream.
    """
    _check_site_options(timeout=timeout, memory_limit_mb=memory_limit_mb,
                        output_limit_bytes=output_limit_bytes, process_limit=process_limit,
                        fig_format=fig_format, fig_width=fig_width, fig_height=fig_height)
    settings = Settings(
        execute=execute,
        defaults=BlockOptions(echo=echo, output=output, warning=warning, error=error,
                              fig_format=fig_format, fig_width=float(fig_width),
                              fig_height=float(fig_height), timeout=float(timeout)),
        limits=SessionLimits(memory_limit_mb=memory_limit_mb,
                             output_limit_bytes=output_limit_bytes, process_limit=process_limit))
    md.core.ruler.after("block", "run_python_blocks", lambda state: _run_blocks(state, settings))
    md.add_render_rule("run_block_open", _render_block_open)
    md.add_render_rule("run_block_close", lambda self, tokens, idx, options, env:
                       render.block_close(tokens[idx].meta["view"]))
    md.add_render_rule("run_figure_open", lambda self, tokens, idx, options, env:
                       render.figure_open(tokens[idx].meta["images"],
                                          captioned=tokens[idx].meta["captioned"]))
    md.add_render_rule("run_figure_close", lambda self, tokens, idx, options, env:
                       render.figure_close(captioned=tokens[idx].meta["captioned"]))


@dataclass(frozen=True)
class Settings:
    """The site's ``[plugins.run]`` options, checked when the plugin is installed."""

    execute: bool
    defaults: BlockOptions
    limits: SessionLimits


# The plugin gets its options' values, not their lines: its errors name the configuration file,
# and the message names the option and value so the line is easy to find.
CONFIG_LOCATION = SourceLocation("site.toml")
SITE_OPTION_EXAMPLES = {"timeout": "30", "memory_limit_mb": "2048", "output_limit_bytes": "100000",
                        "process_limit": "64", "fig_width": "6.4", "fig_height": "4.8"}


def _check_site_options(**values) -> None:
    numbers = {"timeout": float, "memory_limit_mb": int, "output_limit_bytes": int,
               "process_limit": int, "fig_width": float, "fig_height": float}
    for name, kind in numbers.items():
        value = values[name]
        allowed = (int, float) if kind is float else int
        if isinstance(value, bool) or not isinstance(value, allowed) or value <= 0:
            raise ConfigError(f"[plugins.run] {name} must be a positive "
                              f"{'number' if kind is float else 'whole number'}, not {value!r}",
                              location=CONFIG_LOCATION,
                              hint=f"for example, under [plugins.run]: {name} = "
                                   f"{SITE_OPTION_EXAMPLES[name]} (see docs/run.md)")
    if values["fig_format"] not in FIGURE_FORMATS:
        raise ConfigError(f"[plugins.run] fig_format must be one of {FIGURE_FORMATS}, "
                          f"not {values['fig_format']!r}", location=CONFIG_LOCATION,
                          hint="for example, under [plugins.run]: fig_format = \"svg\" "
                               "(or \"png\")")


def is_cell(token: Token) -> bool:
    return token.type == "fence" and token.info.strip() == CELL_INFO


def _run_blocks(state: StateCore, settings: Settings) -> None:
    if any(is_cell(token) for token in state.tokens):
        from .session import run_blocks  # the worker loads here, with the first block
        run_blocks(state, settings)


def shutdown() -> None:
    """Stop this process's zygote, if a block started one (``atexit`` does it too)."""
    from .worker import shutdown as stop_zygote
    stop_zygote()


def _render_block_open(self, tokens, idx, options, env) -> str:
    return render.block_open(tokens[idx].meta["view"])
