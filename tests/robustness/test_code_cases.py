"""Code that runs at build time and misbehaves: each failure is a CodeExecutionError at the
post's own line (the whole build fails, nothing is published), each runaway is stopped by a limit,
and what a block leaves behind (processes, output) is bounded.

Two sites are built once for the module: one whose every post fails in its own way (the build
reports all of them), and one whose posts build."""
from __future__ import annotations

import os
import re
import uuid

import pytest

from generator.errors import CodeExecutionError

from .conftest import (add_post, alive, build_failure, build_site, command_line, parse_html,
                       post_body)

DOUBLE_FORK_MARKER = f"stride-double-fork-{uuid.uuid4()}"

# Each post: line 5 "Text.", line 7 the fence, the code from line 8.
FAILING = {
    "exception": "x = 1\nraise ValueError('boom')",
    "loop": "#| timeout: 1\nwhile True: pass",
    "sleep": "#| timeout: 1\nimport time\ntime.sleep(1000)",
    "memory": "x = bytearray(8 * 2**30)",
    "sys-exit": "import sys\nsys.exit(0)",
    "os-exit": "import os\nos._exit(3)",
}
PASSING = {
    # The grandchild keeps the block's stdout open and sleeps: the block must still end.
    "double-fork": ("import os, sys\nr, w = os.pipe()\nif os.fork() == 0:\n"
                    "    if os.fork() == 0:\n        print('grandchild started', flush=True)\n"
                    "        os.write(w, b'x')\n"
                    "        os.execv(sys.executable, [sys.executable, '-c', "
                    f"'import time; time.sleep(1000)', {DOUBLE_FORK_MARKER!r}])\n"
                    "    os._exit(0)\nos.read(r, 1)\nprint('parent done')"),
    "big-output": "import sys\nfor _ in range(50):\n    sys.stdout.write('y' * 1_000_000)",
    "plt-show": ("#| fig-alt: a rising line\nimport matplotlib.pyplot as plt\nplt.plot([1, 2])\n"
                 "plt.show()\nprint('after show')"),
}


def cell(code: str) -> str:
    return f"Text.\n\n```{{python}}\n{code}\n```\n"


@pytest.fixture(scope="module")
def failures(tmp_path_factory):
    site = tmp_path_factory.mktemp("failing")
    for name, code in FAILING.items():
        add_post(site, f"{name}.md", cell(code))
    errors = build_failure(site).errors
    assert not (site / "public").exists()
    return {error.location.path.split("/")[-1][:-3]: error for error in errors}


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    site = tmp_path_factory.mktemp("passing")
    for name, code in PASSING.items():
        add_post(site, f"{name}.md", cell(code))
    result = build_site(site)
    assert result.diagnostics == ()
    return {name: post_body(result.output.joinpath("2024", "01", name, "index.html").read_text())
            for name in PASSING}


def test_every_failing_post_is_reported(failures):
    assert sorted(failures) == sorted(FAILING)
    assert all(isinstance(error, CodeExecutionError) for error in failures.values())


def test_exception(failures):
    error = failures["exception"]
    assert str(error).split("\n")[0] == "content/posts/exception.md:9: ValueError: boom"
    assert 'File "content/posts/exception.md", line 9, in <module>' in error.message
    assert error.hint.startswith("fix the code, or add `#| error: true`")


@pytest.mark.parametrize("name, line", [("loop", 9), ("sleep", 10)])
def test_infinite_loop_and_sleep_are_stopped_by_the_timeout(failures, name, line):
    assert str(failures[name]).split("\n")[0] == (
        f"content/posts/{name}.md:{line}: the {{python}} block ran longer than its 1 s timeout "
        "and was killed with every process it started")


def test_memory_bomb_hits_the_memory_limit(failures):
    error = failures["memory"]
    assert str(error).split("\n")[0] == "content/posts/memory.md:8: MemoryError"


def test_sys_exit_zero_is_an_error_of_the_block(failures):
    assert str(failures["sys-exit"]).split("\n")[0] == "content/posts/sys-exit.md:9: SystemExit: 0"


def test_os_exit_ends_the_session(failures):
    error = failures["os-exit"]
    assert str(error).split("\n")[0] == (
        "content/posts/os-exit.md:9: the block ended the Python session (exit status 3) before it "
        "finished")
    assert error.hint == ("remove the os._exit() call: the post's later blocks run in the same "
                          "session")


def test_double_fork_holding_stdout_neither_hangs_nor_survives(pages):
    html = pages["double-fork"]
    stdout = parse_html(html, fragment=True).find(".//pre[@class='run-stdout']").text
    assert stdout == "grandchild started\nparent done\n"
    # the grandchild is found by its command line: a pid it printed would be its namespace's
    assert not [pid for pid in map(int, filter(str.isdigit, os.listdir("/proc")))
                if DOUBLE_FORK_MARKER in command_line(pid) and alive(pid)]


def test_fifty_megabytes_of_output_are_truncated(pages):
    html = pages["big-output"]
    stdout = parse_html(html, fragment=True).find(".//pre[@class='run-stdout']").text
    assert stdout == "y" * 100_000 + "\n[truncated: output beyond 100000 bytes was dropped]\n"
    assert len(html) < 120_000


def test_plt_show_does_not_block_and_the_figure_is_kept(pages):
    tree = parse_html(pages["plt-show"], fragment=True)
    assert tree.find(".//pre[@class='run-stdout']").text == "after show\n"
    [image] = tree.iter("img")
    assert re.fullmatch(r"\./run-[0-9a-f]{16}\.svg", image.get("src"))
    assert image.get("alt") == "a rising line"
