"""``telephony.externalCall.*``: what PBX connectors call."""

from urllib.parse import urlencode

from django.contrib.contenttypes.models import ContentType

from voronka.access.predicates import visible_to
from voronka.integrations.bitrix24 import entities as E
from voronka.integrations.bitrix24.models import ExternalCall
from voronka.integrations.bitrix24.params import is_empty, to_bool, to_int
from voronka.integrations.bitrix24.registry import OTHER, method
from voronka.integrations.bitrix24.responses import B24Error
from voronka.integrations.bitrix24.services import (
    CARD_NAMES,
    call_attach_record,
    call_finish,
    call_register,
    cards_for_phone,
)
from voronka.integrations.bitrix24.values import classic, parse_when
from voronka.staff.models import User

PREFIX = "telephony.externalcall"


def _error(text: str) -> B24Error:
    return B24Error("ERROR_CORE", text, 400)


def _call_user(params) -> User:
    user_id = to_int(params.get("user_id"))
    inner = params.get("user_phone_inner")
    user = None
    if user_id:
        user = User.objects.filter(pk=user_id, is_active=True).first()
    elif not is_empty(inner):
        user = User.objects.filter(phone=str(inner).strip(), is_active=True).order_by("pk").first()
    if user is None:
        raise _error("USER_ID or USER_PHONE_INNER should be set")
    return user


def _call(ctx, params) -> ExternalCall:
    call_id = str(params.get("call_id") or "").strip()
    call = ExternalCall.objects.filter(call_id=call_id).first() if call_id else None
    if call is None:
        raise B24Error("NOT_FOUND", "Call is not found", 400)
    # An administrator's webhook reaches every call; an employee's webhook the employee's own
    # calls and those on cards the employee sees.
    if not (ctx.user.is_superuser or call.user_id == ctx.user.pk or _sees_card(ctx, call)):
        raise B24Error("NOT_FOUND", "Call is not found", 400)
    return call


def _sees_card(ctx, call: ExternalCall) -> bool:
    if call.card_type_id is None:
        return False
    model = ContentType.objects.get_for_id(call.card_type_id).model_class()
    return visible_to(ctx.user, model.objects.filter(pk=call.card_id)).exists()


def _given_card(ctx, params):
    type_name = str(params.get("crm_entity_type") or "").lower()
    card_id = to_int(params.get("crm_entity_id"))
    kind = E.KIND_BY_NAME.get(type_name)
    if kind is None or not card_id or kind.type_id == E.DEAL:
        return None
    return visible_to(ctx.user, kind.model.objects.filter(pk=card_id)).first()


def _card_ref(call: ExternalCall) -> tuple[str | None, int | None]:
    if call.card_type_id is None:
        return None, None
    model = ContentType.objects.get_for_id(call.card_type_id).model_class()
    name = next((n for m, n in CARD_NAMES.items() if m is model), None)
    return name, call.card_id


@method(f"{PREFIX}.register", scope="telephony", family=OTHER)
def register(ctx, params):
    user = _call_user(params)
    if is_empty(params.get("phone_number")):
        raise _error("PHONE_NUMBER is empty")
    call_type = to_int(params.get("type"))
    if call_type not in (1, 2, 3, 4, 5):
        raise _error("TYPE is not defined or invalid")
    started = None
    if not is_empty(params.get("call_start_date")):
        try:
            started = parse_when(params.get("call_start_date"))
        except ValueError:
            raise _error("CALL_START_DATE is invalid") from None
    call, created = call_register(
        actor=ctx.user,
        user=user,
        phone=str(params.get("phone_number")),
        call_type=call_type,
        line_number=str(params.get("line_number") or ""),
        external_call_id=str(params.get("external_call_id") or ""),
        card=_given_card(ctx, params),
        create_lead=to_bool(params.get("crm_create"), default=True),
        started_at=started,
    )
    entity_type, entity_id = _card_ref(call)
    return {
        "CALL_ID": call.call_id,
        "CRM_CREATED_LEAD": created.pk if created is not None else None,
        "CRM_CREATED_ENTITIES": (
            [{"ENTITY_TYPE": "LEAD", "ENTITY_ID": created.pk}] if created is not None else []
        ),
        "CRM_ENTITY_TYPE": entity_type,
        "CRM_ENTITY_ID": entity_id,
    }


@method(f"{PREFIX}.finish", scope="telephony", family=OTHER)
def finish(ctx, params):
    call = _call(ctx, params)
    duration = to_int(params.get("duration")) or 0
    call = call_finish(
        actor=ctx.user,
        call=call,
        duration=duration,
        status_code=str(params.get("status_code") or ""),
        failed_reason=str(params.get("failed_reason") or ""),
        cost=params.get("cost"),
        cost_currency=str(params.get("cost_currency") or ""),
        vote=to_int(params.get("vote")),
        record_url=str(params.get("record_url") or ""),
    )
    entity_type, entity_id = _card_ref(call)
    return {
        "ID": str(call.pk),
        "CALL_ID": call.call_id,
        "EXTERNAL_CALL_ID": call.external_call_id,
        "PORTAL_USER_ID": str(call.user_id),
        "PHONE_NUMBER": call.phone,
        "PORTAL_NUMBER": call.line_number,
        "INCOMING": str(call.call_type),
        "CALL_DURATION": str(call.duration),
        "CALL_START_DATE": classic(call.started_at, "datetime"),
        "CALL_STATUS": 1 if call.status_code == "200" else 0,
        "CALL_VOTE": call.vote,
        "COST": f"{call.cost:.4f}" if call.cost is not None else None,
        "COST_CURRENCY": call.cost_currency,
        "CALL_FAILED_CODE": call.status_code,
        "CALL_FAILED_REASON": call.failed_reason,
        "CRM_ACTIVITY_ID": call.activity_id,
        "CRM_ENTITY_TYPE": entity_type,
        "CRM_ENTITY_ID": entity_id,
    }


UPLOAD_FIELD = "file"


def _upload_url(ctx, call: ExternalCall, filename: str) -> str:
    """Where the second step of ``attachRecord`` posts the file: this same method with the
    call and file name in the query (and the caller's token, when it came as ``auth``)."""
    query = {"CALL_ID": call.call_id, "FILENAME": filename}
    if ctx.extra.get("auth"):
        query["auth"] = ctx.extra["auth"]
    base = ctx.extra.get("url") or f"{ctx.base_url}{PREFIX}.attachRecord"
    return f"{base}?{urlencode(query)}"


@method(f"{PREFIX}.attachRecord", scope="telephony", family=OTHER)
def attach_record(ctx, params):
    """The record as ``FILE_CONTENT`` (base64) or ``RECORD_URL``; with only ``FILENAME``, the
    answer is an ``uploadUrl`` the client posts the file to (multipart, field ``fieldName``)."""
    call = _call(ctx, params)
    content = params.get("file_content")
    url = params.get("record_url")
    filename = str(params.get("filename") or "").strip()
    files = ctx.extra.get("files")
    upload = None
    if files:
        upload = files.get(UPLOAD_FIELD) or next(iter(files.values()), None)
    if upload is None and is_empty(content) and is_empty(url):
        if not filename:
            raise _error("FILENAME, FILE_CONTENT or RECORD_URL should be set")
        if ctx.in_batch:
            raise B24Error(
                "ERROR_BATCH_METHOD_NOT_ALLOWED", "A file is not uploaded inside a batch", 405
            )
        return {"uploadUrl": _upload_url(ctx, call, filename), "fieldName": UPLOAD_FIELD}
    call = call_attach_record(
        call=call,
        filename=filename,
        content="" if upload is not None or is_empty(content) else str(content),
        url=str(url or "") if upload is None and is_empty(content) else "",
        upload=upload,
    )
    return {"FILE_ID": call.pk}


@method(f"{PREFIX}.searchCrmEntities", scope="telephony", family=OTHER)
def search_crm_entities(ctx, params):
    phone = params.get("phone_number")
    if is_empty(phone):
        raise _error("PHONE_NUMBER is empty")
    rows = []
    for card in cards_for_phone(user=ctx.user, phone=str(phone)):
        responsible = card.responsible
        name = getattr(card, "full_name", "") or str(card)
        rows.append(
            {
                "CRM_ENTITY_TYPE": CARD_NAMES[type(card)],
                "CRM_ENTITY_ID": card.pk,
                "ASSIGNED_BY_ID": card.responsible_id,
                "NAME": name,
                "ASSIGNED_BY": {
                    "ID": str(responsible.pk),
                    "TIMEMAN_STATUS": "",
                    "USER_PHONE_INNER": responsible.phone,
                    "WORK_PHONE": responsible.phone,
                    "PERSONAL_PHONE": "",
                    "PERSONAL_MOBILE": "",
                },
            }
        )
    return rows


@method(f"{PREFIX}.show", f"{PREFIX}.hide", scope="telephony", family=OTHER)
def show_or_hide(ctx, params):
    _call(ctx, params)
    return True
