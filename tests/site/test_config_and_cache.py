import os
from pathlib import Path

import pytest

from generator.cache import Cache, ShardedCache, content_key, prune_unused
from generator.config import SiteConfig, load_config
from generator.errors import ConfigError

from ..conftest import write

OPTIONS = {"math": frozenset({"macros"})}


def config_error(root: Path, text: str, name: str = "site.toml") -> ConfigError:
    write(root / name, text)
    with pytest.raises(ConfigError) as caught:
        load_config(root, plugin_options=OPTIONS)
    return caught.value


def test_defaults_without_a_config(tmp_path):
    assert load_config(tmp_path) == SiteConfig()


def test_toml_and_yaml_configs(tmp_path):
    write(tmp_path / "site.toml", 'title = "T"\nbase_url = "https://a.github.io/blog/"\n'
                                  '[plugins.math.macros]\nR = "\\\\mathbb{R}"\n')
    config = load_config(tmp_path, plugin_options=OPTIONS)
    assert config.title == "T" and config.base_path == "/blog/"
    assert config.plugins["math"]["macros"] == {"R": "\\mathbb{R}"}
    (tmp_path / "site.toml").unlink()
    write(tmp_path / "site.yaml", "title: Y\nposts_per_page: 3\n")
    assert load_config(tmp_path).posts_per_page == 3


def test_unknown_key_suggests_the_right_one(tmp_path):
    error = config_error(tmp_path, 'title = "T"\n\nbase_ulr = "https://x.org/"\n')
    assert str(error.location) == "site.toml:3"
    assert "did you mean `base_url`" in error.hint


def test_wrong_type_quotes_the_value(tmp_path):
    error = config_error(tmp_path, 'posts_per_page = "ten"\n')
    assert error.location.line == 1 and "'ten'" in error.message


def test_unknown_plugin_option(tmp_path):
    error = config_error(tmp_path, '[plugins.math]\nmacross = {}\n')
    assert "macross" in error.message and "macros" in error.hint and error.location.line == 2


def test_invalid_toml_syntax_has_a_line(tmp_path):
    assert config_error(tmp_path, 'title = "T"\nauthor = \n').location.line == 2


def test_bad_permalink_and_base_url(tmp_path):
    assert "permalink" in config_error(tmp_path, 'permalink = "/{yr}/{slug}/"\n').message
    assert "base_url" in config_error(tmp_path, 'base_url = "example.org"\n').message


def test_cache_round_trip_and_versioning(tmp_path):
    cache = Cache(tmp_path, "math", "1")
    key = content_key("x^2", "inline")
    assert cache.get(key) is None
    cache.put(key, b"<math/>")
    assert Cache(tmp_path, "math", "1").get(key) == b"<math/>"
    assert Cache(tmp_path, "math", "2").get(key) is None  # a new version abandons old entries
    assert Cache(tmp_path, "math", "1", read=False).get(key) is None  # --refresh


def test_content_key_is_unambiguous():
    assert content_key("ab", "c") != content_key("a", "bc")


def test_prune_keeps_only_used_entries(tmp_path):
    cache = Cache(tmp_path, "conv", "1")
    cache.put("aa11", b"kept")
    cache.put("bb22", b"dropped")
    Cache(tmp_path, "conv", "0").put("cc33", b"old version")
    prune_unused(tmp_path, {cache.folder_name: {"aa11"}})
    assert cache.get("aa11") == b"kept" and cache.get("bb22") is None
    assert not (tmp_path / "conv" / "v1-0").exists()


def test_put_is_atomic_no_temp_files_left(tmp_path):
    cache = Cache(tmp_path, "x", "1")
    cache.put("ab" * 8, b"data")
    leftovers = [p for p in (tmp_path / "x").rglob("*") if p.name.startswith(".tmp-")]
    assert leftovers == [] and os.listdir(cache.path_for("ab" * 8).parent) == ["ab" * 8]


def test_prune_leaves_folders_outside_the_cache_layout(tmp_path):
    font_cache = tmp_path / "run-matplotlib" / "fontlist.json"
    font_cache.parent.mkdir()
    font_cache.write_text("{}")
    Cache(tmp_path, "run", "1").put("aa11", b"x")
    prune_unused(tmp_path, {})
    assert font_cache.exists() and not (tmp_path / "run" / "v1-1").exists()


def test_sharded_cache_round_trip_prune_and_corruption(tmp_path):
    cache = ShardedCache(tmp_path, "pages", "1")
    keys = [content_key(str(n)) for n in range(40)]
    for key in keys:
        cache.put(key, key.encode())
    cache.flush()
    reopened = ShardedCache(tmp_path, "pages", "1")
    assert all(reopened.get(key) == key.encode() for key in keys)
    assert ShardedCache(tmp_path, "pages", "1", read=False).get(keys[0]) is None
    assert ShardedCache(tmp_path, "pages", "2").get(keys[0]) is None
    reopened.prune(set(keys[:5]))
    pruned = ShardedCache(tmp_path, "pages", "1")
    assert [key for key in keys if pruned.get(key) is not None] == keys[:5]
    shard = next((tmp_path / "pages" / "v1-1").glob("shard-*.pickle"))
    shard.write_bytes(b"not a pickle")
    assert all(ShardedCache(tmp_path, "pages", "1").get(key) is None
               for key in keys if f"shard-{ShardedCache.shard_name(key)}" == shard.stem)
    assert not list((tmp_path / "pages" / "v1-1").glob(".tmp-*"))


def test_prune_of_a_sharded_cache_drops_other_versions(tmp_path):
    old = ShardedCache(tmp_path, "pages", "old")
    old.put("ab", b"x")
    old.flush()
    ShardedCache(tmp_path, "pages", "new").prune(set())
    assert [p.name for p in (tmp_path / "pages").iterdir()] == ["v1-new"]
