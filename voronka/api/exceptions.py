"""Every error as JSON in the caller's language:

``{"code": "invalid", "detail": "…", "errors": {"field": ["message", …]}}`` — ``errors`` names
each field and its problems (400 and 422); ``__all__`` holds problems of the whole request.
Service errors map to HTTP: ValidationError → 400, PermissionDenied → 403, a missing or
hidden record → 404, a stale write (ConflictError) → 409, too many requests → 429 with
``Retry-After``. Duplicate control adds ``matches`` (the records a write looks like): to a 400
of a policy that blocks, and to the 409 with code ``duplicates`` a client asks for with
``on_duplicate: ask``.
"""

import logging

from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from voronka.contacts.duplicates import DuplicateBlocked, DuplicatesFound
from voronka.core.exceptions import ConflictError

logger = logging.getLogger(__name__)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class Unprocessable(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "unprocessable"


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as ``{"field": [...], "rows.0.price": [...]}``."""
    errors: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = NON_FIELD_ERRORS if key in ("non_field_errors", NON_FIELD_ERRORS) else str(key)
            path = f"{prefix}.{name}" if prefix and name != NON_FIELD_ERRORS else prefix or name
            for field, messages in _flatten(value, path).items():
                errors.setdefault(field, []).extend(messages)
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            errors.setdefault(prefix or NON_FIELD_ERRORS, []).extend(str(item) for item in detail)
        else:
            for index, item in enumerate(detail):
                if item:
                    path = f"{prefix}.{index}" if prefix else str(index)
                    for field, messages in _flatten(item, path).items():
                        errors.setdefault(field, []).extend(messages)
    else:
        errors.setdefault(prefix or NON_FIELD_ERRORS, []).append(str(detail))
    return errors


def _django_errors(error: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {
            key: [str(message) for message in value] for key, value in error.message_dict.items()
        }
    return {NON_FIELD_ERRORS: [str(message) for message in error.messages]}


def error_body(code: str, detail: str, errors: dict[str, list[str]] | None = None) -> dict:
    body: dict = {"code": code, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    return body


def exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        exc = exceptions.ParseError(_("The request body is too large."))
    if isinstance(exc, OverflowError | DataError):
        # A number beyond what the database stores (an id of 30 digits, say).
        return Response(
            error_body(
                "invalid",
                _("Check the values you sent."),
                {NON_FIELD_ERRORS: [_("A number is out of the range the database can hold.")]},
            ),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, DuplicatesFound):
        # Asked to be asked (``on_duplicate: ask``): the matches, nothing written.
        body = error_body("duplicates", _("The record looks like existing ones."))
        body["matches"] = [notice.as_json() for notice in exc.notices]
        return Response(body, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DuplicateBlocked):
        body = error_body("invalid", _("Check the values you sent."), _django_errors(exc))
        body["matches"] = [notice.as_json() for notice in exc.notices]
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        return Response(
            error_body("invalid", _("Check the values you sent."), _django_errors(exc)),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, ConflictError):
        body = error_body("conflict", str(exc.message))
        body["current_version"] = exc.current_version
        return Response(body, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body("invalid", _("Check the values you sent."), _flatten(exc.detail))
        return response
    detail = exc.detail if isinstance(exc, exceptions.APIException) else ""
    code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
    if isinstance(detail, dict | list):
        errors = _flatten(detail)
        response.data = error_body(
            code if isinstance(code, str) else "invalid", _("Check the values you sent."), errors
        )
    else:
        response.data = error_body(code if isinstance(code, str) else "error", str(detail))
    return response
