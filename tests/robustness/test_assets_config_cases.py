"""Assets and configuration: a missing image is a warning (an error with --strict), links out of
the site are never followed, a huge asset is streamed, a bad config names `site.toml:LINE` with a
suggestion, and output folders that would destroy an author's files are refused."""
from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator.errors import ConfigError, OutputError
from generator.permalinks import PATTERN_HINT

from ..conftest import REPO, write
from .conftest import HANG_GUARD, add_post, build_failure, build_site, raised, run_cli, warnings_of


# ------------------------------------------------------------------------------------- assets

def test_missing_image_is_a_warning_with_its_line(site):
    add_post(site, "p.md", "Text.\n\n![plot](./missing.png)\n")
    result = build_site(site)
    assert warnings_of(result) == [
        "content/posts/p.md:7: warning[asset]: `/2024/01/p/missing.png` is not a file of this site\n"
        "  hint: copy it into the site's static folder (or beside the post) under that path, or "
        "fix the path"]


def test_missing_image_fails_a_strict_build(site):
    add_post(site, "p.md", "Text.\n\n![plot](./missing.png)\n")
    [error] = build_failure(site, strict=True).errors
    assert str(error).split("\n")[0] == (
        "content/posts/p.md:7: `/2024/01/p/missing.png` is not a file of this site (warning "
        "promoted by --strict)")
    result = run_cli("--root", str(site), "--strict")
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "build failed: 1 error(s); the previous site was left as it was")
    assert not (site / "public").exists()


def test_image_beside_the_post_is_published(site):
    add_post(site, "p.md", "![plot](./plot.png)\n")
    write(site / "content" / "posts" / "plot.png", "PNG")
    result = build_site(site)
    assert warnings_of(result) == []
    assert (result.output / "2024" / "01" / "p" / "plot.png").read_text() == "PNG"


@pytest.fixture
def outside(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("outside")
    write(folder / "secret.md", "---\ntitle: Secret\ndate: 2024-01-01\n---\nTOP-SECRET-TEXT\n")
    write(folder / "secret.txt", "TOP-SECRET-TEXT")
    return folder


def published_text(out: Path) -> str:
    return "".join(p.read_text(errors="replace") for p in out.rglob("*") if p.is_file())


@pytest.mark.parametrize("link, target", [
    ("content/posts/linked.md", "secret.md"),
    ("content/static/leak.txt", "secret.txt"),
    ("content/posts/folder", "."),
    ("content/static/folder", "."),
])
def test_symlink_leading_out_of_the_site_is_not_followed(site, outside, link, target):
    add_post(site, "p.md")
    (site / link).parent.mkdir(parents=True, exist_ok=True)
    (site / link).symlink_to(outside / target)
    result = build_site(site)
    assert warnings_of(result) == [
        f"{link}: warning[discover]: symbolic link leads outside the site: not followed\n"
        "  hint: copy the files into the site instead" if target == "." else
        f"{link}: warning[discover]: symbolic link leads outside the site: not followed\n"
        "  hint: copy the file into the site instead"]
    assert result.posts == 1
    assert "TOP-SECRET-TEXT" not in published_text(result.output)


def test_symlink_inside_the_site_is_followed(site):
    add_post(site, "p.md", "![d](/shared.txt)\n")
    write(site / "content" / "static" / "real.txt", "shared")
    (site / "content" / "static" / "shared.txt").symlink_to(site / "content" / "static" / "real.txt")
    result = build_site(site)
    assert warnings_of(result) == []
    assert (result.output / "shared.txt").read_text() == "shared"


def _shared_memory_with(free: int) -> Path | None:
    shm = Path("/dev/shm")
    if not shm.is_dir() or shutil.disk_usage(shm).free < free:
        return None
    return shm


def test_a_2_gb_asset_is_streamed_not_read_into_memory(tmp_path):
    size = 2 * 2**30
    memory = 768 * 2**20  # the build's whole address space: well under the asset's size
    shm = _shared_memory_with(2 * size)
    root = Path(os.path.realpath(shm)) / f"stride-robustness-{os.getpid()}" if shm else tmp_path
    try:
        add_post(root, "p.md", "[data](/big.bin)\n")
        big = root / "content" / "static" / "big.bin"
        big.parent.mkdir(parents=True)
        with open(big, "wb") as handle:  # sparse: costs no memory or disk until copied
            handle.truncate(size)
            handle.seek(size // 2)
            handle.write(b"middle")

        def limit():
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

        command = [sys.executable, str(REPO / "build.py"), "--root", str(root), "-j", "1"]
        result = subprocess.run(command, capture_output=True, text=True, timeout=HANG_GUARD * 3,
                                preexec_fn=limit, env={**os.environ, "CI": "1"})
        assert result.returncode == 0, result.stderr
        copy = root / "public" / "big.bin"
        assert copy.stat().st_size == size
        with open(copy, "rb") as handle:
            handle.seek(size // 2)
            assert handle.read(6) == b"middle"
        again = subprocess.run(command, capture_output=True, text=True, timeout=HANG_GUARD,
                               preexec_fn=limit, env={**os.environ, "CI": "1"})
        assert again.returncode == 0 and "nothing changed" in again.stdout, again.stdout
    finally:
        if shm:
            shutil.rmtree(root, ignore_errors=True)


# ------------------------------------------------------------------------------------- config

def config_error(site, text: str, name: str = "site.toml") -> ConfigError:
    write(site / name, text)
    add_post(site, "p.md")
    return raised(site, ConfigError)


@pytest.mark.parametrize("text, location, message, hint", [
    ('title = "T"\n\ntitel = "U"\n', "site.toml:3", "unknown setting `titel`",
     "did you mean `title`?"),
    ('posts_per_page = "ten"\n', "site.toml:1", "`posts_per_page` must be a whole number, not 'ten'",
     "for example: posts_per_page = 10"),
    ('title = "T"\nposts_per_page = true\n', "site.toml:2",
     "`posts_per_page` must be a whole number, not true", "for example: posts_per_page = 10"),
    ('execute = "no"\n', "site.toml:1", "`execute` must be true or false, not 'no'",
     "for example: execute = true"),
    ("title = 3\n", "site.toml:1", "`title` must be text in quotes, not 3",
     "for example: title = 'A Stride blog'"),
    ('menu = "about"\n', "site.toml:1", "`menu` must be a list of page slugs, not 'about'",
     'menu = ["about", "notes"]'),
    ('title = "T"\n\n[plugins.maths]\nx = 1\n', "site.toml:3", "unknown plugin `maths`",
     "did you mean `math`?"),
    ('[plugins.math]\nmacross = {}\n', "site.toml:2", "unknown option `macross` of plugin `math`",
     "did you mean `macros`?"),
    ('base_url = "ftp://example.com/"\n', "site.toml:1",
     "`base_url` must be an absolute http(s) URL, not 'ftp://example.com/'",
     'base_url = "https://someone.github.io/blog/"'),
    ('permalink = "/{year}/{titl}/"\n', "site.toml:1", "unknown permalink field {titl}",
     PATTERN_HINT),
    ('title = "T"\nmenu = [1\n', "site.toml:2",
     "invalid TOML: Unclosed array (at end of document)",
     "fix the syntax; strings need quotes, tables look like [plugins.math]"),
])
def test_config_mistakes_name_the_line_and_suggest_a_fix(site, text, location, message, hint):
    error = config_error(site, text)
    assert (str(error.location), error.message, error.hint) == (location, message, hint)


@pytest.mark.parametrize("text, location, message", [
    ("title: T\ntitel: U\n", "site.yaml:2", "unknown setting `titel`"),
    ("title: T\nmenu: [about\n", "site.yaml:2:7",
     "invalid YAML: expected ',' or ']', but got '<stream end>'"),
    ("- a\n- b\n", "site.yaml:1", "the configuration must be a table of settings, not list"),
])
def test_yaml_config_mistakes(site, text, location, message):
    error = config_error(site, text, "site.yaml")
    assert (str(error.location), error.message) == (location, message)


def test_two_config_files(site):
    write(site / "site.yaml", "title: T\n")
    error = config_error(site, 'title = "T"\n')
    assert (str(error.location), error.message) == ("site.yaml", "both site.toml and site.yaml exist")


def test_config_error_through_the_cli(site):
    write(site / "site.toml", 'title = "T"\n\ntitel = "U"\n')
    add_post(site, "p.md")
    result = run_cli("--root", str(site))
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == "error: site.toml:3: unknown setting `titel`\n  hint: did you mean `title`?\n"


def test_invalid_plugin_option_value_names_its_line(site):
    error = config_error(site, 'title = "T"\n\n[plugins.run]\ntimeout = -1\n')
    assert str(error.location) == "site.toml:4"


# ------------------------------------------------------------------------------ output folder

REFUSED = "hint: pass --out with a dedicated folder such as ./public"


@pytest.mark.parametrize("out, why", [
    ("content", "the content folder (or a folder around or inside it)"),
    ("content/posts", "the content folder (or a folder around or inside it)"),
    pytest.param(".", "the site folder or one of its parents"),
    pytest.param("..", "the site folder or one of its parents"),
])
def test_output_folder_that_holds_the_sources_is_refused(site, out, why):
    add_post(site, "p.md")
    before = sorted(p.relative_to(site) for p in site.rglob("*"))
    target = (site / out).resolve()
    result = run_cli("--root", str(site), "--out", str(site / out))
    assert result.returncode == 1
    assert result.stderr == f"error: {target}: refusing to build into {target}: it is {why}\n  {REFUSED}\n"
    assert sorted(p.relative_to(site) for p in site.rglob("*")) == before


def test_home_folder_is_refused(site, tmp_path_factory):
    home = tmp_path_factory.mktemp("home")  # HOME points here: nothing real is ever at risk
    write(home / "notes.txt", "mine")
    add_post(site, "p.md")
    result = run_cli("--root", str(site), "--out", str(home),
                     env={**os.environ, "CI": "1", "HOME": str(home)})
    assert result.returncode == 1
    assert result.stderr.startswith(f"error: {home}: refusing to build into {home}: it is your home "
                                    "folder\n")
    assert sorted(p.name for p in home.iterdir()) == ["notes.txt"]


def test_filesystem_root_is_refused(site):
    add_post(site, "p.md")
    with pytest.raises(OutputError) as caught:
        build_site(site, out=Path("/"))
    assert caught.value.message == "refusing to build into /: it is the filesystem root"


def test_folder_holding_a_git_repository_is_refused(site):
    add_post(site, "p.md")
    (site / "deploy" / ".git").mkdir(parents=True)
    error = raised(site, OutputError, out=site / "deploy")
    assert error.message.endswith("it is a folder holding a git repository")
    assert sorted(p.name for p in (site / "deploy").iterdir()) == [".git"]


def test_folder_holding_files_stride_did_not_write_is_refused(site):
    add_post(site, "p.md")
    write(site / "deploy" / "notes.txt", "precious")
    error = raised(site, OutputError, out=site / "deploy")
    assert error.message == f"{(site / 'deploy').resolve()} already holds files that Stride did not write"
    assert (site / "deploy" / "notes.txt").read_text() == "precious"


def test_output_that_is_a_file_is_refused(site):
    add_post(site, "p.md")
    write(site / "deploy", "a file")
    error = raised(site, OutputError, out=site / "deploy")
    assert error.message == f"{(site / 'deploy').resolve()} exists and is not a folder"


# ------------------------------------------------------------------------- includes (compat)

@pytest.mark.parametrize("tag, shown", [
    ("{% include ../../../../etc/passwd %}", "the include `../../../../etc/passwd` is outside _includes/"),
    ("{% include /etc/passwd %}", "the include `/etc/passwd` is outside _includes/"),
    ("{% include leak.html %}", "the include `leak.html` is outside _includes/"),
    ("{% include_relative leak.txt %}", "the include `leak.txt` is outside {site}/"),
])
def test_includes_never_read_outside_the_site(site, outside, tag, shown):
    (site / "_includes").mkdir()
    (site / "_includes" / "leak.html").symlink_to(outside / "secret.txt")
    (site / "content" / "posts" / "leak.txt").symlink_to(outside / "secret.txt")
    add_post(site, "p.md", f"Text.\n\n{tag}\n")
    result = build_site(site)
    messages = [d.message for d in result.diagnostics if d.location.path == "content/posts/p.md"]
    assert shown.format(site=site.name) in messages[0] and [d.location.line for d in result.diagnostics
                                      if d.location.path == "content/posts/p.md"] == [7]
    assert "TOP-SECRET-TEXT" not in published_text(result.output)
    assert "root:" not in published_text(result.output)
