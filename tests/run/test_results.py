"""Cache records: they survive the round trip, and damaged entries are recognised."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from plugins.run.results import Animation, BlockOutput, Failure, Figure, relocate

texts = st.text(st.characters(blacklist_categories=("Cs",)))
outputs = st.builds(
    BlockOutput, stdout=texts, stderr=texts, value=st.none() | texts,
    error=st.none() | st.builds(Failure, summary=texts, traceback=texts,
                                block=st.none() | st.integers(0, 50),
                                line=st.none() | st.integers(1, 500)),
    figures=st.lists(st.builds(Figure, data=st.binary(), format=st.sampled_from(["svg", "png"])),
                     max_size=3).map(tuple),
    animation=st.none() | st.builds(Animation, gif=st.binary(), poster=st.binary()))


@given(outputs)
def test_a_record_survives_the_cache_encoding(output):
    assert BlockOutput.from_bytes(output.to_bytes()) == output


@given(st.binary())
def test_damaged_bytes_are_not_a_record(data):
    decoded = BlockOutput.from_bytes(data)
    assert decoded is None or isinstance(decoded, BlockOutput)


def test_block_references_become_the_posts_lines():
    text = ('  File "<stride-run-1>", line 3, in <module>\n'
            "<stride-run-0>:2: UserWarning: careful\n"
            '  File "<stride-run-7>", line 1\n')
    assert relocate(text, "content/posts/p/index.md", [10, 20]) == (
        '  File "content/posts/p/index.md", line 22, in <module>\n'
        "content/posts/p/index.md:11: UserWarning: careful\n"
        '  File "<stride-run-7>", line 1\n')
