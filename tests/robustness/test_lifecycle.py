"""A build that is killed, interrupted, starved of disk or run twice at once: the previous site
stays complete and byte-identical, the next build sweeps what the dead one left, and two builds
of one site take turns. Every build here is the CLI in a subprocess; waits are hang guards on
observable states (a process started, a lock waited on, a build stopped at a moment of its
writer), never timings."""
from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import uuid
from contextlib import suppress
from pathlib import Path

import pytest

from generator.writer import JOURNAL, sweep_leftovers

from ..conftest import REPO, write
from .conftest import (HANG_GUARD, add_post, alive, children, cli, command_line, descendants,
                       end_processes, kernel_processes, leftovers, run_cli, snapshot, stopped,
                       wait_until)

SLOW = "Slow.\n\n```{python}\n#| timeout: 600\nimport time\ntime.sleep(600)\n```\n"
FAST = "Fast.\n\n```{python}\nprint('fast block ran')\n```\n"
STATIC_FILES = 300
HALFWAY = STATIC_FILES // 2  # the build is stopped at its writer's HALFWAYth file


def first_build(site: Path, *args: str) -> dict[str, str]:
    result = run_cli("--root", str(site), *args)
    assert result.returncode == 0, result.stderr
    return snapshot(site / "public")


def clean_build_of(site: Path, tmp_path: Path) -> dict[str, str]:
    """What a fresh build of the same sources writes (into another folder)."""
    out = tmp_path / f"fresh-{uuid.uuid4().hex[:8]}"
    result = run_cli("--root", str(site), "--out", str(out))
    assert result.returncode == 0, result.stderr
    fresh = snapshot(out)
    shutil.rmtree(out)
    return fresh


def sleeping(pid: int) -> bool:
    try:
        return "nanosleep" in Path(f"/proc/{pid}/wchan").read_text()
    except OSError:
        return False


def in_session(build: subprocess.Popen) -> list[int]:
    """Wait until the build runs the slow block: a session forked by its zygote is inside
    ``time.sleep`` (so the build and the zygote are done talking about it); their pids."""
    def check():
        found = kernel_processes(build.pid)
        return found if len(found) >= 2 and any(sleeping(pid) for pid in found[1:]) else None
    return wait_until(check, "the build to run the slow block", process=build)


def applying(site: Path):
    """True while the writer changes the output in place: its stage holds the journal that lets
    a sweep undo the change."""
    return lambda: any(site.glob(f".stride-tmp-public-*/{JOURNAL}"))


def stopped_at(site: Path, moment: str) -> subprocess.Popen:
    """A build of ``site`` stopped halfway through the ``moment`` of its writer (``staging``: the
    new files are being written beside the output; ``applying``: the output is being changed)."""
    build = cli("--root", str(site), "-j", "1", stop_at=(moment, HALFWAY))
    try:
        wait_until(lambda: stopped(build.pid), f"the build to stop while {moment}", process=build)
        assert any(site.glob(".stride-tmp-public-*")), "the build stopped with no stage"
        assert applying(site)() == (moment == "applying")
    except BaseException:
        build.kill()  # a stopped build would hold the lock forever
        build.wait()
        raise
    return build


def interrupt(build: subprocess.Popen) -> None:
    """Ctrl-C (the terminal signals the whole group) to a build, stopped or running."""
    os.killpg(build.pid, signal.SIGINT)
    os.killpg(build.pid, signal.SIGCONT)  # a stopped build handles the SIGINT as it resumes


@pytest.fixture
def big_site(site: Path) -> Path:
    """A post and a few hundred static files, built once: the previous site."""
    add_post(site, "a.md", "Version one.\n")
    static = site / "content" / "static" / "files"
    static.mkdir(parents=True)
    for index in range(STATIC_FILES):
        (static / f"f{index:05d}.txt").write_text(f"one {index}\n")
    return site


def change_everything(site: Path) -> None:
    add_post(site, "a.md", "Version two.\n")
    for path in (site / "content" / "static" / "files").iterdir():
        path.write_text(path.read_text().replace("one", "two"))


def test_sigkill_while_code_runs_leaves_the_previous_site(site, tmp_path):
    add_post(site, "a.md", "Version one.\n")
    before = first_build(site)
    add_post(site, "a.md", "Version two.\n")
    add_post(site, "slow.md", SLOW)
    build = cli("--root", str(site), "-j", "1")
    kernels = in_session(build)
    try:
        os.kill(build.pid, signal.SIGKILL)  # kill -9 of the build process
        build.wait(HANG_GUARD)
        for pid in kernels:  # the code stops (and the clean-up is not cut short by end_processes)
            wait_until(lambda: not alive(pid), f"process {pid} to end")
        assert snapshot(site / "public") == before
        assert leftovers(site) == []
    finally:
        end_processes(kernels)
    add_post(site, "slow.md", FAST)
    result = run_cli("--root", str(site))
    assert result.returncode == 0, result.stderr
    assert leftovers(site) == []
    assert snapshot(site / "public") == clean_build_of(site, tmp_path)


def test_sigkill_of_the_build_stops_the_code_it_was_running(site):
    add_post(site, "slow.md", SLOW)
    build = cli("--root", str(site), "-j", "1")
    kernels = in_session(build)
    zygote_folder = Path(os.readlink(f"/proc/{kernels[0]}/cwd"))
    assert zygote_folder.name.startswith("stride-run-zygote-")
    try:
        os.kill(build.pid, signal.SIGKILL)
        build.wait(HANG_GUARD)
        # expected within milliseconds (parent-death signal); the guard only bounds the wait
        for pid in kernels:
            wait_until(lambda: not alive(pid), f"process {pid} to end")
        assert not zygote_folder.exists()  # the zygote took its folder, sessions' files and all
    finally:
        end_processes(kernels)


def lock_holders(lock: Path) -> list[str]:
    inode = f":{lock.stat().st_ino}"
    return [line for line in Path("/proc/locks").read_text().splitlines()
            if line.split()[5 if line.split()[1] != "->" else 6].endswith(inode)]


def test_sigkill_of_a_parallel_build_frees_the_lock(site):
    add_post(site, "a.md", "A plain post.\n")
    add_post(site, "slow.md", SLOW)
    build = cli("--root", str(site), "-j", "2")
    kernels = in_session(build)
    workers = []
    try:
        workers = descendants(build.pid)
        os.kill(build.pid, signal.SIGKILL)
        build.wait(HANG_GUARD)
        lock = site / ".stride-cache" / "build.lock"
        wait_until(lambda: lock_holders(lock) == [], "the killed build's lock to be released")
    finally:
        end_processes(kernels + workers)


def test_sigkill_while_writing_leaves_the_previous_site_and_the_next_build_sweeps(big_site,
                                                                                  tmp_path):
    site = big_site
    before = first_build(site)
    change_everything(site)
    build = stopped_at(site, "staging")
    os.kill(build.pid, signal.SIGKILL)
    build.wait(HANG_GUARD)
    assert snapshot(site / "public") == before
    result = run_cli("--root", str(site))
    assert result.returncode == 0, result.stderr
    assert leftovers(site) == []
    assert snapshot(site / "public") == clean_build_of(site, tmp_path)


def changing_the_output(site: Path) -> tuple[dict[str, str], subprocess.Popen]:
    """The site as built, and a build of its changed version stopped while it changes the
    output in place."""
    before = first_build(site)
    change_everything(site)
    return before, stopped_at(site, "applying")


def test_sigkill_while_changing_the_output_is_undone_by_the_sweep(big_site, tmp_path):
    site = big_site
    before, build = changing_the_output(site)
    os.kill(build.pid, signal.SIGKILL)
    build.wait(HANG_GUARD)
    assert applying(site)(), "the killed build's journal is gone"
    sweep_leftovers((site / "public").resolve())  # what the next build does first
    assert snapshot(site / "public") == before
    assert leftovers(site) == []
    result = run_cli("--root", str(site))
    assert result.returncode == 0, result.stderr
    assert leftovers(site) == []
    assert snapshot(site / "public") == clean_build_of(site, tmp_path)


def test_ctrl_c_while_code_runs(site, tmp_path):
    add_post(site, "a.md", "Version one.\n")
    before = first_build(site)
    add_post(site, "a.md", "Version two.\n")
    add_post(site, "slow.md", SLOW)
    build = cli("--root", str(site), "-j", "1")
    kernels = in_session(build)
    try:
        os.killpg(build.pid, signal.SIGINT)  # Ctrl-C: the terminal signals the whole group
        out, err = build.communicate(timeout=HANG_GUARD)
        assert build.returncode == 130
        assert err == "interrupted: the previous site was left as it was\n"
        assert snapshot(site / "public") == before
        for pid in kernels:  # the build stops the code it started before it exits
            assert not alive(pid)
    finally:
        end_processes(kernels)
    add_post(site, "slow.md", FAST)
    assert run_cli("--root", str(site)).returncode == 0
    assert leftovers(site) == []
    assert snapshot(site / "public") == clean_build_of(site, tmp_path)


def test_ctrl_c_while_writing(big_site, tmp_path):
    site = big_site
    before = first_build(site)
    change_everything(site)
    build = stopped_at(site, "staging")
    interrupt(build)
    out, err = build.communicate(timeout=HANG_GUARD)
    assert (build.returncode, err) == (130, "interrupted: the previous site was left as it was\n")
    assert snapshot(site / "public") == before
    assert run_cli("--root", str(site)).returncode == 0
    assert leftovers(site) == []
    assert snapshot(site / "public") == clean_build_of(site, tmp_path)


def test_ctrl_c_while_changing_the_output_puts_the_previous_site_back(big_site, tmp_path):
    site = big_site
    before, build = changing_the_output(site)
    interrupt(build)
    out, err = build.communicate(timeout=HANG_GUARD)
    assert (build.returncode, err) == (130, "interrupted: the previous site was left as it was\n")
    assert snapshot(site / "public") == before  # put back at once, not by the next build
    assert leftovers(site) == []
    assert run_cli("--root", str(site)).returncode == 0
    assert snapshot(site / "public") == clean_build_of(site, tmp_path)


def test_ctrl_c_of_a_parallel_build(site):
    add_post(site, "a.md", "A plain post.\n")
    add_post(site, "slow.md", SLOW)
    build = cli("--root", str(site), "-j", "2")
    kernels = in_session(build)
    try:
        os.killpg(build.pid, signal.SIGINT)
        out, err = build.communicate(timeout=HANG_GUARD)
        assert (build.returncode, err) == (130, "interrupted: the previous site was left as it was\n")
        for pid in kernels:
            wait_until(lambda: not alive(pid), f"process {pid} to end")
    finally:
        end_processes(kernels)


# ----------------------------------------------------------------------------------- disk full

def _file_size_limit(limit: int):
    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_a_write_that_fails_leaves_the_previous_site(site, tmp_path):
    add_post(site, "a.md", "Version one.\n")
    write(site / "content" / "static" / "small.bin", "x" * 1000)
    before = first_build(site)
    add_post(site, "a.md", "Version two.\n")
    write(site / "content" / "static" / "zz-big.bin", "y" * 3_000_000)
    result = subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(site)],
                            capture_output=True, text=True, timeout=HANG_GUARD, cwd=REPO,
                            env={**os.environ, "CI": "1"}, preexec_fn=_file_size_limit(2_000_000))
    out = (site / "public").resolve()
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (f"error: {out}: could not write the site: File too large\n"
                             "  hint: check the folder's permissions and free space; the previous "
                             "site was left as it was\n")
    assert snapshot(site / "public") == before
    assert leftovers(site) == []


@pytest.fixture
def small_disk(tmp_path):
    """A 3 MB tmpfs mounted for this test (needs root and mount; skipped elsewhere)."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount_point)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=True)


def test_a_full_disk_leaves_the_previous_site(site, small_disk, tmp_path):
    out = small_disk / "public"
    add_post(site, "a.md", "Version one.\n")
    result = run_cli("--root", str(site), "--out", str(out))
    assert result.returncode == 0, result.stderr
    before = snapshot(out)
    add_post(site, "a.md", "Version two.\n")
    write(site / "content" / "static" / "zz-big.bin", "y" * 4_000_000)  # more than the disk
    result = run_cli("--root", str(site), "--out", str(out))
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (f"error: {out}: could not write the site: No space left on device\n"
                             "  hint: free some disk space and build again; the previous site was "
                             "left as it was\n")
    assert snapshot(out) == before
    assert sorted(p.name for p in small_disk.iterdir()) == ["public"]
    (site / "content" / "static" / "zz-big.bin").unlink()
    result = run_cli("--root", str(site), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in small_disk.iterdir()) == ["public"]
    assert snapshot(out) == clean_build_of(site, tmp_path)


# ---------------------------------------------------------------------------- concurrent builds

def blocked_on_lock(pid: int, lock: Path):
    def check():
        inode = lock.stat().st_ino
        return any(line.split()[1] == "->" and line.split()[5] == str(pid)
                   and line.split()[6].endswith(f":{inode}")
                   for line in Path("/proc/locks").read_text().splitlines())
    return check


def test_two_builds_of_one_site_take_turns(site, tmp_path):
    add_post(site, "a.md", SLOW)
    first = cli("--root", str(site))
    kernels = in_session(first)
    second = None
    try:
        second = cli("--root", str(site))
        wait_until(blocked_on_lock(second.pid, site / ".stride-cache" / "build.lock"),
                   "the second build to wait for the lock", process=second)
        assert kernel_processes(second.pid) == []  # it has not begun: no code of its own runs
        add_post(site, "a.md", FAST)  # what the second build will read once it has the lock
        os.killpg(first.pid, signal.SIGINT)
        first.communicate(timeout=HANG_GUARD)
        assert first.returncode == 130
        out, err = second.communicate(timeout=HANG_GUARD)
        assert second.returncode == 0, err
        assert out.startswith("built 1 posts and 0 pages")
    finally:
        end_processes(kernels + ([second.pid] if second and second.poll() is None else []))
    page = (site / "public" / "2024" / "01" / "a" / "index.html").read_text()
    assert "fast block ran" in page
    assert leftovers(site) == []


def test_clean_waits_for_a_running_build(site):
    add_post(site, "a.md", SLOW)
    first = cli("--root", str(site), "-j", "1")
    kernels = in_session(first)
    lock = site / ".stride-cache" / "build.lock"
    inode = lock.stat().st_ino
    cleaner = cli("clean", "--root", str(site))
    try:
        wait_until(blocked_on_lock(cleaner.pid, lock), "clean to wait for the lock",
                   process=cleaner)
    finally:
        os.killpg(first.pid, signal.SIGINT)
        first.communicate(timeout=HANG_GUARD)
        out, err = cleaner.communicate(timeout=HANG_GUARD)
        end_processes(kernels)
    assert cleaner.returncode == 0, err
    assert sorted(p.name for p in (site / ".stride-cache").iterdir()) == ["build.lock"]
    assert lock.stat().st_ino == inode  # kept: a build queued behind clean holds it open


def test_a_render_worker_killed_mid_build_is_a_clear_error_and_the_site_stays(site):
    """The system may kill a worker (out of memory): the build says so, never a traceback, and
    the previous site and the lock are as they were."""
    add_post(site, "a.md", "A plain post.\n")
    add_post(site, "b.md", FAST)
    before = first_build(site)
    add_post(site, "b.md", SLOW)
    add_post(site, "a.md", "A plain post, edited.\n")
    build = cli("--root", str(site), "-j", "2")
    kernels = in_session(build)
    workers = [pid for pid in children(build.pid) if "kernel.py" not in command_line(pid)]
    try:
        assert workers
        os.kill(workers[0], signal.SIGKILL)
        for pid in workers[1:]:  # the build may have ended them already, seeing the first die
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        _, stderr = build.communicate(timeout=HANG_GUARD)
        assert build.returncode == 1
        assert "a worker process of the build ended abruptly" in stderr
        assert "Traceback" not in stderr
        assert snapshot(site / "public") == before
        wait_until(lambda: not any(alive(pid) for pid in kernels),
                   "the dead worker's code sessions to end")
    finally:
        end_processes([*workers, *kernels])
        build.kill()
