"""A TeX token stream with macro expansion, written for the math plugin's pre-processing.

latex2mathml parses TeX in one go and knows neither the limits a build needs (nested braces,
formula size, macro bombs) nor macros that persist across the formulas of a post. Stride
therefore reads the source into tokens first, expands ``\\newcommand``/``\\def`` and the site's
macros under a budget, rewrites what latex2mathml lacks (see ``convert``), and hands the
re-serialised TeX to latex2mathml. No maintained Python library does TeX-level macro expansion
with limits (pylatexenc parses but does not expand user macros), hence this small module.

A token is a string: a control word (``\\frac``, trailing spaces dropped as TeX does), a
control symbol (``\\{``, ``\\,``, ``\\\\``), a brace, a single character, or ``" "`` for a run of
white space.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

MAX_SOURCE_CHARS = 200_000
MAX_NESTING = 100
MAX_EXPANDED_TOKENS = 50_000
MAX_EXPANSIONS = 5_000

_TOKEN = re.compile(
    r"(?P<verb>\\verb\*?(?P<verb_delimiter>[^A-Za-z*\n]).*?(?P=verb_delimiter))"  # one token
    r"|(?P<word>\\[A-Za-z@]+)\s*"      # control word: TeX skips the spaces after it
    r"|(?P<symbol>\\.)"                # control symbol, including "\\" and "\ "
    r"|(?P<comment>%[^\n]*\n?)"        # comment to the end of the line
    r"|(?P<space>\s+)"
    r"|(?P<char>.)",
    re.DOTALL,
)

# amsmath's environments whose rows are numbered: they may stand alone outside `$$` (``syntax``)
# and an equation is read row by row when it is one of them (``equations``).
NUMBERED_ENVIRONMENTS = frozenset({"equation", "align", "gather", "multline", "alignat", "flalign",
                                   "eqnarray"})

DEFINING_COMMANDS = frozenset(
    {r"\newcommand", r"\renewcommand", r"\providecommand", r"\def", r"\gdef",
     r"\DeclareMathOperator"}
)


class TexError(Exception):
    """The TeX cannot be read; ``message`` is for the author, ``hint`` says what to do."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class Macro:
    """A macro's body (tokens with ``#n`` parameters), its arity and optional first argument."""

    body: tuple[str, ...]
    arity: int = 0
    default: tuple[str, ...] | None = None  # \newcommand{\x}[2][default]{...}


def tokenize(source: str) -> list[str]:
    """Split TeX into tokens, refusing sources beyond the size and nesting limits."""
    if len(source) > MAX_SOURCE_CHARS:
        raise TexError(f"formula is {len(source)} characters long, over the {MAX_SOURCE_CHARS} limit",
                       "split it into several formulas")
    tokens: list[str] = []
    depth = 0     # braces
    nesting = 0   # environments and \left..\right, which nest as deeply as braces do
    for match in _TOKEN.finditer(source):
        kind = match.lastgroup
        if kind == "comment":
            continue
        if kind == "space":
            tokens.append(" ")
            continue
        token = match.group(kind)
        if kind == "verb" and token.startswith(r"\verb*"):
            token = token.replace(" ", "\u2423")  # \verb* shows its spaces
        if token in ("{", r"\begin", r"\left"):
            depth += token == "{"
            nesting += token != "{"
            if depth + nesting > MAX_NESTING:
                raise TexError(f"braces, environments and \\left..\\right nested more than "
                               f"{MAX_NESTING} deep", "simplify the formula or split it")
        elif token in (r"\end", r"\right"):
            nesting = max(nesting - 1, 0)
        elif token == "}":
            depth -= 1
            if depth < 0:
                raise TexError("a '}' has no matching '{'", "remove it, or write \\} for a brace")
        tokens.append(token)
    if depth:
        raise TexError("a '{' is never closed", "add the missing '}', or write \\{ for a brace")
    return tokens


def is_verb(token: str) -> bool:
    """Whether ``token`` is a whole ``\\verb|...|`` (the tokenizer keeps it in one piece)."""
    return token.startswith(r"\verb") and len(token) > 6 and not token[5].isalpha()


def verb_content(token: str) -> str:
    """The text between a ``\\verb`` token's delimiters."""
    return token.removeprefix(r"\verb").removeprefix("*")[1:-1]


def serialize(tokens: Iterable[str]) -> str:
    """Join tokens back into TeX, keeping control words apart from the letters after them."""
    parts: list[str] = []
    previous = ""
    for token in tokens:
        if previous[:1] == "\\" and previous[1:2].isalpha() and token[:1].isalpha():
            parts.append(" ")
        parts.append(token)
        previous = token
    return "".join(parts)


def skip_spaces(tokens: Sequence[str], index: int) -> int:
    while index < len(tokens) and tokens[index] == " ":
        index += 1
    return index


def read_argument(tokens: Sequence[str], index: int) -> tuple[list[str], int]:
    """Read one macro argument at ``index``: a brace group (without its braces) or one token.

    Returns the argument and the index after it; raises ``TexError`` if there is none.
    """
    index = skip_spaces(tokens, index)
    if index >= len(tokens) or tokens[index] == "}":
        raise TexError("a command is missing its argument", "add the argument in braces: {...}")
    if tokens[index] != "{":
        return [tokens[index]], index + 1
    end = matching_brace(tokens, index)
    return list(tokens[index + 1:end]), end + 1


def read_optional(tokens: Sequence[str], index: int) -> tuple[list[str] | None, int]:
    """Read ``[...]`` at ``index`` (brace-aware); ``None`` if there is no optional argument."""
    start = skip_spaces(tokens, index)
    if start >= len(tokens) or tokens[start] != "[":
        return None, index
    depth = 0
    for position in range(start + 1, len(tokens)):
        token = tokens[position]
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
        elif token == "]" and depth == 0:
            return list(tokens[start + 1:position]), position + 1
    raise TexError("an optional argument '[' is never closed", "add the closing ']'")


def matching_brace(tokens: Sequence[str], index: int) -> int:
    """The index of the ``}`` closing the ``{`` at ``index``."""
    depth = 0
    for position in range(index, len(tokens)):
        if tokens[position] == "{":
            depth += 1
        elif tokens[position] == "}":
            depth -= 1
            if depth == 0:
                return position
    raise TexError("a '{' is never closed", "add the missing '}'")


def group_text(tokens: Sequence[str]) -> str:
    """The plain text of an argument such as a label name or a colour."""
    return "".join(tokens).strip()


def _substitute(body: Sequence[str], arguments: Sequence[Sequence[str]]) -> list[str]:
    result: list[str] = []
    index = 0
    while index < len(body):
        token = body[index]
        if token == "#" and index + 1 < len(body):
            following = body[index + 1]
            if following.isdigit() and 1 <= int(following) <= len(arguments):
                result.extend(arguments[int(following) - 1])
                index += 2
                continue
            if following == "#":
                result.append("#")
                index += 2
                continue
        result.append(token)
        index += 1
    return result


class _Stack:
    """Tokens still to read, last one first, so expansions push their bodies back cheaply."""

    def __init__(self, tokens: Sequence[str]):
        self.items = list(reversed(tokens))

    def __bool__(self) -> bool:
        return bool(self.items)

    def pop(self) -> str:
        return self.items.pop()

    def push(self, tokens: Sequence[str]) -> None:
        self.items.extend(reversed(tokens))

    def skip_spaces(self) -> None:
        while self.items and self.items[-1] == " ":
            self.items.pop()

    def peek(self) -> str | None:
        return self.items[-1] if self.items else None

    def argument(self) -> list[str]:
        """One argument: a brace group without its braces, or a single token."""
        self.skip_spaces()
        if not self.items or self.items[-1] == "}":
            raise TexError("a command is missing its argument", "add the argument in braces: {...}")
        token = self.items.pop()
        if token != "{":
            return [token]
        depth = 1
        group: list[str] = []
        while self.items:
            token = self.items.pop()
            depth += (token == "{") - (token == "}")
            if depth == 0:
                return group
            group.append(token)
        raise TexError("a '{' is never closed", "add the missing '}'")

    def optional(self) -> list[str] | None:
        """A ``[...]`` argument, or None (leaving the stack as it was) when there is none."""
        spaces = 0
        while len(self.items) > spaces and self.items[-1 - spaces] == " ":
            spaces += 1
        if len(self.items) <= spaces or self.items[-1 - spaces] != "[":
            return None
        del self.items[len(self.items) - spaces - 1:]
        depth = 0
        group: list[str] = []
        while self.items:
            token = self.items.pop()
            depth += (token == "{") - (token == "}")
            if token == "]" and depth == 0:
                return group
            group.append(token)
        raise TexError("an optional argument '[' is never closed", "add the closing ']'")


def _read_definition(stack: _Stack, command: str) -> tuple[str, Macro]:
    """Parse the definition that follows ``command`` on the stack."""
    if command == r"\DeclareMathOperator":
        stack.skip_spaces()
        limits = stack.peek() == "*"
        if limits:
            stack.pop()
        name = group_text(stack.argument())
        text = stack.argument()
        operator = r"\operatorname*" if limits else r"\operatorname"
        return name, Macro((operator, "{", *text, "}"))
    if command in (r"\def", r"\gdef"):
        stack.skip_spaces()
        name = stack.pop() if stack else ""
        if not name.startswith("\\"):
            raise TexError(r"\def must be followed by a command name", r"write \def\name{...}")
        arity = 0
        while stack and stack.peek() != "{":
            token = stack.pop()
            if token == "#" and (stack.peek() or "").isdigit():
                arity = max(arity, int(stack.pop()))
            elif token != " ":
                raise TexError(rf"\def{name} has a parameter text Stride cannot read",
                               r"use plain parameters: \def\name#1#2{...}")
        return name, Macro(tuple(stack.argument()), arity)
    stack.skip_spaces()
    if stack.peek() == "*":  # \newcommand* only forbids paragraphs in arguments
        stack.pop()
    name = group_text(stack.argument())
    if not re.fullmatch(r"\\[A-Za-z@]+|\\.", name):
        raise TexError(f"{command} needs a command name such as \\R, not {name!r}",
                       rf"write {command}{{\name}}{{...}}")
    arity_tokens = stack.optional()
    arity = 0
    if arity_tokens is not None:
        text = group_text(arity_tokens)
        if not text.isdigit() or not 0 <= int(text) <= 9:
            raise TexError(f"{command}{{{name}}} has an argument count {text!r}, not 0-9",
                           "write the number of arguments, e.g. [2]")
        arity = int(text)
    default = stack.optional()
    body = stack.argument()
    return name, Macro(tuple(body), arity, tuple(default) if default is not None else None)


def expand(tokens: Sequence[str], macros: dict[str, Macro]) -> list[str]:
    """Expand macros in ``tokens``; definitions found on the way are added to ``macros``.

    ``macros`` is updated in place so that a ``\\newcommand`` holds for the rest of the post.
    The total output and the number of expansions are bounded, so a self-referential macro or
    an exponential "macro bomb" ends with a ``TexError`` instead of exhausting memory.
    """
    stack = _Stack(tokens)
    output: list[str] = []
    expansions = 0
    while stack:
        token = stack.pop()
        if token in DEFINING_COMMANDS:
            name, macro = _read_definition(stack, token)
            macros[name] = macro
            continue
        macro = macros.get(token)
        if macro is None:
            output.append(token)
            if len(output) > MAX_EXPANDED_TOKENS:
                raise TexError(f"the formula expands to more than {MAX_EXPANDED_TOKENS} tokens",
                               "check for a macro that expands into itself")
            continue
        expansions += 1
        if expansions > MAX_EXPANSIONS:
            raise TexError(f"more than {MAX_EXPANSIONS} macro expansions in one formula "
                           f"(last: {token})", f"check that {token} does not expand into itself")
        arguments: list[list[str]] = []
        if macro.default is not None:
            optional = stack.optional()
            arguments.append(list(macro.default) if optional is None else optional)
        while len(arguments) < macro.arity:
            arguments.append(stack.argument())
        body = _substitute(macro.body, arguments)
        if len(stack.items) + len(body) > MAX_EXPANDED_TOKENS:
            raise TexError(f"the formula expands to more than {MAX_EXPANDED_TOKENS} tokens "
                           f"(while expanding {token})", f"check that {token} does not grow without end")
        stack.push(body)
    return output


def parse_macros(definitions: Mapping[str, str]) -> dict[str, Macro]:
    """Site macros from the config: ``{"\\\\R": "\\\\mathbb{R}", "\\\\norm": "\\\\lVert #1 \\\\rVert"}``.

    The arity is the highest ``#n`` in the body, as MathJax's and KaTeX's ``macros`` options do.
    """
    macros: dict[str, Macro] = {}
    for name, body in definitions.items():
        if not re.fullmatch(r"\\[A-Za-z@]+", name):
            raise TexError(f"macro name {name!r} is not a TeX command name",
                           'write names with a backslash, e.g. "\\\\R" in TOML')
        body_tokens = tokenize(body)
        arity = max((int(body_tokens[i + 1]) for i, token in enumerate(body_tokens[:-1])
                     if token == "#" and body_tokens[i + 1].isdigit()), default=0)
        macros[name] = Macro(tuple(body_tokens), arity)
    return macros
