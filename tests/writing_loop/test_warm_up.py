"""Warming up the process that renders an edit: with the posts' own code, never running any."""
from __future__ import annotations

import gc
from pathlib import Path

from pygments.lexers import get_lexer_by_name

from generator import fast_lexing, incremental
from generator.build import WARM_UP_CODE, warm_up_text
from generator.serve import Rebuilder

from .helpers import add_post, make_site, write

HASKELL = "main :: IO ()\nmain = putStrLn (show (sum [1 .. 10]))\n"


def test_warm_up_highlights_the_posts_own_code_and_runs_none_of_it(tmp_path: Path) -> None:
    post = write(tmp_path / "post.md", f"Text.\n\n```haskell\n{HASKELL}```\n\n"
                                       "```{python}\nprint('never run')\n```\n\n"
                                       f"~~~ c linenos\n{'x++;' * WARM_UP_CODE}\n~~~\n")
    text = warm_up_text([str(post)])
    assert f"````haskell\n{HASKELL}" in text
    assert "never run" not in text
    assert "````c\nx++;" in text and len(text) < WARM_UP_CODE + 1000  # the long block is cut


def test_serve_has_compiled_the_newest_posts_highlighters_before_the_first_edit(
        tmp_path: Path) -> None:
    site = make_site(tmp_path / "site", posts=4)  # several posts: the first build uses workers
    add_post(site, 5, body=f"Code.\n\n```haskell\n{HASKELL}```\n")
    fast_lexing._compiled_states.cache_clear()
    Rebuilder(site.resolve(), drafts=False, quiet=True).rebuild(None)
    # the workers rendered the posts; this process, which renders the edits, was warmed up
    assert "root" in fast_lexing.compiled_states(get_lexer_by_name("haskell"))


def test_serve_settles_while_it_waits_so_an_edit_indexes_only_its_pages(
        tmp_path: Path, monkeypatch) -> None:
    site = make_site(tmp_path / "site", posts=12)
    rebuilder = Rebuilder(site.resolve(), drafts=False, quiet=True)
    rebuilder.rebuild(None)
    try:
        rebuilder.settle()
        # what survived the build is frozen: a collection during the edit does not walk it
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
    pages = len(rebuilder.session.pages)
    assert len(rebuilder.session.record_index) == pages
    indexed: list[str] = []
    dependencies = incremental._dependencies
    monkeypatch.setattr(incremental, "_dependencies",
                        lambda record: indexed.append(record.output) or dependencies(record))
    post = site / "content" / "posts" / "post-05.md"
    post.write_text(post.read_text() + "\nOne more line.\n")
    assert not rebuilder.rebuild(frozenset({post})).errors
    assert indexed == []  # the edit found its pages through the index serve built while waiting
    rebuilder.settle()
    gc.unfreeze()
    # then indexes the records the edit remade: the post's page and the pages that list it
    assert 0 < len(indexed) < pages / 2
    assert len(rebuilder.session.record_index) == len(rebuilder.session.pages)
