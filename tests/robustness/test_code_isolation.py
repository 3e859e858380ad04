"""What build-time code may reach besides its scratch folder: the build's environment, the
site's files, the process table."""
from __future__ import annotations

import os
import re

import pytest

from ..conftest import pids_cgroup_available, write
from .conftest import add_post, alive, build_failure, build_site, parse_html, post_body, run_cli

SECRET = "s3cr3t-token-value-for-the-test"


def cell(code: str) -> str:
    return f"Text.\n\n```{{python}}\n{code}\n```\n"


def build_with_secret(site, code: str) -> str:
    """Build with a secret in the CLI's environment; what the block printed."""
    add_post(site, "env.md", cell(code))
    result = run_cli("--root", str(site), env={**os.environ, "CI": "1", "STRIDE_TEST_SECRET": SECRET})
    assert result.returncode == 0, result.stderr
    page = (site / "public" / "2024" / "01" / "env" / "index.html").read_text()
    return parse_html(post_body(page), fragment=True).find(".//pre[@class='run-stdout']").text


def test_environment_secrets_are_not_in_the_code_environment(site):
    stdout = build_with_secret(site, "import os\nprint(sorted(os.environ))")
    assert "'PATH'" in stdout  # the block did run and print
    assert "STRIDE_TEST_SECRET" not in stdout and SECRET not in stdout


def test_environment_secrets_are_not_readable_through_proc(site):
    # Only says which processes hold the secret; never prints other processes' environments.
    code = ("import pathlib\nholders = []\nfor p in pathlib.Path('/proc').glob('[0-9]*/environ'):\n"
            "    try:\n        if b'STRIDE_TEST_SECRET' in p.read_bytes():\n"
            "            holders.append(p.parent.name)\n    except OSError:\n        pass\n"
            "print('holders:', *holders)")
    assert build_with_secret(site, code) == "holders:\n"


def test_the_build_stays_hidden_when_the_code_unmounts_its_proc(site):
    """The session's /proc is mounted over the build's; taking it off must not reveal the build
    (a sandboxed process may not change mounts)."""
    code = ("import ctypes, pathlib\nlibc = ctypes.CDLL(None, use_errno=True)\n"
            "print('umount:', libc.umount2(b'/proc', 2), ctypes.get_errno() != 0)\n"
            "holders = []\nfor p in pathlib.Path('/proc').glob('[0-9]*/environ'):\n"
            "    try:\n        if b'STRIDE_TEST_SECRET' in p.read_bytes():\n"
            "            holders.append(p.parent.name)\n    except OSError:\n        pass\n"
            "print('holders:', *holders)")
    stdout = build_with_secret(site, code)
    assert stdout.splitlines() == ["umount: -1 True", "holders:"]


def test_code_cannot_write_outside_its_scratch_folder(site):
    target = site / "content" / "posts" / "injected.md"
    add_post(site, "writer.md", cell(f"open({str(target)!r}, 'w').write('# Injected')"))
    failure = build_failure(site)
    assert not target.exists()
    [error] = failure.errors
    assert str(error).split("\n")[0].startswith("content/posts/writer.md:8: PermissionError")


@pytest.mark.xfail(os.geteuid() == 0 and not pids_cgroup_available(), strict=True,
                   reason="plugins/run (run author): RLIMIT_NPROC is not enforced for root, and "
                          "this machine gives no pids cgroup, so process_limit does not bound a "
                          "block run by root (a fork bomb is only stopped by the timeout)")
def test_process_limit_bounds_forks(site):
    write(site / "site.toml", "[plugins.run]\nprocess_limit = 16\n")
    code = ("import os, time\npids = []\nfor _ in range(100):\n    try:\n        pid = os.fork()\n"
            "    except OSError:\n        break\n    if pid == 0:\n        time.sleep(1000)\n"
            "        os._exit(0)\n    pids.append(pid)\nprint(os.readlink('/proc/self/ns/pid'))\n"
            "print(*pids)")
    add_post(site, "forks.md", cell(code))
    html = post_body(build_site(site).output.joinpath("2024", "01", "forks", "index.html").read_text())
    namespace, printed = parse_html(html, fragment=True).find(
        ".//pre[@class='run-stdout']").text.splitlines()
    pids = [int(p) for p in re.findall(r"\d+", printed)]
    assert 0 < len(pids) <= 16
    # every child was killed with the session: pids a block sees are its own namespace's, so
    # what is looked for is any process left in that namespace
    assert not in_namespace(namespace) if namespace != os.readlink("/proc/self/ns/pid") \
        else not any(alive(pid) for pid in pids)


def in_namespace(namespace: str) -> list[int]:
    """Live processes of the given pid namespace (``pid:[inode]``), from this side's /proc."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and os.readlink(f"/proc/{entry}/ns/pid") == namespace \
                    and alive(int(entry)):
                found.append(int(entry))
        except OSError:
            continue
    return found


def test_control_characters_in_output_keep_the_page_well_formed(site):
    add_post(site, "ctl.md", cell("print('a\\x00b\\x1b[31mred\\x1b[0m\\x07')"))
    page = build_site(site).output.joinpath("2024", "01", "ctl", "index.html").read_text()
    stdout = parse_html(page).find(".//pre[@class='run-stdout']")
    assert stdout is not None and "red" in stdout.text
