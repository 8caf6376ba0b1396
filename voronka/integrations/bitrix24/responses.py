"""Success and error envelopes of the Bitrix24 REST API."""

import datetime
import json
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils import timezone

CONTENT_TYPE = "application/json; charset=utf-8"
PAGE_SIZE = 50


class B24Error(Exception):
    """An answer in the error envelope: ``{"error": code, "error_description": text}``."""

    def __init__(self, code: str, description: str, status: int = 400):
        super().__init__(description)
        self.code = code
        self.description = str(description)
        self.status = status

    def body(self) -> dict:
        return {"error": self.code, "error_description": self.description}


@dataclass
class Page:
    """A list result with the paging the envelope reports (``total``, ``next``)."""

    rows: Any
    total: int
    next: int | None = None
    extra: dict = field(default_factory=dict)


def time_block(start: float, finish: float | None = None) -> dict:
    finish = time.time() if finish is None else finish
    zone = timezone.get_current_timezone()
    return {
        "start": start,
        "finish": finish,
        "duration": finish - start,
        "processing": finish - start,
        "date_start": datetime.datetime.fromtimestamp(start, zone).isoformat(timespec="seconds"),
        "date_finish": datetime.datetime.fromtimestamp(finish, zone).isoformat(timespec="seconds"),
    }


def php_shape(value: Any) -> Any:
    """PHP's JSON: an empty map is ``[]``."""
    if isinstance(value, dict):
        if not value:
            return []
        return {k: php_shape(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [php_shape(v) for v in value]
    return value


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return list(value)
    return str(value)


def json_response(body: dict, status: int = 200) -> HttpResponse:
    return HttpResponse(
        json.dumps(body, ensure_ascii=False, default=_default),
        status=status,
        content_type=CONTENT_TYPE,
    )


def success_body(result: Any, start: float) -> dict:
    body: dict[str, Any] = {}
    if isinstance(result, Page):
        body["result"] = php_shape(result.rows)
        body["total"] = result.total
        if result.next is not None:
            body["next"] = result.next
    else:
        body["result"] = php_shape(result)
    body["time"] = time_block(start)
    return body


def error_response(error: B24Error) -> HttpResponse:
    return json_response(error.body(), status=error.status)
