"""``crm.{lead,deal,contact,company}.userfield.*`` (tier T2): our custom field definitions as
Bitrix24 user fields ``UF_CRM_<CODE>``, written through the customization services."""

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from voronka.customization.models import CustomField, FieldType
from voronka.customization.services import (
    custom_field_create,
    custom_field_delete,
    custom_field_update,
)
from voronka.integrations.bitrix24 import entities as E
from voronka.integrations.bitrix24.params import as_list, as_map, is_empty, to_bool, to_int
from voronka.integrations.bitrix24.registry import CLASSIC, NotFound, field_names, method
from voronka.integrations.bitrix24.responses import B24Error, Page

# Bitrix24 user field type → ours; a string with several rows is our text.
TYPES_IN = {
    "string": FieldType.STRING,
    "integer": FieldType.INTEGER,
    "double": FieldType.DECIMAL,
    "money": FieldType.MONEY,
    "date": FieldType.DATE,
    "datetime": FieldType.DATETIME,
    "boolean": FieldType.BOOLEAN,
    "enumeration": FieldType.LIST,
    "employee": FieldType.EMPLOYEE,
    "crm": FieldType.CRM_LINK,
    "url": FieldType.URL,
}
PREFIX = "UF_CRM_"
NAMES = {
    "code": "FIELD_NAME",
    "label": "EDIT_FORM_LABEL",
    "field_type": "USER_TYPE_ID",
    "multiple": "MULTIPLE",
    "required": "MANDATORY",
    "sort": "SORT",
    "options": "LIST",
    "default": "SETTINGS[DEFAULT_VALUE]",
    "is_active": "ID",
}
LABEL_KEYS = ("EDIT_FORM_LABEL", "LIST_COLUMN_LABEL", "LIST_FILTER_LABEL", "LABEL")


def _yn(value: bool) -> str:
    return "Y" if value else "N"


def _type_out(definition: CustomField) -> str:
    return E.UF_TYPES.get(definition.field_type, "string")


def _default(definition: CustomField) -> Any:
    return (definition.settings or {}).get("default")


def _settings(definition: CustomField) -> dict:
    default = _default(definition)
    settings: dict[str, Any] = {"DEFAULT_VALUE": "" if default is None else default}
    if definition.field_type == FieldType.TEXT:
        settings["ROWS"] = 5
    if definition.field_type == FieldType.CRM_LINK:
        allowed = (definition.settings or {}).get("entities") or [
            "lead",
            "deal",
            "contact",
            "company",
        ]
        settings.update({name.upper(): "Y" for name in allowed})
    return settings


def _items(definition: CustomField) -> list[dict]:
    default = _default(definition)
    return [
        {
            "ID": str(option["id"]),
            "SORT": str((position + 1) * 10),
            "VALUE": option["label"],
            "DEF": _yn(str(option["id"]) == str(default)),
            "XML_ID": str(option["id"]),
        }
        for position, option in enumerate(definition.options or [])
    ]


def userfield_row(kind: E.Kind, definition: CustomField, *, languages: bool = False) -> dict:
    label: Any = definition.label
    if languages:
        label = {"ru": definition.label, "en": definition.label}
    row = {
        "ID": str(definition.pk),
        "ENTITY_ID": f"CRM_{kind.name}",
        "FIELD_NAME": E.uf_name(definition),
        "USER_TYPE_ID": _type_out(definition),
        "XML_ID": None,
        "SORT": str(definition.sort),
        "MULTIPLE": _yn(definition.multiple),
        "MANDATORY": _yn(definition.required),
        "SHOW_FILTER": "E",
        "SHOW_IN_LIST": "Y",
        "EDIT_IN_LIST": "Y",
        "IS_SEARCHABLE": "N",
        "SETTINGS": _settings(definition),
        "EDIT_FORM_LABEL": label,
        "LIST_COLUMN_LABEL": label,
        "LIST_FILTER_LABEL": label,
        "ERROR_MESSAGE": None,
        "HELP_MESSAGE": None,
    }
    if definition.field_type == FieldType.LIST:
        row["LIST"] = _items(definition)
    return row


def _label(fields: dict) -> str | None:
    for key in LABEL_KEYS:
        value = fields.get(key)
        if isinstance(value, dict):
            value = value.get("ru") or value.get("en") or next(iter(value.values()), "")
        if not is_empty(value):
            return str(value).strip()
    return None


def _code(field_name: Any) -> str:
    text = str(field_name or "").strip()
    if text.upper().startswith(PREFIX):
        text = text[len(PREFIX) :]
    return text.lower()


def _field_type(fields: dict) -> str:
    given = str(fields.get("USER_TYPE_ID") or "").strip().lower()
    if given not in TYPES_IN:
        raise ValidationError(
            {
                "field_type": _("The type “%(type)s” is not supported; use one of: %(types)s.")
                % {"type": given, "types": ", ".join(TYPES_IN)}
            }
        )
    settings = as_map(fields.get("SETTINGS"))
    if given == "string" and (to_int(settings.get("ROWS")) or 1) > 1:
        return FieldType.TEXT
    return TYPES_IN[given]


def _options(fields: dict, definition: CustomField | None) -> tuple[list[dict] | None, Any]:
    """The options after the ``LIST`` edits (items with ``ID`` change or, with ``DEL=Y``,
    remove an option; items without add one) and the label marked ``DEF=Y``."""
    if "LIST" not in fields:
        return None, None
    options = [dict(option) for option in (definition.options if definition else []) or []]
    by_id = {str(option["id"]): option for option in options}
    default = None
    added: list[tuple[int, dict]] = []
    for position, raw in enumerate(as_list(fields.get("LIST"))):
        item = {str(k).upper(): v for k, v in as_map(raw).items()}
        option_id = str(item.get("ID") or "").strip()
        value = str(item.get("VALUE") or "").strip()
        if option_id and option_id in by_id:
            if to_bool(item.get("DEL")):
                options.remove(by_id.pop(option_id))
                continue
            if value:
                by_id[option_id]["label"] = value
            option = by_id[option_id]
        elif value and not to_bool(item.get("DEL")):
            option = {"id": "", "label": value}
            sort = to_int(item.get("SORT"))
            added.append((sort if sort is not None else 1_000_000 + position, option))
        else:
            continue
        if to_bool(item.get("DEF")):
            default = option["label"]
    options += [option for _sort, option in sorted(added, key=lambda pair: pair[0])]
    return [o if o["id"] else o["label"] for o in options], default


def _data(fields: dict, definition: CustomField | None) -> dict:
    data: dict[str, Any] = {}
    label = _label(fields)
    if label is not None:
        data["label"] = label
    if "USER_TYPE_ID" in fields:
        data["field_type"] = _field_type(fields)
    if "MULTIPLE" in fields:
        data["multiple"] = to_bool(fields["MULTIPLE"])
    if "MANDATORY" in fields:
        data["required"] = to_bool(fields["MANDATORY"])
    if "SORT" in fields:
        sort = to_int(fields["SORT"])
        data["sort"] = sort if sort is not None and sort >= 0 else fields["SORT"]
    options, default = _options(fields, definition)
    if options is not None:
        data["options"] = options
    settings = as_map(fields.get("SETTINGS"))
    if default is not None:
        data["default"] = default
    elif "DEFAULT_VALUE" in {str(k).upper() for k in settings}:
        value = next(v for k, v in settings.items() if str(k).upper() == "DEFAULT_VALUE")
        data["default"] = None if is_empty(value) else value
    return data


def _fields(params) -> dict:
    fields = params.get("fields")
    if fields in (None, ""):
        fields = {}
    if not isinstance(fields, dict):
        raise B24Error("", "Parameter 'fields' must be array.", 400)
    return {str(k).upper(): v for k, v in fields.items()}


def _definition(kind: E.Kind, params) -> CustomField:
    number = to_int(params.get("id"))
    if not number or number <= 0:
        raise B24Error("", "ID is not defined or invalid.", 400)
    definition = CustomField.objects.filter(pk=number, entity=kind.entity, is_active=True).first()
    if definition is None:
        raise NotFound(_("Not found"))
    return definition


def _list(kind: E.Kind, params) -> Page:
    filters = {str(k).upper(): v for k, v in as_map(params.get("filter")).items()}
    definitions = CustomField.objects.filter(entity=kind.entity, is_active=True)
    if "ID" in filters:
        definitions = definitions.filter(pk=to_int(filters["ID"]) or 0)
    if "FIELD_NAME" in filters:
        definitions = definitions.filter(code=_code(filters["FIELD_NAME"]))
    if "USER_TYPE_ID" in filters:
        wanted = str(filters["USER_TYPE_ID"]).lower()
        definitions = definitions.filter(
            field_type__in=[ours for ours, theirs in E.UF_TYPES.items() if theirs == wanted]
        )
    for key, attribute in (("MULTIPLE", "multiple"), ("MANDATORY", "required")):
        if key in filters:
            definitions = definitions.filter(**{attribute: to_bool(filters[key])})
    order = []
    for key, direction in as_map(params.get("order")).items():
        attribute = {"ID": "pk", "SORT": "sort", "FIELD_NAME": "code"}.get(str(key).upper())
        if attribute:
            order.append(f"-{attribute}" if str(direction).upper() == "DESC" else attribute)
    rows = [userfield_row(kind, d) for d in definitions.order_by(*order, "sort", "pk")]
    return Page(rows, total=len(rows))


def _register(kind: E.Kind) -> None:
    prefix = f"crm.{kind.name.lower()}.userfield"

    @method(f"{prefix}.list", scope="crm", family=CLASSIC)
    def list_(ctx, params):
        return _list(kind, params)

    @method(f"{prefix}.get", scope="crm", family=CLASSIC)
    def get(ctx, params):
        return userfield_row(kind, _definition(kind, params), languages=True)

    @method(f"{prefix}.add", scope="crm", family=CLASSIC)
    def add(ctx, params):
        fields = _fields(params)
        with field_names(NAMES):
            if is_empty(fields.get("FIELD_NAME")):
                raise ValidationError({"code": _("Enter the field's name.")})
            if "USER_TYPE_ID" not in fields:
                raise ValidationError({"field_type": _("Choose the field's type.")})
            data = {
                "entity": kind.entity,
                "code": _code(fields["FIELD_NAME"]),
                "label": _code(fields["FIELD_NAME"]).upper(),
                **_data(fields, None),
            }
            definition = custom_field_create(actor=ctx.user, data=data)
        E.forget_definitions(kind)
        return definition.pk

    @method(f"{prefix}.update", scope="crm", family=CLASSIC)
    def update(ctx, params):
        definition = _definition(kind, params)
        fields = _fields(params)
        if "LIST" not in fields and params.get("list") not in (None, ""):
            fields["LIST"] = params["list"]  # b24pysdk sends the items beside ``fields``
        with field_names(NAMES):
            custom_field_update(
                actor=ctx.user, definition=definition, data=_data(fields, definition)
            )
        E.forget_definitions(kind)
        return True

    @method(f"{prefix}.delete", scope="crm", family=CLASSIC)
    def delete(ctx, params):
        custom_field_delete(actor=ctx.user, definition=_definition(kind, params))
        E.forget_definitions(kind)
        return True


for _kind in E.KINDS.values():
    _register(_kind)
