"""Arithmetic over a card's numbers for robots that set fields: ``amount * 0.3``,
``round(amount / 12, 2)``. Parsed with ``ast`` and evaluated node by node over Decimals; only
numbers, field codes, + - * / // %, parentheses and a few functions exist — never ``eval``."""

import ast
from decimal import Decimal, DivisionByZero, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Mod: lambda a, b: a % b,
}


def _round(value: Decimal, places: Decimal = Decimal(0)) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-int(places)))


_FUNCTIONS = {"round": _round, "min": min, "max": max, "abs": abs}
MAX_LENGTH = 500


def parse(expression: str) -> ast.Expression:
    """Parse and check ``expression``; ValidationError when it is not plain arithmetic."""
    if not isinstance(expression, str) or not expression.strip():
        raise ValidationError(_("Write an expression."))
    if len(expression) > MAX_LENGTH:
        raise ValidationError(_("The expression is too long."))
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        raise ValidationError(
            _("“%(text)s” is not an expression.") % {"text": expression}
        ) from None
    for node in ast.walk(tree):
        allowed = isinstance(
            node,
            ast.Expression
            | ast.BinOp
            | ast.UnaryOp
            | ast.UAdd
            | ast.USub
            | ast.Constant
            | ast.Name
            | ast.Load
            | ast.Call
            | ast.operator,
        )
        if isinstance(node, ast.operator) and type(node) not in _BINARY:
            allowed = False
        if isinstance(node, ast.Constant) and (
            isinstance(node.value, bool) or not isinstance(node.value, int | float)
        ):
            allowed = False
        if isinstance(node, ast.Call) and (
            not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS or node.keywords
        ):
            allowed = False
        if not allowed:
            raise ValidationError(
                _("Only numbers, field codes, + - * / % and round, min, max, abs are allowed.")
            )
    return tree


def names_in(expression: str) -> set[str]:
    tree = parse(expression)
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    return {
        node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and id(node) not in called
    }


def evaluate(expression: str, values: dict[str, Decimal]) -> Decimal:
    """The value of ``expression`` with field codes taken from ``values``."""
    tree = parse(expression)
    try:
        return _value(tree.body, values)
    except (DivisionByZero, InvalidOperation, ZeroDivisionError):
        raise ValidationError(_("The expression divides by zero or overflows.")) from None


def _value(node: ast.AST, values: dict[str, Decimal]) -> Any:
    if isinstance(node, ast.Constant):
        return Decimal(str(node.value))
    if isinstance(node, ast.Name):
        if node.id not in values:
            raise ValidationError(_("Unknown number field “%(code)s”.") % {"code": node.id})
        return values[node.id]
    if isinstance(node, ast.UnaryOp):
        operand = _value(node.operand, values)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_value(node.left, values), _value(node.right, values))
    if isinstance(node, ast.Call):
        return _FUNCTIONS[node.func.id](*(_value(arg, values) for arg in node.args))
    raise ValidationError(_("Unsupported expression."))
