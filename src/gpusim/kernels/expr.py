"""Safe arithmetic expressions over named parameters, for spec files: ``"ceil(n / 256)"``."""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Mapping

_BINARY: dict[type, Callable[[float, float], float]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
}
_FUNCTIONS: dict[str, Callable[..., float]] = {
    "ceil": math.ceil, "floor": math.floor, "min": min, "max": max, "log2": math.log2, "sqrt": math.sqrt,
    "abs": abs, "round": round, "int": int,
}


class ExpressionError(ValueError):
    """An expression is malformed or names an unknown parameter."""


def evaluate(text: str, names: Mapping[str, float]) -> float:
    """Evaluate ``text`` with ``names`` bound; only arithmetic and a few math functions are allowed."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        raise ExpressionError(f"not an arithmetic expression: {text!r}") from None

    def ev(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(
                node.value, bool):
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in names:
                known = ", ".join(sorted(names)) or "none"
                raise ExpressionError(f"unknown parameter {node.id!r} in {text!r} (parameters: {known})")
            return names[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            try:
                return _BINARY[type(node.op)](ev(node.left), ev(node.right))
            except ZeroDivisionError:
                raise ExpressionError(f"division by zero in {text!r}") from None
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            value = ev(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS
                and not node.keywords):
            return _FUNCTIONS[node.func.id](*(ev(a) for a in node.args))
        raise ExpressionError(f"unsupported syntax in {text!r}")

    result = ev(tree)
    if isinstance(result, float) and result.is_integer():
        return int(result)
    return result
