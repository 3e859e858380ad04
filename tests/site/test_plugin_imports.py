"""Loading the plugins is cheap: numpy, Pillow and each plugin's working half are imported by
the first block that needs them, never by a post without one.

Each check runs in a fresh interpreter, since this test process has imported everything already.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# What a post without a {conv}, {python} or TikZ block must not load: the numeric stack, and
# the modules that draw figures, run code and lay out pictures.
HEAVY = ("numpy", "PIL", "matplotlib", "plugins.conv.block", "plugins.run.session",
         "plugins.run.worker", "plugins.tikz.draw")
PLAIN_POST = """---
title: Plain
---
Euler: $e^{i\\pi} + 1 = 0$.

| a | b |
|---|---|
| 1 | 2 |

```python
print("only shown")
```
"""
CONV_POST = """---
title: Figure
---
```{conv}
input: [[1, 2, 0], [3, 4, 1], [0, 1, 2]]
kernel: [[1, 0], [0, 1]]
```
"""
# As a command-line build does: read the plugins' options, build the parser, render one post.
SCRIPT = """
import json, sys
from generator.render_settings import plugin_option_names
from tests.site.helpers import render

heavy = sys.argv[1].split(",")

def loaded():
    return [name for name in heavy if name in sys.modules]

plugin_option_names()
plain = render(sys.argv[2])
after_plain = loaded()
figure = render(sys.argv[3])
print(json.dumps({"after_plain": after_plain, "plain_html": plain.html,
                  "after_conv": loaded(), "conv_html": figure.html}))
"""


def test_only_a_conv_block_imports_numpy_and_pillow():
    run = subprocess.run([sys.executable, "-c", SCRIPT, ",".join(HEAVY), PLAIN_POST, CONV_POST],
                         cwd=REPO, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    # The plain post did go through math, tables and code highlighting...
    assert "<math" in result["plain_html"] and "<table" in result["plain_html"]
    assert 'class="language-python"' in result["plain_html"]
    # ...without importing anything heavy.
    assert result["after_plain"] == []
    assert '<figure class="conv-figure">' in result["conv_html"]
    assert {"numpy", "PIL", "plugins.conv.block"} <= set(result["after_conv"])
    assert "matplotlib" not in result["after_conv"]


# A command-line build after a one-post edit, as `python build.py` runs it.
EDIT_BUILD = """
import json, sys
from generator.cli import main

status = main(["--root", sys.argv[1], "-q", "-j", "2"])
stack = ("markdown_it", "mdit_py_plugins", "latex2mathml", "generator.markdown", "plugins.math",
         "plugins.compat", "plugins.run", "plugins.conv", "plugins.tikz", "pygments.formatters")
print(json.dumps({"status": status, "imported": [name for name in stack if name in sys.modules]}))
"""


def test_a_one_post_edit_leaves_the_markdown_stack_to_the_worker_that_renders_it(tmp_path):
    """The build process forks the worker first and plans the pages while the worker imports
    markdown-it and the plugins; importing them itself put them on the edit's critical path.
    The highlighting stylesheet it wrote last time stands without Pygments' formatters."""
    posts = tmp_path / "content" / "posts"
    posts.mkdir(parents=True)
    for number in range(3):
        (posts / f"2024-01-0{number + 1}-p{number}.md").write_text(
            f"---\ntitle: Post {number}\n---\nEuler: $e^{{i\\pi}} + {number} = 0$.\n")
    build = [sys.executable, "-c", EDIT_BUILD, str(tmp_path)]
    first = subprocess.run(build, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    (posts / "2024-01-02-p1.md").write_text("---\ntitle: Post 1\n---\nEdited: $x^2$.\n")
    edit = subprocess.run(build, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert edit.returncode == 0, edit.stderr
    assert json.loads(edit.stdout) == {"status": 0, "imported": []}
    page = (tmp_path / "public" / "2024" / "01" / "p1" / "index.html").read_text()
    assert "Edited:" in page and "<msup>" in page
    stylesheet = tmp_path / "public" / "static" / "css" / "pygments.css"
    assert ".highlight" in stylesheet.read_text()
    stylesheet.unlink()  # then it is made again
    again = subprocess.run(build, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert ".highlight" in stylesheet.read_text()
