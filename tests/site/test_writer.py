"""The writer on real files: a rebuild touches only what changed, and a build stopped at any
filesystem call (killed, interrupted, failing) leaves the previous site byte for byte, at once or
after the next build's sweep."""
from __future__ import annotations

import errno
import itertools
import json
import os
import shutil
import signal
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import pytest

from generator.errors import OutputError
from generator.writer import (JOURNAL, MANIFEST, MANIFEST_VERSION, OutputFile, bytes_digest,
                              discard_stage, open_stage, read_manifest, stage_file,
                              sweep_leftovers, write_site)

# The filesystem calls through which the writer changes anything (shutil.rmtree and os.makedirs
# go through them too); a step is one such call.
CHANGES = ("link", "mkdir", "rename", "replace", "unlink", "rmdir")

FILLER = {f"archive/{n}/index.html": f"archive page {n}".encode() for n in range(40)}
OLD = {
    "index.html": b"home, one",
    "feed.xml": b"feed, one",
    "2024/01/a/index.html": b"post a",
    "2024/01/a/fig.png": b"figure of a",
    "2024/01/b/index.html": b"post b, one",
    "2024/02/c/index.html": b"post c",
    "tags/x/index.html": b"tag x",
    "static/style.css": b"body {}",
    **FILLER,
}
NEW = {
    **{path: data for path, data in OLD.items()
       if path not in ("2024/01/a/fig.png", "2024/02/c/index.html")},
    "index.html": b"home, two",
    "feed.xml": b"feed, two",
    "2024/01/b/index.html": b"post b, two",
    "2024/03/d/index.html": b"post d",
    "tags/y/index.html": b"tag y",
}


def outputs(site: dict[str, bytes], previous: dict[str, bytes] | None = None) -> list[OutputFile]:
    """The site as a build hands it over: pages that did not change are kept, the others in
    memory."""
    previous = previous or {}
    return [OutputFile.kept(path, bytes_digest(data)) if previous.get(path) == data
            else OutputFile(path, data=data) for path, data in sorted(site.items())]


def contents(out: Path) -> dict[str, bytes]:
    """Every file of the output but the manifest -> its bytes."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != MANIFEST}


def snapshot(out: Path) -> dict[str, bytes | None]:
    """Every file of the output, the manifest included, and every folder (None)."""
    return {**contents(out), MANIFEST: (out / MANIFEST).read_bytes(),
            **{p.relative_to(out).as_posix(): None for p in out.rglob("*") if p.is_dir()}}


def entries(out: Path) -> dict[str, tuple[int, int, int]]:
    """Every file and folder of the output (``.`` for itself) -> inode, ctime, mtime: a file that
    was rewritten, renamed, linked or unlinked, or a folder whose entries changed, differs."""
    found = {}
    for path in (out, *out.rglob("*")):
        stat = path.lstat()
        found[path.relative_to(out).as_posix()] = (stat.st_ino, stat.st_ctime_ns, stat.st_mtime_ns)
    return found


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(".stride-"))


def previous_site(folder: Path) -> Path:
    out = folder / "public"
    write_site(out, outputs(OLD))
    return out


@contextmanager
def steps(monkeypatch, on_step: Callable[[int, str, tuple], None]):
    """Call ``on_step(index, name, arguments)`` before each filesystem change."""
    counter = itertools.count()
    with monkeypatch.context() as patch:
        for name in CHANGES:
            def step(*args, _name=name, _real=getattr(os, name), **kwargs):
                on_step(next(counter), _name, args)
                return _real(*args, **kwargs)
            patch.setattr(os, name, step)
        yield


def recorded_steps(tmp_path: Path, monkeypatch) -> tuple[list[tuple[str, str]], dict[str, bytes]]:
    """The changes a build from OLD to NEW makes, in order (call, first path), and the output it
    leaves."""
    out = previous_site(tmp_path / "recorded")
    calls: list[tuple[str, str]] = []
    with steps(monkeypatch, lambda index, name, args: calls.append((name, str(args[0])))):
        write_site(out, outputs(NEW, OLD))
    assert contents(out) == NEW
    return calls, snapshot(out)


def journals(out: Path) -> list[Path]:
    return list(out.parent.glob(f".stride-tmp-{out.name}-*/{JOURNAL}"))


def journal_step(calls: list[tuple[str, str]]) -> int:
    """The index of the call that writes the journal: the first change to undo comes after it."""
    return next(index for index, (name, path) in enumerate(calls)
                if name == "replace" and path.endswith(f"{JOURNAL}.tmp"))


def commit_step(calls: list[tuple[str, str]]) -> int:
    """The index of the call that commits the build (the journal's deletion)."""
    return next(index for index, (name, path) in enumerate(calls)
                if name == "unlink" and path.endswith(JOURNAL))


def killed_at(step: int, action: Callable[[], object]) -> bool:
    """Run ``action`` in a forked child that SIGKILLs itself before its STEP-th filesystem change;
    False when it finished first."""
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 1
        try:
            counter = itertools.count()
            for name in CHANGES:
                def change(*args, _real=getattr(os, name), **kwargs):
                    if next(counter) == step:
                        os.kill(os.getpid(), signal.SIGKILL)
                    return _real(*args, **kwargs)
                setattr(os, name, change)
            action()
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        assert os.WTERMSIG(status) == signal.SIGKILL
        return True
    assert os.WEXITSTATUS(status) == 0, "the action failed in the child"
    return False


# ---------------------------------------------------------------------------------- what is written

def test_first_build_writes_the_whole_site_and_its_manifest(tmp_path):
    out = tmp_path / "site" / "public"  # its parent does not exist yet either
    report = write_site(out, outputs(OLD))
    assert contents(out) == OLD
    assert read_manifest(out) == {path: bytes_digest(data) for path, data in OLD.items()}
    assert (report.written, report.kept, report.removed) == (len(OLD), 0, 0)
    assert not report.unchanged
    assert leftovers(out) == []


def test_pages_written_into_the_stage_beforehand_make_the_same_site(tmp_path):
    out = tmp_path / "site" / "public"
    stage = open_stage(out)
    assert stage is not None and leftovers(out) == [stage.name]
    pages = {path: data for path, data in OLD.items() if path.endswith(".html")}
    for path, data in pages.items():
        stage_file(stage, path, data)
    files = [OutputFile.in_stage(path, bytes_digest(data)) for path, data in pages.items()]
    files += [OutputFile(path, data=data) for path, data in OLD.items() if path not in pages]
    report = write_site(out, files, stage)
    assert contents(out) == OLD and leftovers(out) == []
    assert read_manifest(out) == {path: bytes_digest(data) for path, data in OLD.items()}
    assert report.written == len(OLD)


def test_an_output_with_a_manifest_is_changed_in_place_not_staged_beforehand(tmp_path):
    assert open_stage(previous_site(tmp_path)) is None


def test_a_stage_the_build_gives_up_on_is_discarded(tmp_path):
    out = previous_site(tmp_path)
    (out / MANIFEST).unlink()  # no manifest to trust: the next build writes the whole site
    stage = open_stage(out)
    stage_file(stage, "index.html", b"half a build")
    discard_stage(stage)
    assert contents(out) == OLD and leftovers(out) == []


def test_a_page_that_cannot_be_staged_is_an_error_that_names_the_output(tmp_path):
    out = tmp_path / "public"
    stage = open_stage(out)
    stage_file(stage, "a", b"a file where a folder is needed")
    with pytest.raises(OutputError) as caught:
        stage_file(stage, "a/index.html", b"page")
    assert caught.value.location.path == str(out) and "previous site" in caught.value.hint


def test_an_unchanged_rebuild_touches_nothing(tmp_path):
    out = previous_site(tmp_path)
    before = entries(out)
    report = write_site(out, outputs(OLD, OLD))
    assert (report.written, report.kept, report.removed, report.unchanged) == (0, len(OLD), 0, True)
    assert entries(out) == before


def test_an_edit_touches_only_what_changed(tmp_path):
    out = previous_site(tmp_path)
    before = entries(out)
    report = write_site(out, outputs(NEW, OLD))
    after = entries(out)
    assert contents(out) == NEW
    assert (report.written, report.kept, report.removed) == (5, len(NEW) - 5, 2)
    touched = {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}
    assert touched == {
        # files written, added or removed (and the manifest)
        "index.html", "feed.xml", "2024/01/b/index.html", "2024/03/d/index.html",
        "tags/y/index.html", "2024/01/a/fig.png", "2024/02/c/index.html", MANIFEST,
        # folders created or removed
        "2024/03", "2024/03/d", "tags/y", "2024/02", "2024/02/c",
        # folders an entry was added to, replaced in or removed from
        ".", "2024", "2024/01/a", "2024/01/b", "tags",
    }
    # The 40 archive pages and the other unchanged files were not even linked (a link would
    # change their ctime): the write cost what changed, not the size of the site.
    assert leftovers(out) == []


def test_a_reader_of_a_replaced_page_keeps_reading_the_old_one_whole(tmp_path):
    out = previous_site(tmp_path)
    with open(out / "index.html", "rb") as reader:
        write_site(out, outputs(NEW, OLD))
        assert reader.read() == OLD["index.html"]  # replaced by a rename, never rewritten
    assert (out / "index.html").read_bytes() == NEW["index.html"]


def test_removed_pages_and_the_folders_they_leave_empty_are_deleted(tmp_path):
    out = previous_site(tmp_path)
    (out / "tags" / "x" / "notes.txt").write_text("the author's")  # not Stride's: stays
    (out / "CNAME").write_text("example.org")
    site = {path: data for path, data in OLD.items()
            if not path.startswith(("2024/", "tags/x/", "archive/3"))}
    report = write_site(out, outputs(site, OLD))
    assert report.removed == len(OLD) - len(site)
    assert contents(out) == {**site, "tags/x/notes.txt": b"the author's", "CNAME": b"example.org"}
    folders = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_dir()}
    assert "2024" not in folders and "archive/3" not in folders and "archive/30" not in folders
    assert {"tags/x", "archive/4", "static"} <= folders


def test_a_file_may_become_a_folder_and_a_folder_a_file(tmp_path):
    out = tmp_path / "public"
    first = {"about": b"about as a file", "docs/index.html": b"docs as a folder"}
    write_site(out, outputs(first))
    second = {"about/index.html": b"about as a folder", "docs": b"docs as a file"}
    write_site(out, outputs(second, first))
    assert contents(out) == second
    write_site(out, outputs(first, second))
    assert contents(out) == first


def test_static_files_are_copied_and_kept_by_size_and_mtime(tmp_path):
    source = tmp_path / "photo.jpg"
    source.write_bytes(b"jpeg, one")
    out = tmp_path / "public"
    write_site(out, [OutputFile("photo.jpg", source=source), OutputFile("index.html", data=b"x")])
    inode = (out / "photo.jpg").stat().st_ino
    report = write_site(out, [OutputFile("photo.jpg", source=source),
                              OutputFile("index.html", data=b"y")])
    assert (report.written, report.kept) == (1, 1)
    assert (out / "photo.jpg").stat().st_ino == inode
    source.write_bytes(b"jpeg, two, longer")
    write_site(out, [OutputFile("photo.jpg", source=source), OutputFile("index.html", data=b"y")])
    assert (out / "photo.jpg").read_bytes() == b"jpeg, two, longer"


def test_a_file_kept_from_a_build_that_did_not_write_it_is_an_error(tmp_path):
    out = previous_site(tmp_path)
    before = snapshot(out)
    with pytest.raises(OutputError, match="index.html was kept from the previous build"):
        write_site(out, outputs(NEW, NEW))  # kept as NEW's, while the previous build wrote OLD
    assert snapshot(out) == before


def test_an_output_whose_manifest_cannot_be_trusted_is_written_whole(tmp_path):
    out = previous_site(tmp_path)
    manifest = json.loads((out / MANIFEST).read_text())
    (out / MANIFEST).write_text(json.dumps({**manifest, "version": MANIFEST_VERSION - 1}))
    write_site(out, outputs(NEW))
    assert contents(out) == NEW
    assert leftovers(out) == []


# ---------------------------------------------------------------------------- failures and kills

def test_a_failure_while_staging_leaves_the_output_untouched(tmp_path):
    out = previous_site(tmp_path)
    before = snapshot(out)
    unreadable = tmp_path / "a-folder-given-as-a-file"
    unreadable.mkdir()
    with pytest.raises(OutputError) as caught:
        write_site(out, [*outputs(NEW, OLD), OutputFile("zz.bin", source=unreadable)])
    assert str(caught.value) == (f"{out}: could not write the site: Is a directory\n"
                                 "  hint: check the folder's permissions and free space; the "
                                 "previous site was left as it was")
    assert snapshot(out) == before
    assert leftovers(out) == []


def test_a_failure_while_applying_puts_the_previous_site_back(tmp_path):
    out = tmp_path / "public"
    first = {**OLD, "zz/index.html": b"zz"}
    write_site(out, outputs(first))
    (out / "zz" / "notes.txt").write_text("the author's")
    before = snapshot(out)
    # "zz" becomes a file, but the folder holds the author's notes: its rename, the last before
    # the manifest's, fails once every other change is made.
    with pytest.raises(OutputError) as caught:
        write_site(out, outputs({**NEW, "zz": b"zz as a file"}, first))
    assert str(caught.value) == (f"{out}: could not write the site: Is a directory\n"
                                 "  hint: check the folder's permissions and free space; the "
                                 "previous site was left as it was")
    assert snapshot(out) == before
    assert leftovers(out) == []


def test_where_hard_links_are_refused_the_previous_files_are_copied(tmp_path, monkeypatch):
    out = previous_site(tmp_path)
    before = snapshot(out)

    interrupted: list[int] = []

    def refuse_links_and_interrupt_the_last_change(index, name, args):
        if name == "link":
            raise PermissionError(errno.EPERM, "Operation not permitted", str(args[0]))
        if name == "replace" and str(args[1]).endswith(MANIFEST) and not interrupted:
            interrupted.append(index)  # once: the roll-back puts the manifest back too
            raise KeyboardInterrupt

    with steps(monkeypatch, refuse_links_and_interrupt_the_last_change), \
            pytest.raises(KeyboardInterrupt):
        write_site(out, outputs(NEW, OLD))
    assert snapshot(out) == before
    assert leftovers(out) == []


def test_a_kill_at_any_step_is_undone_by_the_next_sweep(tmp_path, monkeypatch):
    calls, after = recorded_steps(tmp_path, monkeypatch)
    journal, commit = journal_step(calls), commit_step(calls)
    for step in itertools.count():
        out = previous_site(tmp_path / f"kill-{step}")
        before = snapshot(out)
        if not killed_at(step, lambda: write_site(out, outputs(NEW, OLD))):
            break
        assert bool(journals(out)) == (journal < step <= commit)  # killed while applying
        if step < commit:
            # The next build decides which pages to keep from the manifest before its sweep:
            # it stays the previous one until every other file is in place.
            assert (out / MANIFEST).read_bytes() == before[MANIFEST], (step, calls[step])
        sweep_leftovers(out)  # what the next build does first
        assert snapshot(out) == (before if step <= commit else after), (step, calls[step])
        assert leftovers(out) == []
        write_site(out, outputs(NEW, OLD if step <= commit else NEW))  # the next build
        assert snapshot(out) == after
        assert leftovers(out) == []
    assert step == len(calls)


def test_a_kill_while_a_kill_is_undone_is_undone_by_the_sweep_after(tmp_path, monkeypatch):
    calls, _ = recorded_steps(tmp_path, monkeypatch)
    journal, commit = journal_step(calls), commit_step(calls)
    # Killed just after the journal, halfway through the changes, just before the commit.
    for step in (journal + 1, (journal + commit) // 2, commit):
        for sweep_step in itertools.count():
            out = previous_site(tmp_path / f"kill-{step}-{sweep_step}")
            before = snapshot(out)
            assert killed_at(step, lambda: write_site(out, outputs(NEW, OLD)))
            assert journals(out)
            if not killed_at(sweep_step, lambda: sweep_leftovers(out)):
                break
            sweep_leftovers(out)
            assert snapshot(out) == before, (step, sweep_step)
            assert leftovers(out) == []
        assert sweep_step > 5  # the roll-back was killed at each of its steps


def test_ctrl_c_at_any_step_rolls_back_at_once(tmp_path, monkeypatch):
    calls, after = recorded_steps(tmp_path, monkeypatch)
    commit = commit_step(calls)
    for step in range(len(calls)):
        out = previous_site(tmp_path / f"interrupted-{step}")
        before = snapshot(out)

        def interrupt(index, name, args, at=step):
            if index == at:
                raise KeyboardInterrupt

        with steps(monkeypatch, interrupt), pytest.raises(KeyboardInterrupt):
            write_site(out, outputs(NEW, OLD))
        if step <= commit:
            assert snapshot(out) == before, (step, calls[step])
            assert leftovers(out) == [], (step, calls[step])
        else:  # interrupted while deleting the stage of a committed build: the next one does
            assert snapshot(out) == after
            sweep_leftovers(out)
            assert leftovers(out) == []


def test_a_second_ctrl_c_during_the_roll_back_leaves_it_to_the_next_build(tmp_path, monkeypatch):
    calls, _ = recorded_steps(tmp_path, monkeypatch)
    first = commit_step(calls) - 2  # while the last files are renamed into place
    for second in range(first + 1, first + 6):  # while they are put back
        out = previous_site(tmp_path / f"twice-{second}")
        before = snapshot(out)

        def interrupt(index, name, args, at=(first, second)):
            if index in at:
                raise KeyboardInterrupt

        with steps(monkeypatch, interrupt), pytest.raises(KeyboardInterrupt):
            write_site(out, outputs(NEW, OLD))
        assert journals(out)  # the roll-back was stopped: its journal stayed
        report = write_site(out, outputs(OLD, OLD))  # the next build: the previous site again
        assert report.unchanged  # found whole once the next build's sweep put it back
        assert snapshot(out) == before
        assert leftovers(out) == []


# --------------------------------------------------------------------------------------- sweeping

def test_sweep_deletes_stages_without_journal_and_leaves_other_outputs_alone(tmp_path):
    out = previous_site(tmp_path)
    before = snapshot(out)
    for name in (".stride-tmp-public-123", ".stride-tmp-public-2-456", ".stride-old-public-7"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "new-0").write_text("half written")
    sweep_leftovers(out)
    assert snapshot(out) == before
    assert leftovers(out) == [".stride-tmp-public-2-456"]  # a stage of the output "public-2"


def test_sweep_puts_back_a_site_killed_between_the_renames_of_a_swap(tmp_path):
    out = previous_site(tmp_path)
    before = snapshot(out)
    out.rename(tmp_path / ".stride-old-public-99")
    sweep_leftovers(out)
    assert snapshot(out) == before
    assert leftovers(out) == []


def test_sweep_does_not_bring_back_pieces_of_an_output_deleted_since(tmp_path, monkeypatch):
    calls, _ = recorded_steps(tmp_path, monkeypatch)
    out = previous_site(tmp_path / "deleted")
    assert killed_at(commit_step(calls), lambda: write_site(out, outputs(NEW, OLD)))
    shutil.rmtree(out)
    sweep_leftovers(out)
    assert not out.exists()
    assert leftovers(out) == []


def test_an_unreadable_journal_stops_the_build_with_what_to_do(tmp_path):
    out = previous_site(tmp_path)
    stage = tmp_path / ".stride-tmp-public-42"
    stage.mkdir()
    (stage / JOURNAL).write_text("{not json")
    with pytest.raises(OutputError) as caught:
        write_site(out, outputs(NEW, OLD))
    assert str(caught.value) == (f"{stage / JOURNAL}: cannot undo the unfinished build in {stage}: "
                                 "its journal is unreadable\n  hint: delete that folder and the "
                                 "output folder, then build again")
