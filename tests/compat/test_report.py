"""The end-of-build summary: one line per kind of warning."""
from __future__ import annotations

from generator.errors import Diagnostic, SourceLocation
from plugins.compat import find_leaks, summarize_diagnostics


def test_groups_by_kind_most_frequent_first() -> None:
    cite = "the Liquid tag `{% cite %}` is not supported"
    diagnostics = [
        Diagnostic(SourceLocation("a.md", 3), cite, kind="liquid"),
        Diagnostic(SourceLocation("b.md", 9), "`/x.png` is not a file of this site", kind="asset"),
        Diagnostic(SourceLocation("b.md", 4), cite, kind="liquid"),
        Diagnostic(SourceLocation("b.md", 5), "the Liquid tag `{% gist %}` is not supported",
                   kind="liquid"),
    ]
    summaries = summarize_diagnostics(diagnostics, examples=5)
    assert [(s.kind, s.count, s.files) for s in summaries] == [("liquid", 3, 2), ("asset", 1, 1)]
    assert summaries[0].first == SourceLocation("a.md", 3)
    assert summaries[0].examples == (cite, "the Liquid tag `{% gist %}` is not supported")
    assert str(summaries[1]) == ("asset: 1 warning in 1 file (first at b.md:9): "
                                 "`/x.png` is not a file of this site")


def test_nothing_to_report() -> None:
    assert summarize_diagnostics([]) == ()


def test_a_pandoc_fence_left_in_the_text_is_a_leak_but_not_in_code_or_a_sentence() -> None:
    assert find_leaks("<p>::: {.callout-note}\nText\n:::</p>") == ("::: {.callout-note}", ":::")
    assert find_leaks("<pre><code>:::\n</code></pre><p>a ::: b</p>") == ()
