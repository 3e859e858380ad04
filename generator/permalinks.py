"""Post URL patterns: Stride's ``{field}`` patterns, and Jekyll's and Hugo's ``:token`` patterns
read as them, so that a blog moved to Stride keeps every post's URL.

A pattern is checked once (``pattern_problem``), where it is written, and filled per post
(``expand``). Jekyll's and Hugo's tokens become Stride fields (``from_jekyll``, ``from_hugo``); a
token with no Stride equivalent is refused where it is written, never dropped.
"""
from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Mapping

# Stride's fields and what each holds; ``site.url_fields`` computes them for a post.
FIELDS = {
    "year": "2024", "short_year": "24", "month": "03 (01-12)", "i_month": "3",
    "day": "05 (01-31)", "i_day": "5", "y_day": "065, the day of the year (001-366)",
    "yearday": "65, the day of the year", "month_name": "march", "weekday": "0-6, Sunday 0",
    "weekday_name": "sunday",
    "date": "the date through a strftime format: {date:%b} is Mar, {date:%V} the ISO week",
    "slug": "the post's slug: its slug:, else its file name without the date, slugified",
    "name": "its slug:, else its file name without the date, its case kept (Jekyll's :title)",
    "title": "its title, slugified (Hugo's :title)",
    "slug_or_title": "its slug:, else its title slugified (Hugo's :slug)",
    "filename": "its file name without the suffix, a bundle's folder name, date kept, lower case",
    "slug_or_filename": "its slug:, else {filename}",
    "category": "its first category, slugified (posts when it has none)",
    "categories": "all its categories, slugified, joined with / (nothing when it has none)",
    "section": "the first folder below content/ (posts), lower case",
    "sections": "the folders from content/ down to the post's (a bundle's own folder not "
                "included), lower case",
    "path": "its path below content/ without the suffix: posts/x, posts/my-post/index",
}
# A site-wide pattern holds one of these, so that two posts get two URLs (a pattern of dates
# alone would put every post of a day on one URL; plan_urls still refuses any such collision).
NAMING_FIELDS = ("slug", "name", "title", "slug_or_title", "filename", "slug_or_filename", "path")
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# Jekyll's placeholders (docs/_docs/permalinks.md, drops/url_drop.rb) as Stride's fields.
JEKYLL_TOKENS = {
    "year": "{year}", "short_year": "{short_year}", "month": "{month}", "i_month": "{i_month}",
    "short_month": "{date:%b}", "long_month": "{date:%B}", "day": "{day}", "i_day": "{i_day}",
    "y_day": "{y_day}", "w_year": "{date:%G}", "week": "{date:%V}", "w_day": "{date:%u}",
    "short_day": "{date:%a}", "long_day": "{date:%A}", "hour": "{date:%H}",
    "minute": "{date:%M}", "second": "{date:%S}", "title": "{name}", "slug": "{slug}",
    "categories": "{categories}", "output_ext": ".html",
}
JEKYLL_STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}
JEKYLL_DEFAULT_STYLE = "date"
# Hugo's tokens (resources/page/permalinks.go) as Stride's fields; Hugo writes URLs in lower case.
HUGO_TOKENS = {
    "year": "{year}", "month": "{month}", "monthname": "{month_name}", "day": "{day}",
    "weekday": "{weekday}", "weekdayname": "{weekday_name}", "yearday": "{yearday}",
    "section": "{section}", "sections": "{sections}", "title": "{title}",
    "slug": "{slug_or_title}", "filename": "{filename}", "contentbasename": "{filename}",
    "slugorfilename": "{slug_or_filename}", "slugorcontentbasename": "{slug_or_filename}",
}
# A Hugo page's URL when [permalinks] names none: its folders and its slug or file name.
HUGO_DEFAULT = "/{sections}/{slug_or_filename}/"
# A Quarto website publishes posts/x.qmd as /posts/x.html and posts/x/index.qmd as /posts/x/.
QUARTO_DEFAULT = "/{path}.html"
DATE_FORMAT = re.compile(r"^(%[aAbBdHjmMSuVGyYIpwWU%])+$")
FOREIGN_TOKEN = re.compile(r":(\w+)(\[[^\]]*\])?")


def pattern_problem(pattern: str, *, site_wide: bool) -> str | None:
    """What is wrong with a Stride pattern, or None. A site-wide pattern must name the post."""
    if not pattern.startswith("/"):
        return f"permalink {pattern!r} must start with /"
    try:
        parts = list(string.Formatter().parse(pattern))
    except ValueError as error:
        return f"permalink {pattern!r} is not a pattern: {error} (a literal brace is {{{{ or }}}})"
    named = False
    for _, field, spec, conversion in parts:
        if field is None:
            continue
        if field not in FIELDS:
            return f"unknown permalink field {{{field}}}"
        if conversion is not None or (field == "date") != bool(spec):
            return (f"permalink field {{{field}{'!' + conversion if conversion else ''}"
                    f"{':' + spec if spec else ''}}} takes no format" if field != "date" else
                    "permalink field {date} needs a date format, as in {date:%b}")
        if field == "date" and not DATE_FORMAT.match(spec):
            return f"permalink field {{date:{spec}}} is not a date format of %-codes"
        named = named or field in NAMING_FIELDS
    if site_wide and not named:
        return (f"permalink {pattern!r} has no field that names the post: every post of a "
                "day would have one URL")
    return None


PATTERN_HINT = ('permalink = "/{year}/{month}/{slug}/"; fields: '
                + " ".join("{%s}" % name for name in FIELDS))


def expand(pattern: str, values: Mapping[str, object]) -> str:
    """The URL path of a post: the pattern filled with its ``values``; a field that is empty
    leaves no empty folder (Jekyll's rule for ``:categories``)."""
    return re.sub(r"/{2,}", "/", pattern.format_map(values))


def date_fields(date: dt.datetime) -> dict[str, object]:
    day_of_year = date.timetuple().tm_yday
    return {"year": f"{date.year:04d}", "short_year": f"{date.year % 100:02d}",
            "month": f"{date.month:02d}", "i_month": str(date.month),
            "day": f"{date.day:02d}", "i_day": str(date.day), "y_day": f"{day_of_year:03d}",
            "yearday": str(day_of_year), "month_name": MONTHS[date.month - 1],
            "weekday": str((date.weekday() + 1) % 7), "weekday_name": WEEKDAYS[date.weekday()],
            "date": date}


class UnknownToken(ValueError):
    """A Jekyll or Hugo token Stride has no field for."""


def from_jekyll(text: str) -> str:
    """A Jekyll permalink (a built-in style's name, or a template of placeholders) as a Stride
    pattern. Raises ``UnknownToken`` for a placeholder Stride cannot fill."""
    template = JEKYLL_STYLES.get(text.strip(), text.strip())
    return _translate(template, JEKYLL_TOKENS, "Jekyll", lower=False)


def from_hugo(text: str) -> str:
    """A Hugo permalink pattern as a Stride pattern, in lower case as Hugo writes URLs."""
    pattern = _translate(text.strip(), HUGO_TOKENS, "Hugo", lower=True)
    return pattern if pattern.startswith("/") else "/" + pattern


def has_tokens(text: str) -> bool:
    """Whether a post's own ``permalink:`` is a Jekyll template rather than an exact URL."""
    return FOREIGN_TOKEN.search(text) is not None


def _translate(template: str, tokens: Mapping[str, str], tool: str, *, lower: bool) -> str:
    out: list[str] = []
    position = 0
    for match in FOREIGN_TOKEN.finditer(template):
        literal = template[position:match.start()]
        out.append(_literal(literal.lower() if lower else literal))
        if match.group(2) or match.group(1) not in tokens:
            raise UnknownToken(f"{tool}'s `{match.group()}` has no Stride equivalent; known: "
                               + " ".join(":" + name for name in tokens))
        out.append(tokens[match.group(1)])
        position = match.end()
    rest = template[position:]
    out.append(_literal(rest.lower() if lower else rest))
    return "".join(out)


def _literal(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")
