"""``crm.timeline.comment.*``, ``crm.activity.*`` and ``crm.duplicate.findbycomm``."""

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from voronka.access.predicates import visible_to
from voronka.contacts.models import CommunicationKind
from voronka.contacts.selectors.lists import cards_by_communication
from voronka.integrations.bitrix24 import entities as E
from voronka.integrations.bitrix24.methods.crm import paginate, start_param
from voronka.integrations.bitrix24.params import as_list, as_map, is_empty, to_bool, to_int
from voronka.integrations.bitrix24.registry import CLASSIC, OTHER, field_names, method
from voronka.integrations.bitrix24.responses import B24Error
from voronka.integrations.bitrix24.services import (
    activity_delete,
    activity_update,
    comment_delete,
    comment_update,
)
from voronka.integrations.bitrix24.values import classic, parse_when
from voronka.timeline.models import Activity, ActivityKind, EntryKind, TimelineEntry
from voronka.timeline.services import activity_complete, activity_create, comment_add

# --- duplicates ---------------------------------------------------------------------------

DUPLICATE_LIMIT = 20


@method("crm.duplicate.findbycomm", scope="crm", family=CLASSIC)
def find_by_communication(ctx, params):
    kind = {"PHONE": CommunicationKind.PHONE, "EMAIL": CommunicationKind.EMAIL}.get(
        str(params.get("type") or "").upper()
    )
    if kind is None:
        raise B24Error("", "Communication type is not defined", 400)
    values = [str(v) for v in as_list(params.get("values")) if not is_empty(v)][:DUPLICATE_LIMIT]
    if not values:
        raise B24Error("", "Communication values is not defined", 400)
    wanted = str(params.get("entity_type") or "").upper()
    found: dict[str, list[int]] = {}
    for value in values:
        for card in cards_by_communication(kind, value, user=ctx.user):
            name = E.KIND_BY_NAME.get(card._meta.model_name).name
            if wanted and name != wanted:
                continue
            ids = found.setdefault(name, [])
            if card.pk not in ids:
                ids.append(card.pk)
    ordered = {}
    for name in ("LEAD", "CONTACT", "COMPANY"):
        if name in found:
            ordered[name] = sorted(found[name])
            if len(ordered[name]) >= DUPLICATE_LIMIT:
                break
    return ordered


# --- owners -------------------------------------------------------------------------------


def _owner(ctx, type_value, owner_id, *, code="OWNER_NOT_FOUND"):
    kind = E.KINDS.get(to_int(type_value)) if to_int(type_value) else None
    if kind is None:
        kind = E.KIND_BY_NAME.get(str(type_value or "").lower())
    number = to_int(owner_id)
    if kind is None or not number:
        raise B24Error(code, "Owner is not found", 400)
    card = visible_to(ctx.user, kind.model.objects.all()).filter(pk=number).first()
    if card is None:
        raise B24Error(code, "Owner is not found", 400)
    return kind, card


# --- comments -----------------------------------------------------------------------------


def _comment_row(entry: TimelineEntry, kind: E.Kind) -> dict:
    return {
        "ID": str(entry.pk),
        "ENTITY_ID": entry.card_id,
        "ENTITY_TYPE": kind.name.lower(),
        "CREATED": classic(entry.created_at, "datetime"),
        "COMMENT": entry.text,
        "AUTHOR_ID": str(entry.author_id) if entry.author_id else None,
        "FILES": [],
    }


def _ci(params, name) -> dict:
    """A map parameter whatever the case of its keys (Bitrix24 insists on lower case)."""
    return {str(k).upper(): v for k, v in as_map(params.get(name)).items()}


@method("crm.timeline.comment.add", scope="crm", family=OTHER)
def comment_add_(ctx, params):
    fields = _ci(params, "fields")
    _kind, card = _owner(ctx, fields.get("ENTITY_TYPE"), fields.get("ENTITY_ID"))
    if is_empty(fields.get("COMMENT")):
        raise B24Error("INVALID_ARG_VALUE", "COMMENT: the comment is empty", 400)
    with field_names({"text": "COMMENT"}):
        return comment_add(actor=ctx.user, card=card, text=str(fields["COMMENT"])).pk


def _comments(card):
    return TimelineEntry.objects.filter(
        card_type=ContentType.objects.get_for_model(card),
        card_id=card.pk,
        kind=EntryKind.COMMENT,
    )


@method("crm.timeline.comment.list", scope="crm", family=OTHER)
def comment_list(ctx, params):
    filters = _ci(params, "filter")
    kind, card = _owner(ctx, filters.get("ENTITY_TYPE"), filters.get("ENTITY_ID"))
    order = []
    for key, direction in _ci(params, "order").items():
        column = {"ID": "pk", "CREATED": "created_at", "AUTHOR_ID": "author_id"}.get(key)
        if column:
            order.append(f"-{column}" if str(direction).upper() == "DESC" else column)
    entries = _comments(card).order_by(*order, "pk")
    return paginate(entries, start_param(params), lambda entry: _comment_row(entry, kind))


@method("crm.timeline.comment.get", scope="crm", family=OTHER)
def comment_get(ctx, params):
    entry = TimelineEntry.objects.filter(
        pk=to_int(params.get("id")) or 0, kind=EntryKind.COMMENT
    ).first()
    if entry is None:
        raise B24Error("NOT_FOUND", "Not found", 400)
    model = ContentType.objects.get_for_id(entry.card_type_id).model_class()
    kind = E.KIND_BY_NAME.get(model._meta.model_name)
    if kind is None or not visible_to(ctx.user, model.objects.filter(pk=entry.card_id)).exists():
        raise B24Error("NOT_FOUND", "Not found", 400)
    return _comment_row(entry, kind)


# --- activities ---------------------------------------------------------------------------

TYPE_TO_KIND = {
    1: ActivityKind.MEETING,
    2: ActivityKind.CALL,
    3: ActivityKind.TO_DO,
    4: ActivityKind.EMAIL,
}
KIND_TO_TYPE = {kind: type_id for type_id, kind in TYPE_TO_KIND.items()}


def _activity_row(activity: Activity, owners: dict) -> dict:
    owner_type = owners.get(activity.card_type_id)
    deadline = classic(activity.deadline, "datetime")
    return {
        "ID": str(activity.pk),
        "OWNER_ID": str(activity.card_id),
        "OWNER_TYPE_ID": str(owner_type) if owner_type else None,
        "TYPE_ID": str(KIND_TO_TYPE.get(activity.kind, 6)),
        "PROVIDER_ID": "CRM_" + activity.kind.upper(),
        "SUBJECT": activity.subject,
        "DESCRIPTION": activity.description,
        "DESCRIPTION_TYPE": "1",
        "RESPONSIBLE_ID": str(activity.responsible_id),
        "AUTHOR_ID": str(activity.created_by_id) if activity.created_by_id else None,
        "CREATED": classic(activity.created_at, "datetime"),
        "START_TIME": deadline,
        "END_TIME": deadline,
        "DEADLINE": deadline,
        "COMPLETED": "Y" if activity.completed_at else "N",
        "STATUS": "2" if activity.completed_at else "1",
        "DIRECTION": "0",
        "PRIORITY": "2",
        "RESULT": activity.result,
    }


def _owner_types() -> dict[int, int]:
    return {
        ContentType.objects.get_for_model(kind.model).pk: type_id
        for type_id, kind in E.KINDS.items()
    }


@method("crm.activity.add", scope="crm", family=OTHER)
def activity_add(ctx, params):
    fields = {str(k).upper(): v for k, v in as_map(params.get("fields")).items()}
    _kind, card = _owner(ctx, fields.get("OWNER_TYPE_ID"), fields.get("OWNER_ID"))
    if is_empty(fields.get("SUBJECT")):
        raise B24Error("ERROR_CORE", "The field SUBJECT is not defined or empty", 400)
    responsible = ctx.user
    if not is_empty(fields.get("RESPONSIBLE_ID")):
        responsible = (
            get_user_model()
            .objects.filter(pk=to_int(fields.get("RESPONSIBLE_ID")) or 0, is_active=True)
            .first()
        )
        if responsible is None:
            raise B24Error("ERROR_CORE", "The field RESPONSIBLE_ID is not valid", 400)
    moment = next(
        (fields[k] for k in ("DEADLINE", "END_TIME", "START_TIME") if not is_empty(fields.get(k))),
        None,
    )
    try:
        deadline = parse_when(moment) if moment is not None else None
    except ValueError:
        raise B24Error("ERROR_CORE", "The field DEADLINE is not valid", 400) from None
    with field_names(
        {"subject": "SUBJECT", "responsible": "RESPONSIBLE_ID", "deadline": "DEADLINE"}
    ):
        activity = activity_create(
            actor=ctx.user,
            card=card,
            kind=TYPE_TO_KIND.get(to_int(fields.get("TYPE_ID")) or 0, ActivityKind.TO_DO),
            subject=str(fields["SUBJECT"]),
            responsible=responsible,
            deadline=deadline,
            description=str(fields.get("DESCRIPTION") or ""),
        )
        if to_bool(fields.get("COMPLETED")):
            activity_complete(actor=ctx.user, activity=activity)
    return activity.pk


def _visible_activities(ctx):
    condition = Q(pk__in=[])
    for kind in E.KINDS.values():
        condition |= Q(
            card_type=ContentType.objects.get_for_model(kind.model),
            card_id__in=visible_to(ctx.user, kind.model.objects.all()).values("pk"),
        )
    return Activity.objects.filter(condition)


@method("crm.activity.get", scope="crm", family=OTHER)
def activity_get(ctx, params):
    activity = _visible_activities(ctx).filter(pk=to_int(params.get("id")) or 0).first()
    if activity is None:
        raise B24Error("NOT_FOUND", "Not found", 400)
    return _activity_row(activity, _owner_types())


@method("crm.activity.list", scope="crm", family=OTHER)
def activity_list(ctx, params):
    filters = {str(k).upper(): v for k, v in as_map(params.get("filter")).items()}
    activities = _visible_activities(ctx)
    owners = _owner_types()
    by_type = {type_id: ct for ct, type_id in owners.items()}
    bindings = [as_map(b) for b in as_list(filters.pop("BINDINGS", None))]
    if "OWNER_TYPE_ID" in filters or "OWNER_ID" in filters:
        bindings.append(
            {
                "OWNER_TYPE_ID": filters.pop("OWNER_TYPE_ID", None),
                "OWNER_ID": filters.pop("OWNER_ID", None),
            }
        )
    for binding in bindings:
        type_id = to_int(binding.get("OWNER_TYPE_ID"))
        if type_id:
            activities = activities.filter(card_type_id=by_type.get(type_id, 0))
        if not is_empty(binding.get("OWNER_ID")):
            activities = activities.filter(card_id=to_int(binding.get("OWNER_ID")) or 0)
    for key, value in filters.items():
        name = key.lstrip("=")
        if name == "ID":
            activities = activities.filter(pk__in=[to_int(v) or 0 for v in as_list(value)])
        elif name == "TYPE_ID":
            activities = activities.filter(
                kind__in=[TYPE_TO_KIND.get(to_int(v) or 0) for v in as_list(value)]
            )
        elif name == "COMPLETED":
            activities = activities.filter(completed_at__isnull=not to_bool(value))
        elif name == "RESPONSIBLE_ID":
            activities = activities.filter(
                responsible_id__in=[to_int(v) or 0 for v in as_list(value)]
            )
    order = []
    for key, direction in {
        str(k).upper(): v for k, v in as_map(params.get("order")).items()
    }.items():
        column = {
            "ID": "pk",
            "START_TIME": "deadline",
            "DEADLINE": "deadline",
            "CREATED": "created_at",
        }.get(key)
        if column:
            order.append(f"-{column}" if str(direction).upper() == "DESC" else column)
    activities = activities.order_by(*(order or ["deadline"]), "pk")
    return paginate(activities, start_param(params), lambda a: _activity_row(a, owners))


# --- changes and deletions (tier T1 completions) ------------------------------------------


def _comment(ctx, params) -> tuple[TimelineEntry, E.Kind]:
    number = to_int(params.get("id"))
    if not number or number <= 0:
        raise B24Error("INVALID_ARG_VALUE", "ID is not defined or invalid.", 400)
    entry = TimelineEntry.objects.filter(pk=number, kind=EntryKind.COMMENT).first()
    if entry is None:
        raise B24Error("NOT_FOUND", "Not found", 400)
    model = ContentType.objects.get_for_id(entry.card_type_id).model_class()
    kind = E.KIND_BY_NAME.get(model._meta.model_name) if model else None
    if kind is None or not visible_to(ctx.user, model.objects.filter(pk=entry.card_id)).exists():
        raise B24Error("NOT_FOUND", "Not found", 400)
    return entry, kind


@method("crm.timeline.comment.update", scope="crm", family=OTHER)
def comment_update_(ctx, params):
    entry, _kind = _comment(ctx, params)
    fields = _ci(params, "fields")
    if is_empty(fields.get("COMMENT")):
        raise B24Error("INVALID_ARG_VALUE", "COMMENT: the comment is empty", 400)
    with field_names({"text": "COMMENT"}):
        return comment_update(actor=ctx.user, entry=entry, text=str(fields["COMMENT"])).pk


@method("crm.timeline.comment.delete", scope="crm", family=OTHER)
def comment_delete_(ctx, params):
    entry, _kind = _comment(ctx, params)
    comment_delete(actor=ctx.user, entry=entry)
    return True


def _describe(kind: str, title: str, **flags) -> dict:
    return {
        "type": kind,
        "isRequired": flags.get("required", False),
        "isReadOnly": flags.get("read_only", False),
        "isImmutable": flags.get("immutable", False),
        "isMultiple": flags.get("multiple", False),
        "isDynamic": False,
        "title": title,
    }


@method("crm.timeline.comment.fields", scope="crm", family=OTHER)
def comment_fields(ctx, params):
    return {
        "ID": _describe("integer", "ID", read_only=True),
        "CREATED": _describe("datetime", "Created", read_only=True),
        "ENTITY_ID": _describe("integer", "Entity", required=True, immutable=True),
        "ENTITY_TYPE": _describe("string", "Entity type", required=True, immutable=True),
        "AUTHOR_ID": _describe("user", "Author", immutable=True),
        "COMMENT": _describe("string", "Comment", required=True),
        "FILES": _describe("attached_diskfile", "Files", read_only=True, multiple=True),
    }


def _activity(ctx, params) -> Activity:
    number = to_int(params.get("id"))
    if not number or number <= 0:
        raise B24Error("ERROR_CORE", "ID is not defined or invalid.", 400)
    activity = _visible_activities(ctx).filter(pk=number).first()
    if activity is None:
        raise B24Error("NOT_FOUND", "Not found", 400)
    return activity


def _activity_data(fields: dict) -> dict:
    data = {}
    if "SUBJECT" in fields:
        if is_empty(fields["SUBJECT"]):
            raise B24Error("ERROR_CORE", "The field SUBJECT is not defined or empty", 400)
        data["subject"] = str(fields["SUBJECT"])
    if "DESCRIPTION" in fields:
        data["description"] = "" if is_empty(fields["DESCRIPTION"]) else str(fields["DESCRIPTION"])
    moment_key = next((k for k in ("DEADLINE", "END_TIME", "START_TIME") if k in fields), None)
    if moment_key is not None:
        try:
            data["deadline"] = parse_when(fields[moment_key])
        except ValueError:
            raise B24Error("ERROR_CORE", f"The field {moment_key} is not valid", 400) from None
    if "RESPONSIBLE_ID" in fields:
        responsible = (
            get_user_model()
            .objects.filter(pk=to_int(fields["RESPONSIBLE_ID"]) or 0, is_active=True)
            .first()
        )
        if responsible is None:
            raise B24Error("ERROR_CORE", "The field RESPONSIBLE_ID is not valid", 400)
        data["responsible"] = responsible
    return data


@method("crm.activity.update", scope="crm", family=OTHER)
def activity_update_(ctx, params):
    activity = _activity(ctx, params)
    fields = {str(k).upper(): v for k, v in as_map(params.get("fields")).items()}
    data = _activity_data(fields)
    completed = to_bool(fields.get("COMPLETED")) if "COMPLETED" in fields else None
    if completed is False and activity.completed_at is not None:
        raise B24Error("ERROR_CORE", "COMPLETED: a completed activity cannot be reopened", 400)
    with field_names(
        {"subject": "SUBJECT", "responsible": "RESPONSIBLE_ID", "deadline": "DEADLINE"}
    ):
        activity = activity_update(actor=ctx.user, activity=activity, data=data)
        if completed and activity.completed_at is None:
            activity_complete(actor=ctx.user, activity=activity)
    return True


@method("crm.activity.delete", scope="crm", family=OTHER)
def activity_delete_(ctx, params):
    activity_delete(actor=ctx.user, activity=_activity(ctx, params))
    return True


@method("crm.activity.fields", scope="crm", family=OTHER)
def activity_fields(ctx, params):
    return {
        "ID": _describe("integer", "ID", read_only=True),
        "OWNER_ID": _describe("integer", "Owner", required=True, immutable=True),
        "OWNER_TYPE_ID": _describe("crm_enum_ownertype", "Owner type", required=True),
        "TYPE_ID": _describe("crm_enum_activitytype", "Type", required=True, immutable=True),
        "PROVIDER_ID": _describe("string", "Provider", read_only=True),
        "SUBJECT": _describe("string", "Subject", required=True),
        "DESCRIPTION": _describe("string", "Description"),
        "DESCRIPTION_TYPE": _describe("crm_enum_contenttype", "Description type", read_only=True),
        "RESPONSIBLE_ID": _describe("user", "Responsible", required=True),
        "AUTHOR_ID": _describe("user", "Author", read_only=True),
        "CREATED": _describe("datetime", "Created", read_only=True),
        "START_TIME": _describe("datetime", "Start"),
        "END_TIME": _describe("datetime", "End"),
        "DEADLINE": _describe("datetime", "Deadline"),
        "COMPLETED": _describe("char", "Completed"),
        "STATUS": _describe("crm_enum_activitystatus", "Status", read_only=True),
        "DIRECTION": _describe("crm_enum_activitydirection", "Direction", read_only=True),
        "PRIORITY": _describe("crm_enum_activitypriority", "Priority", read_only=True),
        "RESULT": _describe("string", "Result", read_only=True),
        "COMMUNICATIONS": _describe(
            "crm_activity_communication", "Communications", multiple=True, read_only=True
        ),
    }


@method("crm.activity.communication.fields", scope="crm", family=OTHER)
def activity_communication_fields(ctx, params):
    return {
        "ID": _describe("integer", "ID", read_only=True),
        "TYPE": _describe("string", "Type"),
        "VALUE": _describe("string", "Value"),
        "ENTITY_ID": _describe("integer", "Entity"),
        "ENTITY_TYPE_ID": _describe("integer", "Entity type"),
    }
