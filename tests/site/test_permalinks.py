"""A blog moved from Jekyll, Hugo or Quarto keeps its posts' URLs (``generator.permalinks``):
the project files' patterns, a post's own Jekyll template, URLs that end in ``.html``, on real
sites, with errors at file:line."""
from __future__ import annotations

from pathlib import Path

import pytest

from generator.build import BuildOptions, BuildSession, build
from generator.check import check_site
from generator.errors import BuildFailed, StrideError

from ..conftest import write

POST = "---\ntitle: {title}\ndate: 2024-03-05\n{extra}---\n\nText of {title}.\n"


def post(site: Path, rel: str, *, title: str = "Hello, World", extra: str = "") -> Path:
    return write(site / "content" / "posts" / rel, POST.format(title=title, extra=extra))


def built(site: Path, **options):
    return build(BuildOptions(root=site, jobs=1, **options))


def published(result) -> set[str]:
    """The post pages of a build, as files below the output."""
    return {path for path in result.pages_rendered if "tags/" not in path and "page/" not in
            path and path not in ("index.html", "archive/index.html", "404.html",
                                  "search/index.html")
            and path.endswith(".html")}


def error_of(site: Path) -> StrideError:
    with pytest.raises(StrideError) as raised:
        built(site)
    error = raised.value
    return error.errors[0] if isinstance(error, BuildFailed) else error


# ---------------------------------------------------------------- Jekyll

@pytest.mark.parametrize("permalink, categories, url", [
    ("date", "[Notes]", "/notes/2024/03/05/Hello-World.html"),
    ("pretty", "[Notes]", "/notes/2024/03/05/Hello-World/"),
    ("ordinal", "[Notes]", "/notes/2024/065/Hello-World.html"),
    ("weekdate", "[Notes]", "/notes/2024/W10/Tue/Hello-World.html"),  # a Tuesday of week 10
    ("none", "[Notes]", "/notes/Hello-World.html"),
    ("date", "[]", "/2024/03/05/Hello-World.html"),  # no categories: no empty folder
    ("/:categories/:title/", "[Notes, Signal Processing, notes]",
     "/notes/signal-processing/Hello-World/"),
    ("/:year/:i_month/:i_day/:short_year/:y_day/:slug/", "[]", "/2024/3/5/24/065/hello-world/"),
    ("/:long_month/:short_month/:title:output_ext", "[]", "/March/Mar/Hello-World.html"),
])
def test_jekylls_permalink_styles_and_placeholders(site, permalink, categories, url):
    write(site / "_config.yml", f"title: Mine\npermalink: {permalink}\n")
    post(site, "2024-03-05-Hello-World.md", extra=f"categories: {categories}\n")
    result = built(site)
    target = url.lstrip("/") + ("index.html" if url.endswith("/") else "")
    assert published(result) == {target}
    assert (result.output / target).read_text().count("Text of Hello, World.") == 1


def test_a_slug_in_the_frontmatter_is_jekylls_title(site):
    write(site / "_config.yml", "permalink: /:year/:title/\n")
    post(site, "2024-03-05-file-name.md", extra="slug: Chosen-Name\n")
    assert published(built(site)) == {"2024/Chosen-Name/index.html"}


def test_a_posts_own_template_is_filled_and_a_literal_one_stays_exact(site):
    post(site, "2024-03-05-a.md", title="A", extra="permalink: /:year/:title/\n")
    post(site, "2024-03-05-b.md", title="B", extra="permalink: /pretty\n")  # a style's name
    # (Jekyll reads no style's name in a post) is a plain path
    assert published(built(site)) == {"2024/a/index.html", "pretty/index.html"}


def test_site_toml_wins_over_jekylls_permalink(site):
    write(site / "_config.yml", "permalink: pretty\n")
    write(site / "site.toml", 'permalink = "/{slug}/"\n')
    post(site, "x.md")
    assert published(built(site)) == {"x/index.html"}


@pytest.mark.parametrize("text, where, message", [
    ("title: T\npermalink: /:year/:nope/\n", "_config.yml:2", "Jekyll's `:nope`"),
    ("permalink: [1]\n", "_config.yml:1", "`permalink` must be a style's name"),
    ("permalink: /:year/\n", "_config.yml:1", "has no field that names the post"),
])
def test_a_bad_jekyll_permalink_stops_the_build_at_its_line(site, text, where, message):
    write(site / "_config.yml", text)
    post(site, "x.md")
    error = error_of(site)
    assert str(error.location) == where and message in error.message and error.hint


def test_a_bad_placeholder_in_a_post_names_the_post_and_line(site):
    post(site, "x.md", extra="tags: [a]\npermalink: /:year/:hour_of_day/\n")
    error = error_of(site)
    assert str(error.location) == "content/posts/x.md:5"
    assert "Jekyll's `:hour_of_day` has no Stride equivalent" in error.message


# ---------------------------------------------------------------- URLs ending in .html

@pytest.fixture
def html_site(site: Path) -> Path:
    write(site / "site.toml", 'base_url = "https://example.org/blog/"\n'
          'permalink = "/{year}/{slug}.html"\n')
    post(site, "first.md", title="First", extra="tags: [x]\n")
    write(site / "content" / "posts" / "second" / "index.md",
          POST.format(title="Second", extra="path: /gatsby.html\n")
          + "\n![fig](./fig.png) and [the first](/blog/2024/first.html).\n")
    (site / "content" / "posts" / "second" / "fig.png").write_bytes(b"png")
    return site


def test_an_html_url_is_that_file_in_links_sitemap_and_feed(html_site):
    result = built(html_site)
    out = result.output
    assert published(result) == {"2024/first.html", "gatsby.html"}
    assert not (out / "gatsby.html").is_dir() and not (out / "2024" / "first.html").is_dir()
    assert (out / "fig.png").read_bytes() == b"png"  # beside the page, in its folder
    index = (out / "index.html").read_text()
    assert 'href="/blog/2024/first.html"' in index and 'href="/blog/gatsby.html"' in index
    assert "https://example.org/blog/gatsby.html" in (out / "sitemap.xml").read_text()
    assert "https://example.org/blog/2024/first.html" in (out / "feed.xml").read_text()
    report = check_site(html_site, out, validate=False)
    assert not report.problems, report.text()


def test_an_html_url_is_rebuilt_incrementally_and_the_no_change_check_holds(html_site):
    built(html_site)
    assert built(html_site).up_to_date
    post(html_site, "first.md", title="First edited", extra="tags: [x]\n")
    result = built(html_site)
    assert result.rendered == 1
    assert "Text of First edited." in (result.output / "2024" / "first.html").read_text()
    session = BuildSession()
    build(BuildOptions(root=html_site, jobs=1), session=session)
    path = post(html_site, "first.md", title="Served", extra="tags: [x]\n")
    session.changed = frozenset({path.resolve()})
    served = build(BuildOptions(root=html_site, jobs=1), session=session)
    assert served.rendered == 1
    assert "Text of Served." in (served.output / "2024" / "first.html").read_text()


def test_serve_answers_an_html_url_with_its_file(html_site):
    from generator.serve import Handler

    out = built(html_site).output
    handler = Handler.__new__(Handler)
    handler.directory = str(out)
    assert handler._file_for("/gatsby.html") == out / "gatsby.html"
    assert handler._file_for("/2024/first.html") == out / "2024" / "first.html"


def test_a_folder_url_and_its_index_html_are_one_url(site):
    post(site, "a.md", title="A", extra="path: /same/\n")
    post(site, "b.md", title="B", extra="path: /same/index.html\n")
    error = error_of(site)
    assert "both want the URL /same/" in error.message


# ---------------------------------------------------------------- Hugo

HUGO = """\
baseURL = "https://hugo.example.org/"
languageCode = "de"
title = "A Hugo blog"

[params]
  description = "Notes"
  [params.author]
    name = "Ada"

[permalinks]
  posts = "/:year/:monthname/:title/"

[cascade]
  license = "CC BY"
  [cascade.target]
    path = "/posts/**"
"""


def test_hugos_site_config_fills_the_settings_the_permalink_and_the_cascade(site):
    write(site / "hugo.toml", HUGO)
    write(site / "content" / "posts" / "2024" / "x.md",
          POST.format(title="Fast Fourier, Again", extra="") + "\n{{< param license >}}\n")
    result = built(site)
    page = result.output / "2024" / "march" / "fast-fourier-again" / "index.html"
    html = page.read_text()
    assert '<html lang="de"' in html and "A Hugo blog" in html and "CC BY" in html
    feed = (result.output / "feed.xml").read_text()
    assert "https://hugo.example.org/2024/march/fast-fourier-again/" in feed
    assert "Notes" in feed and "Ada" in feed


def test_hugos_default_permalink_is_the_content_path_and_site_toml_wins(site):
    write(site / "config.toml", 'title = "Old Hugo"\n')
    post(site, "2024/x.md")
    post(site, "bundle/index.md", title="B", extra="slug: chosen\n")
    assert published(built(site)) == {"posts/2024/x/index.html", "posts/chosen/index.html"}
    write(site / "site.toml", 'title = "Mine"\n')
    assert published(built(site)) == {"posts/2024/x/index.html", "posts/chosen/index.html"}
    write(site / "site.toml", 'permalink = "/{slug}/"\n')
    assert published(built(site)) == {"x/index.html", "chosen/index.html"}


def test_hugos_config_folder_is_read_and_watched(site):
    write(site / "config" / "_default" / "hugo.yaml", "title: Folder\n")
    write(site / "config" / "_default" / "permalinks.yaml", "page:\n  posts: /:slug/\n")
    post(site, "x.md")
    # Hugo's :slug is the title when the post names no slug
    assert published(built(site)) == {"hello-world/index.html"}
    assert built(site).up_to_date
    write(site / "config" / "_default" / "permalinks.yaml", "page:\n  posts: /p/:slug/\n")
    result = built(site)
    assert not result.up_to_date and published(result) == {"p/hello-world/index.html"}


def test_hugos_environment_folder_is_read_over_its_default_folder_over_the_root_file(
        site, monkeypatch):
    monkeypatch.delenv("HUGO_ENVIRONMENT", raising=False)
    monkeypatch.delenv("HUGO_ENV", raising=False)
    write(site / "hugo.toml", 'title = "Root"\nbaseURL = "http://root.example/"\n')
    write(site / "config" / "_default" / "hugo.toml",
          'title = "Default"\nbaseURL = "http://localhost:1313/"\n')
    write(site / "config" / "production" / "hugo.toml", 'baseURL = "https://example.org/"\n')
    write(site / "config" / "development" / "params.yaml", "description: Drafting\n")
    post(site, "x.md")

    def site_of(result) -> tuple[str, str]:
        index = (result.output / "index.html").read_text()
        feed = (result.output / "feed.xml").read_text()
        base = "https://example.org/" if "https://example.org/" in feed else \
            "http://localhost:1313/" if "http://localhost:1313/" in feed else "?"
        title = "Default" if "<title>Default" in index else "Root" if "<title>Root" in index \
            else "?"
        return title, base + (" Drafting" if "Drafting" in index else "")

    # hugo builds for production: config/production/ wins over config/_default/, which wins
    # over hugo.toml at the site folder
    assert site_of(built(site)) == ("Default", "https://example.org/")
    assert built(site).up_to_date
    # another environment is another build; one with no folder reads config/_default/ alone
    assert site_of(built(site, environment="staging")) == ("Default", "http://localhost:1313/")
    monkeypatch.setenv("HUGO_ENVIRONMENT", "development")
    result = built(site)
    assert not result.up_to_date
    assert site_of(result) == ("Default", "http://localhost:1313/ Drafting")
    write(site / "config" / "development" / "params.yaml", "description: Redrafting\n")
    assert "Redrafting" in (built(site).output / "index.html").read_text()


def test_serve_reads_hugos_development_folder(site, monkeypatch):
    from generator.serve import Rebuilder

    monkeypatch.delenv("HUGO_ENVIRONMENT", raising=False)
    monkeypatch.delenv("HUGO_ENV", raising=False)
    write(site / "config" / "_default" / "hugo.yaml", "title: Everywhere\n")
    write(site / "config" / "development" / "hugo.yaml", "title: On my machine\n")
    post(site, "x.md")
    rebuilder = Rebuilder(site, drafts=False, quiet=True)
    assert not rebuilder.rebuild(None).errors
    assert "On my machine" in (rebuilder.out / "index.html").read_text()
    assert "Everywhere" in (built(site).output / "index.html").read_text()


def test_a_hugo_cascade_may_target_an_environment(site, monkeypatch):
    monkeypatch.delenv("HUGO_ENVIRONMENT", raising=False)
    monkeypatch.delenv("HUGO_ENV", raising=False)
    write(site / "config" / "_default" / "hugo.yaml",
          "cascade:\n"
          "  - params: {license: Published}\n    target: {environment: production}\n"
          "  - params: {license: Draft}\n    target: {environment: 'dev*', path: /posts/**}\n")
    post(site, "x.md", extra="slug: x\n")
    write(site / "content" / "posts" / "x.md",
          (site / "content" / "posts" / "x.md").read_text() + "\n{{< param license >}}\n")

    def license_in(result) -> str:
        return (result.output / "posts" / "x" / "index.html").read_text()

    page = license_in(built(site))
    assert "Published" in page and "Draft" not in page
    page = license_in(built(site, environment="development"))
    assert "Draft" in page and "Published" not in page


def test_serve_and_the_no_change_check_watch_hugos_config(site):
    from watchfiles import Change

    from generator.serve import watched_filter

    accept = watched_filter(site)
    for name in ("hugo.toml", "config.yaml", "hugo.json"):
        assert accept(Change.modified, str(site / name)), name
    write(site / "hugo.toml", 'title = "One"\n')
    post(site, "x.md")
    built(site)
    write(site / "hugo.toml", 'title = "Two"\n')
    result = built(site)
    assert not result.up_to_date and "Two" in (result.output / "index.html").read_text()


@pytest.mark.parametrize("name, text, where, message", [
    ("hugo.toml", 'title = "T"\n[permalinks]\n  posts = "/:year/:sections[1:]/"\n',
     "hugo.toml:3", "Hugo's `:sections[1:]`"),
    ("hugo.toml", 'title = "T"\n[permalinks]\n  tutorials = "/t/:slug/"\n', "hugo.toml:2",
     "names no pattern for `posts`"),
    ("hugo.toml", 'title = "T"\nbaseURL = 12\n', "hugo.toml:2", "`base_url` must be"),
    ("hugo.toml", 'title = "T"\ntitle = "U"\n', "hugo.toml:2", "invalid TOML"),
    ("hugo.json", '{"title": "T",\n "permalinks": {"posts": 3}}', "hugo.json:2",
     "a permalink pattern is text"),
    ("hugo.yaml", "title: T\ncascade: 3\n", "hugo.yaml:2", "`cascade` must be a map"),
])
def test_a_bad_hugo_config_stops_the_build_at_its_line(site, name, text, where, message):
    write(site / name, text)
    post(site, "x.md")
    error = error_of(site)
    assert str(error.location).startswith(where) and message in error.message, error


# ---------------------------------------------------------------- Quarto

def test_a_quarto_website_keeps_quartos_urls(site):
    write(site / "_quarto.yml", "project:\n  type: website\nwebsite:\n  title: Q\n")
    post(site, "my-post/index.qmd", title="Bundle")
    post(site, "x.qmd", title="Loose")
    post(site, "2023-04-12_metropolis/index.qmd", title="Dated")
    assert published(built(site)) == {"posts/my-post/index.html", "posts/x.html",
                                      "posts/2023-04-12_metropolis/index.html"}


def test_a_quarto_project_that_is_no_website_keeps_strides_default(site):
    write(site / "_quarto.yml", "execute:\n  echo: false\n")
    post(site, "my-post/index.qmd")
    assert published(built(site)) == {"2024/03/my-post/index.html"}
