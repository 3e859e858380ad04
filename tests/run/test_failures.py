"""Each way a block can fail: the build stops at post.md:LINE with a hint, and nothing leaks."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from generator.errors import CodeExecutionError, SourceLocation
from plugins.run import kernel

from ..conftest import pids_cgroup_available
from .conftest import POST_PATH, cell

SHORT = 2  # seconds: the tests' per-block timeout


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def failure(site, markdown: str, **options) -> CodeExecutionError:
    options.setdefault("timeout", SHORT)
    with pytest.raises(CodeExecutionError) as raised:
        site.render(markdown, cached=False, **options)
    assert raised.value.hint
    return raised.value


def test_exception_is_reported_at_the_failing_line_of_an_earlier_block(site):
    # body lines: 0 intro, 2 fence, 3 option, 4 def, 5 return (the failing statement)
    markdown = ("Intro.\n\n" + cell("def ratio(a, b):\n    return a / b\n", "echo: false")
                + "\nMore prose.\n\n" + cell("x = 1\nratio(x, 0)\n"))
    error = failure(site, markdown, line_offset=4)
    assert error.location == SourceLocation(POST_PATH, 4 + 5 + 1)
    assert error.message.startswith("ZeroDivisionError: division by zero")
    # the traceback names the post's lines, the call (body line 12) included
    assert f'File "{POST_PATH}", line {4 + 12 + 1}, in <module>' in error.message
    assert "kernel.py" not in error.message


def test_syntax_error_is_reported_at_its_line(site):
    error = failure(site, cell("x = 1\ny = (x +\n", "echo: false"))
    assert error.location == SourceLocation(POST_PATH, 4)
    assert "SyntaxError" in error.message


def test_sys_exit_zero_is_a_failure(site):
    error = failure(site, cell("import sys\nsys.exit(0)\n"))
    assert error.location == SourceLocation(POST_PATH, 3)
    assert error.message.startswith("SystemExit: 0")


def test_os_exit_is_reported_at_the_statement_that_ended_the_session(site):
    error = failure(site, cell("import os\nprint('bye')\nos._exit(3)\nprint('never')\n"))
    assert error.location == SourceLocation(POST_PATH, 4)
    assert "exit status 3" in error.message


def test_crash_names_the_signal_and_the_line(site):
    error = failure(site, cell("import ctypes\nctypes.string_at(0)\n"))
    assert error.location == SourceLocation(POST_PATH, 3)
    assert "SIGSEGV" in error.message


def test_memory_limit_turns_a_huge_allocation_into_an_error(site):
    error = failure(site, cell("import numpy as np\nblock = np.ones(2**31)\n"),
                    memory_limit_mb=1024)
    assert error.location == SourceLocation(POST_PATH, 3)
    assert "MemoryError" in error.message or "Unable to allocate" in error.message


def marked_processes(marker: str) -> list[int]:
    """Live processes whose command line holds ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if (entry.name.isdigit() and marker.encode() in (entry / "cmdline").read_bytes()
                    and alive(int(entry.name))):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def sleeper(marker: str, *, new_session: bool) -> str:
    """Code starting a grandchild that sleeps, holds the block's stdout, and carries ``marker``."""
    return ("import subprocess, sys\n"
            f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)', {marker!r}],"
            f" start_new_session={new_session})\n")


def test_timeout_kills_the_session_and_a_grandchild_holding_its_stdout(site):
    marker = f"stride-test-{uuid.uuid4()}"
    code = sleeper(marker, new_session=True) + "import time\nwhile True:\n    time.sleep(0.05)\n"
    error = failure(site, cell(code, "timeout: 1"))
    assert "timeout" in error.message
    assert error.location.line in (6, 7)  # the loop, or the sleep inside it
    assert marked_processes(marker) == []


def test_timeout_in_compiled_code_that_ignores_signals(site):
    code = ("import signal\n"
            "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
            "while True: pass\n")
    error = failure(site, cell(code))
    assert f"its {SHORT} s timeout" in error.message
    assert error.location == SourceLocation(POST_PATH, 4)


def test_huge_output_is_truncated_with_a_visible_marker(site):
    html = site.render(cell("print('x' * 50_000_000)\n", "echo: false"), cached=False,
                       output_limit_bytes=1000).html
    assert "x" * 1000 + "\n[truncated: output beyond 1000 bytes was dropped]" in html
    assert "x" * 1001 not in html


def test_output_written_below_python_by_a_subprocess_is_capped_too(site):
    code = "import subprocess\nsubprocess.run(['head', '-c', '200000', '/dev/zero'])\n"
    html = site.render(cell(code, "echo: false"), cached=False, output_limit_bytes=500).html
    assert "[truncated: output beyond 500 bytes was dropped]" in html


def test_secrets_of_the_build_environment_are_not_visible(site, monkeypatch):
    from plugins.run import shutdown
    shutdown()  # the zygote must be started from this test's environment
    monkeypatch.setenv("STRIDE_TEST_SECRET", "hunter2")
    code = ("import os\n"
            "print(sorted(os.environ))\n"
            "print(os.environ.get('STRIDE_TEST_SECRET'))\n"
            "print(os.environ['HOME'] == os.getcwd(), os.environ['MPLBACKEND'])\n")
    html = site.render(cell(code, "echo: false"), cached=False).html
    shutdown()
    assert "hunter2" not in html
    assert "STRIDE_TEST_SECRET" not in html
    assert "None\nTrue Agg\n" in html


@pytest.mark.skipif(kernel.landlock_abi() < 1, reason="the kernel has no Landlock")
def test_writing_outside_the_scratch_folder_leaves_the_post_alone(site):
    (site.post_dir / "data.csv").write_text("1,2,3\n")
    code = ("import pathlib, subprocess\n"
            "pathlib.Path('data.csv').write_text('overwritten')\n"
            "print(open('data.csv').read())\n"
            f"target = pathlib.Path({str(site.post_dir)!r})\n"
            "print(subprocess.run(['touch', str(target / 'by-a-child')]).returncode != 0)\n"
            "(target / 'data.csv').write_text('clobbered')\n")
    html = site.render(cell(code, "echo: false", "depends: data.csv", "error: true"),
                       cached=False).html
    assert "overwritten\nTrue\n" in html  # the copy in the scratch folder; the child refused
    assert "PermissionError" in html
    assert (site.post_dir / "data.csv").read_text() == "1,2,3\n"
    assert sorted(p.name for p in site.post_dir.iterdir()) == ["data.csv"]


def test_each_post_gets_a_fresh_session(site):
    site.render(cell("leaked = 1\n"), cached=False)
    html = site.render(cell("print('leaked' in globals())\n", "echo: false"), cached=False).html
    assert '<pre class="run-stdout">False\n</pre>' in html


def test_a_worker_killed_between_posts_is_replaced(site):
    from plugins.run import worker
    site.render(cell("x = 1\n"), cached=False)
    zygote = worker._zygote
    os.kill(zygote.process.pid, signal.SIGKILL)
    zygote.process.wait()
    html = site.render(cell("print(3)\n", "echo: false"), cached=False).html
    assert '<pre class="run-stdout">3\n</pre>' in html


def own_zygote() -> list[int]:
    """This process's zygote (the kernel it started), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and kernel.__file__.encode() in (entry / "cmdline").read_bytes() \
                    and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == os.getpid():
                found.append(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def test_a_worker_killed_mid_block_fails_the_post_and_leaves_nothing_running(site):
    """The worker (the zygote) dies from outside while a block runs: the post fails with a
    clear error, the block's processes go with it, and the next post gets a new worker."""
    marker = f"stride-test-{uuid.uuid4()}"
    code = sleeper(marker, new_session=False) + "import time\ntime.sleep(300)\n"

    def kill_the_worker_once_the_block_runs() -> None:
        wait_for(lambda: marked_processes(marker))
        for pid in own_zygote():
            os.kill(pid, signal.SIGKILL)

    killer = threading.Thread(target=kill_the_worker_once_the_block_runs)
    killer.start()
    try:
        error = failure(site, cell(code), timeout=60)
    finally:
        killer.join()
    assert "worker died" in error.message
    html = site.render(cell("print(4)\n", "echo: false"), cached=False).html
    assert '<pre class="run-stdout">4\n</pre>' in html
    # The kills are sent at once; the processes end (or turn zombie) a moment later.
    wait_for(lambda: marked_processes(marker) == [])


def test_a_block_cannot_reach_its_worker(site):
    """In a process namespace of its own, the session has no parent to signal."""
    if not _namespaces_available():
        pytest.skip("this kernel gives no process namespaces to the sessions")
    html = site.render(cell("import os\nprint(os.getpid(), os.getppid())\n", "echo: false"),
                       cached=False).html
    assert '<pre class="run-stdout">1 0\n</pre>' in html


def _namespaces_available() -> bool:
    child = os.fork()
    if child == 0:
        os._exit(0 if kernel.own_process_namespace() else 1)
    _, status = os.waitpid(child, 0)
    return os.waitstatus_to_exitcode(status) == 0


def test_error_true_shows_the_exception_and_the_build_goes_on(site):
    html = site.render(cell("raise ValueError('shown')\n", "echo: false", "error: true")
                       + cell("print('after')\n", "echo: false"), cached=False).html
    assert "ValueError: shown" in html
    assert '<pre class="run-stdout">after\n</pre>' in html


def test_a_failure_keeps_the_previous_blocks_out_of_the_page_and_the_files(site):
    with pytest.raises(CodeExecutionError):
        site.render(cell("import matplotlib.pyplot as plt\nplt.plot([1, 2])\n")
                    + cell("1 / 0\n"), cached=True)
    assert not list(site.post_dir.parent.glob("**/*.svg"))


def test_process_limit_stops_a_fork_bomb_when_the_kernel_enforces_it(site):
    if os.geteuid() == 0 and not pids_cgroup_available():
        pytest.skip("RLIMIT_NPROC does not bind root (CAP_SYS_RESOURCE) and there is no pids "
                    "cgroup to make here")
    code = ("import os\nforked = 0\ntry:\n    for _ in range(500):\n"
            "        if os.fork() == 0:\n            import time; time.sleep(30); os._exit(0)\n"
            "        forked += 1\nexcept OSError:\n    print('stopped', forked < 500)\n")
    html = site.render(cell(code, "echo: false"), cached=False, process_limit=20).html
    assert "stopped True" in html


def test_the_session_runs_under_its_limits(site):
    code = ("import resource\n"
            "for name in ('RLIMIT_AS', 'RLIMIT_NPROC', 'RLIMIT_FSIZE', 'RLIMIT_CORE'):\n"
            "    print(name, *resource.getrlimit(getattr(resource, name)))\n")
    html = site.render(cell(code, "echo: false"), cached=False, memory_limit_mb=1500,
                       process_limit=40).html
    limits = {line.split()[0]: tuple(map(int, line.split()[1:]))
              for line in html.split('<pre class="run-stdout">')[1].split("</pre>")[0].splitlines()}
    assert limits["RLIMIT_AS"] == (1500 * 2**20,) * 2
    assert limits["RLIMIT_FSIZE"] == (kernel.FILE_SIZE_LIMIT_BYTES,) * 2
    assert limits["RLIMIT_CORE"] == (0, 0)
    soft, hard = limits["RLIMIT_NPROC"]
    assert soft == hard and 40 < soft <= kernel.user_process_count() + 40 + 64


def test_a_build_process_that_exits_without_shutdown_leaves_no_worker_or_folder(site):
    """As a forked pool worker does: os._exit, no atexit handlers."""
    markdown = cell("print(1)\n")
    script = (
        "import os, sys\nfrom pathlib import Path\nfrom markdown_it import MarkdownIt\n"
        "from generator.context import RenderContext\nfrom plugins.run import run_plugin, worker\n"
        "md = MarkdownIt('commonmark').use(run_plugin)\n"
        f"md.render({markdown!r}, {{'stride': RenderContext(source_path='p.md', "
        "source_dir=Path('.'))})\n"
        "print(worker._zygote.process.pid, worker._zygote.home, flush=True)\nos._exit(0)\n")
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            cwd=root, env={"PYTHONPATH": str(root), "PATH": os.defpath},
                            check=True)
    pid, home = result.stdout.split()
    wait_for(lambda: not alive(int(pid)) and not Path(home).exists())


def test_a_session_that_cannot_be_set_up_says_why():
    from plugins.run.worker import BlockProgram, SessionLimits, run_session
    block = BlockProgram(code="x = 1\n", timeout=SHORT, fig_format="svg", fig_width=6.4,
                         fig_height=4.8, warning=True, error=False)
    impossible = SessionLimits(memory_limit_mb=2048, output_limit_bytes=1000,
                               process_limit=-10**9)  # setrlimit refuses a negative bound
    result = run_session([block], limits=impossible, data_files={}, matplotlib_dir=None)
    assert result.outputs == ()
    assert result.crash.exit_code == kernel.SESSION_SETUP_FAILED
    assert "ValueError" in result.crash.setup_error


def test_a_fork_that_falls_through_the_block_does_not_run_the_rest_twice(site):
    # The parent waits for the child before it logs, so a child that went on to run the second
    # block would have logged first.
    second = ("if forked:\n    os.waitpid(forked, 0)\n"
              "with open('log', 'a') as log:\n"
              "    log.write('child\\n' if forked == 0 else 'parent\\n')\n"
              "print(open('log').read(), end='')\n")
    html = site.render(cell("import os\nforked = os.fork()\n", "echo: false")
                       + cell(second, "echo: false"), cached=False).html
    assert '<pre class="run-stdout">parent\n</pre>' in html


def test_control_characters_printed_by_a_block_never_reach_the_page(site):
    code = "print('a\\x00b\\x1b[31mred\\x1b[0m\\x07 \\x7f\\x85\\ufffe\\tc')\n"
    html = site.render(cell(code, "echo: false"), cached=False).html
    # Colour codes are dropped; NUL, BEL, DEL, C1 and noncharacters become U+FFFD; tab stays.
    assert '<pre class="run-stdout">a\ufffdbred\ufffd \ufffd\ufffd\ufffd\tc\n</pre>' in html


BUILD_SCRIPT = """
import os, signal, sys
from pathlib import Path
from markdown_it import MarkdownIt
from generator.context import RenderContext
from plugins.run import run_plugin
if sys.argv[1] == "exit-on-sigint":  # as a pool worker does: no atexit, no shutdown()
    signal.signal(signal.SIGINT, lambda *_: os._exit(130))
context = RenderContext(source_path="p.md", source_dir=Path(sys.argv[2]), execute=True,
                        cache_root=None)
MarkdownIt("commonmark").use(run_plugin, timeout=300).render(sys.stdin.read(), {"stride": context})
"""


def wait_for(condition, guard: float = 60) -> None:
    """Poll ``condition``; ``guard`` only bounds a hang (no timed assertion)."""
    give_up = time.monotonic() + guard
    while not condition():
        assert time.monotonic() < give_up, "hang guard"
        time.sleep(0.05)


@pytest.mark.parametrize("end", ["sigkill", "sigint-without-atexit"])
def test_the_running_block_ends_with_the_build_process(site, end):
    """kill -9 of the build, or a render worker that exits on Ctrl-C without atexit: the
    zygote notices at once (parent-death signal, EOF on its stdin) and takes the block's
    processes with it, those that left its process group included."""
    marker = f"stride-test-{uuid.uuid4()}"
    code = sleeper(marker, new_session=True) + "import time\ntime.sleep(300)\n"
    build = subprocess.Popen(
        [sys.executable, "-c", BUILD_SCRIPT,
         "exit-on-sigint" if end.startswith("sigint") else "-", str(site.post_dir)],
        stdin=subprocess.PIPE, cwd=Path(__file__).parents[2], start_new_session=True)
    try:
        build.stdin.write(cell(code).encode())
        build.stdin.close()
        wait_for(lambda: marked_processes(marker))
        # the zygote and the session it forked (same command line), and between them the
        # session's stand-in when the session has a process namespace of its own
        zygotes = marked_processes(f"{kernel.__file__}\0{build.pid}\0")
        assert len(zygotes) == (3 if _namespaces_available() else 2)
        os.killpg(build.pid, signal.SIGKILL if end == "sigkill" else signal.SIGINT)
        build.wait(60)
        wait_for(lambda: not marked_processes(marker) and not any(map(alive, zygotes)))
    finally:
        for pid in marked_processes(marker):
            os.kill(pid, signal.SIGKILL)
        if build.poll() is None:
            build.kill()
            build.wait()
