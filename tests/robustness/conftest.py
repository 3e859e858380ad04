"""Shared helpers of the robustness catalogue: temporary sites on real disk, built by the real
pipeline (``generator.build.build``) or by the CLI in a subprocess, and checks on what a page may
never contain."""
from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import html5lib
import pytest

from generator.build import BuildOptions, BuildResult, build
from generator.errors import BuildFailed, StrideError

from ..conftest import REPO, write

HANG_GUARD = 120  # seconds: a subprocess still running by then has hung (never a speed check)

FRONT = "---\ntitle: {title}\ndate: {date}\n---\n"


def add_post(site: Path, name: str, body: str = "Hello.", *, title: str = "T",
             date: str = "2024-01-01", front: str | None = None) -> Path:
    """``content/posts/NAME`` with a YAML frontmatter (4 lines, so the body starts at line 5)."""
    head = FRONT.format(title=title, date=date) if front is None else front
    return write(site / "content" / "posts" / name, head + body)


def build_site(site: Path, **options) -> BuildResult:
    options.setdefault("jobs", 1)
    return build(BuildOptions(root=site, **options))


def build_failure(site: Path, **options) -> BuildFailed:
    options.setdefault("jobs", 1)
    with pytest.raises(BuildFailed) as caught:
        build(BuildOptions(root=site, **options))
    return caught.value


def only_error(site: Path, **options) -> StrideError:
    """The one error a failing build reports."""
    errors = build_failure(site, **options).errors
    assert len(errors) == 1, [str(e) for e in errors]
    return errors[0]


def raised(site: Path, kind: type[StrideError] = StrideError, **options) -> StrideError:
    """A Stride error raised before the render phase (outside ``BuildFailed``)."""
    options.setdefault("jobs", 1)
    with pytest.raises(kind) as caught:
        build(BuildOptions(root=site, **options))
    assert not isinstance(caught.value, BuildFailed)
    return caught.value


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (hidden ones too) -> sha256 of its bytes."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def leftovers(site: Path) -> list[str]:
    """Temporary files or folders of the writer anywhere in the site."""
    return sorted(p.relative_to(site).as_posix() for p in site.rglob(".stride-tmp-*")) + \
        sorted(p.relative_to(site).as_posix() for p in site.rglob(".stride-old-*"))


def warnings_of(result: BuildResult, kind: str | None = None) -> list[str]:
    return [str(d) for d in result.diagnostics if kind is None or d.kind == kind]


# ------------------------------------------------------------------------- what may never ship

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "poster", "background",
                  "xlink:href", "{http://www.w3.org/1999/xlink}href", "cite", "srcset"}
FORBIDDEN_ELEMENTS = {"script", "iframe", "object", "embed", "frame", "frameset", "base", "form",
                      "applet"}
SAFE_DATA_URL = re.compile(r"data:image/(png|gif|jpe?g|webp)[;,]")


def parse_html(text: str, *, fragment: bool = False):
    """Parse with html5lib; fail on any parse error (the markup must be well formed)."""
    parser = html5lib.HTMLParser(strict=False, namespaceHTMLElements=False)
    tree = parser.parseFragment(text) if fragment else parser.parse(text)
    assert parser.errors == [], f"not well-formed: {parser.errors[:3]}\n{text[:2000]}"
    return tree


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1].lower()


def _the_search_pages_own(tag: str, element) -> bool:
    """The theme's search page has one script and one form of its own, exactly these: its
    deferred search.js, no inline code, and the form that asks it for ?q= (theme/templates/
    search.html). Anything else of the kind, on that page or another, is live code."""
    attributes = {_local(name): value for name, value in element.attrib.items()}
    if tag == "script":
        return set(attributes) == {"src", "defer"} and not (element.text or "").strip() \
            and attributes["src"].endswith("/static/js/search.js")
    return tag == "form" and attributes.get("role") == "search" \
        and attributes.get("class") == "search-form" \
        and attributes.get("action", "").endswith("/search/")


def live_code(tree) -> list[str]:
    """Everything in a parsed tree that could run code in a browser."""
    found = []
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        tag = _local(element.tag)
        if tag in FORBIDDEN_ELEMENTS and not _the_search_pages_own(tag, element):
            found.append(f"<{tag}>")
        if tag == "meta" and (element.get("http-equiv") or "").lower() == "refresh":
            found.append("<meta http-equiv=refresh>")
        for name, value in element.attrib.items():
            local = _local(name)
            if local.startswith("on") or local == "srcdoc":
                found.append(f"{tag} {local}=")
            if local in URL_ATTRIBUTES or name in URL_ATTRIBUTES:
                plain = re.sub(r"[\x00-\x20]", "", value).lower()
                if re.match(r"(javascript|vbscript|livescript):", plain) or (
                        plain.startswith("data:") and not SAFE_DATA_URL.match(plain)):
                    found.append(f"{tag} {local}={value[:40]}")
            if local == "style" and re.search(r"expression\s*\(|javascript:|url\s*\(", value, re.I):
                found.append(f"{tag} style={value[:40]}")
    return found


def assert_safe_page(path: Path) -> None:
    tree = parse_html(path.read_text(encoding="utf-8"))
    assert live_code(tree) == [], path


def post_body(page_html: str) -> str:
    """The author's part of a built post page (the theme's `post-body` div)."""
    match = re.search(r'<div class="post-body">(.*?)</div>\s*</article>', page_html, re.S)
    assert match, page_html[:500]
    return match.group(1)


# ------------------------------------------------------------------------- the CLI as a process

def cli(*args: str, stop_at: tuple[str, int] | None = None, **kwargs) -> subprocess.Popen:
    """``python build.py ARGS`` started in the background (its own process group). With
    ``stop_at=(MOMENT, COUNT)`` the build stops itself at that moment of its writer (see
    ``stopping_build.py``); ``stopped`` tells when it has."""
    script = [str(REPO / "build.py")] if stop_at is None else \
        [str(Path(__file__).with_name("stopping_build.py")), stop_at[0], str(stop_at[1])]
    return subprocess.Popen([sys.executable, *script, *args], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, env={**os.environ, "CI": "1"}, **kwargs)


def run_cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    kwargs.setdefault("env", {**os.environ, "CI": "1"})
    return subprocess.run([sys.executable, str(REPO / "build.py"), *args], cwd=REPO,
                          capture_output=True, text=True, timeout=HANG_GUARD, **kwargs)


def children(pid: int) -> list[int]:
    """Direct children of a process (from /proc)."""
    found = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:  # the process ended while we looked
        return found
    for task in tasks:
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def descendants(pid: int) -> list[int]:
    result, todo = [], [pid]
    while todo:
        for child in children(todo.pop()):
            result.append(child)
            todo.append(child)
    return result


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def process_state(pid: int) -> str | None:
    """The state letter of ``/proc/PID/stat`` (R, S, T, Z...); None once the process is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    return process_state(pid) not in (None, "Z")


def stopped(pid: int) -> bool:
    """True once ``pid`` is stopped by a signal (SIGSTOP)."""
    return process_state(pid) == "T"


def wait_until(condition, what: str, guard: float = HANG_GUARD, process=None):
    """Poll ``condition`` until it returns a true value; fail (never pass) after the hang guard
    or when ``process`` ended first, printing its output."""
    deadline = time.monotonic() + guard
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if process is not None and process.poll() is not None:
            try:
                out, err = process.communicate(timeout=10)
            except subprocess.TimeoutExpired:  # a process it started still holds the pipes
                out, err = "", "(its output is held open by a process it started)"
            command = " ".join([Path(process.args[1]).name, *process.args[2:]])
            pytest.fail(f"{command} ended (exit {process.returncode}) before {what}:\n{out}\n{err}")
        time.sleep(0.005)
    pytest.fail(f"hang guard: still waiting for {what} after {guard} s")


def kernel_processes(cli_pid: int) -> list[int]:
    """The run plugin's zygote and session processes started by a build process."""
    return [pid for pid in descendants(cli_pid) if "kernel.py" in command_line(pid)]


def end_processes(pids) -> None:
    """Test clean-up: SIGKILL processes this test started (by pid) that are still there."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
