"""``batch``: up to 50 commands run in order under the same auth, each like a stand-alone
call, with ``$result[key][...]`` references to earlier results."""

import re
import time
from typing import Any

from voronka.integrations.bitrix24 import registry
from voronka.integrations.bitrix24.params import as_map, lower_keys, parse_query, to_bool
from voronka.integrations.bitrix24.responses import B24Error, Page, php_shape, time_block

MAX_COMMANDS = 50
_REFERENCE = re.compile(r"\$result\[([^\]]*)\]((?:\[[^\]]*\])*)")
_STEP = re.compile(r"\[([^\]]*)\]")


def _lookup(results: dict, key: str, path: str) -> Any:
    node: Any = results.get(key)
    if key not in results:
        return None
    for step in _STEP.findall(path):
        if isinstance(node, Page):
            node = node.rows
        if isinstance(node, list):
            index = int(step) if step.lstrip("-").isdigit() else None
            if index is None or not -len(node) <= index < len(node):
                return None
            node = node[index]
        elif isinstance(node, dict):
            if step not in node:
                return None
            node = node[step]
        else:
            return None
    if isinstance(node, Page):
        node = node.rows
    return node


def substitute(value: Any, results: dict) -> Any:
    """Replace ``$result[...]`` references in every string of ``value``; an unresolvable one
    becomes an empty string."""
    if isinstance(value, dict):
        return {k: substitute(v, results) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, results) for v in value]
    if not isinstance(value, str) or "$result[" not in value:
        return value
    whole = _REFERENCE.fullmatch(value)
    if whole:
        found = _lookup(results, whole.group(1), whole.group(2))
        return "" if found is None else found

    def replace(match):
        found = _lookup(results, match.group(1), match.group(2))
        return "" if found is None or isinstance(found, dict | list) else str(found)

    return _REFERENCE.sub(replace, value)


def _section(values: dict, keys: list[str]) -> Any:
    """A list when the command keys are exactly 0..n-1 in order, as PHP encodes them."""
    if not values:
        return []
    if keys == [str(i) for i in range(len(keys))] and list(values) == keys:
        return [values[k] for k in keys]
    return values


def run(ctx: registry.Context, params: dict) -> dict:
    if ctx.in_batch:
        raise B24Error("ERROR_BATCH_METHOD_NOT_ALLOWED", "Batch call is not allowed", 405)
    commands = as_map(params.get("cmd"))
    halt = to_bool(params.get("halt"), default=False)
    results: dict[str, Any] = {}
    errors: dict[str, dict] = {}
    totals: dict[str, int] = {}
    nexts: dict[str, int] = {}
    times: dict[str, dict] = {}
    keys = [str(k) for k in commands]
    inner = registry.Context(
        user=ctx.user,
        scopes=ctx.scopes,
        token=ctx.token,
        ip=ctx.ip,
        base_url=ctx.base_url,
        in_batch=True,
    )
    for position, key in enumerate(keys):
        command = commands[key] if key in commands else commands.get(int(key))
        started = time.time()
        if position >= MAX_COMMANDS:
            errors[key] = {
                "error": "ERROR_BATCH_LENGTH_EXCEEDED",
                "error_description": "Max batch length exceeded",
            }
            continue
        name, _, query = str(command or "").partition("?")
        name = name.strip().strip("/").removesuffix(".json")
        try:
            if name.lower() == "batch":
                raise B24Error("ERROR_BATCH_METHOD_NOT_ALLOWED", "Batch call is not allowed", 405)
            command_params = lower_keys(substitute(parse_query(query), results))
            command_params.pop("auth", None)
            result = registry.call(inner, name, command_params)
        except B24Error as error:
            errors[key] = error.body()
            if halt:
                break
            continue
        results[key] = result
        if isinstance(result, Page):
            totals[key] = result.total
            if result.next is not None:
                nexts[key] = result.next
        times[key] = time_block(started)
    done = [k for k in keys if k in results]
    return {
        "result": _section({k: php_shape(_rows(results[k])) for k in done}, done),
        "result_error": _section(errors, [k for k in keys if k in errors]),
        "result_total": _section(totals, [k for k in keys if k in totals]),
        "result_next": _section(nexts, [k for k in keys if k in nexts]),
        "result_time": _section(times, [k for k in keys if k in times]),
    }


def _rows(result: Any) -> Any:
    return result.rows if isinstance(result, Page) else result


@registry.method("batch", scope=registry.BASIC)
def batch(ctx, params):
    return run(ctx, params)
