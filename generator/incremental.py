"""Which output pages must be rendered again: dependencies recorded while templates read.

Each page is rendered under a recorder (``generator.templates.TrackingEnvironment``) that notes
what the templates read from the site's records - ``post.meta.title``, ``post.rendered.html``,
``site.posts``, ``tag.posts`` - which templates the page loaded, and the arguments it was given.
Those reads are kept per *root*: a post (``post:content/posts/x.md``), a tag (``tag:fourier``) or
the site. The next build renders a page again only when something it read differs; editing a
post's body re-renders its own page and the feed that embeds it, not the archive that shows only
its title and date, and retitling it re-renders every page that shows the title.

A post's root carries a version (its page-cache key, URL and the files its render read): while the
version is unchanged none of its values can have changed, so most pages are confirmed current
without looking at a single value. Aggregates (the site, a tag) have no version and their few
reads are compared value by value.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from .records import Post, Site

SITE_ROOT = "site"

Place = tuple[str, str]  # (root, attribute path prefix): where a record sits in the site


@dataclass(frozen=True)
class RootReads:
    """What a page read below one root, and the root's version when it was read."""

    root: str
    version: str  # "" for aggregates, which are always compared value by value
    values: tuple[tuple[str, str], ...]  # (attribute path, digest of the value)

    def __reduce__(self):  # a thousand pages hold ten thousand of these: pickled as plain tuples
        return RootReads, (self.root, self.version, self.values)


@dataclass(frozen=True)
class PageRecord:
    """How an output page was made: enough to tell whether rendering it again would change it."""

    templates: tuple[tuple[str, str], ...]  # (template name, digest of its source)
    arguments: str  # the template, URL, arguments and config digest it was rendered with
    reads: tuple[RootReads, ...]
    output: str  # digest of the bytes written

    def __reduce__(self):
        return PageRecord, (self.templates, self.arguments, self.reads, self.output)


def post_root(post: Post) -> str:
    return f"post:{post.source.rel}"


def _digest(text: str, kind: bytes) -> str:
    """A digest of ``text`` as a value of ``kind``: the kind goes first, so values of different
    kinds never share a digest, whatever their texts. SHA-256, cut to 128 bits: processors with
    SHA instructions make it faster than BLAKE2, and a build digests every post's HTML."""
    digest = hashlib.sha256(kind)
    digest.update(text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:32]


# The kinds of value digests: a text is digested as it is; anything else as its encode() (for a
# text, a repr that would first copy a post's whole HTML escaping it).
TEXT, ENCODED = b"t", b"e"


# What a page's record depends on, as one hashable key: a post root at a version, an aggregate's
# value at a path with its digest, or a template with the digest of its source.
Dependency = tuple[str, str, str, str]


def _dependencies(record: PageRecord) -> Iterator[Dependency]:
    for name, digest in record.templates:
        yield ("template", name, "", digest)
    for reads in record.reads:
        if reads.version:
            yield ("version", reads.root, "", reads.version)
        else:
            for path, digest in reads.values:
                yield ("value", reads.root, path, digest)


class RecordIndex:
    """Page records by what they depend on, kept up to date across builds (``serve`` keeps one
    for its whole life), so that the pages an edit may affect are found from the few things that
    changed rather than by going through every page's record."""

    def __init__(self) -> None:
        self._records: dict[str, PageRecord] = {}
        self._pages: dict[Dependency, set[str]] = {}

    def __len__(self) -> int:
        return len(self._records)

    def update(self, records: Mapping[str, PageRecord]) -> None:
        for path in [path for path in self._records if path not in records]:
            self._drop(path)
        for path, record in records.items():
            if self._records.get(path) is not record:
                self._drop(path)
                self._records[path] = record
                for dependency in _dependencies(record):
                    self._pages.setdefault(dependency, set()).add(path)

    def _drop(self, path: str) -> None:
        record = self._records.pop(path, None)
        if record is not None:
            for dependency in _dependencies(record):
                pages = self._pages.get(dependency)
                if pages is not None:
                    pages.discard(path)
                    if not pages:
                        del self._pages[dependency]

    def suspects(self, snapshot: SiteSnapshot,
                 template_digest: Callable[[str], str | None]) -> set[str]:
        """The pages whose record read something that may have changed: a post whose version
        moved, an aggregate value that differs, a template whose source differs. Every other
        page is current, provided it is rendered with the same arguments as before: the caller
        knows that when the site's structure (paths, metadata, config) is unchanged, and so skips
        encoding the arguments of a thousand pages to compare them."""
        found: set[str] = set()
        for (kind, root, path, digest), pages in self._pages.items():
            if kind == "version":
                changed = snapshot.versions.get(root) != digest
            elif kind == "value":
                changed = snapshot.value_digest(root, path) != digest
            else:
                changed = template_digest(root) != digest
            if changed:
                found |= pages
        return found


_PLAIN_TYPES = frozenset({str, int, float, bool, type(None)})  # encoded as their repr, at once


class SiteSnapshot:
    """The current site, addressable by (root, attribute path), with memoised value digests."""

    def __init__(self, site: Site, versions: Mapping[str, str]):
        self.versions = versions
        self.roots: dict[str, object] = {SITE_ROOT: site}
        self.places: dict[int, Place] = {id(site): (SITE_ROOT, "")}
        for post in (*site.posts, *site.pages):
            root = post_root(post)
            self.roots[root] = post
            for record, prefix in ((post, ""), (post.meta, "meta."), (post.rendered, "rendered."),
                                   (post.source, "source.")):
                self.places[id(record)] = (root, prefix)
        for tag in site.tags:
            root = f"tag:{tag.slug}"
            self.roots[root] = tag
            self.places[id(tag)] = (root, "")
        self._values: dict[tuple[str, str], str] = {}
        self._shared_reads: dict[tuple[str, frozenset[str]], RootReads] = {}

    def encode(self, value: object) -> str:
        """A canonical text of ``value`` in which the site's records appear by their place, so a
        list of posts compares by which posts it holds, not by everything in them."""
        place = self.places.get(id(value))
        if place is not None:
            return f"@{place[0]}:{place[1]}"
        kind = type(value)
        if kind in _PLAIN_TYPES:
            return repr(value)
        if kind is tuple or kind is list:
            return "(" + ",".join(map(self.encode, value)) + ")"
        if kind is dict or isinstance(value, Mapping):
            return "{" + ",".join(f"{self.encode(k)}:{self.encode(v)}"
                                  for k, v in value.items()) + "}"
        return repr(value)

    def value_digest(self, root: str, path: str) -> str | None:
        """Digest of the value at ``path`` below ``root`` now; None when it no longer exists."""
        key = (root, path)
        known = self._values.get(key)
        if known is not None:
            return known
        value = self.roots.get(root)
        if value is None:
            return None
        try:
            for name in filter(None, path.split(".")):
                value = getattr(value, name)
        except AttributeError:
            return None
        digest = self._values[key] = (_digest(value, TEXT) if type(value) is str
                                      else _digest(self.encode(value), ENCODED))
        return digest

    def arguments_text(self, template: str, url: str, arguments: Mapping[str, object],
                       config: str) -> str:
        """What a page is rendered with; short (records appear by their place), so kept as is."""
        return "\n".join((template, url, self.encode(dict(sorted(arguments.items()))), config))

    def is_current(self, record: PageRecord, arguments: str,
                   template_digest: Callable[[str], str | None]) -> bool:
        if record.arguments != arguments:
            return False
        if any(template_digest(name) != digest for name, digest in record.templates):
            return False
        for reads in record.reads:
            if reads.version and self.versions.get(reads.root) == reads.version:
                continue
            if any(self.value_digest(reads.root, path) != digest for path, digest in reads.values):
                return False
        return True

    def record(self, reads: Mapping[str, frozenset[str]], templates: Iterable[str],
               template_digest: Callable[[str], str | None], arguments: str,
               output: str) -> PageRecord:
        return PageRecord(
            templates=tuple(sorted((name, template_digest(name) or "") for name in templates)),
            arguments=arguments,
            reads=tuple(self.root_reads(root, reads[root]) for root in sorted(reads)),
            output=output)

    def reuse(self, record: PageRecord) -> None:
        """Offer the reads of a page's last record to its new one: below a post still at the
        version it had, the same paths have the same values, so their digests need not be made
        again. A page that reads every post (the search index, every post's text) is rendered
        again for one edited post; digesting the 999 others' values cost more than rendering."""
        for reads in record.reads:
            if reads.version and self.versions.get(reads.root) == reads.version:
                key = (reads.root, frozenset(path for path, _ in reads.values))
                self._shared_reads.setdefault(key, reads)

    def root_reads(self, root: str, paths: frozenset[str]) -> RootReads:
        """What reading ``paths`` below ``root`` depends on; one record shared by every page that
        reads the same (the index page and the tag pages that list a post read the same of it)."""
        key = (root, paths)
        found = self._shared_reads.get(key)
        if found is None:
            found = self._shared_reads[key] = RootReads(
                root, self.versions.get(root, ""),
                tuple((path, self.value_digest(root, path) or "") for path in sorted(paths)))
        return found
