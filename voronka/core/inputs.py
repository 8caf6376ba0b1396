"""Turning what a user, an API client or an importer sent into model values, with every
problem named by its field. Shared by the services of every app."""

import contextlib
import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.utils.translation import gettext as _

Errors = dict[str, list[str]]


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


def merge_errors(errors: Errors, error: ValidationError) -> None:
    """Add the messages of ``error`` to ``errors`` (keyed by field, ``__all__`` when unkeyed)."""
    if hasattr(error, "error_dict"):
        for key, messages in error.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    else:
        errors.setdefault(NON_FIELD_ERRORS, []).extend(error.messages)


def model_errors(instance: models.Model, errors: Errors, exclude: list[str] | None = None) -> None:
    """Run the model's own validation on the fields not already reported."""
    try:
        instance.full_clean(exclude=[*(exclude or []), *errors])
    except ValidationError as error:
        merge_errors(errors, error)


def prepare_values(model: type[models.Model], data: dict[str, Any], errors: Errors) -> dict:
    """Trim text, parse typed values (``23.11.2026``, ``12 500,50``) and resolve relations
    given as objects or ids. ``custom_fields`` is left to its own validation; conversion
    problems go to ``errors``."""
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
        if value is None and isinstance(field, models.CharField | models.TextField):
            value = ""
        if isinstance(field, models.DecimalField) and isinstance(value, str):
            value = value.replace(" ", "").replace("\u00a0", "").replace(",", ".") or None
        is_date = isinstance(field, models.DateField) and not isinstance(
            field, models.DateTimeField
        )
        if is_date and isinstance(value, str) and value:
            value = _parse_date(value, errors, field.name)
            if value is None:
                continue
        try:
            value = field.to_python(value)
        except ValidationError as error:
            errors.setdefault(field.name, []).extend(error.messages)
            continue
        if isinstance(value, Decimal) and value.is_finite():
            # "1500" is stored and shown in history as 1500.00, as the column holds it.
            with contextlib.suppress(InvalidOperation):
                value = value.quantize(Decimal(1).scaleb(-field.decimal_places))
        values[field.name] = value
    return values


def _parse_date(text: str, errors: Errors, key: str) -> datetime.date | None:
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a date
        except ValueError:
            continue
    errors.setdefault(key, []).append(_("Enter a date such as 23.11.2026."))
    return None


def _resolve_related(field: Any, value: Any, errors: Errors) -> Any:
    """The related object for an object or a primary key; False (and an error) when missing.

    Resolving before the value is set keeps history display and full_clean from tripping over
    an id that points nowhere.
    """
    related_model = field.related_model
    if value is None or value == "":
        return None
    if isinstance(value, related_model):
        if getattr(value, "is_deleted", False):
            errors.setdefault(field.name, []).append(
                _("“%(card)s” is in the recycle bin.") % {"card": value}
            )
            return False
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


def check_active(instance: models.Model, fields: set[str], errors: Errors) -> None:
    """A newly chosen employee or catalogue entry (source, …) must still be in use."""
    for name in fields:
        field: Any = instance._meta.get_field(name) if name != "custom_fields" else None
        if field is None or not field.many_to_one:
            continue
        related = getattr(instance, name)
        if related is None or getattr(related, "is_active", True):
            continue
        if field.related_model._meta.label == settings.AUTH_USER_MODEL:
            message = _("%(user)s no longer works here; choose someone else.") % {"user": related}
        else:
            message = _("“%(value)s” is no longer in use.") % {"value": related}
        errors.setdefault(name, []).append(message)
