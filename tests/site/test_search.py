"""Site search in built sites: the index's parts (/search/N.json), /search/ and the header link,
with search on and off, and the settings' checks (a post's text itself: test_search_text.py)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.build import BuildOptions, build
from generator.check import check_site
from generator.config import SiteConfig, load_config
from generator.errors import ConfigError
from generator.templates import make_environment

from ..conftest import write


def test_json_object_keeps_the_order_and_the_types(tmp_path):
    json_object = make_environment(tmp_path, SiteConfig()).globals["json_object"]
    assert json_object(b=1, a=[1, "x"], c=None) == '{"b":1,"a":[1,"x"],"c":null}'
    assert [json_object(n=v) for v in (1, True, 1.0)] == ['{"n":1}', '{"n":true}', '{"n":1.0}']
    assert json_object(text="é <b>") == '{"text":"\\u00e9 <b>"}'


POST = "---\ntitle: {title}\ndate: {date}\ntags: [{tags}]\n---\n\n{body}\n"


def blog(site: Path, config: str = "search = true\n") -> Path:
    write(site / "site.toml", 'title = "Search test"\n'
          'base_url = "https://someone.github.io/blog/"\ndate_format = "%d %b %Y"\n' + config)
    write(site / "content" / "posts" / "fourier.md", POST.format(
        title="Fourier’s café", date="2024-03-05", tags="signals, math",
        body="The transform $\\hat{x}(f) = \\int x(t) e^{-2\\pi i f t} dt$ of a box.[^1]\n\n"
             "## The box\n\nA sinc &amp; its <em>zeros</em>.\n\n[^1]: See any textbook."))
    write(site / "content" / "posts" / "older.md", POST.format(
        title="Older", date="2023-01-02", tags="misc", body="Nothing about transforms."))
    write(site / "content" / "pages" / "about.md", "---\ntitle: About\n---\nWho writes this.\n")
    return site


def index_parts(out: Path) -> dict[str, list[dict]]:
    return {part.name: json.loads(part.read_text(encoding="utf-8"))
            for part in sorted((out / "search").glob("*.json"))}


def test_the_index_holds_every_post_and_page_as_compact_json(site):
    out = build(BuildOptions(root=blog(site), jobs=1)).output
    assert list(index_parts(out)) == ["0.json"]  # a small site's index is one part
    raw = (out / "search" / "0.json").read_text(encoding="utf-8")
    index = json.loads(raw)
    # compact: no indentation, no spaces, one line
    assert raw == json.dumps(index, separators=(",", ":")) + "\n"
    assert [entry["title"] for entry in index] == ["Fourier’s café", "Older", "About"]
    fourier, older, about = index
    assert fourier == {
        "kind": "post", "title": "Fourier’s café", "url": "/blog/2024/03/fourier/",
        "date": "2024-03-05T00:00:00Z", "date_text": "05 Mar 2024",
        "tags": ["signals", "math"], "headings": ["The box"],
        "text": "The transform \\hat{x}(f) = \\int x(t) e^{-2\\pi i f t} dt of a box. The box "
                "A sinc & its zeros. See any textbook."}
    assert older["url"] == "/blog/2023/01/older/" and older["tags"] == ["misc"]
    assert about == {"kind": "page", "title": "About", "url": "/blog/about/", "date": None,
                     "date_text": None, "tags": [], "headings": [], "text": "Who writes this."}


def test_the_search_page_the_link_and_check(site):
    root = blog(site)
    out = build(BuildOptions(root=root, jobs=1)).output
    page = (out / "search" / "index.html").read_text()
    assert '<meta name="robots" content="noindex">' in page
    assert '<script src="/blog/static/js/search.js" defer></script>' in page
    assert 'role="search"' in page and 'type="search"' in page and 'name="q"' in page
    assert 'data-index="/blog/search/0.json"' in page
    assert 'Searching needs JavaScript' in page and 'href="/blog/archive/"' in page
    assert '<a href="/blog/search/" aria-current="page">Search</a>' in page
    home = (out / "index.html").read_text()
    assert '<a href="/blog/search/">Search</a>' in home
    # only the search page loads a script
    scripts = [p.relative_to(out).as_posix() for p in out.rglob("*.html")
               if "<script" in p.read_text()]
    assert scripts == ["search/index.html"]
    assert (out / "static" / "js" / "search.js").is_file()
    for listing in ("sitemap.xml", "feed.xml"):
        text = (out / listing).read_text()
        assert "/search/" not in text, listing
    report = check_site(root, out, validate=False)
    assert report.problems == (), report.text()


@pytest.mark.parametrize("setting", ["search = false\n", ""])
def test_search_false_or_unset_writes_no_index_page_script_or_link(site, setting):
    result = build(BuildOptions(root=blog(site), jobs=1))
    assert (result.output / "search" / "0.json").is_file()
    blog(site, setting)
    out = build(BuildOptions(root=site, jobs=1)).output
    assert not (out / "search").exists()
    assert not (out / "static" / "js" / "search.js").exists()  # nothing would load it
    for page in out.rglob("*.html"):
        assert "/search/" not in page.read_text(), page


def test_an_edit_rewrites_the_one_part_of_the_index_that_holds_the_post(site, monkeypatch):
    monkeypatch.setattr("generator.templates.SEARCH_SHARD_ENTRIES", 2)
    root = blog(site)
    for number in range(5):
        write(site / "content" / "posts" / f"p{number}.md", POST.format(
            title=f"Post {number}", date=f"2024-05-0{number + 1}", tags="x",
            body=f"Body {number}."))
    out = build(BuildOptions(root=root, jobs=1)).output
    before = index_parts(out)
    # 7 posts and a page in parts of about 2: four parts, each post in one of them
    assert list(before) == ["0.json", "1.json", "2.json", "3.json"]
    titles = sorted(entry["title"] for part in before.values() for entry in part)
    assert titles == sorted(["Fourier’s café", "Older", "About",
                             *(f"Post {number}" for number in range(5))])
    page = (out / "search" / "index.html").read_text()
    assert 'data-index="/blog/search/0.json /blog/search/1.json /blog/search/2.json ' \
           '/blog/search/3.json"' in page
    [holder] = [name for name, part in before.items()
                if any(entry["title"] == "Post 3" for entry in part)]
    write(site / "content" / "posts" / "p3.md", POST.format(
        title="Post 3", date="2024-05-04", tags="x", body="An edited body."))
    result = build(BuildOptions(root=root, jobs=1))
    assert [path for path in result.pages_rendered if path.startswith("search/")] == \
        [f"search/{holder}"]
    after = index_parts(out)
    assert {name: part for name, part in after.items() if name != holder} == \
        {name: part for name, part in before.items() if name != holder}
    assert any(entry["text"] == "An edited body." for entry in after[holder])


def test_search_words_must_not_be_negative(tmp_path):
    write(tmp_path / "site.toml", 'search_words = -5\n')
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert str(caught.value.location) == "site.toml:1"
    assert caught.value.message == "`search_words` must be 0 (every word) or more, not -5"


def test_search_must_be_true_or_false(tmp_path):
    write(tmp_path / "site.toml", 'title = "T"\nsearch = "yes"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    error = caught.value
    assert str(error.location) == "site.toml:2"
    assert error.message == "`search` must be true or false, not 'yes'"
    assert error.hint == "for example: search = false"
