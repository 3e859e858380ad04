"""TeX lengths and the part of pgfmath that coordinates use: ``(\\x*0.5, {2*sin(\\x r)})``, ``5mm+1pt``.

pgfmath has no Python counterpart, so this is a small recursive-descent evaluator. Like pgfmath,
a number with a unit is a length in points and makes the whole result a length; a plain number is
a multiple of the current unit vector (1 cm for coordinates). Depth and size are bounded, and
every error names the expression.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .model import MAX_NESTING, TikzError

PT_PER_UNIT = {
    "pt": 1.0, "cm": 72.27 / 2.54, "mm": 72.27 / 25.4, "in": 72.27, "bp": 72.27 / 72,
    "pc": 12.0, "dd": 1238 / 1157, "cc": 12 * 1238 / 1157, "sp": 1 / 65536,
    # the document font (cmr10, 10pt) outside a node's text, where TikZ evaluates inner sep
    "em": 10.00002, "ex": 4.30554,
}
CM = PT_PER_UNIT["cm"]

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(?:\s*(?P<unit>pt|cm|mm|in|bp|pc|dd|cc|sp|em|ex)(?![A-Za-z]))?
    | (?P<name>[A-Za-z]+)
    | (?P<op>[-+*/^(),{}])
    )""", re.VERBOSE)

_FUNCTIONS = {
    "sin": (1, lambda a: math.sin(math.radians(a))), "cos": (1, lambda a: math.cos(math.radians(a))),
    "tan": (1, lambda a: math.tan(math.radians(a))), "sqrt": (1, math.sqrt), "abs": (1, abs),
    "floor": (1, math.floor), "ceil": (1, math.ceil), "round": (1, round), "int": (1, math.trunc),
    "exp": (1, math.exp), "ln": (1, math.log), "min": (2, min), "max": (2, max),
    "mod": (2, math.fmod), "pow": (2, math.pow), "atan2": (2, lambda y, x: math.degrees(math.atan2(y, x))),
    "deg": (1, math.degrees), "rad": (1, math.radians), "asin": (1, lambda v: math.degrees(math.asin(v))),
    "acos": (1, lambda v: math.degrees(math.acos(v))), "atan": (1, lambda v: math.degrees(math.atan(v))),
    "log10": (1, math.log10), "log2": (1, math.log2),
}
_CONSTANTS = {"pi": math.pi, "e": math.e}


@dataclass(frozen=True)
class Quantity:
    """A pgfmath result: ``value`` in points when ``is_length``, else a plain number."""

    value: float
    is_length: bool

    def points(self, unit_pt: float) -> float:
        return self.value if self.is_length else self.value * unit_pt


def evaluate(expression: str, *, line: int) -> Quantity:
    """Evaluate ``expression``; raise ``TikzError`` naming it when it is not valid pgfmath."""
    tokens = _tokenize(expression, line)
    parser = _Parser(tokens, expression, line)
    result = parser.expression(0)
    if parser.index != len(tokens):
        raise parser.error(f"unexpected '{tokens[parser.index][1]}'")
    if not math.isfinite(result.value):
        raise TikzError(f"'{expression}' does not evaluate to a finite number", line=line,
                        hint="check for a division by zero or a huge exponent")
    return result


def length(expression: str, *, line: int, unit_pt: float = 1.0) -> float:
    """A length option (``inner sep=2pt``, ``minimum width=0.5cm``); plain numbers use ``unit_pt``."""
    return evaluate(expression, line=line).points(unit_pt)


def number(expression: str, *, line: int) -> float:
    result = evaluate(expression, line=line)
    return result.value


def _tokenize(expression: str, line: int) -> list[tuple[str, object]]:
    tokens: list[tuple[str, object]] = []
    position = 0
    text = expression.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise TikzError(f"cannot read '{expression.strip()}' as a number or length", line=line,
                            hint="coordinates take numbers (cm), lengths such as 5mm or 2pt, "
                                 "and + - * / ( ) with sin, cos, sqrt...")
        position = match.end()
        if match.group("number") is not None:
            value = float(match.group("number"))
            unit = match.group("unit")
            tokens.append(("num", (value * PT_PER_UNIT[unit], True) if unit else (value, False)))
        elif match.group("name") is not None:
            tokens.append(("name", match.group("name")))
        else:
            tokens.append(("op", match.group("op")))
    return tokens


class _Parser:
    """Precedence climbing over the token list: + -, then * /, then unary minus, then ^."""

    def __init__(self, tokens: list[tuple[str, object]], source: str, line: int):
        self.tokens, self.source, self.line, self.index, self.depth = tokens, source, line, 0, 0

    def error(self, message: str) -> TikzError:
        return TikzError(f"{message} in '{self.source.strip()}'", line=self.line,
                         hint="pgfmath expressions use + - * / ^ ( ) and sin, cos, sqrt, min, max...")

    def peek(self) -> tuple[str, object] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take_op(self, *ops: str) -> str | None:
        token = self.peek()
        if token and token[0] == "op" and token[1] in ops:
            self.index += 1
            return token[1]  # type: ignore[return-value]
        return None

    def expression(self, depth: int) -> Quantity:
        if depth > MAX_NESTING:
            raise self.error("expression nested too deeply")
        left = self.term(depth)
        while (op := self.take_op("+", "-")) is not None:
            right = self.term(depth)
            is_length = left.is_length or right.is_length
            value = left.value + right.value if op == "+" else left.value - right.value
            left = Quantity(value, is_length)
        return left

    def term(self, depth: int) -> Quantity:
        left = self.unary(depth)
        while (op := self.take_op("*", "/")) is not None:
            right = self.unary(depth)
            if op == "*":
                left = Quantity(left.value * right.value, left.is_length or right.is_length)
            else:
                if right.value == 0:
                    raise self.error("division by zero")
                # length / length is a ratio, as in pgfmath
                left = Quantity(left.value / right.value, left.is_length and not right.is_length)
        return left

    def unary(self, depth: int) -> Quantity:
        if self.take_op("-"):
            operand = self.unary(depth + 1)
            return Quantity(-operand.value, operand.is_length)
        if self.take_op("+"):
            return self.unary(depth + 1)
        base = self.atom(depth)
        if self.peek() == ("name", "r"):  # pgfmath's postfix r: radians to degrees, sin(\x r)
            self.index += 1
            base = Quantity(math.degrees(base.value), base.is_length)
        if self.take_op("^"):
            exponent = self.unary(depth + 1)
            try:
                return Quantity(math.pow(base.value, exponent.value), base.is_length)
            except (OverflowError, ValueError):
                raise self.error("power out of range") from None
        return base

    def atom(self, depth: int) -> Quantity:
        token = self.peek()
        if token is None:
            raise self.error("missing a number")
        kind, value = token
        self.index += 1
        if kind == "num":
            number_value, is_length = value  # type: ignore[misc]
            return Quantity(number_value, is_length)
        if kind == "op" and value in ("(", "{"):
            inner = self.expression(depth + 1)
            if not self.take_op(")" if value == "(" else "}"):
                raise self.error("unbalanced parenthesis")
            return inner
        if kind == "name":
            if value in _CONSTANTS:
                return Quantity(_CONSTANTS[value], False)  # type: ignore[index]
            if value in _FUNCTIONS:
                return self.call(value, depth)  # type: ignore[arg-type]
            raise TikzError(f"unknown name '{value}' in '{self.source.strip()}'", line=self.line,
                            hint="a \\foreach variable must be defined by an enclosing \\foreach",
                            command=str(value))
        raise self.error(f"unexpected '{value}'")

    def call(self, name: str, depth: int) -> Quantity:
        arity, function = _FUNCTIONS[name]
        if not self.take_op("("):
            raise self.error(f"{name} needs parentheses")
        arguments = [self.expression(depth + 1)]
        while self.take_op(","):
            arguments.append(self.expression(depth + 1))
        if not self.take_op(")") or len(arguments) != arity:
            raise self.error(f"{name} takes {arity} argument{'s' if arity > 1 else ''}")
        try:
            result = float(function(*(a.value for a in arguments)))
        except (ValueError, OverflowError, ZeroDivisionError):
            raise self.error(f"{name} is undefined here") from None
        return Quantity(result, any(a.is_length for a in arguments) and name in ("abs", "min", "max", "mod", "round", "floor", "ceil", "int"))
