"""generator.fast_lexing gives exactly Pygments' tokens, and takes its fast path where it should.

Each comparison lexes the same text twice: through ``fast_lexing.get_tokens`` and through the
lexer's own ``get_tokens``, which is Pygments' rule-by-rule loop.
"""
from __future__ import annotations

import os
import re

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st
from pygments.lexer import RegexLexer, bygroups, combined, default, include, using, this
from pygments.lexers import get_lexer_by_name
from pygments.token import Keyword, Name, Number, Operator, Punctuation, String, Whitespace

from generator import highlight
from generator.fast_lexing import compiled_states, get_tokens

from ..conftest import REPO, SEEDS

# CI replays the same examples every run; elsewhere each run explores new ones.
SETTINGS = dict(deadline=None, database=None, derandomize=bool(os.environ.get("CI")),
                suppress_health_check=[HealthCheck.too_slow])

LANGUAGES = ["python", "javascript", "typescript", "c", "cpp", "rust", "go", "java", "bash",
             "json", "yaml", "toml", "html", "css", "latex", "r", "julia", "matlab", "diff",
             "sql", "markdown", "ini"]


def lexer_for(language: str):
    # The options highlight.py uses: no stripping, so leading and trailing newlines are lexed too.
    return get_lexer_by_name(language, stripnl=False, ensurenl=False)


def assert_same_tokens(lexer, text: str) -> None:
    assert list(get_tokens(lexer, text)) == list(lexer.get_tokens(text))


# Single characters of code, and fragments that open or close the states lexers have: strings,
# comments, tags, heredocs, interpolations, f-strings, raw strings, numbers. "ſ" and the Kelvin
# sign "K" match "s" and "k" under IGNORECASE, the case a first-character table could get wrong.
CHARACTERS = list("abcdefxyzABCFKNRTU_019 \t\n\n\\'\"`#/*-+=<>!?@$%^&|~.,;:()[]{}") + [
    "é", "λ", "漢", "ſ", "\u212a", "\u00a0", "\r", "\x00"]
FRAGMENTS = [
    "def ", "class ", "import ", "from ", "return ", "lambda ", "async ", "await ", "match ",
    "case ", "if ", "else", "for ", "while ", "function ", "const ", "let ", "var ", "fn ",
    "impl ", "struct ", "package ", "func ", "public ", "static ", "int ", "void ", "SELECT ",
    "select ", "FROM ", "where ", "True", "None", "null", "true", "end", "begin", "\\begin{x}",
    "\\end{x}", "\\section", "$x$", "$$", "'''", '"""', "r'", 'f"', 'rb"', "b'", "u'", "{x}",
    "{{", "}}", "${", "$(", "`x`", "<<EOF\nx\nEOF\n", "<<-'E'\n", "// c\n", "/* c */", "/*",
    "*/", "# c\n", "-- c\n", "% c\n", "<!-- c -->", "<div class=\"a\">", "</div>",
    "<script>", "</script>", "<style>", "</style>", "<?xml ", "?>", "&amp;", "[section]\n",
    "key = ", "key: ", "- ", "---\n", "+++ b\n", "--- a\n", "@@ -1 +1 @@\n", "+x\n", "-x\n",
    "0x1F", "1e-3", "1_000", "3.14", "0b1", "0o7", "1j", "@decorator\n", "    ", "\n\n",
    "#include <x>\n", "#define X 1\n", "std::", "::", "->", "=>", "...", ":=", "**", "#[derive]",
    "'a", "a'", "```python\nx = 1\n```\n", "**b**", "[l](u)", ".cls { color: red; }",
    "@media ", "!important", "url(", "#fff", "function(x) x", "<-", "%%", "end\n",
]
code_text = st.lists(st.sampled_from(CHARACTERS) | st.sampled_from(FRAGMENTS),
                     max_size=40).map("".join)


@pytest.mark.parametrize("language", LANGUAGES)
@settings(max_examples=150, **SETTINGS)
@given(text=code_text)
def test_random_code_gives_pygments_tokens(language, text):
    assert_same_tokens(lexer_for(language), text)


class AwkwardLexer(RegexLexer):
    """Every kind of rule the fast path must either keep exact or leave to Pygments' loop."""
    name = "Awkward"
    flags = re.MULTILINE
    tokens = {
        "root": [
            (r"<<", Operator, ("call", "call")),
            (r"\d+", Number),
            # A backreference: in the alternation, "\2" would be the wrapper group of "\d+".
            (r"([rb]?)(['\"])(.*?)\2", String),
            (r"(?i)select\b", Keyword),  # a global inline flag, scoped in the alternation
            # Under IGNORECASE the long s and the Kelvin sign match "s" and "k": "set" starts this.
            (r"(?i)[\u017f\u212a]et\b", Keyword.Reserved),
            (r"(?x) a \s+ b  # a comment to the end of the pattern", Name.Label),
            (r"(?P<word>[a-z]+)=", Name.Attribute),
            (r"(?P<word>[A-Z]+)=", Name.Constant),  # the same group name: a second alternation
            (r"(\w+)(\()", bygroups(Name.Function, Punctuation), "call"),
            (r"\{", Punctuation, "#push"),
            (r"\}", Punctuation, "#pop"),
            (r"(\[)(.*?)(\])", bygroups(Punctuation, using(this, state="call"), Punctuation)),
            (r"[ \t]+", Whitespace),
            (r"\w+", Name),
        ],
        "call": [
            (r"\)", Punctuation, "#pop:2"),
            (r",", Punctuation, combined("numbers", "call")),
            (r"~", Operator, "#pop"),
            include("root"),
        ],
        "numbers": [
            (r"\d+\.\d+", Number.Float),
            default("#pop"),
        ],
    }


AWKWARD_TEXT = st.lists(st.sampled_from(list("aAbB1 \t\n'\"=(){}[],.~<-_") + [
    "select", "SeLeCt", "set", "SET", "ket", "a  b", "a\nb", "x=", "X=", "f(", "<<", "1.5", "'q'",
    '"d"', "[x]"]), max_size=40).map("".join)


# The examples fail if a rule is moved into an alternation wrongly: the backreference ("'q'"),
# a rule that must not inherit IGNORECASE from "select" before it ("sX="), the verbose rule; or
# left out of the alternation for "s" and "K", which the long s and the Kelvin sign match.
@example(text="'q' r\"d\"")
@example(text="set KET")
@example(text="sX= SX=")
@example(text="a  b")
@settings(max_examples=300, **SETTINGS)
@given(text=AWKWARD_TEXT)
def test_awkward_rules_give_pygments_tokens(text):
    assert_same_tokens(AwkwardLexer(stripnl=False), text)


def test_awkward_rules_are_split_where_an_alternation_would_change_them():
    steps = compiled_states(AwkwardLexer())["root"]
    # Two rules; the backreference alone; "select" to the first "word"; the second "word" on.
    assert [step.lone_rule is not None for step in steps] == [False, True, False, False]
    assert len(every_rule(steps[2])) == 4


def every_rule(step):
    """The rules of an alternation step, as the attempt for the end of the text holds them."""
    return [rule for rule in step.attempts[""].rule_by_group if rule is not None]


def test_python_states_are_one_alternation():
    states = compiled_states(lexer_for("python"))
    [numbers] = states["numbers"]
    assert numbers.lone_rule is None and len(every_rule(numbers)) == 6
    root = states["root"]
    assert root[0].lone_rule is None and len(every_rule(root[0])) > 40
    # A character picks the rules that can begin with it: "(" only punctuation.
    assert [rule.action for rule in root[0].attempts["("].rule_by_group if rule] == [Punctuation]


def test_python_is_lexed_without_pygments_loop(monkeypatch):
    lexer = lexer_for("python")
    code = "def f(x):\n    return [x + 1 for x in range(10)]  # c\n"
    expected = list(lexer.get_tokens(code))
    compiled_states(lexer)  # the class is judged (once) while it still has Pygments' loop

    def pygments_loop(*args, **kwargs):
        raise AssertionError("Pygments' rule-by-rule loop was used")
    monkeypatch.setattr(type(lexer), "get_tokens_unprocessed", pygments_loop)
    assert list(get_tokens(lexer, code)) == expected


# C overrides the loop, YAML is an ExtendedRegexLexer, JSON no RegexLexer at all, and C# keeps
# its rules per instance (token_variants).
@pytest.mark.parametrize("language", ["c", "yaml", "json", "csharp"])
def test_lexers_with_their_own_loop_are_left_to_pygments(language):
    lexer = lexer_for(language)
    assert compiled_states(lexer) is None
    assert_same_tokens(lexer, "int main(void) { return 0; }\nkey: [1, 'a']\n")


EXTENSION_LANGUAGES = {".py": "python", ".html": "html", ".css": "css", ".md": "markdown",
                       ".toml": "toml"}
REPO_FILES = sorted(path for path in REPO.rglob("*") if path.suffix in EXTENSION_LANGUAGES
                    and not any(part.startswith(".") or part == "__pycache__"
                                for part in path.relative_to(REPO).parts))
FENCE = re.compile(r"```(\w*)\n(.*?)```", re.S)
FENCED_BLOCKS = [(language, code)
                 for path in sorted([*SEEDS.glob("*.md"), *SEEDS.glob("*.txt"), *REPO_FILES])
                 if path.suffix in (".md", ".txt")
                 for language, code in FENCE.findall(path.read_text(encoding="utf-8"))
                 if language]


def stock_highlight(monkeypatch, code: str, language: str, attributes: str = "") -> str:
    with monkeypatch.context() as patch:
        patch.setattr(highlight, "get_tokens", lambda lexer, text: lexer.get_tokens(text))
        return highlight.highlight_code(code, language, attributes)


@pytest.mark.parametrize("path", REPO_FILES, ids=lambda path: str(path.relative_to(REPO)))
def test_repository_files_give_pygments_tokens_and_html(path, monkeypatch):
    code = path.read_text(encoding="utf-8")
    language = EXTENSION_LANGUAGES[path.suffix]
    assert_same_tokens(lexer_for(language), code)
    assert highlight.highlight_code(code, language) == stock_highlight(monkeypatch, code, language)


def test_fenced_blocks_give_pygments_tokens_and_html(monkeypatch):
    assert len(FENCED_BLOCKS) > 10 and any(SEEDS.iterdir())
    for language, code in FENCED_BLOCKS:
        lexer = highlight._lexer(language.lower())
        if lexer is not None:
            assert_same_tokens(lexer, code)
        for attributes in ("", "linenos"):
            assert (highlight.highlight_code(code, language, attributes)
                    == stock_highlight(monkeypatch, code, language, attributes))
