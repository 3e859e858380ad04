"""The process side of ``plugins.run``: a warm zygote that forks one isolated session per post.

``plugins/run/worker.py`` starts this file as ``python -P kernel.py`` with a scrubbed
environment. The zygote imports numpy and matplotlib once, then serves requests read as JSON lines
on stdin: for each it forks a session child that runs a post's blocks in order in one namespace,
and it answers with JSON lines on stdout: ``{"session": pid}`` once the session is forked, and
``{"timed_out": bool, "exit_code": int}`` once it is over and every process it left is gone.

The session child (``run_session``) is pid 1 of process and mount namespaces of its own, with its
own ``/proc`` (``own_process_namespace``: no other process is visible to a block, the build's
environment included), starts a new session (``setsid``), applies rlimits, works in a
scratch folder, and writes everything it produces to files in the session's ``io`` folder:
``block-I.stdout`` / ``.stderr`` (its fds 1 and 2: files, never pipes, so no process it spawns can
block the build), ``block-I.json`` (the manifest: value, error, figures), figure and GIF files,
``progress`` (the top-level statement being run) and ``faults`` (faulthandler's dump on a crash or
on the zygote's SIGUSR1 before a timeout kill). The zygote is a child subreaper, so a process that
double-forks or calls ``setsid`` still ends up its child and is killed when the session ends.
The zygote dies with the build process, even mid-block (kill -9 of the build, a render worker
ending on Ctrl-C without atexit): the kernel sends it a parent-death signal (PR_SET_PDEATHSIG)
and its stdin reaches EOF, which ``supervise`` watches; it then kills every process below it.

Why by hand: jupyter_client/nbclient start a kernel (an interpreter plus a pyplot import) per
notebook and talk ZeroMQ; none of them forks a pre-imported interpreter, applies rlimits, enforces
per-cell deadlines from outside or kills a session's whole process tree. Those are a few hundred
lines of ``os``-level code, kept here free of Stride imports because this file runs as a script.
"""
from __future__ import annotations

import ast
import builtins
import ctypes
import faulthandler
import io
import json
import linecache
import os
import resource
import select
import shutil
import signal
import sys
import time
import tokenize
import traceback
import warnings
from pathlib import Path

# The pseudo file name a block's code is compiled under; the build maps it back to post.md:LINE.
BLOCK_FILENAME = "<stride-run-{index}>"
SVG_HASH_SALT = "stride-run"
PNG_DPI = 150
ANIMATION_DPI = 80
# Guard against a block filling the disk through fds 1/2 or files (RLIMIT_FSIZE per file).
FILE_SIZE_LIMIT_BYTES = 512 * 2**20
FAULT_DUMP_GRACE_SECONDS = 0.25
SESSION_SETUP_FAILED = 70  # EX_SOFTWARE
PR_SET_CHILD_SUBREAPER = 36
PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38
# Namespaces (linux/sched.h) and mount flags (linux/mount.h)
CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 2, 4, 8, 1 << 14, 1 << 18
# Landlock (Linux >= 5.13): the same syscall numbers on every architecture.
SYS_LANDLOCK_CREATE_RULESET = 444
SYS_LANDLOCK_ADD_RULE = 445
SYS_LANDLOCK_RESTRICT_SELF = 446
LANDLOCK_CREATE_RULESET_VERSION = 1
LANDLOCK_RULE_PATH_BENEATH = 1
# The Landlock rights that change the file system (linux/landlock.h), with the ABI adding each.
LANDLOCK_WRITE_RIGHTS = (
    (1, 1 << 1),   # WRITE_FILE
    (1, 1 << 4),   # REMOVE_DIR
    (1, 1 << 5),   # REMOVE_FILE
    (1, 1 << 6),   # MAKE_CHAR
    (1, 1 << 7),   # MAKE_DIR
    (1, 1 << 8),   # MAKE_REG
    (1, 1 << 9),   # MAKE_SOCK
    (1, 1 << 10),  # MAKE_FIFO
    (1, 1 << 11),  # MAKE_BLOCK
    (1, 1 << 12),  # MAKE_SYM
    (2, 1 << 13),  # REFER (rename and link across folders)
    (3, 1 << 14),  # TRUNCATE
)


# --------------------------------------------------------------------------- zygote

class BuildGone(Exception):
    """The process that started us is gone (killed, interrupted, exited without a word)."""


def main() -> None:
    # The build process's pid, to tell its death from the end of the thread that started us.
    parent = int(sys.argv[1]) if len(sys.argv) > 1 else os.getppid()
    try:
        die_with(parent)
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.animation  # noqa: F401  (warm: every animation needs it)
        import matplotlib.pyplot  # noqa: F401  (the import this process exists to pay once)
        import numpy  # noqa: F401
        warm_up_drawing()
        become_subreaper()
        while (line := read_request()) is not None:
            outcome = supervise(json.loads(line))
            sys.stdout.buffer.write(json.dumps(outcome).encode() + b"\n")
            sys.stdout.buffer.flush()
    except (BuildGone, BrokenPipeError):
        pass
    finally:
        # End of input, or the build died (perhaps mid-session): every process a session left,
        # and our folder with the sessions' files, go with us. The build's death both ends our
        # input and signals us: a signal that lands here, before it is blocked, must not cut
        # the clean-up short.
        while True:
            try:
                signal.pthread_sigmask(signal.SIG_BLOCK, PARENT_DEATH_SIGNALS)
                break
            except BuildGone:
                continue
        kill_descendants(os.getpid())
        shutil.rmtree(os.environ["HOME"], ignore_errors=True)


# PR_SET_PDEATHSIG's signal, and what else ends the zygote cleanly (taking its sessions along).
PARENT_DEATH_SIGNAL = signal.SIGUSR2
PARENT_DEATH_SIGNALS = {PARENT_DEATH_SIGNAL, signal.SIGTERM, signal.SIGHUP}


def die_with(parent: int) -> None:
    """End (with every session) when ``parent`` dies, even while a block runs: the kernel sends
    PARENT_DEATH_SIGNAL then; a session in progress also sees EOF on stdin (``supervise``)."""
    def handle(signum, frame):
        # PDEATHSIG also fires when the *thread* that started us ends: only a new parent counts.
        if signum != PARENT_DEATH_SIGNAL or os.getppid() != parent:
            raise BuildGone
    for signum in PARENT_DEATH_SIGNALS:
        signal.signal(signum, handle)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, PARENT_DEATH_SIGNAL, 0, 0, 0)
    if os.getppid() != parent:  # died before the prctl took effect
        raise SystemExit(0)


_requests = bytearray()  # what was read from stdin and not yet handled


def read_request() -> bytes | None:
    """The next request line from stdin (fd 0, unbuffered, so ``supervise`` can watch it too);
    None at end of input."""
    while b"\n" not in _requests:
        chunk = os.read(0, 65536)
        if not chunk:
            return None
        _requests.extend(chunk)
    line, _, rest = bytes(_requests).partition(b"\n")
    _requests[:] = rest
    return line


def warm_up_drawing() -> None:
    """Draw one throwaway figure, so that what the first drawing loads (fonts, the mathtext
    parser, the SVG and PNG writers) is loaded once here and inherited by every session."""
    import matplotlib.pyplot as plt
    figure, axes = plt.subplots()
    axes.plot([0, 1], [0, 1], label="$x^2$")
    axes.set_title("warm-up")
    axes.legend()
    for file_format in ("svg", "png"):
        figure.savefig(io.BytesIO(), format=file_format)
    plt.close(figure)


def become_subreaper() -> None:
    """Orphans of a session (double forks, setsid) re-parent to us, so none escapes the kill."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def supervise(request: dict) -> dict:
    """Fork the session, give each block its deadline, and leave no process of it behind.

    The session writes a block's index to the status pipe when the block is done, which starts
    the next block's clock. Returns how the session ended.
    """
    status_read, status_write = os.pipe()
    group = pids_cgroup(request["limits"]["process_limit"])
    pid = os.fork()
    if pid == 0:
        try:
            os.close(status_read)
            if group is not None:  # before the session forks: every process of it is counted
                (group / "cgroup.procs").write_text(str(os.getpid()))
            isolated = own_process_namespace()  # returns in the session, as its pid 1
            run_session(request, status_write, isolated)  # ends with os._exit(0)
        except BaseException:  # noqa: BLE001 (setting up the session failed: say why, then go)
            traceback.print_exc()  # into the session's log, fd 2 by then
        finally:
            os._exit(SESSION_SETUP_FAILED)
    os.close(status_write)
    # The build process learns the session first, to kill it should this zygote die.
    sys.stdout.buffer.write(json.dumps({"session": pid}).encode() + b"\n")
    sys.stdout.buffer.flush()
    pidfd = os.pidfd_open(pid)
    timeouts = [block["timeout"] for block in request["blocks"]]
    deadline = time.monotonic() + timeouts[0]
    pending = b""
    # stdin too: its end (the build killed or gone) must stop the session at once, not after
    # the block's timeout. The build sends nothing while a session runs.
    watched = [status_read, pidfd, 0]
    timed_out = False
    while True:
        readable = select.select(watched, [], [], max(deadline - time.monotonic(), 0))[0]
        if 0 in readable:
            chunk = os.read(0, 65536)
            if not chunk:
                kill_group(pid)
                raise BuildGone  # main() kills what is left of the session
            _requests.extend(chunk)
        if status_read in readable:
            chunk = os.read(status_read, 4096)
            if not chunk:  # closed by the session's end; the pidfd will say so
                watched.remove(status_read)
            pending += chunk
            *finished, pending = pending.split(b"\n")
            for index in finished:
                following = int(index) + 1
                if following < len(timeouts):
                    deadline = time.monotonic() + timeouts[following]
        if pidfd in readable:
            break
        if not readable:
            timed_out = True
            dump_traceback(pid, Path(request["io_dir"]) / "faults")
            kill_group(pid)
            break
    _, status = os.waitpid(pid, 0)
    os.close(pidfd)
    os.close(status_read)
    kill_descendants(os.getpid())
    if group is not None:
        remove_cgroup(group)
    return {"timed_out": timed_out, "exit_code": os.waitstatus_to_exitcode(status)}


def pids_cgroup(process_limit: int) -> Path | None:
    """A new pids cgroup for one session, capped at ``process_limit`` (plus the session and its
    stand-in), where this process may make one: the cap binds root too, which RLIMIT_NPROC does
    not. None elsewhere (no pids controller, or not ours to write), and RLIMIT_NPROC alone
    applies."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if "pids" not in controllers.split(","):
            continue
        parent = Path("/sys/fs/cgroup/pids") / path.lstrip("/")
        group = parent / f"stride-run-{os.getpid()}-{time.monotonic_ns()}"
        try:
            group.mkdir()
        except OSError:
            return None
        try:
            (group / "pids.max").write_text(str(process_limit + 2))
            return group
        except OSError:
            remove_cgroup(group)
            return None
    return None


def remove_cgroup(group: Path) -> None:
    """Remove a session's cgroup once its processes are gone (killed; a moment to be reaped)."""
    for _ in range(1000):
        try:
            group.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.001)


def own_process_namespace() -> bool:
    """Put the session in a process namespace of its own, so that its ``/proc`` shows no other
    process: not the build's environment (``/proc/<pid>/environ``), not the author's shell.

    Called in the child the zygote forked: it enters new PID and mount namespaces (and a user
    namespace that maps the user to itself, when not root), forks the session, which returns from
    here as pid 1 of the namespace, and stays behind as the session's stand-in for the zygote:
    it ends when the session ends, with its status, passes SIGUSR1 (the traceback request) on,
    and its death (the timeout's SIGKILL to its group) ends the session and, the session being
    the namespace's init, every process in it. False, and no fork, when the kernel refuses the
    namespaces (a container without user namespaces): the session then runs as before.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    uid, gid = os.getuid(), os.getgid()
    flags = CLONE_NEWPID | CLONE_NEWNS | (0 if uid == 0 else CLONE_NEWUSER)
    if libc.unshare(flags) != 0:
        return False
    if uid != 0:
        try:
            Path("/proc/self/setgroups").write_text("deny")
            Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
            Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
        except OSError:
            return False  # nothing forked yet: the session runs here, in the old /proc view
    os.setpgid(0, 0)  # the zygote kills this process's group on a timeout
    session = os.fork()
    if session == 0:
        return True
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    signal.signal(signal.SIGUSR1, lambda _signal, _frame: os.kill(session, signal.SIGUSR1))
    quiet = os.open(os.devnull, os.O_RDWR)  # off the zygote's protocol pipes
    for fd in (0, 1):
        os.dup2(quiet, fd)
    _, status = os.waitpid(session, 0)
    if os.WIFSIGNALED(status):  # end the same way, so the zygote reports the same cause
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
        os.kill(os.getpid(), os.WTERMSIG(status))
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def mount_own_proc() -> bool:
    """A ``/proc`` of the session's namespace over the build's (mount changes stay private)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        return False
    return libc.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None) == 0


def dump_traceback(pid: int, fault_file: Path) -> None:
    """Ask the session for the stack it is stuck in (faulthandler on SIGUSR1), briefly."""
    try:
        os.kill(pid, signal.SIGUSR1)
    except ProcessLookupError:
        return
    give_up = time.monotonic() + FAULT_DUMP_GRACE_SECONDS
    while time.monotonic() < give_up:
        if fault_file.exists() and fault_file.stat().st_size:
            return
        time.sleep(0.01)


def kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def kill_descendants(root: int, *, reap: bool = True, rounds: int = 1000) -> None:
    """SIGKILL every descendant of ``root`` until none is left (a fork bomb included).

    ``reap`` also waits for the dead ones, which end up our children (we are their subreaper);
    only the zygote may, as the build process's other children are not ours to reap.
    """
    for _ in range(rounds):
        found = descendants(root)
        live = [pid for pid, zombie in found if not zombie]
        if not live and not (reap and found):
            return
        for victim in live:
            try:
                os.kill(victim, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if reap and not reap_children():
            time.sleep(0.001)  # a zombie not yet re-parented to us


def reap_children() -> int:
    """Wait for one child to end, then collect every other dead child; how many were reaped."""
    reaped = 0
    options = 0
    while True:
        try:
            pid, _ = os.waitpid(-1, options)
        except ChildProcessError:
            return reaped
        if pid == 0:
            return reaped
        reaped += 1
        options = os.WNOHANG


def kill_session(session: int, rounds: int = 100) -> None:
    """SIGKILL every process of a session (those that did not leave it with ``setsid``)."""
    for _ in range(rounds):
        members = [pid for pid, sid in _processes_by_session() if sid == session]
        if not members:
            return
        for member in members:
            try:
                os.kill(member, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _processes_by_session() -> list[tuple[int, int]]:
    """(pid, session id) of every live process, from /proc."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            found.append((int(entry.name), int(fields[3])))
    return found


def descendants(root: int) -> list[tuple[int, bool]]:
    """Every process below ``root`` read from /proc, as (pid, is_zombie)."""
    children: dict[int, list[tuple[int, bool]]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        state, parent = fields[0], int(fields[1])
        children.setdefault(parent, []).append((int(entry.name), state == "Z"))
    found: list[tuple[int, bool]] = []
    frontier = [root]
    while frontier:
        below = children.get(frontier.pop(), [])
        found.extend(below)
        frontier.extend(pid for pid, _ in below)
    return found


# --------------------------------------------------------------------------- session child

def run_session(request: dict, status_fd: int, isolated: bool) -> None:
    """The forked child: isolate, then run every block, reporting each on ``status_fd``.
    ``isolated``: it is pid 1 of its own process and mount namespaces."""
    os.setsid()
    for signum in PARENT_DEATH_SIGNALS:  # the zygote's handlers are not the block's
        signal.signal(signum, signal.SIG_DFL)
    io_dir = Path(request["io_dir"])
    # Off the zygote's pipes at once: a stray write to its stdout would garble the protocol.
    for fd, path, flags in ((0, os.devnull, os.O_RDONLY),
                            (1, io_dir / "session.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND),
                            (2, io_dir / "session.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND)):
        opened = os.open(path, flags, 0o600)
        os.dup2(opened, fd)
        os.close(opened)
    # If the zygote dies (killed from outside), the session goes with it rather than run on.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    limits = request["limits"]
    restrict(resource.RLIMIT_AS, limits["memory_limit_mb"] * 2**20)
    # RLIMIT_NPROC counts every process of the user, so the bound is relative to what runs now.
    restrict(resource.RLIMIT_NPROC, user_process_count() + limits["process_limit"])
    if isolated:  # after the count above, which needs every process of the user in view
        mount_own_proc()
    restrict(resource.RLIMIT_FSIZE, FILE_SIZE_LIMIT_BYTES)
    restrict(resource.RLIMIT_CORE, 0)
    # Past RLIMIT_FSIZE a write fails with EFBIG instead of killing the process silently.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    work = Path(request["work_dir"])
    # Best effort (see docs/run.md, Limits). Matplotlib keeps its caches (fonts, usetex) in
    # MPLCONFIGDIR, shared by the sessions.
    confine_writes([io_dir.parent, Path("/dev"), Path(os.environ["MPLCONFIGDIR"])])
    os.chdir(work)
    os.environ.update(HOME=str(work), TMPDIR=str(work))
    import tempfile
    tempfile.tempdir = None  # recomputed from TMPDIR
    sys.path.insert(0, str(work))  # a module copied in with `depends` is importable
    faults = open(io_dir / "faults", "w")  # noqa: SIM115 (must outlive this frame)
    faulthandler.enable(faults)
    faulthandler.register(signal.SIGUSR1, faults, chain=False)
    progress = os.open(io_dir / "progress", os.O_WRONLY | os.O_CREAT, 0o600)

    import matplotlib
    import matplotlib.pyplot as plt
    matplotlib.rcParams["svg.hashsalt"] = SVG_HASH_SALT
    plt.show = _show_nothing
    warnings.filterwarnings("ignore", message=".*non-interactive.*cannot be shown")

    namespace = {"__name__": "__main__", "__builtins__": builtins}
    session = os.getpid()
    for block in request["blocks"]:
        manifest = run_block(block, namespace, io_dir, progress, limits["output_limit_bytes"])
        if os.getpid() != session:  # a child the block forked, come back here: it must not
            os._exit(0)             # report the block or run the next ones a second time
        temporary = io_dir / f"block-{block['index']}.json.tmp"
        temporary.write_text(json.dumps(manifest))
        temporary.rename(io_dir / f"block-{block['index']}.json")
        os.write(status_fd, f"{block['index']}\n".encode())
        if manifest["error"] is not None and not block["error"]:
            break
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def landlock_abi() -> int:
    """The kernel's Landlock ABI version; 0 or less when it has none."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc.syscall(SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0),
                        ctypes.c_uint32(LANDLOCK_CREATE_RULESET_VERSION))


def confine_writes(writable: list[Path]) -> bool:
    """Forbid this process and its children to change the file system outside ``writable``
    (Landlock; reading and running programs stay allowed). False when the kernel cannot.

    So a block that writes to an absolute path (the post's folder, the site, the home folder)
    gets a PermissionError instead of changing it.
    """
    abi = landlock_abi()
    if abi < 1:
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    rights = sum(bit for version, bit in LANDLOCK_WRITE_RIGHTS if version <= abi)
    attr = _RulesetAttr(rights)
    ruleset = libc.syscall(SYS_LANDLOCK_CREATE_RULESET, ctypes.byref(attr),
                           ctypes.c_size_t(ctypes.sizeof(attr)), ctypes.c_uint32(0))
    if ruleset < 0:
        return False
    try:
        for folder in writable:
            descriptor = os.open(folder, os.O_PATH | os.O_CLOEXEC)
            try:
                rule = _PathBeneathAttr(rights, descriptor)
                if libc.syscall(SYS_LANDLOCK_ADD_RULE, ctypes.c_int(ruleset),
                                ctypes.c_int(LANDLOCK_RULE_PATH_BENEATH), ctypes.byref(rule),
                                ctypes.c_uint32(0)) != 0:
                    return False
            finally:
                os.close(descriptor)
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return False
        return libc.syscall(SYS_LANDLOCK_RESTRICT_SELF, ctypes.c_int(ruleset),
                            ctypes.c_uint32(0)) == 0
    finally:
        os.close(ruleset)


def restrict(limit: int, value: int) -> None:
    """Lower both the soft and the hard limit (so the block cannot raise it back), never above
    the hard limit the build already runs under."""
    _, hard = resource.getrlimit(limit)
    bound = value if hard == resource.RLIM_INFINITY else min(value, hard)
    resource.setrlimit(limit, (bound, bound))


def user_process_count() -> int:
    uid = os.getuid()
    count = 0
    for entry in os.scandir("/proc"):
        try:
            if entry.name.isdigit() and entry.stat().st_uid == uid:
                count += 1
        except OSError:
            continue
    return count


def _show_nothing(*args, **kwargs) -> None:
    """``plt.show()`` at build time: figures are collected when the block ends."""


def _draw_nothing(*args, **kwargs) -> None:
    """``canvas.draw_idle()`` while an animation is saved: each frame's grab draws it."""


class CappedWriter(io.RawIOBase):
    """Writes to ``fd`` until ``limit`` bytes, then counts and drops the rest."""

    def __init__(self, fd: int, limit: int):
        self.fd = fd
        self.limit = limit
        self.total = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        view = memoryview(data).cast("B")
        room = self.limit - self.total
        if room > 0:
            kept = view[:room]
            while kept:
                kept = kept[os.write(self.fd, kept):]
        self.total += len(view)
        return len(view)


def redirect_output(stem: Path, limit: int) -> tuple[CappedWriter, CappedWriter]:
    """Point fds 1/2 at this block's files and Python's streams at capped writers over them."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    writers = []
    for fd, suffix in ((1, "stdout"), (2, "stderr")):
        target = os.open(f"{stem}.{suffix}", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
        os.close(target)
        writers.append(CappedWriter(fd, limit))
    sys.stdout, sys.stderr = (
        io.TextIOWrapper(writer, encoding="utf-8", errors="backslashreplace", write_through=True)
        for writer in writers)
    return writers[0], writers[1]


def run_block(block: dict, namespace: dict, io_dir: Path, progress: int, limit: int) -> dict:
    import matplotlib.pyplot as plt
    from matplotlib.animation import Animation

    index = block["index"]
    stem = io_dir / f"block-{index}"
    stdout, stderr = redirect_output(stem, limit)
    plt.rcParams["figure.figsize"] = (block["fig_width"], block["fig_height"])
    filename = BLOCK_FILENAME.format(index=index)
    code = block["code"]
    linecache.cache[filename] = (len(code), None, code.splitlines(keepends=True), filename)
    value, error, figures, animation = None, None, [], None
    with warnings.catch_warnings():
        if not block["warning"]:
            warnings.simplefilter("ignore")
        try:
            value = execute(code, filename, namespace, index, progress)
        except BaseException as exception:  # noqa: BLE001 (SystemExit too: it ends no session)
            error = describe_exception(exception)
        try:
            animated_figure = None
            if isinstance(value, Animation):
                animation, animated_figure = save_animation(value, stem)
                value = None
            figures = save_figures(plt, stem, block["fig_format"], skip=animated_figure)
        except Exception as exception:  # noqa: BLE001 (a figure that cannot be drawn)
            error = error or describe_exception(exception)
        finally:
            plt.close("all")
    sys.stdout.flush()
    sys.stderr.flush()
    shown = None if value is None else safe_repr(value)
    return {
        "index": index,
        "value": shown[:limit] if shown is not None else None,
        "value_capped": shown is not None and len(shown) > limit,
        "stdout_capped": stdout.total > limit,
        "stderr_capped": stderr.total > limit,
        "error": error,
        "figures": figures,
        "animation": animation,
    }


def execute(code: str, filename: str, namespace: dict, index: int, progress: int):
    """Run the block statement by statement (like IPython) and return its last expression.

    Each top-level statement's line is written to ``progress`` first, so a session that dies
    without a traceback (``os._exit``, an OOM kill) is still reported at the statement it ran.
    A trailing ``;`` hides the last expression, as in Jupyter.
    """
    tree = ast.parse(code, filename)
    body = tree.body
    last = None
    if body and isinstance(body[-1], ast.Expr) and not ends_with_semicolon(code):
        last = body.pop()
    for statement in body:
        os.pwrite(progress, f"{index} {statement.lineno}\n".ljust(32).encode(), 0)
        exec(compile(ast.Module([statement], type_ignores=[]), filename, "exec"), namespace)
    if last is None:
        return None
    os.pwrite(progress, f"{index} {last.lineno}\n".ljust(32).encode(), 0)
    return eval(compile(ast.Expression(last.value), filename, "eval"), namespace)


def ends_with_semicolon(code: str) -> bool:
    meaningful = [token for token in tokenize.generate_tokens(io.StringIO(code).readline)
                  if token.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE,
                                        tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER)]
    return bool(meaningful) and meaningful[-1].string == ";"


def safe_repr(value) -> str:
    try:
        return repr(value)
    except Exception as exception:  # noqa: BLE001 (a broken __repr__ is the author's to see)
        return f"<repr failed: {type(exception).__name__}: {exception}>"


def describe_exception(exception: BaseException) -> dict:
    """The traceback from the post's first frame on, and the deepest post line it went through."""
    # Start at the post's first frame: the frames above it are this file's and the compiler's
    # (none is left for a SyntaxError, whose own lines say where).
    trace = exception.__traceback__
    while trace is not None and parse_block_filename(trace.tb_frame.f_code.co_filename) is None:
        trace = trace.tb_next
    text = "".join(traceback.format_exception(type(exception), exception, trace))
    block = line = None
    for frame in traceback.extract_tb(trace):
        parsed = parse_block_filename(frame.filename)
        if parsed is not None:
            block, line = parsed, frame.lineno
    if isinstance(exception, SyntaxError):
        parsed = parse_block_filename(exception.filename or "")
        if parsed is not None:
            block, line = parsed, exception.lineno
    summary = "".join(traceback.format_exception_only(type(exception), exception)).strip()
    return {"summary": summary.splitlines()[-1], "traceback": text, "block": block, "line": line}


def parse_block_filename(filename: str) -> int | None:
    prefix, suffix = BLOCK_FILENAME.split("{index}")
    if filename.startswith(prefix) and filename.endswith(suffix):
        number = filename[len(prefix):-len(suffix)]
        if number.isdigit():
            return int(number)
    return None


def save_figures(plt, stem: Path, fig_format: str, skip=None) -> list[dict]:
    """Every open figure, deterministic bytes: SVG with a fixed salt and no date, PNG untimed."""
    saved = []
    for number in plt.get_fignums():
        figure = plt.figure(number)
        if figure is skip:
            continue
        path = Path(f"{stem}-figure-{len(saved)}.{fig_format}")
        metadata = {"Date": None} if fig_format == "svg" else {"Software": None}
        figure.savefig(path, format=fig_format, dpi=PNG_DPI, bbox_inches="tight",
                       metadata=metadata)
        saved.append({"file": path.name, "format": fig_format})
    return saved


def save_animation(animation, stem: Path) -> tuple[dict, object]:
    """The animation as a GIF written by Pillow and its last frame as a PNG poster; its figure."""
    gif = Path(f"{stem}-animation.gif")
    poster = Path(f"{stem}-poster.png")
    figure = animation._fig  # Animation keeps its figure only as this attribute
    # Saving draws each frame twice: once through canvas.draw_idle (which Agg runs at once) and
    # once to grab it. The grab alone is enough, and halves the time an animation takes.
    figure.canvas.draw_idle = _draw_nothing
    animation.save(gif, writer="pillow", dpi=ANIMATION_DPI)
    figure.savefig(poster, format="png", dpi=ANIMATION_DPI, metadata={"Software": None})
    return {"gif": gif.name, "poster": poster.name}, figure


if __name__ == "__main__":
    main()
