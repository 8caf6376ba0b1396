"""Decoding Bitrix24 request parameters: JSON bodies, PHP bracket syntax in query strings,
form and multipart bodies, positional arrays; boolean and list coercion."""

import json
import re
from typing import Any
from urllib.parse import parse_qsl

_SEGMENT = re.compile(r"\[([^\]]*)\]")


class ParamsError(ValueError):
    """The request body cannot be decoded."""


def _insert(target: dict, key: str, value: Any) -> None:
    bracket = key.find("[")
    if bracket <= 0:
        target[key] = value
        return
    base = key[:bracket]
    rest = key[bracket:]
    steps = _SEGMENT.findall(rest)
    # A key like "a[b" (no closing bracket) is a plain name, as PHP reads it.
    if not steps or "".join(f"[{s}]" for s in steps) != rest[: sum(len(s) + 2 for s in steps)]:
        target[key] = value
        return
    node = target
    path = [base, *steps]
    for position, step in enumerate(path):
        last = position == len(path) - 1
        if step == "" and isinstance(node, dict):
            step = str(_next_index(node))
        if last:
            node[step] = value
            return
        child = node.get(step)
        if not isinstance(child, dict):
            child = {}
            node[step] = child
        node = child


def _next_index(node: dict) -> int:
    numbers = [int(k) for k in node if isinstance(k, str) and k.isdigit()]
    return max(numbers) + 1 if numbers else 0


def parse_pairs(pairs: list[tuple[str, Any]], into: dict | None = None) -> dict:
    """PHP's reading of ``a[b][]=v`` pairs into nested maps; ``[]`` appends with the next
    integer key. Maps keyed ``0..n-1`` become lists where a list is expected (``as_list``)."""
    result: dict = {} if into is None else into
    for key, value in pairs:
        _insert(result, key, value)
    return result


def parse_query(query: str, into: dict | None = None) -> dict:
    return parse_pairs(parse_qsl(query, keep_blank_values=True), into)


def lower_keys(params: dict) -> dict:
    """Top-level parameter names are case-insensitive (``id`` = ``ID``)."""
    return {str(k).lower(): v for k, v in params.items()}


def parse_json(raw: bytes) -> dict:
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise ParamsError(str(error)) from error
    if isinstance(data, list):
        # Positional methods: [123, {...}] is "0"=123, "1"={...}.
        return {str(i): v for i, v in enumerate(data)}
    if not isinstance(data, dict):
        raise ParamsError("The body must be a JSON object or array.")
    return data


def as_list(value: Any) -> list:
    """A list from a list, a map with integer keys (ordered by key), a scalar, or nothing."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        if all(str(k).lstrip("-").isdigit() for k in value):
            return [value[k] for k in sorted(value, key=lambda k: int(k))]
        return list(value.values())
    return [value]


def as_map(value: Any) -> dict:
    if isinstance(value, dict):
        return value
    if isinstance(value, list):
        return {str(i): v for i, v in enumerate(value)}
    return {}


TRUE = {"y", "1", "true", "yes", "on"}
FALSE = {"n", "0", "false", "no", "off", "", "none", "null"}


def to_bool(value: Any, default: bool = False) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return default
    if isinstance(value, int | float):
        return bool(value)
    text = str(value).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    return default


def to_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        try:
            number = float(str(value).strip())
        except (TypeError, ValueError):
            return None
        return int(number) if number.is_integer() else None


def is_empty(value: Any) -> bool:
    """Empty as Python clients send it: ``None``, ``""``, the text ``None``, ``[]``/``{}``."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() in ("", "None", "null")
    if isinstance(value, list | dict):
        return not value
    return False
