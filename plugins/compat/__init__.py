"""Bring an existing blog: Jekyll (Liquid, kramdown), Hugo, Gatsby and Pandoc/Quarto posts build
unchanged.

One plugin, ``compat_plugin``, with a switch per dialect, because a migrated site mixes them
(a Jekyll blog's posts use Liquid *and* kramdown; a site moved from Jekyll to Hugo keeps old
posts of both) and the dialects never claim each other's syntax. Each dialect is also its own
plugin (``liquid_plugin``, ``hugo_plugin``, ``kramdown_plugin``, ``fenced_divs_plugin``) for a
markdown-it instance that wants only one.

Order of work on a post: Liquid (a source pass right after "normalize"), Hugo shortcodes (a
source pass after it), then markdown-it's block and inline parsing with the kramdown rules and
Pandoc's fenced divs (which hold Quarto's callouts), then one core rule that resolves
site-relative URLs (``/assets/x.png``) against the base path and reports missing files.
Gatsby/remark posts need no rules of their own here: their TeX escaping is the math plugin's,
``path:`` is the frontmatter's and images beside the post are post assets.
"""
from __future__ import annotations

from markdown_it import MarkdownIt

from .cells import quarto_cells_plugin
from .citations import citations_plugin
from .crossrefs import crossrefs_plugin
from .divs import fenced_divs_plugin
from .gridtables import grid_tables_plugin
from .hugo import hugo_plugin
from .kramdown import kramdown_plugin
from .liquid import liquid_plugin
from .report import DiagnosticSummary, find_leaks, summarize_diagnostics
from .urls import site_urls_plugin

__all__ = ["compat_plugin", "liquid_plugin", "kramdown_plugin", "hugo_plugin", "crossrefs_plugin",
           "quarto_cells_plugin", "citations_plugin", "grid_tables_plugin",
           "fenced_divs_plugin", "site_urls_plugin", "summarize_diagnostics", "DiagnosticSummary",
           "find_leaks"]


def compat_plugin(md: MarkdownIt, *, jekyll: bool = True, kramdown: bool = True,
                  hugo: bool = True, quarto: bool = True, pandoc: bool = True,
                  site_urls: bool = True, includes_dir: str | None = None,
                  passthrough_tags: tuple[str, ...] = ("tikz",),
                  bibliography: str | tuple[str, ...] = (),
                  citation_style: str = "author-date") -> None:
    """Jekyll, kramdown, Hugo, Quarto and Pandoc syntax in posts, each dialect switchable.

    :param jekyll: evaluate Liquid (``{{ site.baseurl }}``, ``{% post_url %}``,
        ``{% highlight %}``, ``{% include %}``...).
    :param kramdown: attribute lists, ``{:toc}``, abbreviations, ``{::options /}``.
    :param hugo: shortcodes (``figure``, ``highlight``, ``ref``, ``relref``, ``param``).
    :param quarto: Quarto's cross-references to figures and sections (``@fig-x``, ``@sec-x``),
        and its labelled figures, numbered; cells in languages other than Python (``{r}``,
        ``{julia}``...) shown as code, ``{=html}`` raw blocks and ``{.lang}`` fences; Pandoc's
        ``[@key]`` citations, from the post's ``bibliography:`` or the site's (see
        ``citations``); as keys when there is none.
    :param pandoc: Pandoc's fenced divs (``::: {#id .class key="value"}`` ... ``:::``) and
        Quarto's callouts (``::: {.callout-note}``, with ``title``, a heading or ``collapse``);
        grid tables, ``H~2~O`` and ``2^10^``.
    :param site_urls: resolve ``/assets/...`` links and images against the site's base path
        and warn about files the site does not have.
    :param includes_dir: Jekyll's ``_includes`` folder, relative to the site folder (default:
        ``_includes/`` in the site folder or a folder above the post).
    :param passthrough_tags: Liquid tags left as written for another plugin (``tikz``).
    :param bibliography: the site's BibTeX file(s), relative to the site folder, for citations
        in posts whose frontmatter names no ``bibliography:`` (jekyll-scholar's
        ``_bibliography/references.bib``, a Quarto project's ``refs.bib``).
    :param citation_style: ``author-date`` ("(Smith 2020)") or ``numeric`` ("[1]"); a post's
        ``citation-style:`` or ``csl:`` chooses for itself.
    """
    if jekyll:
        md.use(liquid_plugin, includes_dir=includes_dir, passthrough_tags=tuple(passthrough_tags))
    if hugo:
        md.use(hugo_plugin)
    if kramdown:
        md.use(kramdown_plugin)
    if quarto:
        md.use(crossrefs_plugin)
        md.use(quarto_cells_plugin)
    if quarto or jekyll:  # Pandoc's [@key], and jekyll-scholar's tags, which Liquid turns into it
        md.use(citations_plugin, bibliography=bibliography, citation_style=citation_style)
    if pandoc:
        md.use(fenced_divs_plugin)
        md.use(grid_tables_plugin)
    if site_urls:
        md.use(site_urls_plugin)

