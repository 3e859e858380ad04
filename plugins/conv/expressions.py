"""A safe evaluator for signal expressions such as ``2*exp(-t/2)*step(t)`` over numpy arrays.

Written by hand on purpose: the expression is parsed with ``ast.parse(mode="eval")`` and only a
whitelist of node types is *interpreted* (never compiled or ``eval``-ed): numbers, the variable
``t``, the constants ``pi`` and ``e``, arithmetic, comparisons (chained ones too), ``and`` /
``or`` / ``not``, ``a if c else b``, and calls of the functions in ``FUNCTIONS`` by name with
positional arguments. Attributes, subscripts, keywords, lambdas, comprehensions and every other
name are rejected before anything runs. Libraries that do this (asteval, simpleeval) interpret a
much larger Python subset (assignments, loops, function definitions, attribute access on
allowed objects), which is more surface than a one-line formula needs; numexpr compiles
through its own VM and lacks ``step``/``rect``-style signal functions.

Comparisons give 0/1 arrays so that ``(t >= 0) * (t < 3)`` is a rectangle.
"""
from __future__ import annotations

import ast
import operator
import sys
from collections.abc import Callable

import numpy as np

MAX_LENGTH = 400
MAX_DEPTH = 40


class ExpressionError(ValueError):
    """An expression that is not allowed or cannot be evaluated; the message says why."""


def _step(t: np.ndarray) -> np.ndarray:
    return np.heaviside(t, 1.0)


def _rect(t: np.ndarray) -> np.ndarray:
    return (np.abs(t) <= 0.5).astype(float)


def _tri(t: np.ndarray) -> np.ndarray:
    return np.maximum(1.0 - np.abs(t), 0.0)


FUNCTIONS: dict[str, tuple[Callable[..., np.ndarray], int]] = {
    # name: (function, number of arguments)
    "exp": (np.exp, 1), "log": (np.log, 1), "sqrt": (np.sqrt, 1), "abs": (np.abs, 1),
    "sin": (np.sin, 1), "cos": (np.cos, 1), "tan": (np.tan, 1), "tanh": (np.tanh, 1),
    "sinc": (np.sinc, 1), "sign": (np.sign, 1), "floor": (np.floor, 1), "ceil": (np.ceil, 1),
    "step": (_step, 1), "u": (_step, 1), "rect": (_rect, 1), "tri": (_tri, 1),
    "min": (np.minimum, 2), "max": (np.maximum, 2), "where": (np.where, 3),
}
CONSTANTS = {"pi": np.pi, "e": np.e}
BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
          ast.Div: operator.truediv, ast.Pow: operator.pow, ast.Mod: operator.mod,
          ast.FloorDiv: operator.floordiv}
COMPARE = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
           ast.Eq: operator.eq, ast.NotEq: operator.ne}


def parse_expression(source: str) -> ast.Expression:
    """Parse and check an expression; ``ExpressionError`` names the first thing not allowed."""
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"the expression is {len(source)} characters; the limit is "
                              f"{MAX_LENGTH}")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except (SyntaxError, ValueError) as error:
        reason = error.msg if isinstance(error, SyntaxError) else str(error)
        raise ExpressionError(f"{source!r} is not an expression: {reason}") from None
    _check(tree.body, depth=0)
    return tree


def evaluate(tree: ast.Expression, t: np.ndarray) -> np.ndarray:
    """The expression's values at every ``t`` (an array of any shape), as floats."""
    with np.errstate(all="ignore"):
        values = np.broadcast_to(np.asarray(_evaluate(tree.body, t), dtype=float), t.shape)
    if not np.all(np.isfinite(values)):
        bad = t[~np.isfinite(values)].flat[0]
        raise ExpressionError(f"the expression is not finite at t = {bad:g}")
    return values


def _check(node: ast.AST, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ExpressionError("the expression is nested too deeply")
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ExpressionError(f"only numbers are allowed as constants, not {node.value!r}")
        if abs(node.value) > sys.float_info.max:
            raise ExpressionError(f"the number {node.value} is too large")
        return
    if isinstance(node, ast.Name):
        if node.id != "t" and node.id not in CONSTANTS:
            raise ExpressionError(f"unknown name {node.id!r}: use t, pi, e and the functions "
                                  f"{', '.join(FUNCTIONS)}")
        return
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            shown = ast.unparse(node.func)
            raise ExpressionError(f"{shown!r} cannot be called: allowed functions are "
                                  f"{', '.join(FUNCTIONS)}")
        if node.keywords or any(isinstance(arg, ast.Starred) for arg in node.args):
            raise ExpressionError(f"{node.func.id}() takes plain positional arguments")
        expected = FUNCTIONS[node.func.id][1]
        if len(node.args) != expected:
            raise ExpressionError(f"{node.func.id}() takes {expected} argument(s), "
                                  f"not {len(node.args)}")
        children = node.args
    elif isinstance(node, ast.BinOp) and type(node.op) in BINARY:
        children = [node.left, node.right]
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd, ast.Not)):
        children = [node.operand]
    elif isinstance(node, ast.Compare) and all(type(op) in COMPARE for op in node.ops):
        children = [node.left, *node.comparators]
    elif isinstance(node, ast.BoolOp):
        children = node.values
    elif isinstance(node, ast.IfExp):
        children = [node.test, node.body, node.orelse]
    else:
        raise ExpressionError(f"{type(node).__name__} ({ast.unparse(node)!r}) is not allowed in "
                              "a signal expression")
    for child in children:
        _check(child, depth + 1)


def _evaluate(node: ast.AST, t: np.ndarray) -> np.ndarray | float:
    # Only the node types _check accepted reach this point.
    if isinstance(node, ast.Constant):
        return np.float64(node.value)  # numpy floats overflow to inf instead of raising
    if isinstance(node, ast.Name):
        return t if node.id == "t" else CONSTANTS[node.id]
    if isinstance(node, ast.Call):
        function = FUNCTIONS[node.func.id][0]
        return function(*(_evaluate(arg, t) for arg in node.args))
    if isinstance(node, ast.BinOp):
        return BINARY[type(node.op)](_evaluate(node.left, t), _evaluate(node.right, t))
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, t)
        if isinstance(node.op, ast.Not):
            return np.logical_not(operand).astype(float)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.Compare):
        result = np.ones_like(t, dtype=bool)
        left = _evaluate(node.left, t)
        for op, comparator in zip(node.ops, node.comparators):
            right = _evaluate(comparator, t)
            result = result & COMPARE[type(op)](left, right)
            left = right
        return result.astype(float)
    if isinstance(node, ast.BoolOp):
        values = [np.asarray(_evaluate(value, t)) != 0 for value in node.values]
        combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
        result = values[0]
        for value in values[1:]:
            result = combine(result, value)
        return result.astype(float)
    test = np.asarray(_evaluate(node.test, t)) != 0
    return np.where(test, _evaluate(node.body, t), _evaluate(node.orelse, t))
