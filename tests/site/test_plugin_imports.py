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
from generator.markdown import plugin_option_names
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
