"""Pygments' RegexLexer with each state's rules tried in one regex match instead of one by one.

Pygments' ``RegexLexer.get_tokens_unprocessed`` tries the rules of the current state in order,
one Python-level ``pattern.match(text, pos)`` call each, until one matches: about 34 calls per token
for the Python lexer, nine tenths of the time highlighting takes. No maintained library lexes
Pygments' grammars any other way, so this module does it by hand: the rules of a state are joined
into one alternation ``(rule0)|(rule1)|...`` and a single C-level match finds the winning rule.
Even in C, trying fifty alternatives costs, so each state also keeps, for every ASCII character,
the alternation of only the rules whose match can begin with it.

Why the tokens are the same as Pygments':
- Python's ``re`` tries the alternatives of an alternation left to right at the same position and
  takes the first that matches, with nothing after it to force backtracking into another
  alternative: the first rule that matches alone is the one that wins, as in Pygments' loop.
- The group that closes last is the winner's wrapper group, so ``lastindex`` names the winner.
- An action that needs the match (``bygroups``, ``using``, callbacks) gets the winner's own pattern
  matched again at the same position, so its group numbers are those it was written for.
- A rule joins an alternation only if moving it inside one cannot change what it matches: no
  backreferences or conditional groups (their group numbers would shift), no group name another
  rule of the alternation uses, flags that differ only in what a scoped group ``(?i-s:...)`` can
  carry. Any other rule is tried alone, in its place in the order, exactly as Pygments tries it.
- A rule is left out of a character's alternation only if none of its matches can begin with that
  character: read off its parsed pattern, with every doubt (a match that can be empty, a construct
  not understood) counted as "any character"; other characters use the alternation of all rules.
- The state machine (pushes, pops, the reset to ``root`` at a newline no rule matches) is
  Pygments' own, step for step; lexers that replace it (``ExtendedRegexLexer``, lexers overriding
  ``get_tokens_unprocessed``) keep Pygments' code.
"""
from __future__ import annotations

import re
from functools import cache
# re's own parser, to read backreferences and first characters off a pattern: private, but the
# only exact account of what a pattern means.
from re import _constants as regex_opcodes
from re import _parser as regex_parser
from typing import Callable, Iterator, Mapping, NamedTuple

from pygments.filter import apply_filters
from pygments.lexer import Lexer, RegexLexer
from pygments.token import Error, Whitespace, _TokenType

TokenStream = Iterator[tuple[_TokenType, str]]

# The flags a group can switch on or off for its own part of a pattern: "(?i-s:...)".
_SCOPED_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}
_SCOPABLE = re.IGNORECASE | re.MULTILINE | re.DOTALL | re.VERBOSE
# Python 3.11 accepts global inline flags such as "(?i)" only at the start of a pattern.
_LEADING_GLOBAL_FLAGS = re.compile(r"(?:\(\?[aiLmsux]+\))*")
# The flags that decide which characters a literal or a character class matches.
_CHARACTER_FLAGS = re.IGNORECASE | re.ASCII | re.DOTALL
_LAST_ASCII = 127
_ASCII = frozenset(map(chr, range(_LAST_ASCII + 1)))
_CATEGORY_ESCAPES = {
    regex_opcodes.CATEGORY_DIGIT: r"\d", regex_opcodes.CATEGORY_NOT_DIGIT: r"\D",
    regex_opcodes.CATEGORY_SPACE: r"\s", regex_opcodes.CATEGORY_NOT_SPACE: r"\S",
    regex_opcodes.CATEGORY_WORD: r"\w", regex_opcodes.CATEGORY_NOT_WORD: r"\W",
}
# A pattern this long (Python's identifier class is 3,500 characters) takes milliseconds to compile,
# again in every character's alternation that holds it: it is tried alone, already compiled.
_LONGEST_JOINABLE = 2000
_REPEATS = {regex_opcodes.MAX_REPEAT, regex_opcodes.MIN_REPEAT, regex_opcodes.POSSESSIVE_REPEAT}
_ZERO_WIDTH = {regex_opcodes.AT, regex_opcodes.ASSERT, regex_opcodes.ASSERT_NOT}


class Rule(NamedTuple):
    """One of Pygments' processed rules: ``(pattern.match, action, new_state)``."""
    match: Callable
    action: object  # a token type, a callback taking (lexer, match), or None
    new_state: object  # None, a tuple of state names, a negative int, or "#push"


class Attempt(NamedTuple):
    """One C-level match: an alternation of rules, or one rule's own pattern."""
    match: Callable
    # For an alternation: the rule whose wrapper group has this number (None for inner groups).
    rule_by_group: tuple[Rule | None, ...] | None


class Step(NamedTuple):
    """Consecutive rules of a state, tried as one."""
    # By the text's next character ("" at its end); None when no rule of the step can begin with it.
    attempts: Mapping[str, Attempt | None]
    lone_rule: Rule | None  # a rule that joins no alternation, whose own pattern the attempt is


class _RuleFacts(NamedTuple):
    """What the compiler needs to know of a rule's pattern, read once."""
    body: str | None  # the pattern without global inline flags; None if it must be tried alone
    first_chars: frozenset[str]  # the ASCII characters a match can begin with


class _BuiltOnFirstUse(dict):
    """A dict that makes a missing value with ``build``: a lexer meets few of its states and
    characters, and compiling only those keeps the first block of a build cheap."""

    def __init__(self, build: Callable):
        super().__init__()
        self._build = build

    def __missing__(self, key):
        value = self[key] = self._build(key)
        return value


def get_tokens(lexer: Lexer, text: str) -> TokenStream:
    """The same ``(tokentype, value)`` pairs as ``lexer.get_tokens(text)``, faster for most."""
    states = compiled_states(lexer)
    if states is None:
        return lexer.get_tokens(text)
    text = lexer._preprocess_lexer_input(text)
    stream = ((token_type, value) for _, token_type, value in _lex(lexer, states, text))
    return apply_filters(stream, lexer.filters, lexer)


def compiled_states(lexer: Lexer) -> Mapping[str, tuple[Step, ...]] | None:
    """Each state's rules as match steps; None for a lexer not lexed by Pygments' own loop."""
    if "_tokens" in vars(lexer):  # token_variants lexers keep their rules per instance
        return None
    return _compiled_states(type(lexer))


@cache
def _compiled_states(lexer_class: type) -> Mapping[str, tuple[Step, ...]] | None:
    # Pygments processes a class's rules into ``_tokens`` when its first instance is made.
    stock_loop = (issubclass(lexer_class, RegexLexer)
                  and lexer_class.get_tokens_unprocessed is RegexLexer.get_tokens_unprocessed
                  and lexer_class.get_tokens is Lexer.get_tokens
                  and "_tokens" in vars(lexer_class)
                  # what get_tokens does before lexing, in the Pygments this was written against
                  and hasattr(lexer_class, "_preprocess_lexer_input"))
    if not stock_loop:
        return None
    rules_by_state = lexer_class._tokens
    return _BuiltOnFirstUse(lambda state: _steps([Rule(*rule) for rule in rules_by_state[state]]))


def _steps(rules: list[Rule]) -> tuple[Step, ...]:
    """Consecutive rules that can share an alternation share one; the others are tried alone."""
    steps: list[Step] = []
    batch: list[tuple[Rule, _RuleFacts]] = []
    for rule in rules:
        facts = _facts(rule)
        if batch and (facts.body is None or not _fits(rule, batch)):
            steps.extend(_alternation_steps(batch))
            batch = []
        if facts.body is None:
            steps.append(_lone_step(rule, facts.first_chars))
        else:
            batch.append((rule, facts))
    steps.extend(_alternation_steps(batch))
    return tuple(steps)


def _lone_step(rule: Rule, first_chars: frozenset[str]) -> Step:
    attempt = Attempt(rule.match, None)
    return Step(_BuiltOnFirstUse(
        lambda char: attempt if char not in _ASCII or char in first_chars else None), rule)


def _facts(rule: Rule) -> _RuleFacts:
    pattern = getattr(rule.match, "__self__", None)
    if (isinstance(pattern, re.Pattern) and rule.match.__name__ == "match"
            and isinstance(pattern.pattern, str)):
        return _pattern_facts(pattern)
    return _RuleFacts(None, _ASCII)


@cache  # an included state shares its rules' patterns with every state including it
def _pattern_facts(pattern: re.Pattern) -> _RuleFacts:
    body = pattern.pattern[_LEADING_GLOBAL_FLAGS.match(pattern.pattern).end():]
    try:
        # Fails if a global flag is left in the body: those may only open a whole expression.
        wrapped = regex_parser.parse(_wrap(body, pattern.flags, pattern.flags), pattern.flags)
    except (re.error, RecursionError, OverflowError):
        return _RuleFacts(None, _ASCII)
    first_chars, can_be_empty = _first_chars_of_sequence(wrapped, pattern.flags)
    joinable = (len(pattern.pattern) <= _LONGEST_JOINABLE
                and wrapped.state.groups == pattern.groups + 2  # group 0, the wrapper, the rule's
                and not _refers_to_groups(wrapped))
    return _RuleFacts(body if joinable else None, _ASCII if can_be_empty else first_chars)


def _refers_to_groups(parsed: object) -> bool:
    """Whether a parsed pattern has a backreference or a conditional group, at any depth."""
    if isinstance(parsed, regex_parser.SubPattern):
        return any(opcode in (regex_opcodes.GROUPREF, regex_opcodes.GROUPREF_EXISTS)
                   # a character class holds no group reference, and may be long to walk
                   or opcode is not regex_opcodes.IN and _refers_to_groups(argument)
                   for opcode, argument in parsed.data)
    if isinstance(parsed, (tuple, list)):
        return any(_refers_to_groups(item) for item in parsed)
    return False


def _wrap(body: str, flags: int, outer_flags: int) -> str:
    """The rule as one capturing group of an alternation compiled with ``outer_flags``."""
    # Under re.VERBOSE a "#" comment on the rule's last line would swallow what closes the group.
    inner = body + "\n" if flags & re.VERBOSE else body
    added = _flag_letters(flags & ~outer_flags)
    removed = _flag_letters(outer_flags & ~flags)
    if added or removed:
        inner = f"(?{added}{'-' if removed else ''}{removed}:{inner})"
    return f"({inner})"


def _flag_letters(flags: int) -> str:
    return "".join(letter for letter, flag in _SCOPED_FLAGS.items() if flags & flag)


def _fits(rule: Rule, batch: list[tuple[Rule, _RuleFacts]]) -> bool:
    """Whether the rule can join the batch's alternation: flags a group can scope, names unused."""
    flags = rule.match.__self__.flags
    batch_flags = batch[0][0].match.__self__.flags
    taken_names = {name for other, _ in batch for name in other.match.__self__.groupindex}
    return (not (flags ^ batch_flags) & ~_SCOPABLE
            and not taken_names & rule.match.__self__.groupindex.keys())


def _alternation_steps(batch: list[tuple[Rule, _RuleFacts]]) -> list[Step]:
    """One step for the batch, or a step per rule if its alternation will not compile."""
    every_rule = _alternation(batch) if len(batch) > 1 else None
    if every_rule is None:
        return [_lone_step(rule, facts.first_chars) for rule, facts in batch]
    by_members: dict[tuple[int, ...], Attempt | None] = {}

    def attempt_for(char: str) -> Attempt | None:
        if char not in _ASCII:  # also "" at the end of the text
            return every_rule
        members = tuple(i for i, (_, facts) in enumerate(batch) if char in facts.first_chars)
        if len(members) == len(batch):
            return every_rule
        if members not in by_members:
            # Fewer rules than a compilable alternation compile too; if not, all rules still work.
            by_members[members] = (
                _alternation([batch[i] for i in members]) or every_rule) if members else None
        return by_members[members]

    return [Step(_BuiltOnFirstUse(attempt_for), None)]


def _alternation(members: list[tuple[Rule, _RuleFacts]]) -> Attempt | None:
    """The attempt matching the first of these rules that matches, None if it will not compile."""
    outer_flags = members[0][0].match.__self__.flags
    rule_by_group: list[Rule | None] = [None]
    alternatives = []
    for rule, facts in members:
        pattern = rule.match.__self__
        rule_by_group += [rule] + [None] * pattern.groups
        alternatives.append(_wrap(facts.body, pattern.flags, outer_flags))
    try:
        combined = re.compile("|".join(alternatives), outer_flags)
    except (re.error, RecursionError, OverflowError):
        return None
    if combined.groups != len(rule_by_group) - 1:
        return None
    return Attempt(combined.match, tuple(rule_by_group))


def _first_chars_of_sequence(items, flags: int) -> tuple[frozenset[str], bool]:
    """The first characters of a parsed sequence, and whether it can match the empty string."""
    chars: frozenset[str] = frozenset()
    for opcode, argument in items:
        item_chars, can_be_empty = _first_chars_of_item(opcode, argument, flags)
        chars |= item_chars
        if not can_be_empty:
            return chars, False
    return chars, True


def _first_chars_of_item(opcode, argument, flags: int) -> tuple[frozenset[str], bool]:
    if opcode is regex_opcodes.LITERAL:
        return _matching_chars(_code_escape(argument), flags), False
    if opcode is regex_opcodes.NOT_LITERAL:
        return _matching_chars(f"[^{_code_escape(argument)}]", flags), False
    if opcode is regex_opcodes.ANY:
        return _matching_chars(".", flags), False
    if opcode is regex_opcodes.IN:
        char_class = _class_text(argument, flags)
        return (_ASCII if char_class is None else _matching_chars(char_class, flags)), False
    if opcode in _ZERO_WIDTH:
        # Anchors and lookarounds consume nothing: the first character comes after them.
        return frozenset(), True
    if opcode is regex_opcodes.SUBPATTERN:
        _, added, removed, items = argument
        return _first_chars_of_sequence(items, (flags | added) & ~removed)
    if opcode is regex_opcodes.ATOMIC_GROUP:
        return _first_chars_of_sequence(argument, flags)
    if opcode is regex_opcodes.BRANCH:
        branches = [_first_chars_of_sequence(items, flags) for items in argument[1]]
        return (frozenset().union(*(chars for chars, _ in branches)),
                any(can_be_empty for _, can_be_empty in branches))
    if opcode in _REPEATS:
        least, _, items = argument
        chars, can_be_empty = _first_chars_of_sequence(items, flags)
        return chars, can_be_empty or least == 0
    return _ASCII, False  # not understood: any character


def _code_escape(code: int) -> str:
    return f"\\U{code:08x}"


def _class_text(items, flags: int) -> str | None:
    """A parsed character class as pattern text, or None if it has a part not translated here.

    Without IGNORECASE, parts beyond ASCII match no ASCII character and are left out.
    """
    ascii_only = not flags & re.IGNORECASE
    parts = []
    for opcode, argument in items:
        if opcode is regex_opcodes.NEGATE:
            parts.append("^")
        elif opcode is regex_opcodes.LITERAL:
            if not (ascii_only and argument > _LAST_ASCII):
                parts.append(_code_escape(argument))
        elif opcode is regex_opcodes.RANGE:
            low, high = argument
            if ascii_only:
                high = min(high, _LAST_ASCII)
            if low <= high:
                parts.append(f"{_code_escape(low)}-{_code_escape(high)}")
        elif opcode is regex_opcodes.CATEGORY and argument in _CATEGORY_ESCAPES:
            parts.append(_CATEGORY_ESCAPES[argument])
        else:
            return None
    if parts in ([], ["^"]):  # Python cannot write a class of nothing or of everything
        return "(?!)" if not parts else "[\\d\\D]"
    return f"[{''.join(parts)}]"


@cache
def _matching_chars(one_char_pattern: str, flags: int) -> frozenset[str]:
    """The ASCII characters a one-character pattern matches under these flags, asking re."""
    matcher = re.compile(one_char_pattern, flags & _CHARACTER_FLAGS)
    return frozenset(char for char in _ASCII if matcher.fullmatch(char))


def _lex(lexer: RegexLexer, states: Mapping[str, tuple[Step, ...]], text: str
         ) -> Iterator[tuple[int, _TokenType, str]]:
    """``RegexLexer.get_tokens_unprocessed``, trying each state's rules through ``states``."""
    pos = 0
    stack = ["root"]
    steps = states["root"]
    while True:
        for attempts, lone_rule in steps:
            attempt = attempts[text[pos:pos + 1]]
            if attempt is None:
                continue
            attempt_match, rule_by_group = attempt
            found = attempt_match(text, pos)
            if found is None:
                continue
            if lone_rule is None:
                group = found.lastindex
                rule_match, action, new_state = rule_by_group[group]
            else:
                group = 0
                rule_match, action, new_state = lone_rule
            if type(action) is _TokenType:
                yield pos, action, found.group(group)
            elif action is not None:
                yield from action(lexer, found if lone_rule is not None else rule_match(text, pos))
            pos = found.end()
            if new_state is not None:
                _change_state(stack, new_state)
                steps = states[stack[-1]]
            break
        else:
            # No rule matched: Pygments skips one character, and a newline brings back "root".
            if pos >= len(text):
                return
            if text[pos] == "\n":
                stack = ["root"]
                steps = states["root"]
                yield pos, Whitespace, "\n"
            else:
                yield pos, Error, text[pos]
            pos += 1


def _change_state(stack: list[str], new_state: object) -> None:
    """Apply a processed rule's new state to the stack, as Pygments does."""
    if isinstance(new_state, tuple):
        for state in new_state:
            if state == "#pop":
                if len(stack) > 1:
                    stack.pop()
            elif state == "#push":
                stack.append(stack[-1])
            else:
                stack.append(state)
    elif isinstance(new_state, int):
        # A negative count of states to pop; the bottom one always stays.
        if -new_state >= len(stack):
            del stack[1:]
        else:
            del stack[new_state:]
    elif new_state == "#push":
        stack.append(stack[-1])
    else:
        raise ValueError(f"wrong state def: {new_state!r}")
