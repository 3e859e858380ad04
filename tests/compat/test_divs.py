"""Pandoc's fenced divs and Quarto's callouts: through the whole pipeline (math, sanitizer,
warnings with file:line), as a property over random fences, and in Chromium.

The fixture file ``fixtures/divs.md`` holds the input -> HTML cases."""
from __future__ import annotations

import html.parser
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.context import ENV_KEY
from plugins.compat.divs import AttributeSyntaxError, read_attributes

from ..browser.conftest import ARTIFACTS, CHROMIUM, serve
from ..conftest import CHROMIUM_ARGS, write
from ..site.helpers import render as render_post
from .conftest import make_context, make_markdown

FRONTMATTER = "---\ntitle: Callouts\ndate: 2024-01-01\n---\n"  # the body starts on file line 5
MARKDOWN = make_markdown()


def render(body: str):
    return render_post(FRONTMATTER + body)


def warnings(rendered) -> list[str]:
    return [str(d).split("\n")[0] for d in rendered.diagnostics]


# ---- the whole pipeline ----------------------------------------------------------------------
def test_math_inside_a_div_and_in_a_callout_title_is_mathml() -> None:
    rendered = render('::: {.callout-tip title="The $\\hat{x}$ bound"}\n'
                      "Since $x \\le y$,\n\n$$\n\\frac{a}{b}\n$$\n:::\n")
    title = rendered.html.split('<p class="callout-title">')[1].split("</p>")[0]
    assert title.startswith("The <math") and "\\hat{x}" in title and title.endswith(" bound")
    body = rendered.html.split('<div class="callout-body">')[1]
    assert body.count("<math") == 2 and "<mfrac>" in body
    assert rendered.diagnostics == ()


def test_a_callout_heading_becomes_its_title_and_leaves_the_table_of_contents() -> None:
    rendered = render("## Before\n\n::: {.callout-note}\n## Inside\nText.\n:::\n\n## After\n")
    assert [entry.text for entry in rendered.toc] == ["Before", "After"]
    assert '<p class="callout-title">Inside</p>' in rendered.html


def test_collapse_and_data_attributes_survive_the_sanitizer() -> None:
    rendered = render('::: {.callout-warning collapse="false" key="v"}\nText.\n:::\n')
    assert rendered.html.startswith(
        '<div class="callout callout-warning" role="note" data-key="v">\n<details open="">\n'
        '<summary class="callout-title">Warning</summary>')


def test_code_inside_a_div_is_highlighted_and_its_fence_is_code() -> None:
    rendered = render("::: {.callout-note}\n```python\n:::\nx = 1\n```\n:::\nAfter.\n")
    body, after = rendered.html.split('<div class="callout-body">')[1].split("</div>\n</div>")
    assert '<pre class="highlight"' in body and ":::" in body
    assert after.strip() == "<p>After.</p>"


def test_an_unclosed_div_warns_with_its_opening_file_line() -> None:
    rendered = render("Intro.\n\n::: {.callout-note}\nNever closed.\n")
    assert rendered.html.endswith('<p>Never closed.</p>\n</div>\n</div>\n')
    assert warnings(rendered) == [
        "content/posts/post.md:7: warning[pandoc]: `::: {.callout-note}` is never closed: it "
        "runs to the end of the post"]


def test_a_div_unclosed_in_a_quote_ends_with_the_quote() -> None:
    rendered = render("> ::: note\n> Quoted.\n\nAfter.\n")
    assert rendered.html == ('<blockquote>\n<div class="note">\n<p>Quoted.</p>\n</div>\n'
                             "</blockquote>\n<p>After.</p>\n")
    assert warnings(rendered) == [
        "content/posts/post.md:5: warning[pandoc]: `::: note` is never closed: it runs to the "
        "end of the list item or quote it is in"]


def test_fences_that_open_or_close_nothing_warn_and_stay_text() -> None:
    rendered = render(":::\n\n::: {.a 'b}\n\n::: two words\n\n::: note\n- item\n\n  :::\n:::\n")
    assert warnings(rendered) == [
        "content/posts/post.md:5: warning[pandoc]: a closing fence `:::` with no open div; it "
        "is shown as text",
        "content/posts/post.md:7: warning[pandoc]: `::: {.a 'b}` is not a fenced div: its "
        "attributes cannot be read: `'b}` is not #id, .class or key=value; the line is shown "
        "as text",
        "content/posts/post.md:9: warning[pandoc]: `::: two words` is not a fenced div: only "
        "one word (a class) or {attributes} may follow the colons; the line is shown as text",
        "content/posts/post.md:14: warning[pandoc]: a closing fence `:::` inside a list or "
        "quote cannot close the div opened at line 11 outside it; it is shown as text"]
    assert all(d.hint for d in rendered.diagnostics)
    assert rendered.html.endswith('<div class="note">\n<ul>\n<li>\n<p>item</p>\n<p>:::</p>\n'
                                  "</li>\n</ul>\n</div>\n")


def test_the_pandoc_switch_turns_fenced_divs_off() -> None:
    source = "::: {.callout-note}\nText.\n:::\n"
    assert MARKDOWN.render(source, {ENV_KEY: make_context()}).startswith('<div class="callout')
    assert make_markdown(pandoc=False).render(source, {ENV_KEY: make_context()}) == (
        "<p>::: {.callout-note}\nText.\n:::</p>\n")


# ---- tabsets ----------------------------------------------------------------------------------
def test_tab_headings_leave_the_contents_and_the_numbering_and_headings_in_panels_keep_both(
        ) -> None:
    rendered = render_post(
        "---\ntitle: Tabs\ndate: 2024-01-01\nnumber-sections: true\n---\n## Before\n\n"
        "::: {.panel-tabset}\n## NumPy\n### Inside {#sec-inside}\nText.\n\n## PyTorch\nMore.\n"
        ":::\n\n## After\n\nSee @sec-inside.\n")
    assert [(entry.level, entry.anchor, entry.text) for entry in rendered.toc] == [
        (2, "before", "1 Before"), (3, "sec-inside", "1.1 Inside"), (2, "after", "2 After")]
    assert re.findall(r"<label [^>]*>(.*?)</label>", rendered.html) == ["NumPy", "PyTorch"]
    assert '<a class="crossref" href="#sec-inside">Section\xa01.1</a>' in rendered.html
    assert rendered.diagnostics == ()


def test_text_before_the_first_tab_and_a_tabset_without_headings_warn_at_their_lines() -> None:
    rendered = render("::: {.panel-tabset}\nLeft out.\n\n## Tab\nKept.\n:::\n\n"
                      "::: {.panel-tabset}\nNo heading.\n:::\n")
    assert "Left out" not in rendered.html and "<p>No heading.</p>" in rendered.html
    assert warnings(rendered) == [
        "content/posts/post.md:6: warning[pandoc]: the text before a tabset's first heading is "
        "not shown (Quarto leaves it out too)",
        "content/posts/post.md:12: warning[pandoc]: a `.panel-tabset` div holds no heading, so "
        "it has no tabs; its content is shown as a plain div"]


def test_a_tabset_inside_the_text_before_the_first_tab_is_left_out_with_that_text() -> None:
    rendered = render("::: {.panel-tabset}\n::: {.panel-tabset}\n## Inner\nA.\n:::\n\n"
                      "## Outer\nB.\n:::\n")
    assert re.findall(r"<label [^>]*>(.*?)</label>", rendered.html) == ["Outer"]
    assert "Inner" not in rendered.html
    assert warnings(rendered) == [
        "content/posts/post.md:6: warning[pandoc]: the text before a tabset's first heading is "
        "not shown (Quarto leaves it out too)"]


def test_an_empty_tab_heading_gets_a_label_that_names_the_tab_and_a_warning() -> None:
    rendered = render("::: {.panel-tabset}\n## One\nA.\n\n##\nB.\n:::\n")
    assert re.findall(r"<label [^>]*>(.*?)</label>", rendered.html) == ["One", "Tab 2"]
    assert warnings(rendered) == [
        "content/posts/post.md:9: warning[pandoc]: a tab's heading is empty: its tab is "
        "labelled 'Tab 2'"]


def test_each_post_and_each_tabset_has_its_own_radio_group() -> None:
    source = "::: {.panel-tabset}\n## A\n:::\n\n::: {.panel-tabset}\n## A\n:::\n"
    names = []
    for path in ("content/posts/one.md", "content/posts/two.md"):
        page = MARKDOWN.render(source, {ENV_KEY: make_context(source_path=path)})
        names += [attributes["name"] for tag, attributes in Elements(page).found
                  if tag == "input"]
    assert len(names) == len(set(names)) == 4


def test_a_summary_keeps_its_tabset_working_but_no_id_another_summary_could_repeat() -> None:
    rendered = render("## Setup\n\n::: {.panel-tabset}\n## NumPy\nA.\n\n## PyTorch\nB.\n:::\n"
                      "\n<!--more-->\n\nRest.\n")
    assert 'id="setup"' in rendered.html and 'id="numpy"' in rendered.html
    elements = Elements(rendered.summary_html).found
    radios = [attributes["id"] for tag, attributes in elements if tag == "input"]
    assert [attributes["for"] for tag, attributes in elements if tag == "label"] == radios
    assert len(radios) == 2
    assert [tag for tag, attributes in elements if "id" in attributes and tag != "input"] == []


def test_a_tab_title_and_a_panel_are_the_authors_html_and_are_sanitized() -> None:
    rendered = render("::: {.panel-tabset}\n## <img src=x onerror=alert(1)> <script>alert(2)</script>"
                      "\n<label for=x onclick=alert(3)>L</label>\n:::\n")
    elements = Elements(rendered.html).found
    assert [tag for tag, _ in elements] == ["div", "input", "label", "img", "div", "p", "label"]
    for tag, attributes in elements:
        assert not [name for name in attributes if name.startswith("on")], (tag, attributes)
    assert "<script" not in rendered.html and "for" not in elements[-1][1]


# ---- safety ----------------------------------------------------------------------------------
HOSTILE = [
    '::: {#x"><script>alert(1)</script> .a}\nText.\n:::\n',
    '::: {.a title="\\"><script>alert(1)</script>" k=\'"><img src=x onerror=alert(1)>\'}\n'
    "Text.\n:::\n",
    '::: {.callout-note title="<img src=x onerror=alert(1)>"}\nText.\n:::\n',
    '::: {.callout-note}\n## <img src=x onerror=alert(1)> and <script>alert(2)</script>\n:::\n',
    '::: "><script>alert(1)</script>\nText.\n:::\n',
    '::: {onclick="alert(1)" onMouseOver=alert(1) style="position:fixed;inset:0" data-x=1}\n'
    "Text.\n:::\n",
    '{onclick="alert(1)" style="position:fixed"}\n::: note\nText.\n:::\n',
    '::: note\nText.\n:::\n{: style="position:fixed" onclick="alert(1)" href="javascript:x"}\n',
]


class Elements(html.parser.HTMLParser):
    """Every element of a page with its attributes, as a browser would read them."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(page)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


@pytest.mark.parametrize("source", HOSTILE)
def test_no_attribute_or_title_can_inject_markup_or_script(source: str) -> None:
    rendered = render(source)
    page = rendered.html
    # each fence either opened a div or was named in a warning
    assert page.startswith("<div") or "pandoc" in {d.kind for d in rendered.diagnostics}
    elements = Elements(page).found
    assert [tag for tag, _ in elements if tag not in ("div", "p", "h2", "img")] == []
    for tag, attributes in elements:
        assert not [name for name in attributes if name.startswith("on") or name == "style"]
        assert not any("javascript:" in (value or "") for value in attributes.values())
    balanced(page)


def test_dropped_attributes_are_named_in_warnings() -> None:
    rendered = render('::: {onclick="alert(1)" style="color:red" x:y=1 good=1}\nText.\n:::\n')
    assert '<div data-good="1">' in rendered.html
    assert warnings(rendered) == [
        "content/posts/post.md:5: warning[pandoc]: removed unsafe HTML: the event handler "
        "`onclick=` on a fenced div",
        "content/posts/post.md:5: warning[pandoc]: `style=` on a fenced div is not published: "
        "nothing would check its CSS",
        "content/posts/post.md:5: warning[pandoc]: `x:y=` on a fenced div is not a name an "
        "HTML attribute can have; it is dropped"]


@pytest.mark.parametrize(("text", "expected"), [
    ('{#id .a .b key="v" other=bare}', {"id": "id", "key": "v", "other": "bare", "class": "a b"}),
    ("{title='It\\'s $\\{x\\}$ and $\\hat{x}$'}", {"title": "It's ${x}$ and $\\hat{x}$"}),
    ('{class="a b" .c width=50%}', {"class": "a b c", "width": "50%"}),
    ("{}", {}),
])
def test_attributes_are_read_as_pandoc_reads_them(text: str, expected: dict) -> None:
    assert read_attributes(text) == (expected, len(text))


@pytest.mark.parametrize("text", ["{.a", '{.a"b"}', "{1a=2}", '{k="unclosed}', "{-}"])
def test_unreadable_attributes_raise_their_own_error(text: str) -> None:
    with pytest.raises(AttributeSyntaxError):
        read_attributes(text)


# ---- properties ------------------------------------------------------------------------------
VOID = {"hr", "br", "img", "input"}


class TagStack(html.parser.HTMLParser):
    """Fails on an end tag that does not close the innermost open element."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.ids: list[tuple[int, str]] = []  # (how many dN divs around it, dN)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        identifier = dict(attrs).get("id") or ""
        if tag == "div" and identifier.startswith("d"):
            self.ids.append((sum(name.startswith("div#d") for name in self.open), identifier))
            tag = f"div#{identifier}"
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:  # `<br />` reaches both handlers
            return
        assert self.open and self.open[-1].split("#")[0] == tag, (self.open, tag)
        self.open.pop()


def balanced(page: str) -> TagStack:
    parser = TagStack()
    parser.feed(page)
    parser.close()
    assert parser.open == []
    return parser


LINES = [":::", "::::", "::: note", ":::note:::", "::: {.callout-tip}", "::: {#x .a k=\"v\"}",
         "::: {.panel-tabset}", "### Tab",
         '::: {.callout-caution collapse="true"}', '::: {.callout-note title="T"}', "::: {",
         "::: {.a} b", "::: two words", "{.a}", "}", "{", "```", "~~~", "- item", "  :::",
         "> quote", "> :::", "## Heading", "text", "    :::", "| a |", "|---|", "", "1. one",
         "[^1]: note", "term", ": definition"]
soup = st.lists(st.one_of(st.sampled_from(LINES), st.text(":{}.#=\" ab-`>", max_size=12)),
                max_size=25).map("\n".join)


@settings(max_examples=300, deadline=None)
@given(soup)
def test_random_fences_never_raise_and_give_balanced_tags(text: str) -> None:
    page = MARKDOWN.render('::: {#d0 .first}\n' + text, {ENV_KEY: make_context()})
    assert balanced(page).ids[0] == (0, "d0")


@dataclass(frozen=True)
class Written:
    """A div as the property test writes it: its kind, the colons of its two fences, its
    content (paragraphs, lists, code... and other divs)."""

    kind: str
    colons: int
    closing: int
    children: tuple[Written | str, ...]


LEAVES = ["A paragraph.", "- one\n- two", "> A quote.", "```\n:::\n```", "~~~\n::: {.a}\n~~~",
          "| a |\n|---|\n| 1 |", "Text with *emphasis*."]
KINDS = ["plain", "callout-note", "callout-tip", "callout-warning", "callout-important",
         "callout-caution", 'callout-note collapse="true"']
trees = st.recursive(
    st.sampled_from(LEAVES),
    lambda inner: st.builds(Written, st.sampled_from(KINDS), st.integers(3, 6), st.integers(3, 6),
                            st.lists(inner, max_size=3).map(tuple)),
    max_leaves=12)


def to_markdown(node: Written | str, names: Iterator[str]) -> str:
    if isinstance(node, str):
        return node
    classes = "" if node.kind == "plain" else f" .{node.kind}"
    opening = f"{':' * node.colons} {{#{next(names)}{classes}}}"
    inside = "\n\n".join(to_markdown(child, names) for child in node.children)
    return f"{opening}\n{inside}\n{':' * node.closing}"


def expected_ids(node: Written | str, depth: int, names: Iterator[str]) -> list[tuple[int, str]]:
    if isinstance(node, str):
        return []
    own = [(depth, next(names))]
    return own + [item for child in node.children
                  for item in expected_ids(child, depth + 1, names)]


@settings(max_examples=200, deadline=None)
@given(st.lists(trees.filter(lambda t: isinstance(t, Written)), min_size=1, max_size=3))
def test_nested_divs_come_out_as_written_whatever_their_colons(forest: list[Written]) -> None:
    names = (f"d{number}" for number in range(10_000))
    source = "\n\n".join(to_markdown(tree, names) for tree in forest)
    names = (f"d{number}" for number in range(10_000))
    expected = [item for tree in forest for item in expected_ids(tree, 0, names)]
    context = make_context()
    page = MARKDOWN.render(source, {ENV_KEY: context})
    assert balanced(page).ids == expected
    assert context.diagnostics == []


# ---- in Chromium -----------------------------------------------------------------------------
POST = """---
title: Five callouts
date: 2024-01-01
---

::: {.callout-note}
A note, with $x^2$.
:::

::: {.callout-tip}
## A tip with a title
Tip text.
:::

::: {.callout-warning}
Warning text.
:::

::: {.callout-important title="Important, by attribute"}
Important text.
:::

::: {.callout-caution collapse="true"}
## Open me
The hidden part.
:::
"""


# Each callout's look, and its title's contrast against the box (WCAG's formula, on the
# computed colours: rgb() or, from color-mix(), color(srgb ...)).
STYLES = """(() => {
  const channels = (value) => {
    const rgb = /^rgba?\\(([^)]+)\\)$/.exec(value), srgb = /^color\\(srgb ([^)]+)\\)$/.exec(value);
    const parts = (rgb || srgb)[1].split(/[\\s,\\/]+/).map(Number).slice(0, 3);
    return parts.map((v) => (rgb ? v / 255 : v));
  };
  const luminance = (value) => {
    const [r, g, b] = channels(value).map(
      (c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const contrast = (a, b) => {
    const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  return [...document.querySelectorAll('.callout')].map((box) => {
    const style = getComputedStyle(box), title = box.querySelector('.callout-title');
    const titleColor = getComputedStyle(title).color;
    return {kind: [...box.classList].find((c) => c.startsWith('callout-')),
            border: style.borderLeftColor, width: style.borderLeftWidth,
            background: style.backgroundColor, title: title.innerText.trim(), titleColor,
            contrast: contrast(titleColor, style.backgroundColor),
            height: box.getBoundingClientRect().height,
            icon: getComputedStyle(title, '::before').maskImage.startsWith('url(')
                  && parseFloat(getComputedStyle(title, '::before').width) > 0};
  });
})()"""


@pytest.mark.browser
def test_callouts_are_visible_styled_per_type_and_a_collapsed_one_opens(tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    from generator.build import BuildOptions, build

    write(tmp_path / "content" / "posts" / "callouts.md", POST)
    result = build(BuildOptions(root=tmp_path, out=tmp_path / "public"))
    assert [d for d in result.diagnostics if d.kind == "pandoc"] == []
    page_path = next((tmp_path / "public").rglob("callouts/index.html"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with serve(tmp_path / "public", "/") as base, sync_api.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM),
                                         args=["--no-sandbox", "--disable-gpu"])
        try:
            for scheme in ("light", "dark"):
                context = browser.new_context(viewport={"width": 800, "height": 1400},
                                              color_scheme=scheme)
                page = context.new_page()
                url = base + page_path.relative_to(tmp_path / "public").parent.as_posix() + "/"
                page.goto(url, wait_until="load")
                boxes = page.evaluate(STYLES)
                page_background = page.evaluate("getComputedStyle(document.body).backgroundColor")
                assert [box["kind"] for box in boxes] == [
                    "callout-note", "callout-tip", "callout-warning", "callout-important",
                    "callout-caution"]
                assert [box["title"] for box in boxes] == [
                    "Note", "A tip with a title", "Warning", "Important, by attribute", "Open me"]
                assert all(box["height"] > 20 and box["width"] == "4px" for box in boxes), boxes
                assert all(box["icon"] for box in boxes), boxes
                assert all(box["contrast"] >= 4.5 for box in boxes), (scheme, boxes)
                for feature in ("border", "background", "titleColor"):
                    assert len({box[feature] for box in boxes}) == 5, (scheme, feature, boxes)
                assert page_background not in {box["background"] for box in boxes}
                assert page.is_visible(".callout-note .callout-body math")

                hidden = page.locator(".callout-caution .callout-body")
                assert not hidden.is_visible()
                page.screenshot(path=str(ARTIFACTS / f"callouts-{scheme}.png"), full_page=True)
                page.click(".callout-caution summary")
                assert hidden.is_visible()
                assert page.evaluate("document.querySelector('.callout-caution details').open")
                context.close()
        finally:
            browser.close()


LAYOUT_POST = """---
title: Layout
date: 2024-01-01
---

A paragraph of text that runs for a while, so that the note has something to sit beside.

::: {.column-margin}
A margin note with $e^{i\\pi} + 1 = 0$.
:::

More text, long enough to wrap over a few lines of the text column of the page.

::: {.column-page}
A block as wide as the page allows.
:::

:::: {.columns}
::: {.column width="40%"}
The narrower column.
:::
::: {.column width="60%"}
The wider column.
:::
::::
"""
LAYOUT = """(() => {
  const box = (selector) => document.querySelector(selector).getBoundingClientRect();
  const text = box('.post-body > p'), note = box('.column-margin'), page = box('.column-page');
  const [left, right] = [...document.querySelectorAll('.column')].map((c) => c.getBoundingClientRect());
  return {textLeft: text.left, textRight: text.right, noteLeft: note.left, noteRight: note.right,
          pageLeft: page.left, pageRight: page.right, viewport: window.innerWidth,
          columns: [left.left, left.right, left.top, right.left, right.right, right.top]};
})()"""


@pytest.mark.browser
def test_margin_notes_and_columns_are_laid_out_by_the_width_of_the_window(
        tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    from generator.build import BuildOptions, build

    write(tmp_path / "content" / "posts" / "layout.md", LAYOUT_POST)
    build(BuildOptions(root=tmp_path, out=tmp_path / "public"))
    page_path = next((tmp_path / "public").rglob("layout/index.html"))
    with serve(tmp_path / "public", "/") as base, sync_api.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            url = base + page_path.relative_to(tmp_path / "public").parent.as_posix() + "/"
            boxes = {}
            for width in (1400, 700, 500):
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.goto(url, wait_until="load")
                boxes[width] = page.evaluate(LAYOUT)
                page.close()
        finally:
            browser.close()
    wide, narrow = boxes[1400], boxes[700]
    assert wide["textRight"] < wide["noteLeft"] < wide["noteRight"] <= wide["viewport"], wide
    assert wide["pageLeft"] < wide["textLeft"] - 100 and wide["pageRight"] > wide["textRight"] + 100
    assert narrow["textLeft"] <= narrow["noteLeft"] < narrow["noteRight"] <= narrow["textRight"] + 1
    assert narrow["pageRight"] <= narrow["viewport"]
    # Quarto's columns: side by side at their widths (40% and 60% less the gap), stacked when
    # the window is narrow
    left, left_right, left_top, right, right_right, right_top = wide["columns"]
    assert left_right < right and left_top == right_top
    assert 0.6 < (left_right - left) / (right_right - right) < 0.7
    left, left_right, left_top, right, right_right, right_top = boxes[500]["columns"]
    assert right_top > left_top and abs(left - right) < 1
