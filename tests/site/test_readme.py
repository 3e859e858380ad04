"""The README is the user's manual: it must document every setting and the Quick start exactly."""
import dataclasses
import re

from generator.config import SiteConfig

from ..conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented():
    for field in dataclasses.fields(SiteConfig):
        if field.name != "source":
            assert re.search(rf"^\| `{field.name}` \|", README, re.M), field.name


def test_quick_start_and_ci_run_the_same_test_command():
    command = "python -m pip install -r requirements-dev.txt && python -m pytest"
    assert command in README
    assert command in (REPO / ".ci" / "run").read_text()
    assert "python -m pip install -r requirements.txt && python build.py" in README
