"""Writes for the catalogues and definitions administrators keep: sources and custom fields."""

import secrets
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from voronka.access.models import Action, Entity
from voronka.access.predicates import require
from voronka.core.inputs import check_editable, model_errors, prepare_values
from voronka.customization.models import ENTITY_MODELS, CustomField, FieldType, Source
from voronka.customization.validation import _clean_value, is_empty

SOURCE_FIELDS = frozenset({"code", "name", "sort", "is_active"})
SOURCE_UPDATE_FIELDS = SOURCE_FIELDS - {"code"}
CUSTOM_FIELD_FIELDS = frozenset(
    {
        "entity",
        "code",
        "label",
        "field_type",
        "multiple",
        "required",
        "section",
        "sort",
        "options",
        "default",
        "is_active",
    }
)
# The code names the values stored on every card, and the entity is where they are stored.
CUSTOM_FIELD_UPDATE_FIELDS = CUSTOM_FIELD_FIELDS - {"code", "entity"}


def _write(instance, data: dict[str, Any], *, creating: bool) -> list[str]:
    """Set ``data`` on ``instance`` and validate it; every problem is named by its field."""
    errors: dict[str, list[str]] = {}
    values = prepare_values(type(instance), data, errors)
    for key, value in values.items():
        setattr(instance, key, value)
    model_errors(instance, errors)
    if errors:
        raise ValidationError(errors)
    if creating:
        instance.save()
    return list(values)


@transaction.atomic
def source_create(*, actor, data: dict[str, Any]) -> Source:
    require(actor, Action.ADD, Entity.SETTINGS)
    check_editable(data, SOURCE_FIELDS)
    source = Source()
    _write(source, data, creating=True)
    return source


@transaction.atomic
def source_update(*, actor, source: Source, data: dict[str, Any]) -> Source:
    """Rename, re-sort or retire a source; its code stays, cards and forms refer to it."""
    require(actor, Action.UPDATE, Entity.SETTINGS)
    check_editable(data, SOURCE_UPDATE_FIELDS)
    source = Source.objects.select_for_update().get(pk=source.pk)
    fields = _write(source, data, creating=False)
    if fields:
        source.save(update_fields=[*fields, "updated_at"])
    return source


def _option_id(taken: set[str]) -> str:
    # A letter first: an id such as "123e45" would be read back from the JSON column as the
    # number 1.23e47 and no longer match its option.
    while True:
        candidate = f"o{secrets.token_hex(3)}"
        if candidate not in taken:
            return candidate


def _clean_options(raw: Any, existing: list[dict[str, Any]], errors: dict) -> list[dict]:
    """List options from labels (one per line, or a list of labels or ``{"id", "label"}``).

    The values on cards keep their meaning: a label that was already offered keeps its id
    wherever it moves, and a new label written in the line of a label that is gone renames
    that option (it takes over its id).
    """
    if isinstance(raw, str):
        raw = raw.splitlines()
    if not isinstance(raw, list | tuple):
        errors.setdefault("options", []).append(_("List the options, one per line."))
        return existing
    items: list[tuple[str, str]] = []
    for item in raw:
        if isinstance(item, dict):
            label, option_id = str(item.get("label", "")).strip(), str(item.get("id") or "")
        else:
            label, option_id = str(item).strip(), ""
        if label and label not in {seen for seen, _id in items}:
            items.append((label, option_id))
    by_label = {str(option["label"]): str(option["id"]) for option in existing}
    labels = {label for label, _id in items}
    taken = {option_id for _label, option_id in items if option_id}
    taken |= {by_label[label] for label in labels if label in by_label}
    options = []
    for position, (label, option_id) in enumerate(items):
        if not option_id and label in by_label:
            option_id = by_label[label]
        if not option_id and position < len(existing):
            old = existing[position]
            if str(old["label"]) not in labels and str(old["id"]) not in taken:
                option_id = str(old["id"])  # renamed in its own line
        option_id = option_id or _option_id(taken | {str(option["id"]) for option in existing})
        taken.add(option_id)
        options.append({"id": option_id, "label": label})
    return options


def _values_exist(definition: CustomField) -> bool:
    """Whether any card (the recycle bin included) holds a value of this field."""
    model = apps.get_model(ENTITY_MODELS[definition.entity])
    return model._base_manager.filter(custom_fields__has_key=definition.code).exists()


def _options_in_use(definition: CustomField, option_ids: set[str]) -> set[str]:
    """Which of ``option_ids`` some card (the recycle bin included) has chosen."""
    if not option_ids:
        return set()
    model = apps.get_model(ENTITY_MODELS[definition.entity])
    cards = model._base_manager.filter(custom_fields__has_key=definition.code)
    if not definition.multiple:
        lookup = {f"custom_fields__{definition.code}__in": sorted(option_ids)}
        return set(
            cards.filter(**lookup).values_list(f"custom_fields__{definition.code}", flat=True)
        )
    used: set[str] = set()
    for value in cards.values_list(f"custom_fields__{definition.code}", flat=True).iterator():
        used.update(str(item) for item in (value if isinstance(value, list) else [value]))
    return used & option_ids


def _apply_custom_field(
    definition: CustomField, data: dict[str, Any], *, creating: bool
) -> list[str]:
    errors: dict[str, list[str]] = {}
    values = dict(data)
    raw_options = values.pop("options", None)
    has_default = "default" in values
    default = values.pop("default", None)
    old_type, old_multiple = definition.field_type, definition.multiple
    changed = prepare_values(CustomField, values, errors)
    for key, value in changed.items():
        setattr(definition, key, value)
    fields = list(changed)
    if definition.field_type == FieldType.LIST:
        if raw_options is not None:
            previous = definition.options or []
            definition.options = _clean_options(raw_options, previous, errors)
            fields.append("options")
            removed = {str(o["id"]) for o in previous} - {str(o["id"]) for o in definition.options}
            used = _options_in_use(definition, removed) if not creating else set()
            if used:
                labels = [str(o["label"]) for o in previous if str(o["id"]) in used]
                errors.setdefault("options", []).append(
                    _(
                        "Cards have chosen %(options)s; keep these options "
                        "(an option may be renamed in its own line)."
                    )
                    % {"options": ", ".join(f"“{label}”" for label in labels)}
                )
        if not definition.options and "options" not in errors:
            errors.setdefault("options", []).append(_("A list needs at least one option."))
    elif raw_options not in (None, "", []) or definition.options:
        definition.options = []
        fields.append("options")
    shape_changed = (definition.field_type, definition.multiple) != (old_type, old_multiple)
    if not creating and shape_changed and _values_exist(definition):
        key = "field_type" if definition.field_type != old_type else "multiple"
        errors.setdefault(key, []).append(
            _(
                "Cards already hold values of this field; its type cannot change. "
                "Create a new field instead."
            )
        )
    if has_default or "field_type" in changed or "multiple" in changed:
        settings_value = dict(definition.settings or {})
        if has_default:
            settings_value["default"] = default
        current = settings_value.get("default")
        if definition.field_type == FieldType.LIST and not is_empty(current):
            # An administrator types the option as it reads; cards store its id.
            labels = {str(option["label"]): option["id"] for option in definition.options}
            current = labels.get(str(current), current)
        if not is_empty(current):
            try:
                settings_value["default"] = _clean_value(definition, current)
            except ValidationError as error:
                errors.setdefault("default", []).extend(error.messages)
        else:
            settings_value.pop("default", None)
        if settings_value != definition.settings:
            definition.settings = settings_value
            fields.append("settings")
    model_errors(definition, errors)
    if errors:
        raise ValidationError(errors)
    return fields


@transaction.atomic
def custom_field_create(*, actor, data: dict[str, Any]) -> CustomField:
    """Add a field to leads, deals, contacts or companies.

    ``options`` (list types) are labels, one per line; ``default`` is a value of the field's
    type kept in ``settings["default"]`` for forms to offer.
    """
    require(actor, Action.ADD, Entity.SETTINGS)
    check_editable(data, CUSTOM_FIELD_FIELDS)
    definition = CustomField()
    _apply_custom_field(definition, data, creating=True)
    definition.save()
    return definition


@transaction.atomic
def custom_field_update(*, actor, definition: CustomField, data: dict[str, Any]) -> CustomField:
    """Change a field's label, options, flags or sort; the type only while no card has a
    value (stored values would stop making sense)."""
    require(actor, Action.UPDATE, Entity.SETTINGS)
    check_editable(data, CUSTOM_FIELD_UPDATE_FIELDS)
    definition = CustomField.objects.select_for_update().get(pk=definition.pk)
    fields = _apply_custom_field(definition, data, creating=False)
    if fields:
        definition.save(update_fields=[*dict.fromkeys(fields), "updated_at"])
    return definition


@transaction.atomic
def custom_field_delete(*, actor, definition: CustomField) -> bool:
    """Delete a field no card holds a value of (the recycle bin included) and return True.

    A field some card holds a value of is retired instead, and False returned: it leaves the
    forms, lists and APIs, the values stay on the cards and come back when an administrator
    makes the field active again. Stages that listed it as required simply ignore it.
    """
    require(actor, Action.DELETE, Entity.SETTINGS)
    definition = CustomField.objects.select_for_update().get(pk=definition.pk)
    if _values_exist(definition):
        if definition.is_active:
            definition.is_active = False
            definition.save(update_fields=["is_active", "updated_at"])
        return False
    definition.delete()
    return True
