"""Citations resolved against a BibTeX file: the fixtures (input -> HTML, author-date and
numeric, without and with a CSL style), then whole posts on disk through the Markdown stage
(frontmatter settings, errors, jekyll-scholar's tags, the sanitizer), an incremental build, and
what a build imports."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt
from markdown_it.utils import read_fixture_file

from generator.build import BuildOptions, build
from generator.config import load_config
from generator.context import ENV_KEY
from generator.errors import ConfigError, PluginError
from generator.frontmatter import parse_source
from generator.markdown import MarkdownRenderer
from generator.records import Rendered, SourceFile
from generator.render_settings import RenderSettings, check_plugin_option, plugin_option_names
from plugins.compat import bibliography as bibliography_module
from plugins.compat import csl as csl_module
from plugins.compat.parsedfiles import ParsedFiles

from .conftest import make_context, make_markdown

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures" / "bibliography"
BIB = (FIXTURES / "refs.bib").read_text(encoding="utf-8")
# Two styles written for these tests (csl/*.csl), each with its fixtures (csl/*.md)
STYLES = {name: (FIXTURES / "csl" / f"{name}.csl").read_text(encoding="utf-8")
          for name in ("author-date", "numeric")}
_MARKDOWN: dict[str, MarkdownIt] = {}


# ----------------------------------------------------------------------------------------------
# Fixtures: author-date.md and numeric.md, with the site's bibliography fixtures/bibliography/refs.bib
# ----------------------------------------------------------------------------------------------
def _cases():
    for path in sorted(FIXTURES.glob("*.md")):
        for line, title, source, expected in read_fixture_file(path):
            yield pytest.param(path.stem, source, expected, id=f"{path.stem}:{line}:{title}")


@pytest.mark.parametrize(("style", "source", "expected"), list(_cases()))
def test_fixture(style: str, source: str, expected: str) -> None:
    if style not in _MARKDOWN:
        _MARKDOWN[style] = make_markdown(bibliography="refs.bib", citation_style=style)
    assert _MARKDOWN[style].render(source, {ENV_KEY: make_context(site_root=FIXTURES)}) == expected


def _csl_cases():
    for path in sorted((FIXTURES / "csl").glob("*.md")):
        for line, title, source, expected in read_fixture_file(path):
            yield pytest.param(path.stem, source, expected, id=f"csl/{path.stem}:{line}:{title}")


@pytest.mark.parametrize(("style", "source", "expected"), list(_csl_cases()))
def test_csl_fixture(style: str, source: str, expected: str) -> None:
    context = make_context(source_path="post.md", site_root=FIXTURES,
                           page_vars={"csl": f"csl/{style}.csl"})
    rendered = make_markdown(bibliography="refs.bib").render(source, {ENV_KEY: context})
    assert rendered == expected


def test_the_csl_style_decides_the_output():
    """One source, three outputs: each fixture style's and, without `csl:`, pybtex's."""
    source = "As @smith2020 [p. 3] found [@jones2019].\n"

    def render(page_vars: dict[str, str]) -> str:
        context = make_context(source_path="post.md", site_root=FIXTURES, page_vars=page_vars)
        return make_markdown(bibliography="refs.bib").render(source, {ENV_KEY: context})

    author_date, numeric = render({"csl": "csl/author-date.csl"}), render({"csl": "csl/numeric.csl"})
    plain = render({})
    assert "Smith et al. (2020, p. 3)</a>" in author_date and "Jones &amp; Lee, 2019</a>)" in author_date
    assert "Smith et al. [1, p. 3]</a>" in numeric and '">2</a>]' in numeric
    assert "Smith et al. (2020, p. 3)</a>" in plain and "Jones and Lee 2019</a>)" in plain
    assert "Jones, A., &amp; Lee, B. (2019)." in author_date
    assert "[2] A. Jones and B. Lee, Deep Networks, Academic Press, 2019." in numeric
    assert "Alice Jones and Bo&nbsp;Lee." in plain


# ----------------------------------------------------------------------------------------------
# Whole posts, written to disk, through the Markdown stage (sanitizer included)
# ----------------------------------------------------------------------------------------------
def post(root: Path, text: str, name: str = "content/posts/post.md", *, bib: str | None = BIB,
         **compat: Any) -> Rendered:
    """Render ``text`` as the post ``name`` of the site ``root``, with ``refs.bib`` beside it."""
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if bib is not None:
        (path.parent / "refs.bib").write_text(bib, encoding="utf-8")
    settings = RenderSettings(site_root=root, cache_root=None, execute=False,
                              plugin_options={"compat": compat} if compat else {})
    source = SourceFile(path=path, rel=name, content_rel=name.removeprefix("content/"),
                        kind="post", text=text, digest="test", mtime=0.0)
    return MarkdownRenderer(settings).render(parse_source(source))


def frontmatter(*lines: str) -> str:
    return "---\n" + "\n".join(["title: Cites", "date: 2024-01-01", *lines]) + "\n---\n"


def citation_warnings(rendered: Rendered) -> list:
    return [d for d in rendered.diagnostics if d.kind == "citation"]


def test_the_frontmatter_bibliography_is_read_beside_the_post(tmp_path):
    rendered = post(tmp_path, frontmatter("bibliography: refs.bib") + "See [@jones2019].\n")
    assert '(<a href="#ref-jones2019" role="doc-biblioref">Jones and Lee 2019</a>)' in rendered.html
    assert '<section id="refs" class="references" role="doc-bibliography">' in rendered.html
    assert '<div id="ref-jones2019" class="csl-entry" role="listitem">' in rendered.html
    assert rendered.toc[-1].text == "References" and citation_warnings(rendered) == []
    bib = str((tmp_path / "content" / "posts" / "refs.bib").resolve())
    assert list(rendered.dependencies) == [bib]


def test_the_site_setting_serves_posts_whose_frontmatter_names_none(tmp_path):
    (tmp_path / "_bibliography").mkdir()
    (tmp_path / "_bibliography" / "references.bib").write_text(BIB, encoding="utf-8")
    rendered = post(tmp_path, frontmatter() + "See [@jones2019].\n", bib=None,
                    bibliography="_bibliography/references.bib", citation_style="numeric")
    assert '[<a href="#ref-jones2019" role="doc-biblioref">1</a>]' in rendered.html
    # a post's own choice wins over the site's
    rendered = post(tmp_path, frontmatter("citation-style: author-date") + "See [@jones2019].\n",
                    bib=None, bibliography="_bibliography/references.bib",
                    citation_style="numeric")
    assert "Jones and Lee 2019</a>)" in rendered.html


def test_a_list_of_files_and_the_frontmatter_options(tmp_path):
    (tmp_path / "content" / "posts").mkdir(parents=True)
    (tmp_path / "content" / "posts" / "more.bib").write_text(
        "@misc{extra, author = {Zed, Z.}, title = {Extra}, year = {1999}}\n", encoding="utf-8")
    rendered = post(tmp_path, frontmatter(
        "bibliography: [refs.bib, more.bib]", "link-citations: false",
        "reference-section-title: Works cited", "nocite: |", "  @extra") +
        "See [@jones2019] and @extra.\n")
    assert '<span class="citation" data-cites="jones2019">(Jones and Lee 2019)</span>' in rendered.html
    assert "Zed (1999)" in rendered.html and 'href="#ref-' not in rendered.html
    assert '<h2 id="works-cited">Works cited</h2>' in rendered.html
    # sorted by author: Jones and Lee, then Zed (listed by nocite)
    assert rendered.html.index('id="ref-jones2019"') < rendered.html.index('id="ref-extra"')


def test_nocite_all_lists_every_work_and_csl_ieee_numbers_them(tmp_path):
    rendered = post(tmp_path, frontmatter("bibliography: refs.bib", "csl: ieee.csl",
                                          "nocite: '@*'") + "Only [@knuth1986].\n")
    assert '[<a href="#ref-knuth1986" role="doc-biblioref">1</a>]' in rendered.html
    assert rendered.html.count('class="csl-entry"') == 6
    assert '<span class="csl-left-margin">[1]</span> <span class="csl-right-inline">Donald Knuth' \
        in rendered.html


def test_suppress_bibliography_leaves_the_list_out(tmp_path):
    rendered = post(tmp_path, frontmatter("bibliography: refs.bib", "suppress-bibliography: true")
                    + "See [@jones2019].\n")
    assert "(Jones and Lee 2019)" in rendered.html and "references" not in rendered.html


def test_the_list_comes_before_the_footnotes(tmp_path):
    rendered = post(tmp_path, frontmatter("bibliography: refs.bib") +
                    "Text.[^1]\n\n[^1]: A note citing [@knuth1986].\n")
    html = rendered.html
    assert html.index('<section id="refs"') < html.index('<section class="footnotes">')
    assert "(<a href=\"#ref-knuth1986\" role=\"doc-biblioref\">Knuth 1986</a>)" in html


def test_bib_text_is_escaped_through_the_whole_stage(tmp_path):
    rendered = post(tmp_path, frontmatter("bibliography: refs.bib") + "[@unsafe]\n")
    assert "<script" not in rendered.html and 'href="javascript' not in rendered.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; 2001</a>" in rendered.html
    assert "A &lt;b&gt;bold&lt;/b&gt; title &amp; more" in rendered.html


def test_a_missing_key_warns_at_the_citation(tmp_path):
    rendered = post(tmp_path, frontmatter("bibliography: refs.bib") +
                    "Fine [@jones2019].\n\nNot [@nokey] here.\n")
    [warning] = citation_warnings(rendered)
    assert str(warning.location) == "content/posts/post.md:8"
    assert "no work `nokey`" in warning.message
    assert '<span class="citation citation-missing" data-cites="nokey">(nokey?)</span>' \
        in rendered.html


def test_a_missing_file_fails_at_the_frontmatter_line(tmp_path):
    with pytest.raises(PluginError) as raised:
        post(tmp_path, frontmatter("bibliography: missing.bib") + "See [@jones2019].\n")
    assert str(raised.value.location) == "content/posts/post.md:4"
    assert "`missing.bib` does not exist" in raised.value.message
    assert "relative to the post's folder" in raised.value.hint


def test_bad_bibtex_fails_with_the_bib_line(tmp_path):
    # line 4 lacks its comma: pybtex stops at line 5
    bad = "@misc{a, title = {ok}, year = 2001}\n\n@article{b,\n  title = {ok}\n  year = 2019\n}\n"
    with pytest.raises(PluginError) as raised:
        post(tmp_path, frontmatter("bibliography: refs.bib") + "See [@a].\n", bib=bad)
    assert str(raised.value.location) == "content/posts/post.md:4"
    assert "content/posts/refs.bib:5: syntax error: '}' expected" in raised.value.message


def test_a_bibliography_outside_the_site_is_refused(tmp_path):
    site = tmp_path / "site"
    (tmp_path / "outside.bib").write_text(BIB, encoding="utf-8")
    with pytest.raises(PluginError, match="outside"):
        post(site, frontmatter("bibliography: ../../../outside.bib") + "[@jones2019]\n", bib=None)


def test_a_bibliography_with_no_citations_warns_at_its_line(tmp_path):
    rendered = post(tmp_path, frontmatter("bibliography: refs.bib") + "No citations here.\n")
    [warning] = citation_warnings(rendered)
    assert str(warning.location) == "content/posts/post.md:4" and "cites nothing" in warning.message
    assert rendered.dependencies == {}  # not even read


def test_a_repeated_key_warns(tmp_path):
    rendered = post(tmp_path, frontmatter("bibliography: refs.bib") + "[@a]\n",
                    bib="@misc{a, title={One}, year=1}\n@misc{a, title={Two}, year=2}\n")
    [warning] = citation_warnings(rendered)
    assert "repeated bibliography entry: a" in warning.message


def test_without_any_bibliography_citations_keep_their_keys(tmp_path):
    rendered = post(tmp_path, frontmatter() + "See [@jones2019, p. 3] and @jones2019.\n", bib=None)
    assert '<span class="citation" data-cites="jones2019">[jones2019, p. 3]</span>' in rendered.html
    assert "and @jones2019." in rendered.html
    [warning] = citation_warnings(rendered)
    assert "shown as its keys: the post has no bibliography" in warning.message


# ----------------------------------------------------------------------------------------------
# CSL styles on disk
# ----------------------------------------------------------------------------------------------
def test_a_csl_file_beside_the_post_formats_it_and_is_a_dependency(tmp_path):
    (tmp_path / "content" / "posts").mkdir(parents=True)
    (tmp_path / "content" / "posts" / "style.csl").write_text(STYLES["numeric"], encoding="utf-8")
    rendered = post(tmp_path, frontmatter("bibliography: refs.bib", "csl: style.csl")
                    + "See [@jones2019].\n")
    assert '[<a href="#ref-jones2019" role="doc-biblioref">1</a>]' in rendered.html
    assert "[1] A. Jones and B. Lee, Deep Networks" in rendered.html
    assert citation_warnings(rendered) == []
    style = str((tmp_path / "content" / "posts" / "style.csl").resolve())
    assert style in rendered.dependencies


def test_a_csl_file_not_beside_the_post_is_looked_for_in_the_site_folder(tmp_path):
    (tmp_path / "styles").mkdir()
    (tmp_path / "styles" / "apa-like.csl").write_text(STYLES["author-date"], encoding="utf-8")
    rendered = post(tmp_path, frontmatter("bibliography: refs.bib", "csl: styles/apa-like.csl")
                    + "See [@jones2019].\n")
    assert "Jones &amp; Lee, 2019</a>)" in rendered.html and citation_warnings(rendered) == []
    beside = str((tmp_path / "content" / "posts" / "styles" / "apa-like.csl").resolve())
    assert rendered.dependencies[beside] == "missing"  # (one put there later wins)


SAME_AUTHOR_AND_YEAR = """
@article{later, author = {Smith, Jo}, title = {Zeta transforms}, journal = {J}, year = {2020}}
@article{earlier, author = {Smith, Jo}, title = {Alpha transforms}, journal = {J}, year = {2020}}
@book{other, author = {Adams, Kim}, title = {Other}, year = {2019}}
"""


@pytest.mark.parametrize("asks", [True, False])
def test_a_style_that_asks_for_year_suffixes_tells_same_author_same_year_works_apart(
        tmp_path, asks):
    """citeproc-py leaves both citations "(Smith, 2020)"; CSL's suffixes follow the list's
    order (here by author, year, then the order of citation)."""
    style = STYLES["author-date"]
    if asks:
        style = style.replace("<citation ", '<citation disambiguate-add-year-suffix="true" ')
    (tmp_path / "content" / "posts").mkdir(parents=True)
    (tmp_path / "content" / "posts" / "style.csl").write_text(style, encoding="utf-8")
    rendered = post(tmp_path, frontmatter("bibliography: refs.bib", "csl: style.csl")
                    + "First [@earlier], then [@later] and [@other].\n",
                    bib=SAME_AUTHOR_AND_YEAR)
    cited = re.findall(r'role="doc-biblioref">([^<]*)</a>', rendered.html)
    listed = re.findall(r'class="csl-entry" role="listitem">([^<]*)', rendered.html)
    if asks:
        assert cited == ["Smith, 2020a", "Smith, 2020b", "Adams, 2019"]
        assert listed == ["Adams, K. (2019). ", "Smith, J. (2020a). ", "Smith, J. (2020b). "]
    else:
        assert cited == ["Smith, 2020", "Smith, 2020", "Adams, 2019"]


def test_a_missing_csl_file_warns_and_chooses_by_its_name(tmp_path):
    rendered = post(tmp_path, frontmatter("bibliography: refs.bib", "csl: ieee.csl")
                    + "See [@jones2019].\n")
    [warning] = citation_warnings(rendered)
    assert str(warning.location) == "content/posts/post.md:5"
    assert "`ieee.csl` is neither in the post's folder nor in the site folder" in warning.message
    assert "citations are numeric" in warning.message
    assert '[<a href="#ref-jones2019" role="doc-biblioref">1</a>]' in rendered.html


@pytest.mark.parametrize(("change", "expected"), [
    (lambda text: text.replace("</citation>", "</citaton>"),
     "style.csl:54: not well-formed XML: Opening and ending tag mismatch: citation line 43 "
     "and citaton"),
    (lambda text: text.replace('<date-part name="year"/>', '<date-part nam="year"/>', 1),
     "style.csl:35: not valid CSL: Element date-part failed to validate attributes"),
    (lambda text: text.replace('<text macro="year"/>', '<text macro="yaer"/>'),
     "style.csl:47: the macro `yaer` is not defined in the style"),
    (lambda text: text.replace('xmlns="http://purl.org/net/xbiblio/csl"', ""),
     "style.csl:7: <style> is not in CSL's namespace"),
])
def test_a_bad_csl_file_fails_with_its_line(tmp_path, change, expected):
    (tmp_path / "content" / "posts").mkdir(parents=True)
    (tmp_path / "content" / "posts" / "style.csl").write_text(change(STYLES["author-date"]))
    with pytest.raises(PluginError) as raised:
        post(tmp_path, frontmatter("bibliography: refs.bib", "csl: style.csl") + "[@jones2019]\n")
    assert str(raised.value.location) == "content/posts/post.md:5"
    assert f"the CSL style cannot be used: content/posts/{expected}" in raised.value.message
    assert "fix the style at that line" in raised.value.hint


def test_a_dependent_csl_style_is_refused_with_its_parent(tmp_path):
    (tmp_path / "content" / "posts").mkdir(parents=True)
    (tmp_path / "content" / "posts" / "style.csl").write_text(
        '<?xml version="1.0"?>\n<style xmlns="http://purl.org/net/xbiblio/csl" version="1.0">\n'
        '<info><title>Child</title><id>child</id>'
        '<link href="https://example.org/parent" rel="independent-parent"/>'
        "<updated>2024-01-01T00:00:00+00:00</updated></info>\n</style>\n")
    with pytest.raises(PluginError, match=r"style.csl:2: a dependent style: .*"
                                          r"\(https://example.org/parent\)"):
        post(tmp_path, frontmatter("bibliography: refs.bib", "csl: style.csl") + "[@jones2019]\n")


def test_csl_output_passes_the_sanitizer_unchanged(tmp_path):
    """What the style writes is trusted output; it must also be what the sanitizer would keep,
    so a page never depends on which of the two saw it."""
    from generator.sanitize import sanitize

    (tmp_path / "content" / "posts").mkdir(parents=True)
    (tmp_path / "content" / "posts" / "style.csl").write_text(STYLES["author-date"])
    rendered = post(tmp_path, frontmatter("bibliography: refs.bib", "csl: style.csl")
                    + "[@smith2020; @unsafe] and @jones2019 [p. 2].\n")
    section = rendered.html[rendered.html.index("<section"):]
    assert sanitize(section) == section and "<script" not in rendered.html
    # the citations' own attributes aside (Stride's, as without a style), the same holds for them
    paragraph = re.sub(r' (data-cites|role)="[^"]*"', "",
                       rendered.html[:rendered.html.index("<section")])
    assert sanitize(paragraph) == paragraph


# ----------------------------------------------------------------------------------------------
# jekyll-scholar
# ----------------------------------------------------------------------------------------------
def test_cite_tags_render_like_pandoc_citations(tmp_path):
    rendered = post(tmp_path, frontmatter() + "One {% cite jones2019 %}, two {% cite jones2019 "
                    "smith2020 %}, a page {% cite knuth1986 --locator 12 %}.\n",
                    bibliography="content/posts/refs.bib")
    html = rendered.html
    assert "One <span" in html and "Jones and Lee 2019</a>)</span>, two" in html
    assert 'data-cites="jones2019 smith2020">(' in html and "Knuth 1986</a>, 12)" in html
    assert citation_warnings(rendered) == []


def test_bibliography_tag_lists_every_work_or_the_cited_ones(tmp_path):
    site = {"bibliography": "content/posts/refs.bib"}
    every = post(tmp_path, frontmatter() + "# Publications\n\n{% bibliography %}\n", **site)
    assert every.html.count('class="csl-entry"') == 6
    assert "<h2" not in every.html  # jekyll-scholar adds no heading
    cited = post(tmp_path, frontmatter() + "See {% cite smith2020 %}.\n\n{% bibliography --cited %}"
                 "\n\nAfter.\n", **site)
    assert cited.html.count('class="csl-entry"') == 1
    assert cited.html.index("</section>") < cited.html.index("<p>After.</p>")


def test_bibliography_tag_without_a_bibliography_warns(tmp_path):
    rendered = post(tmp_path, frontmatter() + "{% bibliography %}\n", bib=None)
    [warning] = citation_warnings(rendered)
    assert "nothing to list" in warning.message and str(warning.location).endswith(":5")
    assert "bibliography" not in rendered.html


def test_reference_tag_shows_the_entry_where_it_is_without_citing_it(tmp_path):
    rendered = post(tmp_path, frontmatter() + "My book: {% reference jones2019 %}.\n\n"
                    "{% reference nokey %}\n", bibliography="content/posts/refs.bib")
    assert ('<p>My book: <span class="citation-reference" data-cites="jones2019">Alice Jones and '
            "Bo&nbsp;Lee. <em>Deep Networks</em>. Academic Press, 2019.</span>.</p>") in rendered.html
    assert "<p>nokey?</p>" in rendered.html and "References" not in rendered.html
    [warning] = citation_warnings(rendered)
    assert "`{% reference nokey %}`: no work `nokey`" in warning.message
    assert str(warning.location) == "content/posts/post.md:7"


def test_reference_tag_follows_the_csl_style(tmp_path):
    (tmp_path / "content" / "posts").mkdir(parents=True)
    (tmp_path / "content" / "posts" / "style.csl").write_text(STYLES["author-date"])
    rendered = post(tmp_path, frontmatter("csl: style.csl") + "{% reference jones2019 %}\n",
                    bibliography="content/posts/refs.bib")
    assert ('<p><span class="citation-reference" data-cites="jones2019">Jones, A., &amp; Lee, B. '
            "(2019). <em>Deep Networks</em>. Academic Press.</span></p>") in rendered.html


def test_nocite_tag_lists_works_without_showing_anything(tmp_path):
    rendered = post(tmp_path, frontmatter() + "Cited {% cite smith2020 %}.\n\n"
                    "{% nocite knuth1986 jones2019 nokey %}\n\nAfter.\n",
                    bibliography="content/posts/refs.bib", citation_style="numeric")
    html = rendered.html
    assert "nocite" not in html and "<p></p>" not in html and "<p>After.</p>" in html
    # numbered after the cited work, in the order the tag names them
    assert html.index('id="ref-smith2020"') < html.index('id="ref-knuth1986"') \
        < html.index('id="ref-jones2019"')
    [warning] = citation_warnings(rendered)
    assert "`{% nocite %}` names `nokey`" in warning.message
    assert str(warning.location) == "content/posts/post.md:7"


def test_nocite_tag_in_a_paragraph_and_with_bibliography_cited(tmp_path):
    rendered = post(tmp_path, frontmatter() + "Text {% nocite knuth1986 %}here.\n\n"
                    "{% bibliography --cited %}\n", bibliography="content/posts/refs.bib")
    assert "<p>Text here.</p>" in rendered.html
    assert rendered.html.count('class="csl-entry"') == 1 and 'id="ref-knuth1986"' in rendered.html


def test_unsupported_cite_options_warn(tmp_path):
    rendered = post(tmp_path, frontmatter() + "{% cite jones2019 --file other %}\n",
                    bibliography="content/posts/refs.bib")
    [warning] = citation_warnings(rendered)
    assert "`--file` is not supported" in warning.message
    assert "Jones and Lee 2019" in rendered.html


# ----------------------------------------------------------------------------------------------
# The site's settings, the parse cache, incremental builds, imports
# ----------------------------------------------------------------------------------------------
def test_the_site_settings_are_checked(tmp_path):
    (tmp_path / "site.toml").write_text('[plugins.compat]\ncitation_style = "apa"\n')
    with pytest.raises(ConfigError, match="citation_style must be one of author-date, numeric"):
        load_config(tmp_path, plugin_options=plugin_option_names(),
                    check_option=check_plugin_option)


def test_a_file_is_parsed_once_per_content(tmp_path, monkeypatch):
    parses = []
    real_parse = bibliography_module._parse
    monkeypatch.setattr(bibliography_module, "_parse",
                        lambda text, shown: parses.append(shown) or real_parse(text, shown))
    bibliography_module.clear_cache()
    for name in ("one.bib", "two.bib"):
        (tmp_path / name).write_text(BIB, encoding="utf-8")
        bibliography_module.read_bibliography(tmp_path / name, name)
    assert parses == ["one.bib"]
    (tmp_path / "two.bib").write_text(BIB + "\n@misc{new, title={New}, year=2024}\n")
    assert "new" in bibliography_module.read_bibliography(tmp_path / "two.bib", "two.bib")[0].entries
    assert parses == ["one.bib", "two.bib"]



def test_posts_sharing_a_bib_and_a_style_parse_each_once(tmp_path, monkeypatch):
    parses, checks = [], []
    real_parse, real_check = bibliography_module._parse, csl_module._check
    monkeypatch.setattr(bibliography_module, "_parse",
                        lambda text, shown: parses.append(shown) or real_parse(text, shown))
    monkeypatch.setattr(csl_module, "_check",
                        lambda data, shown: checks.append(shown) or real_check(data, shown))
    bibliography_module.clear_cache()
    csl_module.clear_cache()
    (tmp_path / "content" / "posts").mkdir(parents=True)
    (tmp_path / "content" / "posts" / "style.csl").write_text(STYLES["numeric"], encoding="utf-8")
    for name in ("content/posts/one.md", "content/posts/two.md"):
        rendered = post(tmp_path, frontmatter("bibliography: refs.bib", "csl: style.csl")
                        + "See [@jones2019].\n", name)
        assert "[1] A. Jones and B. Lee, Deep Networks" in rendered.html
    assert parses == ["content/posts/refs.bib"] and checks == ["content/posts/style.csl"]


def test_the_parse_memo_keeps_the_latest_contents_and_no_failed_parse(tmp_path):
    parses = []

    def parse(data: bytes, shown: str) -> str:
        parses.append(shown)
        if data == b"bad":
            raise ValueError(f"{shown}:1: bad")
        return data.decode()

    memo: ParsedFiles[str] = ParsedFiles(size=2)
    for name in ("a", "b", "c", "bad1", "bad2"):
        (tmp_path / name).write_bytes(name.rstrip("12").encode())
    assert [memo.read(tmp_path / name, name, parse)[0] for name in "abc"] == ["a", "b", "c"]
    memo.read(tmp_path / "c", "c", parse)
    memo.read(tmp_path / "a", "a", parse)  # forgotten when c came: the oldest goes first
    assert parses == ["a", "b", "c", "a"]
    for name in ("bad1", "bad2"):  # each failure names its own file
        with pytest.raises(ValueError, match=f"^{name}:1: bad$"):
            memo.read(tmp_path / name, name, parse)

def test_a_post_ending_with_its_own_heading_gets_the_list_under_it_and_no_second_one(tmp_path):
    rendered = post(tmp_path, frontmatter("bibliography: refs.bib") + "See [@jones2019].[^n]\n\n"
                    "# Bibliography\n\n[^n]: A note.\n")
    html = rendered.html
    assert html.count("<h1") == 1 and "<h2" not in html
    assert html.index('<h1 id="bibliography">') < html.index('<section id="refs"') \
        < html.index('class="footnotes')
    titled = post(tmp_path, frontmatter("bibliography: refs.bib") + "# Intro\n\nSee [@jones2019].\n")
    assert '<h2 id="references">References</h2>' in titled.html  # text follows its last heading


def test_editing_the_bib_rerenders_the_posts_that_cite_it(tmp_path):
    site = tmp_path / "blog"
    posts = site / "content" / "posts"
    posts.mkdir(parents=True)
    (site / "site.toml").write_text('title = "Cites"\n')
    (posts / "refs.bib").write_text(BIB, encoding="utf-8")
    (posts / "cites.md").write_text(frontmatter("bibliography: refs.bib") + "See [@jones2019].\n")
    (posts / "plain.md").write_text("---\ntitle: Plain\ndate: 2024-01-02\n---\nNo citation.\n")
    build(BuildOptions(root=site, jobs=1))
    unchanged = build(BuildOptions(root=site, jobs=1))
    assert unchanged.rendered == 0
    (posts / "refs.bib").write_text(BIB.replace("year      = {2019}", "year      = {2018}"))
    result = build(BuildOptions(root=site, jobs=1))
    assert result.rendered == 1
    page = (result.output / "2024" / "01" / "cites" / "index.html").read_text()
    assert "Jones and Lee 2018" in page and "Jones and Lee 2019" not in page


def test_editing_the_csl_file_rerenders_the_posts_that_use_it(tmp_path):
    site = tmp_path / "blog"
    posts = site / "content" / "posts"
    posts.mkdir(parents=True)
    (site / "site.toml").write_text('title = "Cites"\n')
    (posts / "refs.bib").write_text(BIB, encoding="utf-8")
    (site / "style.csl").write_text(STYLES["author-date"], encoding="utf-8")
    (posts / "cites.md").write_text(frontmatter("bibliography: refs.bib", "csl: style.csl")
                                    + "See [@jones2019].\n")
    (posts / "other.md").write_text("---\ntitle: Other\ndate: 2024-01-02\nbibliography: refs.bib"
                                    "\n---\nSee [@jones2019].\n")
    build(BuildOptions(root=site, jobs=1))
    assert build(BuildOptions(root=site, jobs=1)).rendered == 0
    (site / "style.csl").write_text(STYLES["author-date"].replace(
        '<layout prefix="(" suffix=")" delimiter="; ">', '<layout prefix="{" suffix="}" delimiter="; ">'))
    result = build(BuildOptions(root=site, jobs=1))
    assert result.rendered == 1
    page = (result.output / "2024" / "01" / "cites" / "index.html").read_text()
    assert "Jones &amp; Lee, 2019</a>}" in page


# As a command-line build does, in a fresh interpreter: a site with a bibliography whose posts
# cite nothing, then the same site with a post that cites, then one whose csl: names a style.
IMPORTS_SCRIPT = """
import json, sys
from pathlib import Path
from generator.build import BuildOptions, build

site = Path(sys.argv[1])
build(BuildOptions(root=site, jobs=1))
before = "pybtex" in sys.modules
(site / "content" / "posts" / "cites.md").write_text(
    "---\\ntitle: Cites\\ndate: 2024-01-03\\n---\\nSee [@jones2019].\\n")
result = build(BuildOptions(root=site, jobs=1))
page = (result.output / "2024" / "01" / "cites" / "index.html").read_text()
styled_before = [name for name in ("citeproc", "lxml") if name in sys.modules]
(site / "content" / "posts" / "styled.md").write_text(
    "---\\ntitle: Styled\\ndate: 2024-01-04\\ncsl: style.csl\\n---\\nSee [@jones2019].\\n")
result = build(BuildOptions(root=site, jobs=1))
styled = (result.output / "2024" / "01" / "styled" / "index.html").read_text()
print(json.dumps({"before": before, "after": "pybtex" in sys.modules,
                  "cited": "Jones and Lee 2019" in page, "styled_before": styled_before,
                  "styled_after": "citeproc" in sys.modules,
                  "styled": "Jones &amp; Lee, 2019" in styled}))
"""


def test_posts_without_citations_do_not_import_pybtex_nor_without_csl_citeproc(tmp_path):
    site = tmp_path / "blog"
    posts = site / "content" / "posts"
    posts.mkdir(parents=True)
    (site / "site.toml").write_text('[plugins.compat]\nbibliography = "refs.bib"\n')
    (site / "refs.bib").write_text(BIB, encoding="utf-8")
    (site / "style.csl").write_text(STYLES["author-date"], encoding="utf-8")
    (posts / "plain.md").write_text("---\ntitle: Plain\ndate: 2024-01-02\n---\n"
                                    "Mail me@example.org; $x^2$.\n")
    run = subprocess.run([sys.executable, "-c", IMPORTS_SCRIPT, str(site)], cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.strip().splitlines()[-1]) == {
        "before": False, "after": True, "cited": True, "styled_before": [],
        "styled_after": True, "styled": True}


def test_a_lettered_year_replaces_the_entrys_own_year_not_one_in_a_link_or_title() -> None:
    from plugins.compat.citations import _with_year_letter

    entry = ('A. Smith. The 2020 census. <em>J. Stat.</em>, 2020. '
             '<a href="https://doi.org/10.1/2020.5">doi:10.1/2020.5</a>.')
    assert _with_year_letter(entry, "2020", "2020b") == entry.replace(", 2020.", ", 2020b.")
    assert _with_year_letter("No year here.", "2020", "2020a") == "No year here."
