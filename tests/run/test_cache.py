"""The cache: a hit skips the work, a change re-runs only what it must."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from plugins.run import worker
from plugins.run.results import BlockOutput

from .conftest import POST_PATH, cell

STAMP = "import time\nprint(time.monotonic_ns())\n"  # differs on every real run


def cache_entries(site) -> list[Path]:
    return sorted(p for p in site.cache_root.glob("run/*/*/*") if p.is_file())


def test_a_planted_entry_under_the_real_key_is_what_the_page_shows(site):
    markdown = cell("print('computed')\n", "echo: false")
    assert "computed" in site.render(markdown).html
    [entry] = cache_entries(site)
    planted = BlockOutput(stdout="planted\n", stderr="", value=None, error=None, figures=(),
                          animation=None)
    entry.write_bytes(planted.to_bytes())
    html = site.render(markdown).html
    assert '<pre class="run-stdout">planted\n</pre>' in html
    assert "computed" not in html


def test_unchanged_rebuild_runs_nothing(site, monkeypatch):
    markdown = cell(STAMP, "echo: false") + cell("print('second')\n")
    first = site.render(markdown).html
    monkeypatch.setattr(worker, "run_session", _refuse)
    assert site.render(markdown).html == first


def _refuse(*args, **kwargs):
    raise AssertionError("a session was started although every result was cached")


def test_prose_edits_captions_and_display_options_reuse_the_results(site, monkeypatch):
    first = site.render("Intro.\n\n" + cell(STAMP, "fig-cap: one")).html
    stamp = first.split('<pre class="run-stdout">')[1]
    monkeypatch.setattr(worker, "run_session", _refuse)
    edited = site.render("A longer intro.\n\nWith a second paragraph.\n\n"
                         + cell(STAMP, "fig-cap: two", "timeout: 5")).html
    assert stamp in edited


def test_changing_one_block_reruns_the_session_from_the_start(site):
    markdown = cell(STAMP, "echo: false") + cell("print('b')\n", "echo: false")
    first = site.render(markdown).html
    changed = site.render(markdown.replace("'b'", "'c'")).html
    assert first.split("</pre>")[0] != changed.split("</pre>")[0]  # the first block re-ran too
    assert '<pre class="run-stdout">c\n</pre>' in changed


def test_refresh_reruns_and_stores_again(site):
    markdown = cell(STAMP, "echo: false")
    first = site.render(markdown).html
    refreshed = site.render(markdown, refresh=True).html
    assert refreshed != first
    assert site.render(markdown).html == refreshed


def test_a_depends_file_joins_the_key_and_is_recorded(site):
    data = site.post_dir / "data.csv"
    data.write_text("1,2\n")
    markdown = cell("print(open('data.csv').read())\n", "echo: false", "depends: data.csv")
    first = site.render(markdown)
    assert "1,2" in first.html
    assert list(first.context.dependencies) == ["content/posts/demo/data.csv"]
    data.write_text("3,4\n")
    assert "3,4" in site.render(markdown).html


def test_a_failing_block_is_not_cached_but_the_blocks_before_it_are(site):
    from generator.errors import CodeExecutionError
    good = cell("print('good')\n", "echo: false")
    with pytest.raises(CodeExecutionError):
        site.render(good + cell("1 / 0\n"))
    assert len(cache_entries(site)) == 1


def test_a_damaged_entry_is_recomputed(site):
    markdown = cell("print('fine')\n", "echo: false")
    site.render(markdown)
    [entry] = cache_entries(site)
    entry.write_bytes(b"{not json")
    assert "fine" in site.render(markdown).html
    assert BlockOutput.from_bytes(entry.read_bytes()) is not None


def test_a_cached_build_never_starts_a_worker_nor_imports_matplotlib(site):
    """In a fresh interpreter, as a real rebuild: the warm cache is all it needs."""
    markdown = cell("import matplotlib.pyplot as plt\nplt.plot([0, 1])\n", "fig-alt: a line")
    site.render(markdown)
    script = textwrap.dedent(f"""
        import json, sys
        from pathlib import Path
        from markdown_it import MarkdownIt
        from generator.context import RenderContext
        from plugins.run import run_plugin, worker
        md = MarkdownIt("commonmark").use(run_plugin)
        context = RenderContext(source_path={POST_PATH!r}, source_dir=Path({str(site.post_dir)!r}),
                                cache_root=Path({str(site.cache_root)!r}))
        html = md.render({markdown!r}, {{"stride": context}})
        print(json.dumps({{"matplotlib": "matplotlib" in sys.modules,
                          "numpy": "numpy" in sys.modules,
                          "worker": worker._zygote is not None,
                          "figures": [name for name in context.assets]}}))
    """)
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            cwd=root, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
                            check=True)
    report = json.loads(result.stdout)
    assert report == {"matplotlib": False, "numpy": False, "worker": False,
                      "figures": report["figures"]}
    assert len(report["figures"]) == 1 and report["figures"][0].endswith(".svg")


def test_a_depends_module_is_importable_from_the_block(site):
    (site.post_dir / "signals.py").write_text("def box(n):\n    return [1.0] * n\n")
    html = site.render(cell("from signals import box\nprint(box(3))\n", "echo: false",
                            "depends: signals.py")).html
    assert '<pre class="run-stdout">[1.0, 1.0, 1.0]\n</pre>' in html


def test_changing_one_post_leaves_the_other_posts_cached(site, monkeypatch):
    first, second = cell(STAMP, "echo: false"), cell("print('other post')\n", "echo: false")
    site.render(first)
    kept = site.render(second).html
    site.render(first.replace("monotonic_ns", "perf_counter_ns"))
    monkeypatch.setattr(worker, "run_session", _refuse)
    assert site.render(second).html == kept
