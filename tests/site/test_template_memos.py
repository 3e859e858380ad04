"""What templating remembers between pages must never change what a page shows."""
import datetime as dt

from generator.config import SiteConfig
from generator.incremental import ENCODED, TEXT, _digest
from generator.templates import make_environment


def test_one_instant_in_two_time_zones_is_shown_in_each(tmp_path):
    environment = make_environment(tmp_path, SiteConfig(date_format="%Y-%m-%d %H:%M"))
    noon = dt.datetime(2024, 1, 1, 12, tzinfo=dt.timezone.utc)
    one_in_paris = noon.astimezone(dt.timezone(dt.timedelta(hours=1)))
    assert noon == one_in_paris
    page = environment.from_string("{{ a | date }}, {{ b | date }}, {{ a | date }}, {{ b | iso }}")
    assert page.render(a=noon, b=one_in_paris) == \
        "2024-01-01 12:00, 2024-01-01 13:00, 2024-01-01 12:00, 2024-01-01T12:00:00Z"


def test_a_text_and_a_value_that_prints_as_it_never_share_a_digest():
    assert _digest("None", TEXT) != _digest(repr(None), ENCODED)
    assert _digest("a", TEXT) == _digest("a", TEXT)
