"""The reference renderer: real TeX (``latex`` + ``dvisvgm``), for full TikZ and for checking.

TeX runs in a fresh temporary folder with ``-no-shell-escape``, ``openin_any=p`` and
``openout_any=p`` (kpathsea's paranoid mode: no absolute paths, no ``..``, no dot files), a
timeout, and no standard input. The SVG it produces is not trusted either: it is parsed as XML
and rebuilt from an allowlist of elements and attributes (so a ``\\special`` cannot smuggle a
script in), its ids are prefixed so several figures can share a page, and black becomes
``currentColor`` so the figure follows a dark theme.
"""
from __future__ import annotations

import hashlib
import html
import os
import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from .model import TikzError

PREAMBLE = r"""\documentclass[tikz,border=0pt]{standalone}
\usepackage{xcolor}
\usetikzlibrary{matrix}
\makeatletter
\newcommand\stridereportanchor[2]{{\pgftransformreset\pgfpointanchor{#1}{#2}%
  \typeout{STRIDE-ANCHOR{#1}{#2}{\the\pgf@x}{\the\pgf@y}}}}
\makeatother
\begin{document}
"""
SVG_NAMESPACE = "http://www.w3.org/2000/svg"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
ALLOWED_ELEMENTS = {"svg", "g", "path", "use", "defs", "rect", "circle", "ellipse", "line",
                    "polyline", "polygon", "clipPath", "symbol"}
ALLOWED_ATTRIBUTES = {"id", "d", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry",
                      "width", "height", "viewBox", "transform", "points", "fill", "fill-rule",
                      "fill-opacity", "stroke", "stroke-width", "stroke-linecap",
                      "stroke-linejoin", "stroke-miterlimit", "stroke-dasharray",
                      "stroke-dashoffset", "stroke-opacity", "opacity", "clip-path",
                      "clip-rule", "clipPathUnits"}
_ANCHOR_REPORT = re.compile(r"STRIDE-ANCHOR\{(.*?)\}\{(.*?)\}\{(-?[\d.]+)pt\}\{(-?[\d.]+)pt\}")
_URL_REFERENCE = re.compile(r"url\(#([^)]*)\)")
_BLACK = {"#000", "#000000", "black"}
MAX_FILE_BYTES = 64 * 1024 * 1024


def available() -> bool:
    return shutil.which("latex") is not None and shutil.which("dvisvgm") is not None


def tool_versions() -> str:
    """The TeX and dvisvgm versions, folded into the cache key of TeX-rendered figures."""
    versions = []
    for tool in ("latex", "dvisvgm"):
        try:
            result = subprocess.run([tool, "--version"], capture_output=True, text=True, timeout=30,
                                    stdin=subprocess.DEVNULL, check=False)
        except (OSError, subprocess.TimeoutExpired):
            raise TikzError(f"cannot run {tool} --version", line=0,
                            hint="check the TeX installation, or set renderer = \"builtin\"") from None
        versions.append(result.stdout.splitlines()[0] if result.stdout else tool)
    return "; ".join(versions)


def _document(source: str, reports: list[tuple[str, str]]) -> str:
    report_lines = "".join(f"\\stridereportanchor{{{name}}}{{{anchor}}}\n" for name, anchor in reports)
    if "\\begin{tikzpicture}" in source:
        head, separator, tail = source.rpartition("\\end{tikzpicture}")
        if not separator:
            raise TikzError("\\begin{tikzpicture} is never closed", line=0,
                            hint="add \\end{tikzpicture}")
        picture = f"{head}{report_lines}{separator}{tail}"
    else:
        picture = f"\\begin{{tikzpicture}}\n{source}\n{report_lines}\\end{{tikzpicture}}"
    return f"{PREAMBLE}{picture}\n\\end{{document}}\n"


def _run(command: list[str], folder: Path, timeout: float, what: str) -> subprocess.CompletedProcess:
    """Run a TeX tool in ``folder``: paranoid file access, no shell escape, a time limit, and
    (through the shell's ``ulimit -f``) no file over 64 MB, so a looping picture cannot fill
    the disk. Output goes to files (the TeX log), never into this process's memory."""
    environment = {**os.environ, "openin_any": "p", "openout_any": "p", "shell_escape": "f"}
    limited = ["sh", "-c", f'ulimit -f {MAX_FILE_BYTES // 512} && exec "$@"', "sh", *command]
    try:
        return subprocess.run(limited, cwd=folder, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, timeout=timeout, stdin=subprocess.DEVNULL,
                              env=environment, check=False)
    except subprocess.TimeoutExpired:
        raise TikzError(f"{what} took longer than {timeout:g} s", line=0,
                        hint="simplify the picture or raise [plugins.tikz] tex_timeout") from None
    except OSError as error:
        raise TikzError(f"cannot run {what}: {error.strerror}", line=0,
                        hint="install texlive-pictures, texlive-latex-extra and dvisvgm") from None


def compile_picture(source: str, *, timeout: float,
                    reports: list[tuple[str, str]] | None = None) -> tuple[str, str]:
    """Run latex and dvisvgm on the picture; return (raw SVG text, latex log)."""
    with tempfile.TemporaryDirectory(prefix="stride-tikz-") as temporary:
        folder = Path(temporary)
        (folder / "picture.tex").write_text(_document(source, reports or []), encoding="utf-8")
        latex = _run(["latex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error",
                      "picture.tex"], folder, timeout, "latex")
        log_file = folder / "picture.log"
        log = log_file.read_text(encoding="utf-8", errors="replace") if log_file.exists() else ""
        if latex.returncode != 0 or not (folder / "picture.dvi").exists():
            raise TikzError(f"TeX failed: {_first_error(log)}", line=0,
                            hint="the picture must compile with latex and TikZ; the message is "
                                 "TeX's first error")
        converted = _run(["dvisvgm", "--no-fonts", "--bbox=papersize", "--precision=4",
                          "--output=picture.svg", "picture.dvi"], folder, timeout, "dvisvgm")
        svg_file = folder / "picture.svg"
        if converted.returncode != 0 or not svg_file.exists():
            message = converted.stderr.decode("utf-8", "replace").strip()[:200]
            raise TikzError(f"dvisvgm failed: {message}", line=0, hint="check the dvisvgm installation")
        return svg_file.read_text(encoding="utf-8"), log


def _first_error(log: str) -> str:
    for index, line in enumerate(log.splitlines()):
        if line.startswith("!"):
            context = log.splitlines()[index + 1:index + 2]
            return (line[1:].strip() + (" " + context[0].strip() if context else ""))[:200]
    return "no output"


def anchors(source: str, names: list[tuple[str, str]], *, timeout: float = 60.0) -> dict[tuple[str, str], tuple[float, float]]:
    """Where TeX puts the given (node, anchor) pairs, in pt, in the picture's coordinates."""
    _svg, log = compile_picture(source, timeout=timeout, reports=names)
    return {(match.group(1), match.group(2)): (float(match.group(3)), float(match.group(4)))
            for match in _ANCHOR_REPORT.finditer(log)}


def id_prefix(source: str) -> str:
    """What every id in the picture's SVG starts with: a digest of its source."""
    return "t" + hashlib.sha256(source.encode("utf-8")).hexdigest()[:10]


def render(source: str, *, timeout: float, title: str, description: str) -> str:
    """The picture drawn by TeX, as a sanitized inline ``<svg>``."""
    raw, _log = compile_picture(source, timeout=timeout)
    prefix = id_prefix(source) + "-"
    try:
        root = ElementTree.fromstring(raw)
    except ElementTree.ParseError as error:
        raise TikzError(f"dvisvgm wrote invalid SVG ({error})", line=0,
                        hint="check the dvisvgm installation") from None
    body = "".join(_element(child, prefix) for child in root)
    width, height, view_box = (root.get(name, "") for name in ("width", "height", "viewBox"))
    size = {name: _css_pixels(value) for name, value in (("width", width), ("height", height))}
    header = " ".join(f'{name}="{html.escape(value)}"' for name, value in (
        ("xmlns", SVG_NAMESPACE), ("class", "tikz tikz-tex"), ("role", "img"),
        ("viewBox", view_box), ("width", size["width"]), ("height", size["height"]),
        ("fill", "currentColor"), ("overflow", "visible"),
        ("style", "max-width:100%;height:auto")) if value)
    return (f"<svg {header}><title>{html.escape(title)}</title>"
            f"<desc>{html.escape(description)}</desc>{body}</svg>")


def _css_pixels(value: str) -> str:
    """dvisvgm sizes in pt (PostScript points); CSS px are 96 per inch, pt 72 per inch."""
    match = re.fullmatch(r"([\d.]+)pt", value.strip())
    return f"{float(match.group(1)) * 96 / 72:.3f}" if match else ""


def _element(element: ElementTree.Element, prefix: str) -> str:
    tag = element.tag.rsplit("}", 1)[-1]
    if tag not in ALLOWED_ELEMENTS:
        return ""
    attributes = []
    for name, value in element.attrib.items():
        if name == XLINK_HREF or name == "href":
            if value.startswith("#"):
                attributes.append(f'href="#{html.escape(prefix + value[1:])}"')
            continue
        if name not in ALLOWED_ATTRIBUTES:
            continue
        if name == "id":
            value = prefix + value
        elif name in ("fill", "stroke") and value.strip().lower() in _BLACK:
            value = "currentColor"
        value = _URL_REFERENCE.sub(lambda match: f"url(#{prefix}{match.group(1)})", value)
        if "url(" in value and not value.startswith("url(#"):
            continue
        attributes.append(f'{name}="{html.escape(value)}"')
    children = "".join(_element(child, prefix) for child in element)
    opening = " ".join([tag, *attributes])
    return f"<{opening}>{children}</{tag}>" if children else f"<{opening}/>"
