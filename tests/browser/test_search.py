"""Site search in Chromium: a small site built with the real pipeline, served under /blog/ (its
base_url has a path), its /search/ page driven as a reader drives it: typing, a link with ?q=,
back and forward, no match, an index that cannot be fetched, and JavaScript turned off."""
from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.build import BuildOptions, build

from ..conftest import write
from . import probes
from .conftest import serve

pytestmark = pytest.mark.browser

POST = "---\ntitle: {title}\ndate: {date}\ntags: [{tags}]\n---\n\n{body}\n"
POSTS = {
    # newest first in the index; "transform" is in the text of the newest, a heading of the
    # middle one and the title of the oldest: the title must rank first, the text last
    "gaussian": ("The Gaussian", "2024-03-01", "signals",
                 "The Gaussian $e^{-\\pi t^2}$ is its own transform, so a blur kernel shaped "
                 "like it never rings.\n\n```python\nnp.exp(-np.pi * t**2)\n```"),
    "sampling": ("Sampling", "2024-02-01", "signals, fourier",
                 "Below the Nyquist rate tones fold.\n\n## The transform of a comb\n\n"
                 "A comb in time is a comb in frequency."),
    "pairs": ("Three transform pairs", "2024-01-01", "fourier",
              "The box, the Gaussian and the exponential, each with its pair."),
    "cafe": ("Notes from a Café", "2023-06-01", "misc",
             "Written over coffee. Literal <b>markup</b> &lt;i&gt;in text&lt;/i&gt; stays text."),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site's output folder, its index in two parts (as a large site's is in many): the
    script must merge them back into the site's order."""
    root = tmp_path_factory.mktemp("search-site")
    write(root / "site.toml", 'title = "Search"\nbase_url = "https://example.org/blog/"\n'
                              'search = true\n')
    for slug, (title, date, tags, body) in POSTS.items():
        write(root / "content" / "posts" / f"{slug}.md",
              POST.format(title=title, date=date, tags=tags, body=body))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("generator.templates.SEARCH_SHARD_ENTRIES", 2)
        out = build(BuildOptions(root=root, out=root / "public", jobs=1)).output
    assert sorted(part.name for part in (out / "search").glob("*.json")) == ["0.json", "1.json"]
    return out


@pytest.fixture(scope="module")
def blog(built: Path) -> Iterator[str]:
    """The site's base URL (``http://127.0.0.1:PORT/blog/``)."""
    with serve(built, "/blog/") as base:
        yield base


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    yield page
    context.close()
    assert not errors, errors


RESULTS = """[...document.querySelectorAll('#search-results > li')].map((li) => ({
  title: li.querySelector('h2 a').textContent, href: li.querySelector('h2 a').getAttribute('href'),
  date: li.querySelector('time') ? li.querySelector('time').getAttribute('datetime') : null,
  excerpt: (li.querySelector('.search-excerpt') || {textContent: ''}).textContent,
  marks: [...li.querySelectorAll('mark')].map((m) => m.textContent),
  elements: [...li.querySelectorAll('*')].map((e) => e.tagName.toLowerCase()),
}))"""


def status(page) -> str:
    return page.inner_text("#search-status")


def wait_for_status(page, text: str) -> None:
    page.wait_for_function("(t) => document.getElementById('search-status').textContent"
                           ".includes(t)", arg=text)


def test_typing_lists_the_matching_post_with_the_words_marked(page, blog):
    page.goto(blog + "search/")
    assert page.is_hidden("#search-fallback")
    page.fill("#search-query", "gauss blur")
    wait_for_status(page, "result")
    assert status(page) == "1 result for “gauss blur”."
    [found] = page.evaluate(RESULTS)
    assert found["title"] == "The Gaussian" and found["href"] == "/blog/2024/03/gaussian/"
    assert found["date"] == "2024-03-01T00:00:00Z"
    assert found["marks"][:2] == ["Gauss", "Gauss"]  # in the title, then in the excerpt
    assert "blur" in found["marks"]
    assert "e^{-\\pi t^2}" in found["excerpt"]  # the formula as its TeX
    page.wait_for_url(blog + "search/?q=gauss+blur")  # typing keeps the URL in step
    page.click("#search-results a[href='/blog/2024/03/gaussian/']")
    page.wait_for_url(blog + "2024/03/gaussian/")
    assert page.inner_text("h1") == "The Gaussian"


def test_a_link_with_a_query_searches_at_once_and_ranks_title_then_headings_then_text(
        page, blog):
    page.goto(blog + "search/?q=Transform")
    wait_for_status(page, "results")
    assert page.input_value("#search-query") == "Transform"
    assert [r["title"] for r in page.evaluate(RESULTS)] == [
        "Three transform pairs", "Sampling", "The Gaussian"]
    page.goto(blog + "search/?q=CAFE%20liter")  # case and accents ignored, prefixes match
    wait_for_status(page, "result")
    [found] = page.evaluate(RESULTS)
    assert found["marks"][:2] == ["Café", "Liter"]
    # the index's text reaches the page as text, never as markup: the post's own <b> is bold
    # in the post and plain in the index; its escaped <i> is text in both
    assert "Literal markup <i>in text</i> stays text." in found["excerpt"]
    assert set(found["elements"]) <= {"h2", "a", "span", "mark", "p", "time"}


def test_no_match_says_so_and_back_and_forward_restore_each_search(page, blog):
    page.goto(blog + "search/?q=wavelet")
    wait_for_status(page, "Nothing matches")
    assert status(page) == "Nothing matches “wavelet”. Try fewer or shorter words. " \
                           "The archive lists every post."
    assert page.get_attribute("#search-status a", "href") == "/blog/archive/"
    assert page.is_hidden("#search-results")
    page.fill("#search-query", "nyquist")  # a new search: typing alone puts it in the URL
    page.wait_for_url(blog + "search/?q=nyquist")
    wait_for_status(page, "1 result")
    page.fill("#search-query", "nyquist rate")
    page.press("#search-query", "Enter")
    page.wait_for_url(blog + "search/?q=nyquist+rate")
    wait_for_status(page, "1 result for “nyquist rate”")
    page.go_back()  # to the search before this one: typing it and submitting made one entry
    wait_for_status(page, "Nothing matches")
    assert page.url == blog + "search/?q=wavelet"
    assert page.input_value("#search-query") == "wavelet"
    page.go_forward()
    wait_for_status(page, "1 result")
    assert page.input_value("#search-query") == "nyquist rate"
    assert [r["title"] for r in page.evaluate(RESULTS)] == ["Sampling"]


def test_an_index_that_cannot_be_fetched_is_reported(browser, built, tmp_path):
    served = tmp_path / "public"
    shutil.copytree(built, served)
    (served / "search" / "1.json").unlink()  # one part of two
    context = browser.new_context()
    try:
        page = context.new_page()
        with serve(served, "/blog/") as base:
            page.goto(base + "search/?q=gauss")
            wait_for_status(page, "could not be loaded")
            assert status(page) == ("The search index could not be loaded (HTTP 404), so nothing "
                                    "can be searched. The archive lists every post.")
    finally:
        context.close()


def test_without_javascript_the_page_says_searching_needs_it(browser, blog):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(blog + "search/?q=gauss")
        fallback = page.inner_text("#search-fallback")
        assert page.is_visible("#search-fallback")
        assert fallback.startswith("Searching needs JavaScript")
        assert page.get_attribute("#search-fallback a", "href") == "/blog/archive/"
        assert page.is_hidden("#search-results") and status(page) == ""
        nav = page.get_attribute("nav[aria-label=Site] a[aria-current=page]", "href")
        assert nav == "/blog/search/"
    finally:
        context.close()


@pytest.mark.parametrize("width,scheme", [(320, "dark"), (1000, "light")])
def test_results_fit_a_narrow_window_and_keep_their_contrast(browser, blog, width, scheme):
    context = browser.new_context(viewport={"width": width, "height": 800}, color_scheme=scheme)
    try:
        page = context.new_page()
        page.goto(blog + "search/?q=the")
        wait_for_status(page, "results")
        overflow = page.evaluate(probes.OVERFLOW)
        assert overflow["scrollWidth"] <= overflow["clientWidth"], overflow
        contrast = page.evaluate(probes.CONTRAST)
        assert contrast["checked"] > 20 and not contrast["failures"], contrast["failures"][:5]
    finally:
        context.close()


def test_axe_finds_nothing_serious_on_the_page_with_results(browser, blog, axe_source):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(blog + "search/?q=fourier")
        wait_for_status(page, "results")
        page.add_script_tag(path=str(axe_source))
        serious = [(v["id"], v["nodes"]) for v in page.evaluate(probes.AXE)
                   if v["impact"] in ("serious", "critical")]
        assert not serious, serious
    finally:
        context.close()
