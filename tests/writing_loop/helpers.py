"""Sites on real disk for the writing-loop tests: posts with tags and dates, snapshots of outputs."""
from __future__ import annotations

import hashlib
from pathlib import Path

POST = "---\ntitle: {title}\ndate: {date}\ntags: [{tags}]\n---\n\n{body}\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def add_post(site: Path, number: int, *, title: str | None = None, tags: str = "signals",
             body: str | None = None, day: int | None = None) -> Path:
    """Post ``number`` dated ``2024-01-(day or number)``; the default body has a first paragraph
    (the summary on index pages) and a second one that only the post's own page shows."""
    day = number if day is None else day
    text = POST.format(title=title or f"Post {number}", date=f"2024-01-{day:02d}", tags=tags,
                       body=body or f"Summary of post {number}.\n\nDetails of post {number}.")
    return write(site / "content" / "posts" / f"post-{number:02d}.md", text)


def make_site(site: Path, posts: int = 12) -> Path:
    """``posts`` posts, five per index page, tagged `signals` and every third one `math` too;
    with the search index, which reads every post."""
    write(site / "site.toml", 'title = "Loop"\nposts_per_page = 5\nsearch = true\n')
    for number in range(1, posts + 1):
        add_post(site, number, tags="signals, math" if number % 3 == 0 else "signals")
    write(site / "content" / "pages" / "about.md", "---\ntitle: About\n---\nAbout this blog.\n")
    return site


def snapshot(folder: Path) -> dict[str, str]:
    """Relative path -> digest of every file Stride published (its own manifest excluded)."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.startswith(".stride")}
