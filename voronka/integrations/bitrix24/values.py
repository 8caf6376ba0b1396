"""Value formats: classic methods speak strings ("5", "12500.00", "Y"), ``crm.item.*``
native JSON; dates are ISO 8601 with the portal's offset."""

import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime


def iso_datetime(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    if isinstance(value, datetime.date):
        midnight = datetime.datetime.combine(value, datetime.time())
        return timezone.make_aware(midnight).isoformat(timespec="seconds")
    return str(value)


def classic(value: Any, kind: str) -> Any:
    """A native value as the classic methods print it."""
    if kind in ("date", "datetime"):
        return iso_datetime(value)
    if kind == "char":
        return "Y" if value else "N"
    if value is None:
        return None
    if kind == "double":
        return f"{Decimal(value):.2f}"
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, int | Decimal):
        return str(value)
    if value == "":
        return None
    return value


def native(value: Any, kind: str) -> Any:
    """A native value as ``crm.item.*`` prints it."""
    if kind in ("date", "datetime"):
        return iso_datetime(value) if value else None
    if kind == "char":
        return "Y" if value else "N"
    if kind == "double" and value is not None:
        number = float(value)
        return int(number) if number.is_integer() else number
    if value == "":
        return None
    return value


def parse_when(value: Any, *, date_only: bool = False):
    """ISO date or datetime (no offset: the portal zone) or ``DD.MM.YYYY[ HH:MI[:SS]]``."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime | datetime.date):
        return value
    text = str(value).strip()
    moment = None
    try:
        moment = parse_datetime(text)
    except ValueError:
        moment = None
    if moment is None:
        for pattern in ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y"):
            try:
                moment = datetime.datetime.strptime(text, pattern)  # noqa: DTZ007
                break
            except ValueError:
                continue
    if moment is None:
        day = parse_date(text[:10]) if len(text) >= 10 else None
        if day is None:
            raise ValueError(text)
        return (
            day
            if date_only
            else timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
        )
    if date_only:
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return moment.date()
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment
