"""Input handling shared by the contact and company services."""

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from voronka.core.changes import FieldChange


def check_editable(data: dict[str, Any], editable: frozenset[str]) -> None:
    """Refuse keys a service does not edit, naming each one."""
    if not isinstance(data, dict):
        raise ValidationError({"data": _("The card data must be an object.")})
    unknown = sorted(key for key in data if key not in editable)
    if unknown:
        raise ValidationError(
            {
                key: _("The field “%(field)s” cannot be set here.") % {"field": key}
                for key in unknown
            }
        )


def prepare_values(
    model: type[models.Model], data: dict[str, Any], errors: dict[str, list[str]]
) -> dict[str, Any]:
    """Trim text and turn typed values (``23.11.1980``) into Python ones, field by field.

    Relations and ``custom_fields`` pass through untouched; conversion problems go to ``errors``.
    """
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key == "custom_fields":
            continue
        field: Any = model._meta.get_field(key.removesuffix("_id"))
        if field.is_relation:
            related = _resolve_related(field, value, errors)
            if related is not False:
                values[field.name] = related
            continue
        if isinstance(value, str):
            value = value.strip()
        is_date = isinstance(field, models.DateField) and not isinstance(
            field, models.DateTimeField
        )
        if is_date and isinstance(value, str):
            value = _parse_date(value, errors, key)
        elif value is None and not field.null and isinstance(field, models.CharField):
            value = ""
        else:
            try:
                value = field.to_python(value)
            except ValidationError as error:
                errors.setdefault(key, []).extend(error.messages)
                continue
        values[key] = value
    return values


def _resolve_related(field: Any, value: Any, errors: dict[str, list[str]]) -> Any:
    """The related object for an object or a primary key; False (and an error) when missing.

    Resolving here, before the value is set, keeps history display and full_clean from
    tripping over an id that points nowhere.
    """
    related_model = field.related_model
    if value is None or value == "":
        return None
    if isinstance(value, related_model):
        return value
    if isinstance(value, models.Model):
        errors.setdefault(field.name, []).append(_("Choose a value of the right kind."))
        return False
    try:
        found = related_model._default_manager.filter(pk=int(value)).first()
    except (TypeError, ValueError):
        found = None
    if found is None:
        errors.setdefault(field.name, []).append(
            _("There is no %(model)s with id %(id)s.")
            % {"model": related_model._meta.verbose_name, "id": value}
        )
        return False
    return found


def check_active(card: Any, fields: set[str], errors: dict[str, list[str]]) -> None:
    """A newly chosen responsible or source must still be in use."""
    if "responsible" in fields and card.responsible_id and not card.responsible.is_active:
        errors.setdefault("responsible", []).append(
            _("%(user)s no longer works here; choose another responsible.")
            % {"user": card.responsible}
        )
    if "source" in fields and card.source_id and not card.source.is_active:
        errors.setdefault("source", []).append(
            _("The source “%(source)s” is no longer used.") % {"source": card.source}
        )


def _parse_date(text: str, errors: dict[str, list[str]], key: str) -> datetime.date | None:
    if not text:
        return None
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a date
        except ValueError:
            continue
    errors.setdefault(key, []).append(_("Enter a date such as 23.11.1980."))
    return None


def merge_errors(errors: dict[str, list[str]], error: ValidationError) -> None:
    """Add the messages of ``error`` to ``errors`` (keyed by field, ``__all__`` when unkeyed)."""
    if hasattr(error, "error_dict"):
        for key, messages in error.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    else:
        errors.setdefault("__all__", []).extend(error.messages)


def model_errors(
    instance: models.Model, exclude: list[str] | None = None
) -> ValidationError | None:
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as error:
        return error
    return None


def list_change(field: str, label: str, old: list[str], new: list[str]) -> list[FieldChange]:
    """A history row for a replaced list (addresses, bank accounts) when it really changed."""
    if old == new:
        return []
    return [
        FieldChange(
            field=field, label=label, old="; ".join(old) or None, new="; ".join(new) or None
        )
    ]
