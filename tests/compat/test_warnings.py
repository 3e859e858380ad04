"""Every construct that is not carried over is named in a warning with file:line and a kind."""
from __future__ import annotations

from pathlib import Path

import pytest

from generator.context import ENV_KEY

from .conftest import CORPUS, make_context, make_markdown


def lines(diagnostics) -> list[str]:
    return [str(d).split("\n")[0] for d in diagnostics]


def test_unknown_tag_is_removed_and_reported_at_its_file_line(render) -> None:
    html, diagnostics = render("Intro.\n\nSee {% seo title=false %} here.\n", line_offset=5)
    assert html == "<p>Intro.</p>\n<p>See  here.</p>\n"
    assert lines(diagnostics) == [
        "content/posts/2019-01-01-conv.md:8:5: warning[liquid]: the Liquid tag `{% seo %}` "
        "is not supported; it is removed"]
    assert diagnostics[0].hint


def test_multi_line_tags_keep_later_lines_in_place(render) -> None:
    source = ("{% comment %}\none\ntwo\n{% endcomment %}\n{% include note.md\n   %}\n\n"
              "{{< figure\n  src=\"/assets/images/kernel.png\" >}}\n\n{% bogus %}\n")
    _, diagnostics = render(source)
    assert lines(diagnostics) == [
        "content/posts/2019-01-01-conv.md:11:1: warning[liquid]: the Liquid tag `{% bogus %}` "
        "is not supported; it is removed"]


def test_highlight_opened_mid_line_keeps_later_lines_exact(render) -> None:
    html, diagnostics = render("Text {% highlight c %}int x;{% endhighlight %} more.\n\n"
                               "{% bogus %}\n")
    assert [str(d.location) for d in diagnostics] == ["content/posts/2019-01-01-conv.md:3:1"]
    assert html.index("<p>Text</p>") < html.index("int x;") < html.index("more.")


@pytest.mark.parametrize("source", [
    "{{ page.title }} {% highlight c %}int x;{% endhighlight %} more.\n\n{% bogus %}\n",
    "a {% highlight c %}x{% endhighlight %}{% highlight c %}y{% endhighlight %} b\n\n{% bogus %}\n",
    "a {{< highlight c >}}x{{< /highlight >}} b {% highlight c %}y{% endhighlight %}\n\n"
    "{% bogus %}\n",
])
def test_blocks_that_move_lines_down_still_report_later_lines_exactly(render, source) -> None:
    """A code block opened mid-line after other Liquid (or a shortcode) is moved onto lines of
    its own, which moves later lines down; warnings still name the author's line."""
    _, diagnostics = render(source)
    assert [str(d.location) for d in diagnostics] == ["content/posts/2019-01-01-conv.md:3:1"]


@pytest.mark.parametrize("source", [
    "{% highlight c %}int x;{% endhighlight %}\n\n{% bogus %}\n",
    "{% highlight c %}{% endhighlight %} more.\n\n{% bogus %}\n",
    "> {% highlight c %}int x;{% endhighlight %}\n\n{% bogus %}\n",
    "> Text {% highlight c %}int x;{% endhighlight %}\n\n{% bogus %}\n",
    "Text {% highlight c %}\nint x;{% endhighlight %}\n{% bogus %}\n",
])
def test_highlight_on_one_line_keeps_later_lines_exact(render, source) -> None:
    html, diagnostics = render(source)
    assert lines(diagnostics) == [
        "content/posts/2019-01-01-conv.md:3:1: warning[liquid]: the Liquid tag `{% bogus %}` "
        "is not supported; it is removed"]
    assert '<code class="language-c">' in html


def test_text_after_a_one_line_highlight_is_kept_after_the_code(render) -> None:
    html, _ = render("{% highlight c %}int x;{% endhighlight %} *more*\ntext.\n")
    assert html.index("int x;") < html.index("<em>more</em>")
    assert "text." in html


def test_highlight_info_carries_line_numbers_and_highlighted_lines(markdown) -> None:
    tokens = markdown.parse(
        '{% highlight python linenos hl_lines="1 3-4" linenostart=7 %}\nx\n{% endhighlight %}\n\n'
        '{{< highlight go "linenos=table,hl_lines=2" >}}\ny\n{{< /highlight >}}\n',
        {ENV_KEY: make_context()})
    assert [t.info for t in tokens if t.type == "fence"] == [
        'python linenos hl_lines="1 3 4" linenostart=7', 'go linenos hl_lines="2"']


def test_missing_includes_folder(render, tmp_path: Path) -> None:
    (tmp_path / "content" / "posts").mkdir(parents=True)
    html, diagnostics = render("{% include footer.html %}\n", site_root=tmp_path)
    assert html == ""
    assert [d.kind for d in diagnostics] == ["include"]
    assert "has no _includes/ folder" in diagnostics[0].message


def test_includes_folder_found_above_the_post(render, tmp_path: Path) -> None:
    (tmp_path / "blog" / "_includes").mkdir(parents=True)
    (tmp_path / "blog" / "_includes" / "x.html").write_text("<b>{{ include.word }}</b>\n")
    (tmp_path / "blog" / "content" / "posts").mkdir(parents=True)
    ctx_site = tmp_path / "blog"
    html, diagnostics = render('A {% include x.html word="hi" %} B\n', site_root=ctx_site)
    assert (html, diagnostics) == ("<p>A <b>hi</b> B</p>\n", [])


def test_include_outside_the_includes_folder_is_refused(render) -> None:
    _, diagnostics = render("{% include ../_posts/2019-01-01-conv.md %}\n")
    assert "outside _includes/" in diagnostics[0].message


def test_include_cycle_is_cut(render) -> None:
    html, diagnostics = render("{% include loop.html %}\n")
    assert html.count("again") == 8
    assert [d.kind for d in diagnostics] == ["include"]
    assert "deeper than 8" in diagnostics[0].message


def test_include_relative_reads_beside_the_post(render, tmp_path: Path) -> None:
    posts = tmp_path / "content" / "posts"
    posts.mkdir(parents=True)
    (posts / "table.md").write_text("| a |\n|---|\n| 1 |\n")
    html, diagnostics = render("{% include_relative table.md %}\n", site_root=tmp_path,
                               source_path="content/posts/p.md")
    assert "<table>" in html and diagnostics == []


def test_include_records_a_dependency(markdown) -> None:
    ctx = make_context()
    markdown.render("{% include note.md %}\n", {ENV_KEY: ctx})
    assert list(ctx.dependencies) == [str((CORPUS / "jekyll" / "_includes" / "note.md").resolve())]


def test_broken_post_links_are_link_warnings(render) -> None:
    _, diagnostics = render("[a]({% post_url 1999-01-01-x %}) [b]({{< ref \"nope.md\" >}}) "
                            "[c]({% link _posts/none.md %})\n")
    assert [d.kind for d in diagnostics] == ["link", "link", "link"]


def test_missing_assets_name_post_and_line_once(render) -> None:
    source = ("ok ![a](/assets/images/kernel.png)\n\n![b](/assets/images/none.png)\n\n"
              '<img src="/assets/missing.svg">\n\n[c]({{ "/assets/gone.pdf" | relative_url }})\n\n'
              '{{< figure src="/assets/lost.png" >}}\n')
    _, diagnostics = render(source, line_offset=3)
    assert lines(diagnostics) == [
        "content/posts/2019-01-01-conv.md:6: warning[asset]: `/assets/images/none.png` is not a "
        "file of this site",
        "content/posts/2019-01-01-conv.md:8: warning[asset]: `/assets/missing.svg` is not a file "
        "of this site",
        "content/posts/2019-01-01-conv.md:10: warning[asset]: `/assets/gone.pdf` is not a file "
        "of this site",
        "content/posts/2019-01-01-conv.md:12: warning[asset]: `/assets/lost.png` is not a file "
        "of this site"]


def test_site_served_at_root_keeps_paths(render) -> None:
    html, diagnostics = render("![a](/assets/images/kernel.png) {{ site.baseurl }}.\n", base_path="/")
    assert html == '<p><img src="/assets/images/kernel.png" alt="a" /> .</p>\n'
    assert diagnostics == []


def test_unknown_filter_and_bad_expression(render) -> None:
    html, diagnostics = render("{{ page.title | smartify }} and {{ 'a' | }}\n")
    assert html == "<p>Convolution, flipped and</p>\n"
    assert [d.kind for d in diagnostics] == ["liquid", "liquid"]
    assert "filter `smartify` is not supported" in diagnostics[0].message
    assert "a filter name must follow `|`" in diagnostics[1].message


def test_unattached_and_unreadable_attribute_lists(render) -> None:
    html, diagnostics = render('Para.\n\n{: .lost}\n\n'
                               'Text {: .x} and ![i](/assets/images/kernel.png){: title="open}\n')
    assert "{:" not in html
    assert [d.kind for d in diagnostics] == ["kramdown", "kramdown", "kramdown"]


def test_unknown_shortcode_keeps_inner_text(render) -> None:
    html, diagnostics = render("{{< spoiler title=\"More\" >}}\nHidden *text*.\n{{< /spoiler >}}\n")
    assert html == "<p>Hidden <em>text</em>.</p>\n"
    assert lines(diagnostics) == [
        "content/posts/2019-01-01-conv.md:1:1: warning[hugo]: the Hugo shortcode `spoiler` is not "
        "supported; it is removed (the text inside it is kept)"]


def test_details_without_its_closing_shortcode_is_removed_with_its_line(render) -> None:
    html, diagnostics = render("Text.\n\n{{< details summary=\"More\" >}}\nHidden.\n")
    assert html == "<p>Text.</p>\n<p>Hidden.</p>\n"
    assert lines(diagnostics) == [
        "content/posts/2019-01-01-conv.md:3:1: warning[hugo]: `{{< details >}}` has no "
        "`{{< /details >}}`; it is removed"]


def test_dialects_can_be_switched_off() -> None:
    md = make_markdown(jekyll=False, hugo=False, kramdown=False, site_urls=False)
    ctx = make_context()
    html = md.render("{{ page.title }} {{< ref x >}}\n{: .x}\n![a](/x.png)\n", {ENV_KEY: ctx})
    assert html == '<p>{{ page.title }} {{&lt; ref x &gt;}}\n{: .x}\n<img src="/x.png" alt="a" /></p>\n'
    assert ctx.diagnostics == []


def test_include_parameters_quoted_or_evaluated(render) -> None:
    html, diagnostics = render(
        "{% include figure.html url=page.image alt='A kernel' caption=\"Flipped\" %}\n",
        page_vars={"image": "/assets/images/kernel.png"})
    assert html == ('<figure class="center">\n'
                    '  <img src="/blog/assets/images/kernel.png" alt="A kernel">\n'
                    '  <figcaption>Flipped</figcaption>\n</figure>\n')
    assert diagnostics == []


def test_percent_encoded_paths_find_their_files(markdown) -> None:
    ctx = make_context()
    ctx.static_paths = ctx.static_paths | {"/assets/images/my plot.png"}
    html = markdown.render("![p](</assets/images/my plot.png>)\n", {ENV_KEY: ctx})
    assert html == '<p><img src="/blog/assets/images/my%20plot.png" alt="p" /></p>\n'
    assert ctx.diagnostics == []
