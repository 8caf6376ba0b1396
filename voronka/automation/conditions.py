"""Robot conditions: ``{"join": "and"|"or", "rules": [{"field", "op", "value"}, ...]}`` over
standard and custom fields. The evaluator answers with a trace a person can read: which rule
held, with which values."""

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from voronka.automation.fields import (
    FieldSpec,
    Kind,
    field_spec,
    raw_value,
    to_date,
    to_datetime,
    to_decimal,
)
from voronka.customization.models import CustomField

OPERATORS = {
    "eq": "=",
    "ne": "≠",
    "gt": ">",
    "gte": "≥",
    "lt": "<",
    "lte": "≤",
    "contains": _lazy("contains"),
    "empty": _lazy("is empty"),
    "not_empty": _lazy("is filled"),
    "in": _lazy("is one of"),
}
_ORDERED = {"gt", "gte", "lt", "lte"}
_NO_VALUE = {"empty", "not_empty"}


def validate_condition(
    model: type[models.Model], condition: Any, definitions: dict[str, CustomField] | None = None
) -> None:
    """Raise ValidationError naming each bad rule: unknown join, field or operator, or a
    comparison of a field that has no order."""
    if condition in (None, {}):
        return
    if not isinstance(condition, dict):
        raise ValidationError(_("A condition is an object with “join” and “rules”."))
    problems = []
    if condition.get("join", "and") not in ("and", "or"):
        problems.append(_("Join the rules with “and” or “or”."))
    rules = condition.get("rules", [])
    if not isinstance(rules, list):
        raise ValidationError(_("The rules of a condition are a list."))
    for number, rule in enumerate(rules, start=1):
        if not isinstance(rule, dict):
            problems.append(_("Rule %(n)s is not an object.") % {"n": number})
            continue
        spec = field_spec(model, str(rule.get("field", "")), definitions)
        op = rule.get("op")
        if spec is None:
            problems.append(
                _("Rule %(n)s: unknown field “%(field)s”.")
                % {"n": number, "field": rule.get("field")}
            )
        if op not in OPERATORS:
            problems.append(_("Rule %(n)s: unknown operator “%(op)s”.") % {"n": number, "op": op})
        elif (
            spec is not None
            and op in _ORDERED
            and spec.kind
            not in (
                Kind.NUMBER,
                Kind.DATE,
                Kind.DATETIME,
            )
        ):
            problems.append(
                _("Rule %(n)s: “%(field)s” cannot be compared as greater or less.")
                % {"n": number, "field": spec.label}
            )
        elif op not in _NO_VALUE and "value" not in rule:
            problems.append(_("Rule %(n)s: give a value to compare with.") % {"n": number})
    if problems:
        raise ValidationError(problems)


def evaluate(
    card: models.Model, condition: Any, definitions: dict[str, CustomField] | None = None
) -> tuple[bool, dict[str, Any]]:
    """Whether ``card`` meets ``condition``, and the trace: every rule with the card's value,
    the expected value and its answer. An empty condition always holds."""
    rules = (condition or {}).get("rules") or []
    join = (condition or {}).get("join", "and")
    trace: dict[str, Any] = {"join": join, "rules": []}
    if not rules:
        trace["result"] = True
        trace["text"] = _("No condition: the robot always runs.")
        return True, trace
    results = []
    for rule in rules:
        spec = field_spec(type(card), str(rule.get("field", "")), definitions)
        held, actual = _rule_holds(card, spec, rule)
        results.append(held)
        trace["rules"].append(
            {
                "field": rule.get("field"),
                "label": spec.label if spec else str(rule.get("field")),
                "op": rule.get("op"),
                "value": _plain(rule.get("value")),
                "actual": _plain(actual),
                "result": held,
                "text": _rule_text(spec, rule, actual, held),
            }
        )
    result = all(results) if join == "and" else any(results)
    trace["result"] = result
    trace["text"] = "; ".join(item["text"] for item in trace["rules"])
    return result, trace


def _rule_text(spec: FieldSpec | None, rule: dict, actual: Any, held: bool) -> str:
    label = capfirst(spec.label) if spec else str(rule.get("field"))
    op = OPERATORS.get(rule.get("op"), str(rule.get("op")))
    expected = "" if rule.get("op") in _NO_VALUE else f" {_plain(rule.get('value'))}"
    answer = _("yes") if held else _("no")
    shown = "—" if actual in (None, "", []) else _plain(actual)
    return f"{label} {op}{expected}: {shown} → {answer}"


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _rule_holds(card: models.Model, spec: FieldSpec | None, rule: dict) -> tuple[bool, Any]:
    if spec is None:
        return False, None
    op = rule.get("op")
    actual = raw_value(card, spec)
    if op == "empty":
        return actual is None, actual
    if op == "not_empty":
        return actual is not None, actual
    expected = rule.get("value")
    if op == "in":
        options = expected if isinstance(expected, list) else str(expected).split(",")
        wanted = {_key(spec, option) for option in options}
        if isinstance(actual, list):
            return any(_key(spec, item) in wanted for item in actual), actual
        return actual is not None and _key(spec, actual) in wanted, actual
    if op == "contains":
        if isinstance(actual, list):
            return _key(spec, expected) in {_key(spec, item) for item in actual}, actual
        if actual is None:
            return False, actual
        return str(expected).strip().casefold() in str(actual).casefold(), actual
    if isinstance(actual, list):
        # A multiple field equals a value when it holds exactly that one.
        held = {_key(spec, item) for item in actual} == {_key(spec, expected)}
        return (held if op == "eq" else not held) if op in ("eq", "ne") else False, actual
    left, right = _comparable(spec, actual), _comparable(spec, expected)
    if op == "eq":
        return left == right, actual
    if op == "ne":
        return left != right, actual
    if left is None or right is None:
        return False, actual
    try:
        held = {
            "gt": left > right,
            "gte": left >= right,
            "lt": left < right,
            "lte": left <= right,
        }[op]
    except (TypeError, KeyError):
        held = False
    return held, actual


def _key(spec: FieldSpec, value: Any) -> str:
    comparable = _comparable(spec, value)
    if isinstance(comparable, Decimal):
        return format(comparable.normalize(), "f")
    return "" if comparable is None else str(comparable).strip().casefold()


def _comparable(spec: FieldSpec, value: Any) -> Any:
    if value is None or value == "":
        return None
    if spec.kind == Kind.NUMBER:
        return to_decimal(value)
    if spec.kind == Kind.DATE:
        return to_date(value)
    if spec.kind == Kind.DATETIME:
        return to_datetime(value)
    if spec.kind == Kind.BOOLEAN:
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in ("true", "1", "yes", "y", "да", "on")
    if spec.kind == Kind.REFERENCE:
        return str(value).strip()
    return str(value).strip().casefold()
