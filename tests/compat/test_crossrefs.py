"""Quarto's cross-references to figures and sections, through the whole Markdown stage."""
from __future__ import annotations

import re
from pathlib import Path

from tests.site.helpers import render

FRONTMATTER = "---\ntitle: t\ndate: 2024-01-01\n---\n"


def _html(body: str, root: Path = Path("/tmp"), **settings) -> tuple[str, list]:
    rendered = render(FRONTMATTER + body, root, **settings)
    return rendered.html, [d for d in rendered.diagnostics if d.kind == "compat"]


def test_a_labelled_lone_image_is_a_numbered_figure_and_references_read_as_in_quarto() -> None:
    html, warnings = _html("![An *elephant*, $x^2$](e.png){#fig-elephant}\n\n![](z.png){#fig-zebra}\n\n"
                           "See @fig-elephant, [-@fig-zebra] and [Fig. @fig-zebra].\n")
    assert '<figure class="quarto-figure" id="fig-elephant">' in html
    assert re.search(r"<figcaption>Figure 1: An <em>elephant</em>, <math\b.*?</math></figcaption>", html)
    assert "<figcaption>Figure 2</figcaption>" in html
    assert ('See <a class="crossref" href="#fig-elephant">Figure\u00a01</a>, '
            '<a class="crossref" href="#fig-zebra">2</a> and '
            '<a class="crossref" href="#fig-zebra">Fig.\u00a02</a>.') in html
    assert not warnings


def test_an_image_inside_a_sentence_or_without_a_fig_label_stays_an_image() -> None:
    html, _ = _html("Text ![a](a.png){#fig-a} text.\n\n![b](b.png){#photo}\n")
    assert "<figure" not in html and 'id="fig-a"' in html and 'id="photo"' in html


def test_a_section_reference_shows_the_section_title() -> None:
    html, _ = _html("## Results with `code` {#sec-results}\n\nAs @sec-results shows.\n")
    assert 'As <a class="crossref" href="#sec-results">Results with code</a> shows.' in html


def test_a_reference_to_nothing_warns_with_its_line_and_shows_as_in_quarto() -> None:
    html, [warning] = _html("Para.\n\nOne line,\nthen @fig-missing.\n")
    assert '<strong class="crossref-missing">?@fig-missing</strong>' in html
    assert warning.location.line == 8  # the post's own line: frontmatter 4 + 4
    assert "#fig-missing" in warning.message and "{#fig-missing}" in warning.hint


def test_e_mail_addresses_and_link_texts_are_left_alone() -> None:
    html, _ = _html("![x](x.png){#fig-x}\n\nMail me@fig-x.org or [see @fig-x](https://example.org).\n")
    assert "me@fig-x.org" in html
    assert '<a href="https://example.org">see <span class="crossref">Figure\u00a01</span></a>' in html


def test_labelled_python_cells_are_numbered_with_the_images_in_page_order(tmp_path: Path) -> None:
    cell = ("```{{python}}\n#| label: {label}\n{caption}import matplotlib.pyplot as plt\n"
            "plt.plot([0, 1], [0, 1])\nplt.show()\n```\n\n")
    body = (cell.format(label="fig-line", caption='#| fig-cap: "A line"\n#| fig-alt: "A line"\n')
            + "![Photo](p.png){#fig-photo}\n\n"
            + cell.format(label="fig-plain", caption='#| fig-alt: "Another"\n')
            + "See @fig-line, @fig-photo and @fig-plain.\n")
    html, warnings = _html(body, tmp_path)
    assert "<figcaption>Figure 1: A line</figcaption>" in html
    assert "<figcaption>Figure 2: Photo</figcaption>" in html
    assert "<figcaption>Figure 3</figcaption>" in html
    assert re.findall(r'class="crossref" href="#([\w-]+)">Figure\u00a0(\d)', html) == [
        ("fig-line", "1"), ("fig-photo", "2"), ("fig-plain", "3")]
    assert not warnings


def test_the_quarto_switch_turns_it_off() -> None:
    html, warnings = _html("![x](x.png){#fig-x}\n\nSee @fig-x.\n",
                           plugin_options={"compat": {"quarto": False}})
    assert "<figure" not in html and "See @fig-x." in html and not warnings


def test_a_duplicate_figure_label_warns_and_references_go_to_the_first() -> None:
    html, [warning] = _html("![a](a.png){#fig-a}\n\n![b](b.png){#fig-a}\n\nSee @fig-a.\n")
    assert "duplicate figure label #fig-a" in warning.message and warning.location.line == 7
    assert '<a class="crossref" href="#fig-a">Figure\u00a01</a>' in html


SECTIONS = ("## Intro {#sec-intro}\n\nSee @sec-method, [-@sec-method] and [Part @sec-detail].\n\n"
            "## Method {#sec-method}\n\n### Detail {#sec-detail}\n\n#### Deeper\n\n"
            "## Appendix {-}\n\n## Notes {.unnumbered}\n\n## Last\n")


def test_number_sections_numbers_headings_from_the_posts_highest_level_as_quarto_does() -> None:
    rendered = render("---\ntitle: t\ndate: 2024-01-01\nnumber-sections: true\n---\n" + SECTIONS)
    numbers = re.findall(r'<h(\d)[^>]*>(?:<span class="header-section-number">([\d.]+)</span> )?(\w+)',
                         rendered.html)
    assert numbers == [("2", "1", "Intro"), ("2", "2", "Method"), ("3", "2.1", "Detail"),
                       ("4", "2.1.1", "Deeper"), ("2", "", "Appendix"), ("2", "", "Notes"),
                       ("2", "3", "Last")]
    assert ('See <a class="crossref" href="#sec-method">Section\u00a02</a>, '
            '<a class="crossref" href="#sec-method">2</a> and '
            '<a class="crossref" href="#sec-detail">Part\u00a02.1</a>.') in rendered.html
    assert 'id="appendix"' in rendered.html and "{-}" not in rendered.html  # ids from the titles
    assert [entry.text for entry in rendered.toc][:3] == ["1 Intro", "2 Method", "2.1 Detail"]


def test_number_depth_and_format_html_options_are_read() -> None:
    rendered = render("---\ntitle: t\ndate: 2024-01-01\nformat:\n  html:\n    number-sections: true\n"
                      "    number-depth: 2\n---\n" + SECTIONS)
    assert '<span class="header-section-number">2.1</span> Detail' in rendered.html
    assert "Deeper</h4>" in rendered.html and "2.1.1" not in rendered.html
    rendered = render("---\ntitle: t\ndate: 2024-01-01\nnumber-sections: true\nnumber-depth: deep\n"
                      "---\n" + SECTIONS)
    [warning] = [d for d in rendered.diagnostics if d.kind == "compat"]
    assert "number-depth" in warning.message and "2.1.1" in rendered.html


def test_a_prefixed_reference_may_wrap_over_lines() -> None:
    html, warnings = _html("![x](x.png){#fig-x}\n\nAs [the\nfigure @fig-x] shows.\n")
    assert 'As <a class="crossref" href="#fig-x">the figure\u00a01</a> shows.' in html and not warnings


def test_without_number_sections_headings_keep_their_text_and_references_the_title() -> None:
    html, _ = _html(SECTIONS)
    assert "header-section-number" not in html
    assert '<a class="crossref" href="#sec-method">Method</a>' in html


def test_labelled_callouts_are_numbered_per_type_and_referenced_as_in_quarto() -> None:
    html, warnings = _html('::: {#tip-cache .callout-tip collapse=true}\nBody.\n:::\n\n'
                           '::: {#tip-batch .callout-tip}\n## Batch it\nBody.\n:::\n\n'
                           '::: {#wrn-nan .callout-warning title="Mind the NaNs"}\nW.\n:::\n\n'
                           '::: {.callout-tip}\nNot labelled.\n:::\n\n'
                           "See @tip-batch, [-@tip-cache] and @wrn-nan; [@tip-cache] is no citation.\n")
    assert re.findall(r'class="callout-title">([^<]*)<', html) == [
        "Tip 1", "Tip 2: Batch it", "Warning 1: Mind the NaNs", "Tip"]
    assert ('See <a class="crossref" href="#tip-batch">Tip\u00a02</a>, '
            '<a class="crossref" href="#tip-cache">1</a> and '
            '<a class="crossref" href="#wrn-nan">Warning\u00a01</a>') in html
    assert 'class="citation"' not in html and not warnings
