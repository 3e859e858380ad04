"""The code fingerprint (part of every page-cache key) is worked out once and then found by stat."""
import os
import sys
import time

import pytest

import generator.build as build

LONG_AGO = time.time() - 3600


@pytest.fixture
def code(tmp_path, monkeypatch):
    """A stand-in for Stride's code folders and a library folder, last changed an hour ago."""
    for path in (tmp_path / "code/generator/a.py", tmp_path / "code/plugins/p/b.py"):
        path.parent.mkdir(parents=True)
        path.write_text("x = 1\n")
        os.utime(path, (LONG_AGO, LONG_AGO))
    libraries = tmp_path / "site-packages"
    libraries.mkdir()
    os.utime(libraries, (LONG_AGO, LONG_AGO))
    monkeypatch.setattr(build, "CODE_ROOT", tmp_path / "code")
    monkeypatch.setattr(sys, "path", [str(libraries)])
    digests = []
    work_it_out = build._code_digest.__wrapped__  # uncached: each call reads the code

    def counted_digest():
        digests.append(1)
        return work_it_out()
    monkeypatch.setattr(build, "_code_digest", counted_digest)
    return tmp_path, digests


def test_a_known_fingerprint_is_not_worked_out_again(code):
    root, digests = code
    first = build.code_fingerprint(root / "cache")
    assert build.code_fingerprint(root / "cache") == first and len(digests) == 1


def test_a_changed_code_file_or_library_folder_changes_it(code):
    root, digests = code
    first = build.code_fingerprint(root / "cache")
    changed = root / "code/plugins/p/b.py"
    changed.write_text("x = 2\n")
    os.utime(changed, (LONG_AGO + 60, LONG_AGO + 60))
    second = build.code_fingerprint(root / "cache")
    assert second != first and len(digests) == 2
    os.utime(root / "site-packages", (LONG_AGO + 60, LONG_AGO + 60))  # a library installed
    build.code_fingerprint(root / "cache")
    assert len(digests) == 3


def test_a_file_changed_just_now_is_never_trusted(code):
    root, digests = code
    (root / "code/generator/a.py").write_text("x = 3\n")
    build.code_fingerprint(root / "cache")
    build.code_fingerprint(root / "cache")
    assert len(digests) == 2 and not (root / "cache/state").exists()
