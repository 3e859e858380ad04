"""The build process's side of code execution: a lazily started zygote, one per build process.

``run_session`` hands a post's blocks to the zygote (``kernel.py``), which forks an isolated
session for them; results come back as files in a temporary session folder. The zygote is started
on the first session that needs it, so a build whose results are all cached never starts it, and
stopped by ``shutdown()`` (also registered with ``atexit``). Sessions of one build process run one
at a time; a build that renders posts in several processes gets one zygote per process.
"""
from __future__ import annotations

import atexit
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import kernel
from .options import SessionLimits
from .results import Animation, BlockOutput, Failure, Figure, SessionCrash

KERNEL_SCRIPT = Path(kernel.__file__)
TRUNCATED_MARKER = "[truncated: output beyond {limit} bytes was dropped]"
# Beyond the sum of the blocks' timeouts, how long the zygote may take (its own start, the
# imports, a cold font cache) before the build gives up on it.
ZYGOTE_GRACE_SECONDS = 60.0
ZYGOTE_EXIT_WAIT_SECONDS = 5.0
FAULT_FRAME = re.compile(r'File "<stride-run-(\d+)>", line (\d+)')


class WorkerError(RuntimeError):
    """The zygote itself failed (could not start, died, stopped answering)."""


@dataclass(frozen=True)
class BlockProgram:
    """One block as the session runs it."""

    code: str
    timeout: float
    fig_format: str
    fig_width: float
    fig_height: float
    warning: bool
    error: bool  # keep running the session after this block raises


@dataclass(frozen=True)
class SessionResult:
    outputs: tuple[BlockOutput, ...]  # one per block that finished, in order
    crash: SessionCrash | None        # set when a block never finished


def scrubbed_environment(home: Path, matplotlib_dir: Path) -> dict[str, str]:
    """A fresh environment: nothing inherited but PATH, so no secret reaches a post's code."""
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(home),
        "TMPDIR": str(home),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": str(matplotlib_dir),
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "SOURCE_DATE_EPOCH": "0",
        # One BLAS thread: no threads alive when the zygote forks, and a small address space
        # under RLIMIT_AS.
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }


class Zygote:
    """The running ``kernel.py`` process and the pipes to it."""

    def __init__(self, matplotlib_dir: Path | None):
        self.home = Path(tempfile.mkdtemp(prefix="stride-run-zygote-"))
        matplotlib_dir = matplotlib_dir or self.home / "matplotlib"
        matplotlib_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.home / "zygote.log"
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-P", str(KERNEL_SCRIPT), str(os.getpid())],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, cwd=self.home,
                env=scrubbed_environment(self.home, matplotlib_dir), start_new_session=True)
        self.owner = os.getpid()
        self.pending = b""

    def request(self, payload: dict, patience: float) -> dict:
        """Send one session request; return how the session ended.

        Should the zygote die meanwhile, the session it forked is killed here: its own children
        die with it (PR_SET_PDEATHSIG), but not the processes they started.
        """
        try:
            self.process.stdin.write(json.dumps(payload).encode() + b"\n")
            self.process.stdin.flush()
        except OSError:
            raise WorkerError(f"the Python worker is gone{self.log_tail()}") from None
        deadline = time.monotonic() + patience
        session = self.read_line(deadline)["session"]
        try:
            return self.read_line(deadline)
        except WorkerError:
            kernel.kill_session(session)
            raise

    def read_line(self, deadline: float) -> dict:
        stdout = self.process.stdout.fileno()
        while True:
            if b"\n" in self.pending:
                line, self.pending = self.pending.split(b"\n", 1)
                return json.loads(line)
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([stdout], [], [], remaining)[0]:
                raise WorkerError(f"the Python worker stopped answering{self.log_tail()}")
            chunk = os.read(stdout, 65536)
            if not chunk:
                raise WorkerError(f"the Python worker died{self.log_tail()}")
            self.pending += chunk

    def log_tail(self) -> str:
        try:
            tail = self.log_path.read_text(errors="replace").strip().splitlines()[-5:]
        except OSError:
            return ""
        return (":\n" + "\n".join(tail)) if tail else ""

    def close(self) -> None:
        """End the zygote (EOF on its stdin), killing any session it still runs."""
        if self.process.poll() is None:
            kernel.kill_descendants(self.process.pid, reap=False)
        for pipe in (self.process.stdin, self.process.stdout):
            try:
                pipe.close()
            except OSError:  # a broken pipe to a zygote that died
                pass
        try:
            self.process.wait(ZYGOTE_EXIT_WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.home, ignore_errors=True)

    def abandon(self) -> None:
        """In a forked child: drop our copies of the pipes so the zygote still sees EOF."""
        for pipe in (self.process.stdin, self.process.stdout):
            try:
                os.close(pipe.fileno())
            except OSError:
                pass


_lock = threading.Lock()
_zygote: Zygote | None = None


def run_session(blocks: Sequence[BlockProgram], *, limits: SessionLimits,
                data_files: Mapping[str, Path], matplotlib_dir: Path | None) -> SessionResult:
    """Run ``blocks`` in order in one fresh session; ``data_files`` are copied into its cwd."""
    global _zygote
    with _lock:
        if _zygote is not None and _zygote.process.poll() is not None:
            _zygote.close()  # died between sessions (killed from outside): start afresh
            _zygote = None
        if _zygote is None:
            _zygote = Zygote(matplotlib_dir)
        try:
            return _run_in(_zygote, blocks, limits, data_files)
        except WorkerError:
            _zygote.close()
            _zygote = None
            raise


def _run_in(zygote: Zygote, blocks: Sequence[BlockProgram], limits: SessionLimits,
            data_files: Mapping[str, Path]) -> SessionResult:
    # Inside the zygote's folder, which the zygote removes when it ends: nothing is left behind
    # even if this process is killed during the session.
    with tempfile.TemporaryDirectory(prefix="session-", dir=zygote.home,
                                     ignore_cleanup_errors=True) as folder:
        work, io_dir = Path(folder, "work"), Path(folder, "io")
        work.mkdir()
        io_dir.mkdir()
        for relative, source in data_files.items():
            target = work / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        payload = {
            "work_dir": str(work), "io_dir": str(io_dir), "limits": vars(limits),
            "blocks": [dict(vars(block), index=index) for index, block in enumerate(blocks)],
        }
        end = zygote.request(payload, sum(b.timeout for b in blocks) + ZYGOTE_GRACE_SECONDS)
        return _collect(io_dir, blocks, limits.output_limit_bytes, end)


def _collect(io_dir: Path, blocks: Sequence[BlockProgram], limit: int, end: dict) -> SessionResult:
    outputs = []
    for index in range(len(blocks)):
        manifest_path = io_dir / f"block-{index}.json"
        if not manifest_path.exists():
            break
        outputs.append(_read_output(io_dir, json.loads(manifest_path.read_text()), limit))
        if outputs[-1].error is not None and not blocks[index].error:
            return SessionResult(tuple(outputs), None)
    if len(outputs) == len(blocks):
        return SessionResult(tuple(outputs), None)
    crashed = len(outputs)
    frame_block, frame_line = _crash_frame(io_dir, crashed)
    setup_error = ""
    if end["exit_code"] == kernel.SESSION_SETUP_FAILED and frame_block is None:
        log = (io_dir / "session.log").read_text(errors="replace").strip().splitlines()
        setup_error = "\n".join(log[-5:])
    return SessionResult(tuple(outputs), SessionCrash(
        block=crashed, frame_block=frame_block, frame_line=frame_line,
        timed_out=end["timed_out"], exit_code=end["exit_code"], setup_error=setup_error))


def _read_output(io_dir: Path, manifest: dict, limit: int) -> BlockOutput:
    stem = io_dir / f"block-{manifest['index']}"
    animation = manifest["animation"]
    return BlockOutput(
        stdout=_read_capped(Path(f"{stem}.stdout"), limit, manifest["stdout_capped"]),
        stderr=_read_capped(Path(f"{stem}.stderr"), limit, manifest["stderr_capped"]),
        value=(None if manifest["value"] is None else
               _with_marker(manifest["value"], manifest["value_capped"], limit)),
        error=None if manifest["error"] is None else Failure(**manifest["error"]),
        figures=tuple(Figure((io_dir / figure["file"]).read_bytes(), figure["format"])
                      for figure in manifest["figures"]),
        animation=None if animation is None else Animation(
            (io_dir / animation["gif"]).read_bytes(), (io_dir / animation["poster"]).read_bytes()),
    )


def _read_capped(path: Path, limit: int, capped: bool) -> str:
    """The first ``limit`` bytes of an output file (processes the block started write to it too)."""
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    text = data[:limit].decode("utf-8", errors="replace")
    return _with_marker(text, capped or len(data) > limit, limit)


def _with_marker(text: str, truncated: bool, limit: int) -> str:
    if not truncated:
        return text
    separator = "" if text.endswith("\n") else "\n"
    return f"{text}{separator}{TRUNCATED_MARKER.format(limit=limit)}\n"


def _crash_frame(io_dir: Path, block: int) -> tuple[int | None, int | None]:
    """Where a dead session was: faulthandler's deepest post frame (most recent first in its
    dump), else the top-level statement the crashed block had begun."""
    try:
        deepest = FAULT_FRAME.search((io_dir / "faults").read_text(errors="replace"))
    except OSError:
        deepest = None
    if deepest is not None:
        return int(deepest[1]), int(deepest[2])
    try:
        started_block, line = (io_dir / "progress").read_text().split()
    except (OSError, ValueError):
        return None, None
    return (block, int(line)) if int(started_block) == block else (None, None)


def shutdown() -> None:
    """Stop this process's zygote; the pipeline calls it when a build ends."""
    global _zygote
    with _lock:
        if _zygote is not None:
            _zygote.close()
            _zygote = None


def _forget_inherited_zygote() -> None:
    global _zygote, _lock
    _lock = threading.Lock()
    if _zygote is not None and _zygote.owner != os.getpid():
        _zygote.abandon()
        _zygote = None


os.register_at_fork(after_in_child=_forget_inherited_zygote)
atexit.register(shutdown)
