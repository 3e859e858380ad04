#!/usr/bin/env python3
"""How much of KaTeX's screenshotter corpus the math plugin renders clean.

    python benchmarks/math_corpus.py [CORPUS.json] [--raw] [--verbose]

Each case is rendered through the whole plugin (``\\[..\\]`` or ``\\(..\\)`` in a Markdown
page) and counts as clean when its output

- is a ``<math>`` element (not the escaped fallback) and well-formed XML;
- leaks no TeX: no text outside the annotation looks like ``\\command``, no plugin warning
  names an unsupported command;
- has no raw ``&`` (an unconsumed column separator, or an unescaped ampersand);
- has no ``<mspace linebreak>`` and is MathML Core only: Core elements and attributes,
  ``mathvariant`` only as ``normal``.

``--raw`` grades plain ``latex2mathml.converter.convert`` with the same checks, for comparison.
The corpus is a coverage probe: fix general mechanisms, never special-case its entries.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from xml.etree import ElementTree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from markdown_it import MarkdownIt  # noqa: E402

from generator.context import RenderContext  # noqa: E402
from plugins.math import math_plugin  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpora" / "katex-screenshotter-cases.json"
NS = "{http://www.w3.org/1998/Math/MathML}"

CORE_ELEMENTS = {
    "math", "semantics", "annotation", "annotation-xml", "mrow", "mstyle", "merror", "mphantom",
    "mi", "mn", "mo", "mtext", "ms", "mspace", "mpadded", "mfrac", "msqrt", "mroot", "msub",
    "msup", "msubsup", "munder", "mover", "munderover", "mmultiscripts", "mprescripts",
    "mtable", "mtr", "mtd", "maction",
}
CORE_GLOBAL = {"class", "id", "style", "dir", "displaystyle", "scriptlevel", "mathcolor",
               "mathbackground", "mathsize", "mathvariant", "xmlns"}
CORE_SPECIFIC = {
    "math": {"display", "alttext"}, "annotation": {"encoding"},
    "mo": {"form", "fence", "separator", "lspace", "rspace", "stretchy", "symmetric", "maxsize",
           "minsize", "largeop", "movablelimits"},
    "mspace": {"width", "height", "depth"}, "mpadded": {"width", "height", "depth", "lspace",
                                                          "voffset"},
    "mfrac": {"linethickness"}, "munder": {"accentunder"}, "mover": {"accent"},
    "munderover": {"accent", "accentunder"}, "mtd": {"columnspan", "rowspan"},
    "maction": {"actiontype", "selection"},
}
LEAKED_COMMAND = re.compile(r"\\[A-Za-z]+")
MATH_ELEMENT = re.compile(r"<math\b.*?</math>", re.DOTALL)


def problems_in(markup: str, tex: str) -> list[str]:
    """Why ``markup`` (the page HTML for one formula) is not clean; empty when it is."""
    found: list[str] = []
    maths = MATH_ELEMENT.findall(markup)
    if not maths:
        return ["no <math> (fallback)"]
    for math in maths:
        if re.search(r"<mspace[^>]*linebreak", math):
            found.append("mspace linebreak")
        if re.search(r"&(?!(?:amp|lt|gt|quot|apos|#x?[0-9A-Fa-f]+);)", math):
            found.append("raw &")
        try:
            tree = ElementTree.fromstring(math)
        except ElementTree.ParseError as error:
            found.append(f"not well-formed: {error}")
            continue
        found += _tree_problems(tree, tex)
    return list(dict.fromkeys(found))


def _tree_problems(tree: ElementTree.Element, tex: str) -> list[str]:
    found: list[str] = []
    link_parents = {child: parent for parent in tree.iter() for child in parent}
    for element in tree.iter():
        tag = element.tag.removeprefix(NS)
        if tag == "a":  # an \eqref link: HTML inside <mtext>, which HTML parses as HTML
            parent = link_parents.get(element)
            if parent is None or parent.tag.removeprefix(NS) != "mtext":
                found.append("<a> outside <mtext>")
            continue
        if tag not in CORE_ELEMENTS:
            found.append(f"non-Core <{tag}>")
        for name, value in element.attrib.items():
            if name not in CORE_GLOBAL and name not in CORE_SPECIFIC.get(tag, ()):
                found.append(f"non-Core {tag}@{name}")
            if name == "mathvariant" and value != "normal":
                found.append(f"mathvariant={value}")
        if tag == "annotation":
            continue
        text = element.text or ""
        if LEAKED_COMMAND.search(text) and not _verbatim(text, tex):
            found.append(f"leaked {LEAKED_COMMAND.search(text).group(0)}")
        if "&" in text and r"\&" not in tex and "&" not in re.sub(r"\\begin.*?\\end", "", tex):
            found.append("raw & in text")
        if tag in ("mi", "mo") and text.strip() == "&":
            found.append("column & leaked")
    return found


def _verbatim(text: str, tex: str) -> bool:
    """Whether ``text`` is shown verbatim on purpose: it is the content of a ``\\verb``."""
    shown = text.replace("\u00a0", " ").replace("\u2423", " ")
    return any(shown.strip() and shown.strip() in content
               for content in re.findall(r"\\verb\*?(.)(.*?)\1", tex))


def render_with_plugin(tex: str, display: bool) -> tuple[str, list[str]]:
    md = MarkdownIt("commonmark").use(math_plugin)
    context = RenderContext(source_path="case.md", source_dir=Path("."))
    source = f"\\[\n{tex}\n\\]\n" if display else f"\\({tex}\\)\n"
    html = md.render(source, {"stride": context})
    unsupported = [d.message for d in context.diagnostics if "unsupported" in d.message]
    return html, unsupported


def render_raw(tex: str, display: bool) -> tuple[str, list[str]]:
    import latex2mathml.converter
    try:
        return latex2mathml.converter.convert(tex, display="block" if display else "inline"), []
    except Exception as error:  # noqa: BLE001 - the raw library raises anything
        return "", [f"raised {type(error).__name__}"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--raw", action="store_true", help="grade plain latex2mathml instead")
    parser.add_argument("--verbose", action="store_true", help="list every case that is not clean")
    arguments = parser.parse_args()
    cases = json.loads(arguments.corpus.read_text(encoding="utf-8"))
    render = render_raw if arguments.raw else render_with_plugin
    failures: list[tuple[str, list[str]]] = []
    for case in cases:
        html, notes = render(case["tex"], bool(case["display"]))
        problems = notes + problems_in(html, case["tex"])
        if problems:
            failures.append((case["name"], problems))
    clean = len(cases) - len(failures)
    label = "latex2mathml alone" if arguments.raw else "Stride math plugin"
    print(f"{label}: {clean}/{len(cases)} clean ({100 * clean / len(cases):.1f}%)")
    for name, problems in failures if arguments.verbose else ():
        print(f"  {name}: {'; '.join(problems)[:300]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
