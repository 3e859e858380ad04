"""A post's ``{python}`` blocks, answered from the cache or run in one session, and the tokens
that show them (``render`` turns those into HTML).

The package's core rule imports this module when a post has its first ``{python}`` block, so a
build without one never loads the worker; the zygote starts only when a block must run.
"""
from __future__ import annotations

import hashlib
import json
import platform
import signal
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import PurePosixPath

from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from generator.cache import content_key
from generator.context import RenderContext, render_context
from generator.errors import CodeExecutionError, PluginError, SourceLocation

from . import Settings, is_cell, render, worker
from .options import ParsedBlock, parse_block, post_defaults
from .results import BlockOutput, Failure, SessionCrash, relocate
from .worker import BlockProgram, WorkerError

# Bump when what a cached BlockOutput means or how it is made changes.
FORMAT_VERSION = 1
CACHE_NAMESPACE = "run"


@dataclass(frozen=True)
class _Cell:
    """A ``{python}`` fence of the post and its parsed options."""

    token: Token
    block: ParsedBlock

    @property
    def fence_line(self) -> int:
        """The 0-based body line of the opening fence (``token.map[0]``)."""
        return self.token.map[0]

    @property
    def code_line(self) -> int:
        """The 0-based body line of the code's first line, after the ``#|`` lines."""
        return self.token.map[0] + 1 + self.block.option_lines


def run_blocks(state: StateCore, settings: Settings) -> None:
    """Answer the post's blocks from the cache or run them, and put their tokens in place."""
    ctx = render_context(state.env)
    defaults = post_defaults(settings.defaults, ctx.page_vars, ctx.source_dir,
                             lambda key: ctx.inherited.get(key, SourceLocation(ctx.source_path)))
    cells = [_Cell(token, parse_block(
        token.content, defaults=defaults, source_dir=ctx.source_dir,
        location=lambda line, fence=token.map[0]: ctx.location(fence + 1 + line)))
        for token in state.tokens if is_cell(token)]
    for cell in cells:
        for line, message, hint in cell.block.notes:
            ctx.warn(cell.fence_line + 1 + line, message, hint=hint, kind="run")
    executing = settings.execute and ctx.execute
    session = _Session(tuple(cell for cell in cells if executing and cell.block.options.evaluate),
                       ctx)
    outputs = dict(zip(map(id, session.cells), _session_outputs(session, settings)))
    remaining = iter(cells)
    replaced: list[Token] = []
    for token in state.tokens:
        if is_cell(token):
            cell = next(remaining)
            replaced.extend(_cell_tokens(cell, outputs.get(id(cell)), executing, session))
        else:
            replaced.append(token)
    state.tokens = replaced


@dataclass(frozen=True)
class _Session:
    """The post's blocks that run, in order, and how their lines map back to the post."""

    cells: tuple[_Cell, ...]
    ctx: RenderContext

    def location(self, block: int | None, line: int | None, fallback: _Cell):
        """``post.md:LINE`` of line ``line`` (1-based) of session block ``block``."""
        if block is None or line is None or not 0 <= block < len(self.cells):
            return self.ctx.location(fallback.fence_line)
        return self.ctx.location(self.cells[block].code_line + line - 1)

    def relocate(self, text: str) -> str:
        """``text`` with the blocks' pseudo file names replaced by the post's path and lines."""
        first_lines = [self.ctx.location(cell.code_line).line for cell in self.cells]
        return relocate(text, self.ctx.source_path, first_lines) if text else ""


# --------------------------------------------------------------------------- cache and session

@cache
def cache_version() -> str:
    """Everything outside a block that changes its output (read without importing the packages)."""
    versions = "-".join(f"{name}{_installed_version(name)}"
                        for name in ("numpy", "matplotlib", "pillow"))
    return f"{FORMAT_VERSION}-py{platform.python_version()}-{versions}"


def _installed_version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "absent"  # the worker will fail to import it and say so


def block_keys(cells: tuple[_Cell, ...], settings: Settings, ctx: RenderContext) -> list[str]:
    """Each block's cache key: its code and execution options, its ``depends`` files, and the
    key of the block before it (so it stands for every earlier block too).

    Captions, alt text, ``echo``, ``output`` and ``timeout`` change no result and are left out,
    as are the post's path and the block's position (``results.relocate`` puts those in at
    render time): editing prose or captions re-runs nothing.
    """
    keys = []
    previous = json.dumps(vars(settings.limits), sort_keys=True)
    for cell in cells:
        options = cell.block.options
        digests = [f"{path}:{_digest_dependency(path, cell, ctx)}" for path in options.depends]
        previous = content_key(
            previous, cell.block.code,
            json.dumps([options.fig_format, options.fig_width, options.fig_height,
                        options.warning, options.error]),
            *digests)
        keys.append(previous)
    return keys


def _digest_dependency(path: str, cell: _Cell, ctx: RenderContext) -> str:
    try:
        digest = hashlib.sha256((ctx.source_dir / path).read_bytes()).hexdigest()
    except OSError as problem:
        raise PluginError(f"cannot read `{path}` named by `#| depends`: {problem.strerror}",
                          location=ctx.location(cell.fence_line),
                          hint="check that the file is readable") from None
    ctx.add_dependency(str(PurePosixPath(ctx.source_path).parent / path), digest)
    return digest


def _session_outputs(session: _Session, settings: Settings) -> list[BlockOutput]:
    """Every session block's output: all from the cache, or all from one fresh run."""
    if not session.cells:
        return []
    ctx = session.ctx
    store = ctx.cache(CACHE_NAMESPACE, cache_version())
    keys = block_keys(session.cells, settings, ctx)
    cached = [BlockOutput.from_bytes(raw) if raw is not None else None
              for raw in (store.get(key) for key in keys)]
    if all(output is not None for output in cached):
        return cached
    programs = [BlockProgram(code=cell.block.code, timeout=o.timeout, fig_format=o.fig_format,
                             fig_width=o.fig_width, fig_height=o.fig_height, warning=o.warning,
                             error=o.error)
                for cell in session.cells for o in [cell.block.options]]
    data_files = {path: ctx.source_dir / path
                  for cell in session.cells for path in cell.block.options.depends}
    matplotlib_dir = ctx.cache_root / "run-matplotlib" if ctx.cache_root else None
    try:
        result = worker.run_session(programs, limits=settings.limits, data_files=data_files,
                                    matplotlib_dir=matplotlib_dir)
    except (WorkerError, OSError) as problem:
        raise CodeExecutionError(
            f"cannot run the post's {{python}} blocks: {problem}",
            location=ctx.location(session.cells[0].fence_line),
            hint="check that numpy and matplotlib import in this Python "
                 "(or build with [plugins.run] execute = false)") from None
    for index, output in enumerate(result.outputs):
        cell = session.cells[index]
        if output.error is not None and not cell.block.options.error:
            raise _exception_error(output.error, cell, session)
        store.put(keys[index], output.to_bytes())
    if result.crash is not None:
        raise _crash_error(result.crash, session, settings)
    return list(result.outputs)


def _exception_error(failure: Failure, cell: _Cell, session: _Session) -> CodeExecutionError:
    trace = session.relocate(failure.traceback).rstrip()
    indented = "\n".join("    " + line for line in trace.splitlines())
    return CodeExecutionError(
        f"{failure.summary}\n{indented}",
        location=session.location(failure.block, failure.line, cell),
        hint="fix the code, or add `#| error: true` to the block to show the traceback in the "
             "page and go on")


def _crash_error(crash: SessionCrash, session: _Session,
                 settings: Settings) -> CodeExecutionError:
    cell = session.cells[crash.block]
    where = session.location(crash.frame_block, crash.frame_line, cell)
    if crash.setup_error:
        return CodeExecutionError(
            f"the Python session for this post could not be set up:\n{crash.setup_error}",
            location=where, hint="this is not the post's fault: report it with the message above")
    if crash.timed_out:
        seconds = cell.block.options.timeout
        return CodeExecutionError(
            f"the {{python}} block ran longer than its {seconds:g} s timeout and was killed "
            "with every process it started", location=where,
            hint="make it faster, or allow more time with `#| timeout: SECONDS` "
                 "(or [plugins.run] timeout)")
    if crash.exit_code < 0:
        name = signal.Signals(-crash.exit_code).name
        return CodeExecutionError(
            f"the Python session was killed by {name} while running this block", location=where,
            hint=f"a crash in compiled code, or more than the {settings.limits.memory_limit_mb} MB "
                 "memory limit ([plugins.run] memory_limit_mb)")
    return CodeExecutionError(
        f"the block ended the Python session (exit status {crash.exit_code}) before it finished",
        location=where,
        hint="remove the os._exit() call: the post's later blocks run in the same session")


# --------------------------------------------------------------------------- tokens

def _cell_tokens(cell: _Cell, output: BlockOutput | None, executing: bool,
                 session: _Session) -> list[Token]:
    options = cell.block.options
    shown = output if output is not None and options.output else None
    view = render.BlockView(
        label=options.label,
        code=cell.block.code if (options.echo or not executing) else None,
        code_fold=options.code_fold, code_summary=options.code_summary,
        stdout=session.relocate(shown.stdout) if shown else "",
        stderr=session.relocate(shown.stderr) if shown else "",
        value=shown.value if shown else None,
        traceback=session.relocate(output.error.traceback) if output and output.error else None,
        column=options.column)
    tokens = [Token("run_block_open", "div", 1, map=cell.token.map, block=True,
                    meta={"view": view})]
    if shown is not None:
        tokens.extend(_figure_tokens(cell, shown, session.ctx))
    tokens.append(Token("run_block_close", "div", -1, block=True, meta={"view": view}))
    return tokens


def _figure_tokens(cell: _Cell, output: BlockOutput, ctx: RenderContext) -> list[Token]:
    """A figure per image, or one figure for all when one caption (a text) covers them."""
    options = cell.block.options
    urls = [(_asset(ctx, figure.data, figure.format), None) for figure in output.figures]
    if output.animation is not None:
        urls.append((_asset(ctx, output.animation.gif, "gif"),
                     _asset(ctx, output.animation.poster, "png")))
    if not urls:
        return []
    captions = _spread(options.fig_cap, len(urls), "fig-cap", cell, ctx)
    alts = [alt if alt is not None else caption  # a caption is better than no alt text at all
            for alt, caption in zip(_spread(options.fig_alt, len(urls), "fig-alt", cell, ctx),
                                    captions)]
    if None in alts:
        ctx.warn(cell.fence_line, f"{alts.count(None)} figure(s) without alt text",
                 hint="describe what each figure shows with `#| fig-alt: ...`", kind="run")
    images = [render.Image(url, alt or "", poster) for (url, poster), alt in zip(urls, alts)]
    if isinstance(options.fig_cap, str):
        groups = [(tuple(images), options.fig_cap)]
    else:
        groups = [((image,), caption) for image, caption in zip(images, captions)]
    tokens = []
    for group, caption in groups:
        meta = {"images": group, "captioned": caption is not None}
        tokens.append(Token("run_figure_open", "figure", 1, map=cell.token.map, block=True,
                            meta=meta))
        if caption is not None:  # inline Markdown, parsed by the inline phase like prose
            tokens.append(Token("inline", "", 0, map=cell.token.map, block=True,
                                content=caption, children=[]))
        tokens.append(Token("run_figure_close", "figure", -1, block=True, meta=meta))
    return tokens


def _spread(value: str | tuple[str, ...] | None, count: int, name: str, cell: _Cell,
            ctx: RenderContext) -> list[str | None]:
    """One entry per figure: a text applies to each, a list gives one each."""
    if value is None:
        return [None] * count
    if isinstance(value, str):
        return [value] * count
    if len(value) != count:
        ctx.warn(cell.fence_line, f"`#| {name}` has {len(value)} entries for {count} figure(s)",
                 hint=f"give one `{name}` entry per figure, in the order they are drawn",
                 kind="run")
    return list(value[:count]) + [None] * (count - len(value))


def _asset(ctx: RenderContext, data: bytes, extension: str) -> str:
    """Emit ``data`` beside the page, named by its content so equal figures share one file."""
    return ctx.add_asset(f"run-{hashlib.sha256(data).hexdigest()[:16]}.{extension}", data)
