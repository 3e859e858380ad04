"""What measuring real Quarto blogs found (docs/migrating.md, "Measured"), one test per fault,
through the whole Markdown stage with the post as a `.qmd` file."""
from __future__ import annotations

import re
from pathlib import Path

from generator.frontmatter import parse_source
from generator.markdown import MarkdownRenderer
from generator.render_settings import RenderSettings
from generator.records import Rendered
from tests.site.helpers import source_file

FRONTMATTER = "---\ntitle: t\ndate: 2024-01-01\n---\n"  # 4 lines: body line k is file line 4 + k


def render(body: str, root: Path = Path("/tmp"), name: str = "content/posts/p/index.qmd",
           frontmatter: str = FRONTMATTER) -> Rendered:
    renderer = MarkdownRenderer(RenderSettings(site_root=root, cache_root=None, execute=False))
    return renderer.render(parse_source(source_file(frontmatter + body, root, name)))


def warnings(rendered: Rendered, kind: str) -> list:
    return [d for d in rendered.diagnostics if d.kind == kind]


def test_math_in_an_inline_footnote_is_rendered() -> None:
    # Pandoc's `^[...]` with math stopped the post: "internal error: KeyError: 'html'".
    rendered = render("Text.^[When $r\\ge 1$, see ^[nested $x^2$].]\n")
    notes = rendered.html[rendered.html.index('<section class="footnotes">'):]
    assert notes.count("<math") == 2 and "$" not in notes
    assert not warnings(rendered, "math")


def test_cells_of_other_languages_show_as_code_with_one_warning_per_language() -> None:
    # R cells showed their `#|` lines and setup cells; nothing said they were not run.
    rendered = render("```{r setup, include=FALSE}\noptions(width = 76)\n```\n\n"
                      "```{r}\n#| echo: false\nplot(x)\n```\n\n"
                      "```{r}\n#| echo: false\n#| output: false\nlibrary(knitr)\n```\n\n"
                      "```{julia}\n#| column: page\nx = 1\n```\n\n"
                      "```{dot}\n//| label: fig-graph\ndigraph { a -> b }\n```\n")
    html = rendered.html
    assert 'class="language-r"' in html and "plot" in html
    assert "options(width" not in html and "library" not in html and "#|" not in html
    assert "//|" not in html and 'class="language-julia"' in html and "digraph" in html
    [r_cells, julia, dot] = warnings(rendered, "quarto")
    assert r_cells.location.line == 5 and r_cells.message.startswith(
        "3 {r} cells not run (1 shown as code, 2 left out, as Quarto shows nothing of them)")
    assert julia.location.line == 20 and dot.location.line == 25


def test_pandoc_fence_attributes_and_raw_html_blocks() -> None:
    # `{.python}` showed as an unhighlighted `language-.python` block, `{=html}` as code.
    html = render("```{.python}\nx = 1\n```\n\n```{=html}\n<div class=\"card\">a card</div>\n```\n\n"
                  "```{=latex}\n\\newpage\n```\n").html
    assert 'class="language-python"' in html and '<span class="n">x</span>' in html
    assert '<div class="card">a card</div>' in html and "newpage" not in html


def test_quarto_include_reads_the_file_as_markdown_where_the_shortcode_stands(tmp_path) -> None:
    # Every post of a measured blog includes its macros; the include was removed with a warning
    # and 410 formulas then used undefined macros.
    post_dir = tmp_path / "content" / "posts" / "p"
    post_dir.mkdir(parents=True)
    (tmp_path / "content" / "assets").mkdir()
    (tmp_path / "content" / "assets" / "_macros.qmd").write_text(
        "$$\n\\newcommand{\\R}{\\mathbb{R}}\n$$\n\n{{< include _more.qmd >}}\n")
    (tmp_path / "content" / "assets" / "_more.qmd").write_text("More *text*.\n\n{{< nope >}}\n")
    rendered = render("{{< include ../../assets/_macros.qmd >}}\n\nLet $x\\in\\R$.\n\n"
                      "{{< include /assets/_more.qmd >}}\n\n{{< include ../../../../etc/passwd >}}\n"
                      "{{< include missing.qmd >}}\n", tmp_path)
    assert "<mi>ℝ</mi>" in rendered.html and rendered.html.count("More <em>text</em>.") == 2
    assert not warnings(rendered, "math")
    nested, *_ = warnings(rendered, "hugo")
    assert nested.location.line == 5 and nested.message.startswith("in _more.qmd: the Hugo shortcode")
    outside, missing = warnings(rendered, "include")
    assert outside.location.line == 11 and "is outside" in outside.message
    assert missing.location.line == 12 and "`missing.qmd` does not exist" in missing.message
    assert any(path.endswith("_macros.qmd") for path in rendered.dependencies)


def test_quarto_meta_pagebreak_kbd_and_video_shortcodes() -> None:
    rendered = render("By {{< meta author.name >}}: {{< kbd Ctrl-C >}}.\n\n{{< pagebreak >}}\n\n"
                      '{{< video https://www.youtube.com/embed/x title="A talk" >}}\n',
                      frontmatter="---\ntitle: t\ndate: 2024-01-01\nauthor:\n  name: Ada\n---\n")
    assert "By Ada: <kbd>Ctrl-C</kbd>." in rendered.html and "pagebreak" not in rendered.html
    assert '<a href="https://www.youtube.com/embed/x">A talk</a>' in rendered.html
    [video] = warnings(rendered, "hugo")
    assert video.location.line == 11 and "shown as a link" in video.message


def test_hidden_and_conditional_content_is_hidden_on_the_web_page() -> None:
    # A measured blog keeps its macros in `::: {.hidden}`: the div and its text were shown.
    html = render('::: {.hidden}\n$$\n\\newcommand{\\R}{\\mathbb{R}}\n$$\nMacros.\n:::\n\n'
                  '::: {.content-visible when-format="html"}\nWeb: $\\R$.\n:::\n\n'
                  '::: {.content-visible when-format="pdf"}\nPrint.\n:::\n\n'
                  '::: {.content-hidden unless-format="html"}\nAlso web.\n:::\n').html
    assert '<div class="hidden" hidden="">' in html and "<mi>ℝ</mi>" in html
    assert re.search(r'<div class="content-visible" data-when-format="html">\s*<p>Web', html)
    assert re.search(r'<div class="content-visible" hidden="" data-when-format="pdf">', html)
    assert re.search(r'<div class="content-hidden" data-unless-format="html">\s*<p>Also', html)


def test_pandoc_heading_attributes_are_taken_off_the_heading_text() -> None:
    # `## References {.appendix}` showed `{.appendix}` in the heading and its id.
    rendered = render("## References {.appendix}\n\n## Summary {#sec-sum .unnumbered .unlisted}\n\n"
                      "## Set {a, b}\n\nSee @sec-sum.\n")
    assert '<h2 class="appendix" id="references">References</h2>' in rendered.html
    assert '<h2 id="sec-sum" class="unnumbered unlisted">Summary</h2>' in rendered.html
    assert '<h2 id="set-a-b">Set {a, b}</h2>' in rendered.html
    assert '<a class="crossref" href="#sec-sum">Summary</a>' in rendered.html


def test_raw_tex_macro_definitions_outside_math_define_macros_and_show_nothing() -> None:
    # Pandoc's latex_macros: a measured blog's macros sit between `$$` lines with blank lines
    # inside, so no display holds them; Pandoc reads the bare definitions anyway.
    rendered = render("::: {.hidden}\n$$\n\n\\renewcommand{\\P}{\\operatorname{P}}\\newcommand{\\R}"
                      "{\\mathbb{R}}\n\\newcommand{\\vctr}[2]{\\begin{pmatrix}#1\\\\\n#2\\end{pmatrix}}\n"
                      "\\DeclareMathOperator{\\des}{des}\n$$\n:::\n\n"
                      "Let $\\P(x\\in\\R)$, $\\des(i)$ and $\\vctr{a}{b}$.\n\n"
                      "\\def\\x{y} is a sentence.\n")
    assert not warnings(rendered, "math")
    # what Pandoc leaves of them too: the two `$$` lines, in the hidden div
    assert re.search(r'<div class="hidden" hidden="">\s*<p>\$\$</p>\s*<p>\$\$</p>\s*</div>',
                     rendered.html)
    assert "<mi>ℝ</mi>" in rendered.html and ">des</mo>" in rendered.html
    assert "<p>\\def\\x{y} is a sentence.</p>" in rendered.html


def test_citations_show_their_keys_with_one_warning_per_post() -> None:
    # 279 `[@key]` citations of a measured blog were shown as written.
    rendered = render("See [@Kingma-Welling2014], [@Neal1996 p.16; @MacKay1994],\n"
                      "[第6章 @Gelman2005 pp.20-] and [-@Smith04].\n\n"
                      "Not citations: [@handle](https://example.org), me@example.org, [-@eq-a].\n\n"
                      "$$\na\n$$ {#eq-a}\n")
    html = rendered.html
    assert '<span class="citation" data-cites="Kingma-Welling2014">[Kingma-Welling2014]</span>' in html
    assert ('<span class="citation" data-cites="Neal1996 MacKay1994">[Neal1996 p.16; MacKay1994]'
            '</span>') in html
    assert "[第6章 Gelman2005 pp.20-]</span>" in html and "[Smith04]</span>" in html
    assert '<a href="https://example.org">@handle</a>' in html and "me@example.org" in html
    assert '<a class="math-ref" href="#eq-a">1</a>' in html
    [warning] = warnings(rendered, "citation")
    assert warning.location.line == 5 and warning.message.startswith(
        "4 citations ([@Kingma-Welling2014] ...) shown as their keys")


def test_table_captions_below_or_above_and_numbered_table_references() -> None:
    # `: caption {.striped tbl-colwidths="[20,20]"}` under a table showed as a paragraph.
    rendered = render('| a | b |\n|---|---|\n| 1 | 2 |\n\n: Kernel vs *NN* {.striped tbl-colwidths="[20,20]"}\n\n'
                      "Table: Results {#tbl-results}\n\n| x |\n|---|\n| 3 |\n\n"
                      "| y |\n|---|\n| 4 |\n\nAs @tbl-results and [Tab. @tbl-results] show; @tbl-none.\n")
    html = rendered.html
    assert re.search(r'<table class="striped" tabindex="0">\s*<caption>Kernel vs <em>NN</em></caption>', html)
    assert re.search(r'<table id="tbl-results" tabindex="0">\s*<caption>Table 1: Results</caption>', html)
    assert html.count("<caption>") == 2 and "tbl-colwidths" not in html and "Table:" not in html
    assert ('As <a class="crossref" href="#tbl-results">Table\u00a01</a> and '
            '<a class="crossref" href="#tbl-results">Tab.\u00a01</a> show') in html
    [missing] = warnings(rendered, "compat")
    assert "no table on this page has the label #tbl-none" in missing.message


def test_links_to_other_posts_source_files_go_to_their_pages() -> None:
    # Quarto rewrites `[x](GP2.qmd#sec-x)` to the page; Stride warned that the .qmd file was a
    # missing asset and left the link broken.
    settings = RenderSettings(site_root=Path("/tmp"), cache_root=None, execute=False,
                              link_table={"posts/kernels/gp2.qmd": "/2024/02/gp2/",
                                          "gp2": "/2024/02/gp2/"})
    text = (FRONTMATTER + "See [the theory](gp2.qmd#sec-kernel), [it again](../kernels/gp2.qmd),"
            " [%-encoded](gp%32.qmd) and [a lost one](../R/R3.qmd).\n")
    rendered = MarkdownRenderer(settings).render(parse_source(source_file(
        text, Path("/tmp"), "content/posts/kernels/gp.qmd")))
    assert rendered.html.count('href="/2024/02/gp2/') == 3
    assert 'href="/2024/02/gp2/#sec-kernel"' in rendered.html and 'href="../R/R3.qmd"' in rendered.html
    [lost] = warnings(rendered, "link")
    assert lost.location.line == 5 and "no post `posts/R/R3.qmd`" in lost.message
    assert not warnings(rendered, "asset")


def test_theorem_like_divs_are_numbered_per_kind_titled_and_referenced() -> None:
    # 19 `::: {#thm-x}` / `{#def-x}` divs of a measured blog showed their `## Name` as a section
    # heading and `@thm-x` as text.
    rendered = render("::: {#def-sep}\n## Linearly *separable*\nData are separable.\n:::\n\n"
                      "::: {#thm-main}\nEvery $x$.\n:::\n\n::: {#def-other .small}\nPlain.\n:::\n\n"
                      "By @def-sep, @thm-main and [-@def-other]; @lem-none.\n")
    html = rendered.html
    assert re.search(r'<div id="def-sep" class="theorem definition">\s*<p class="theorem-title">'
                     r"<strong>Definition 1 \(Linearly <em>separable</em>\)</strong></p>", html)
    assert "<strong>Theorem 1</strong>" in html and "<h2" not in html
    assert '<div id="def-other" class="theorem definition small">' in html
    assert "<strong>Definition 2</strong>" in html
    assert ('By <a class="crossref" href="#def-sep">Definition\u00a01</a>, <a class="crossref" '
            'href="#thm-main">Theorem\u00a01</a> and <a class="crossref" href="#def-other">2</a>') in html
    [missing] = warnings(rendered, "compat")
    assert missing.location.line == 18 and "no lemma on this page" in missing.message


def test_the_frontmatters_crossref_names_title_and_prefix() -> None:
    rendered = render("::: {#thm-a}\nText.\n:::\n\n![An image](a.png){#fig-a}\n\nSee @thm-a, @fig-a.\n",
                      frontmatter="---\ntitle: t\ndate: 2024-01-01\ncrossref:\n  thm-title: 定理\n"
                                  "  thm-prefix: 定理\n  fig-title: 図\n---\n")
    assert "<strong>定理 1</strong>" in rendered.html and "<figcaption>図 1: An image" in rendered.html
    assert 'href="#thm-a">定理\u00a01</a>' in rendered.html and 'href="#fig-a">Figure\u00a01</a>' in rendered.html


def test_pandoc_grid_tables_subscripts_and_superscripts() -> None:
    # A measured post's four grid tables ran together into one line of `+---+ | a |` text, and
    # `C~max~`, `h^-1^` showed their marks.
    rendered = render("+--------+-----------------+\n"
                      "| Symbol | Formula         |\n"
                      "+========+=================+\n"
                      "| C~max~ | $\\frac{\\ln 2}   |\n"
                      "|        | {t_{1/2}}$ *per*|\n"
                      "+--------+-----------------+\n"
                      "| k~e~   | 0.05 h^-1^      |\n"
                      "+--------+-----------------+\n\n"
                      "+---+---+\n| a | b |\n+---+\n\n~~struck~~, a^[note], 2^10 and ~/home.\n")
    html = re.sub(r"<math\b.*?</math>", "MATH", rendered.html, flags=re.S)
    assert re.search(r"<thead>\s*<tr>\s*<th>Symbol</th>\s*<th>Formula</th>", html)
    assert "<td>C<sub>max</sub></td>\n<td>MATH <em>per</em></td>" in html
    assert "<td>0.05 h<sup>-1</sup></td>" in html and html.count("<table") == 1
    assert "<s>struck</s>" in html and 'class="footnote-ref"' in html and "2^10 and ~/home" in html
    [spanning] = warnings(rendered, "pandoc")
    assert spanning.location.line == 16 and "grid table is shown as text" in spanning.message
    assert "line 3 of the table does not end where its first line does" in spanning.message


def test_a_quarto_posts_lone_captioned_image_is_a_figure_with_its_fig_alt() -> None:
    # A measured post's margin images carry their captions as descriptions: they showed no
    # caption at all, only a long alt text.
    body = ("::: {.column-margin}\n![A *poster*, $x^2$.](m.jpg){fig-alt=\"A ship\"}\n:::\n\n"
            "![Labelled](l.png){#fig-l fig-alt=\"Alt\"}\n\nText ![inline](i.png) here.\n\n![](e.png)\n")
    html = render(body).html
    assert re.search(r'<figure class="quarto-figure">\s*<img src="m.jpg" alt="A ship">'
                     r"<figcaption>A <em>poster</em>, <math\b", html)
    assert '<img src="l.png" alt="Alt"><figcaption>Figure 1: Labelled</figcaption>' in html
    assert '<p>Text <img src="i.png" alt="inline"> here.</p>' in html
    assert '<p><img src="e.png" alt=""></p>' in html
    plain = render(body, name="content/posts/p/index.md").html  # kramdown and Hugo make none
    assert plain.count("<figure") == 1


def test_the_real_blog_benchmark_reads_a_quarto_project_without_running_its_cells(tmp_path) -> None:
    from benchmarks.measure_real_blog import measure, stride_markdown
    (tmp_path / "_quarto.yml").write_text("website:\n  title: A blog\n  site-url: https://x.org/b/\n")
    post = tmp_path / "posts" / "one"
    post.mkdir(parents=True)
    (post / "index.qmd").write_text("---\ntitle: One\n---\n\n{{< include ../_defs.qmd >}}\n\n"
                                    "```{python}\nimport a_module_nobody_has\n```\n\n$\\R$ [@key]\n")
    (tmp_path / "posts" / "_defs.qmd").write_text("\\newcommand{\\R}{\\mathbb{R}}\n")
    report = measure(tmp_path, stride_markdown(), "/b/")
    assert (report["posts"], report["built"], report["leaks"]) == (1, 1, {})
    assert report["census"]["{python} cells"] == 1 and report["census"]["citations"] == 1
    assert report["warnings_by_kind"] == {"citation": 1}
