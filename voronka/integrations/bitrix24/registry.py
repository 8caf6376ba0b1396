"""The method table: a Bitrix24 method name (any case) → its handler, scope and family, and
the one place where our exceptions become the error envelope."""

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import (
    NON_FIELD_ERRORS,
    ObjectDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.db import transaction
from django.http import Http404

from voronka.core.exceptions import ConflictError
from voronka.integrations.bitrix24.responses import B24Error

logger = logging.getLogger(__name__)

# Scope of the methods every webhook may call.
BASIC = "basic"
# A method's scope is also granted by these webhook scopes.
SCOPE_ALIASES = {
    "user": {"user", "user_brief", "user_basic"},
    "department": {"department", "user", "user_brief", "user_basic"},
}
CLASSIC, ITEM, OTHER = "classic", "item", "other"


@dataclass
class Context:
    """Who calls: the employee a webhook or token acts as, with the token's scopes."""

    user: Any
    scopes: frozenset[str]
    token: Any = None
    ip: str = ""
    base_url: str = ""
    in_batch: bool = False
    extra: dict = field(default_factory=dict)


@dataclass
class Method:
    name: str
    handler: Callable[[Context, dict], Any]
    scope: str
    family: str
    # Writes run in one transaction (an update and a stage move commit together); reads and
    # ``batch`` do not, so they never hold SQLite's write lock (its transactions are IMMEDIATE)
    # and a batch's commands commit one by one, as Bitrix24 runs them.
    atomic: bool = True


READ_VERBS = frozenset(
    {
        "get",
        "list",
        "fields",
        "current",
        "search",
        "types",
        "items",
        "time",
        "info",
        "status",
        "profile",
        "scope",
        "methods",
        "searchcrmentities",
        "findbycomm",
        "batch",
    }
)


REGISTRY: dict[str, Method] = {}


def method(*names: str, scope: str, family: str = OTHER):
    """Register a handler ``(ctx, params) -> result`` under one or more method names."""

    def register(handler):
        for name in names:
            atomic = name.lower().rsplit(".", 1)[-1] not in READ_VERBS
            REGISTRY[name.lower()] = Method(name, handler, scope, family, atomic)
        return handler

    return register


class NotFound(Exception):
    """The object does not exist or the caller may not see it (the same answer for both)."""


def method_not_found() -> B24Error:
    return B24Error("ERROR_METHOD_NOT_FOUND", "Method not found!", 404)


def allowed(scopes: frozenset[str], scope: str) -> bool:
    if scope == BASIC:
        return True
    return bool(SCOPE_ALIASES.get(scope, {scope}) & scopes)


@contextlib.contextmanager
def field_names(names: dict[str, str]):
    """Name fields in error messages as the client knows them (``responsible`` → ASSIGNED_BY_ID)."""
    try:
        yield
    except ValidationError as error:
        error.b24_names = names  # type: ignore[attr-defined]
        raise


def describe(error: ValidationError) -> str:
    names = getattr(error, "b24_names", {}) or {}
    if hasattr(error, "error_dict"):
        parts = []
        for key, messages in error.message_dict.items():
            text = " ".join(str(m) for m in messages)
            if key == NON_FIELD_ERRORS:
                parts.append(text)
            else:
                label = names.get(key) or names.get(key.removesuffix("_id")) or key
                parts.append(f"{label}: {text}")
        return "; ".join(parts)
    return " ".join(str(m) for m in error.messages)


def _translate(family: str, error: Exception) -> B24Error:
    if isinstance(error, B24Error):
        return error
    if isinstance(error, ValidationError):
        code = (
            "" if family == CLASSIC else ("INVALID_ARG_VALUE" if family == ITEM else "ERROR_CORE")
        )
        return B24Error(code, describe(error), 400)
    if isinstance(error, NotFound | ObjectDoesNotExist | Http404):
        if family == CLASSIC:
            return B24Error("", "Not found", 400)
        return B24Error("NOT_FOUND", str(error) or "Not found", 400)
    if isinstance(error, PermissionDenied):
        if family == CLASSIC:
            return B24Error("", "Access denied.", 400)
        return B24Error("ACCESS_DENIED", "Access denied.", 403)
    if isinstance(error, ConflictError):
        return B24Error("ERROR_CORE", str(error.message), 400)
    logger.exception("Bitrix24 API method failed", exc_info=error)
    return B24Error("INTERNAL_SERVER_ERROR", "Internal server error", 500)


def call(ctx: Context, name: str, params: dict) -> Any:
    """Run one method as ``ctx.user``; every failure comes out as a ``B24Error``."""
    entry = REGISTRY.get(name.lower().removesuffix(".json").strip("/"))
    if entry is None:
        raise method_not_found()
    if not allowed(ctx.scopes, entry.scope):
        raise B24Error(
            "insufficient_scope",
            "The request requires higher privileges than provided by the webhook token",
            401,
        )
    try:
        if not entry.atomic:
            return entry.handler(ctx, params)
        with transaction.atomic():
            return entry.handler(ctx, params)
    except Exception as error:
        raise _translate(entry.family, error) from error
