"""Writes of the Bitrix24-compatible API that are its own: telephony calls (which create leads
and call activities through the card services) and event bindings."""

import base64
import binascii
import datetime
import secrets
from decimal import Decimal, InvalidOperation

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.access.models import Action
from voronka.access.predicates import require
from voronka.access.services import audit_record
from voronka.contacts.models import CommunicationKind, Company, Contact
from voronka.contacts.selectors.lists import cards_by_communication
from voronka.core.normalization import normalize_phone
from voronka.customization.models import Source
from voronka.integrations.bitrix24.models import CallType, EventBinding, ExternalCall
from voronka.sales.models import Lead
from voronka.sales.services.leads import lead_create
from voronka.timeline.models import Activity, ActivityKind, EntryKind, TimelineEntry
from voronka.timeline.services import activity_complete, activity_create

# Bitrix24 looks for the caller among contacts, then companies, then leads.
CARD_ORDER = (Contact, Company, Lead)
CARD_NAMES = {Contact: "CONTACT", Company: "COMPANY", Lead: "LEAD"}
REPEAT_WINDOW = datetime.timedelta(minutes=30)


def cards_for_phone(*, user, phone: str) -> list:
    """Cards the user sees with this phone, contacts first, then companies, then leads."""
    cards = cards_by_communication(CommunicationKind.PHONE, phone, user=user)
    return sorted(
        (c for c in cards if type(c) in CARD_ORDER),
        key=lambda card: (CARD_ORDER.index(type(card)), card.pk),
    )


def _new_call_id() -> str:
    return f"externalCall.{secrets.token_hex(16)}.{int(timezone.now().timestamp())}"


@transaction.atomic
def call_register(
    *,
    actor,
    user,
    phone: str,
    call_type: int,
    line_number: str = "",
    external_call_id: str = "",
    card=None,
    create_lead: bool = True,
    started_at=None,
) -> tuple[ExternalCall, Lead | None]:
    """Register a ringing call of ``user``'s: find the card by phone (or take ``card``) and,
    when nothing matches and ``create_lead``, create a lead from the number as ``actor``.
    A repeat within 30 minutes with the same phone, type, employee, line and PBX id returns
    the call already registered."""
    if call_type not in CallType.values:
        raise ValidationError({"TYPE": _("Unknown call type.")})
    phone = (phone or "").strip()
    if not phone:
        raise ValidationError({"PHONE_NUMBER": _("Enter the phone number.")})
    normalized = normalize_phone(phone) or ""
    started_at = started_at or timezone.now()
    repeat = ExternalCall.objects.filter(
        phone=phone,
        call_type=call_type,
        user=user,
        line_number=line_number,
        external_call_id=external_call_id,
        finished_at__isnull=True,
        started_at__gte=timezone.now() - REPEAT_WINDOW,
    ).first()
    if repeat is not None:
        return repeat, None
    created = None
    if card is None:
        found = cards_for_phone(user=actor, phone=phone)
        card = found[0] if found else None
    if card is None and create_lead:
        data = {
            "title": _("Call from %(phone)s") % {"phone": phone}
            if call_type != CallType.OUTGOING
            else _("Call to %(phone)s") % {"phone": phone},
            "responsible_id": user.pk,
        }
        source = Source.objects.filter(code__iexact="call", is_active=True).first()
        if source is not None:
            data["source"] = source
        communications = [{"kind": CommunicationKind.PHONE, "value": phone}] if normalized else []
        created = lead_create(actor=actor, data=data, communications=communications)
        card = created
    call = ExternalCall.objects.create(
        call_id=_new_call_id(),
        user=user,
        phone=phone[:64],
        phone_normalized=normalized[:64],
        call_type=call_type,
        line_number=(line_number or "")[:64],
        external_call_id=(external_call_id or "")[:255],
        card_type=ContentType.objects.get_for_model(card) if card is not None else None,
        card_id=card.pk if card is not None else None,
        created_lead_id=created.pk if created is not None else None,
        started_at=started_at,
    )
    return call, created


def call_card(call: ExternalCall):
    if call.card_type_id is None:
        return None
    model = ContentType.objects.get_for_id(call.card_type_id).model_class()
    return model._default_manager.filter(pk=call.card_id).first() if model else None


def _status_text(code: str) -> str:
    texts = {
        "200": _("answered"),
        "304": _("missed"),
        "603": _("declined"),
        "603-S": _("cancelled"),
        "486": _("busy"),
        "404": _("wrong number"),
        "480": _("unavailable"),
        "484": _("wrong number"),
        "503": _("not available"),
        "402": _("insufficient funds"),
        "423": _("blocked"),
        "403": _("forbidden"),
    }
    return texts.get(code, _("failed"))


@transaction.atomic
def call_finish(
    *,
    actor,
    call: ExternalCall,
    duration: int,
    status_code: str = "",
    failed_reason: str = "",
    cost=None,
    cost_currency: str = "",
    vote: int | None = None,
    record_url: str = "",
) -> ExternalCall:
    """Finish a call: store its statistics and put a completed call activity with the
    duration and status on the card's feed (as ``actor``, who needs the right to change it)."""
    call = ExternalCall.objects.select_for_update().get(pk=call.pk)
    if call.finished_at is not None:
        raise ValidationError({"CALL_ID": _("This call is already finished.")})
    duration = max(0, int(duration or 0))
    status_code = (status_code or "").strip() or ("200" if duration > 0 else "304")
    call.finished_at = timezone.now()
    call.duration = duration
    call.status_code = status_code[:10]
    call.failed_reason = (failed_reason or "")[:255]
    try:
        call.cost = Decimal(str(cost)) if cost not in (None, "") else None
    except InvalidOperation:
        raise ValidationError({"COST": _("Enter a number.")}) from None
    call.cost_currency = (cost_currency or "")[:3]
    call.vote = vote if vote and 1 <= vote <= 5 else None
    call.record_url = (record_url or "")[:2000]
    card = call_card(call)
    if card is not None:
        incoming = call.call_type != CallType.OUTGOING
        subject = (
            _("Incoming call from %(phone)s") if incoming else _("Outgoing call to %(phone)s")
        ) % {"phone": call.phone}
        minutes, seconds = divmod(duration, 60)
        result = _("%(status)s, %(minutes)d:%(seconds)02d") % {
            "status": _status_text(call.status_code).capitalize(),
            "minutes": minutes,
            "seconds": seconds,
        }
        activity = activity_create(
            actor=actor,
            card=card,
            kind=ActivityKind.CALL,
            subject=subject,
            responsible=call.user,
            deadline=call.started_at,
            description=result,
        )
        activity_complete(actor=actor, activity=activity, result=result)
        call.activity_id = activity.pk
    call.save()
    return call


@transaction.atomic
def call_attach_record(
    *, call: ExternalCall, filename: str = "", content: str = "", url: str = "", upload=None
) -> ExternalCall:
    """Keep a call's record: an uploaded file, base64 ``content`` saved as a file, or the
    ``url`` of it."""
    call = ExternalCall.objects.select_for_update().get(pk=call.pk)
    if upload is not None:
        name = (filename or getattr(upload, "name", "") or f"{call.call_id}.mp3").replace("/", "_")
        call.record.save(name[-100:], upload, save=False)
    elif content:
        try:
            data = base64.b64decode(content, validate=False)
        except (binascii.Error, ValueError):
            raise ValidationError({"FILE_CONTENT": _("The record is not base64.")}) from None
        name = (filename or f"{call.call_id}.mp3").replace("/", "_")[-100:]
        call.record.save(name, ContentFile(data), save=False)
    elif url:
        call.record_url = url[:2000]
    else:
        raise ValidationError({"FILE_CONTENT": _("Send the record or its URL.")})
    call.save()
    return call


# --- event bindings -----------------------------------------------------------------------


def application_token_for(*, user, token) -> str:
    """The ``auth[application_token]`` the handlers of one webhook receive (the same for all
    its bindings, so a handler checks one value)."""
    existing = EventBinding.objects.filter(user=user, token=token).first()
    return existing.application_token if existing else secrets.token_hex(16)


@transaction.atomic
def event_bind(*, user, token, event: str, handler: str, client_endpoint: str = "") -> EventBinding:
    binding, _created = EventBinding.objects.get_or_create(
        event=event.upper(),
        handler=handler,
        user=user,
        defaults={
            "token": token,
            "client_endpoint": client_endpoint[:500],
            "application_token": application_token_for(user=user, token=token),
        },
    )
    return binding


@transaction.atomic
def event_unbind(*, user, event: str, handler: str = "") -> int:
    bindings = EventBinding.objects.filter(user=user, event=event.upper())
    if handler:
        bindings = bindings.filter(handler=handler)
    count, _details = bindings.delete()
    return count


# --- comments and activities: the edits only the Bitrix24 API offers ----------------------
#
# The feed's own services add comments and plan and complete activities; changing and
# deleting them is what Bitrix24 integrations do besides, under the same rule: it is a change
# of the card (the right to update it), and a comment is changed only by its author.


def _card_of(card_type_id: int, card_id: int):
    model = ContentType.objects.get_for_id(card_type_id).model_class()
    return model._base_manager.filter(pk=card_id).first() if model else None


def _require_card_change(actor, card) -> None:
    if card is not None and actor is not None:
        require(actor, Action.UPDATE, card)


def _require_author(actor, entry: TimelineEntry) -> None:
    if actor is None or actor.is_superuser or entry.author_id == actor.pk:
        return
    raise PermissionDenied(_("Only the author changes or deletes a comment."))


@transaction.atomic
def comment_update(*, actor, entry: TimelineEntry, text: str) -> TimelineEntry:
    """Rewrite a comment's text (its author, with the right to change the card)."""
    entry = TimelineEntry.objects.select_for_update().get(pk=entry.pk, kind=EntryKind.COMMENT)
    card = _card_of(entry.card_type_id, entry.card_id)
    _require_card_change(actor, card)
    _require_author(actor, entry)
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write the comment text.")})
    if text != entry.text:
        entry.text = text
        entry.save(update_fields=["text"])
        queue_event("ONCRMTIMELINECOMMENTUPDATE", {"ID": entry.pk})
    return entry


@transaction.atomic
def comment_delete(*, actor, entry: TimelineEntry) -> None:
    """Delete a comment (its author, with the right to change the card); the audit log keeps
    its text."""
    entry = TimelineEntry.objects.select_for_update().get(pk=entry.pk, kind=EntryKind.COMMENT)
    card = _card_of(entry.card_type_id, entry.card_id)
    _require_card_change(actor, card)
    _require_author(actor, entry)
    audit_record(
        action="comment.delete",
        actor=actor,
        object_type=entry._meta.label_lower,
        object_id=entry.pk,
        object_repr=entry.text[:255],
        details={
            "card_type": card._meta.model_name if card is not None else "",
            "card_id": entry.card_id,
            "text": entry.text,
        },
    )
    pk = entry.pk
    entry.delete()
    queue_event("ONCRMTIMELINECOMMENTDELETE", {"ID": pk})


ACTIVITY_FIELDS = frozenset({"subject", "description", "deadline", "responsible"})


def _activity_entries(activity: Activity):
    return TimelineEntry.objects.filter(
        card_type_id=activity.card_type_id,
        card_id=activity.card_id,
        kind__in=[EntryKind.ACTIVITY, EntryKind.ACTIVITY_DONE],
        payload__activity_id=activity.pk,
    )


@transaction.atomic
def activity_update(*, actor, activity: Activity, data: dict) -> Activity:
    """Change an activity's subject, description, deadline or responsible (the right to
    change its card); its line in the feed follows."""
    unknown = set(data) - ACTIVITY_FIELDS
    if unknown:
        raise ValidationError(
            {key: [_("This field cannot be changed here.")] for key in sorted(unknown)}
        )
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    _require_card_change(actor, _card_of(activity.card_type_id, activity.card_id))
    changed = [key for key, value in data.items() if getattr(activity, key) != value]
    if not changed:
        return activity
    for key in changed:
        setattr(activity, key, data[key])
    if "subject" in changed:
        activity.subject = (activity.subject or "").strip()
    activity.full_clean(exclude=["card_type"])
    activity.save(update_fields=[key for key in changed])
    planned = _activity_entries(activity).filter(kind=EntryKind.ACTIVITY).first()
    if planned is not None:
        planned.text = activity.subject
        planned.payload = {
            **planned.payload,
            "deadline": activity.deadline.isoformat() if activity.deadline else None,
            "responsible_id": activity.responsible_id,
        }
        planned.save(update_fields=["text", "payload"])
    queue_event("ONCRMACTIVITYUPDATE", {"ID": activity.pk})
    return activity


@transaction.atomic
def activity_delete(*, actor, activity: Activity) -> None:
    """Delete an activity and its lines in the feed (the right to change its card); the audit
    log keeps what it was."""
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    card = _card_of(activity.card_type_id, activity.card_id)
    _require_card_change(actor, card)
    audit_record(
        action="activity.delete",
        actor=actor,
        obj=activity,
        details={
            "card_type": card._meta.model_name if card is not None else "",
            "card_id": activity.card_id,
            "kind": activity.kind,
            "subject": activity.subject,
            "deadline": activity.deadline.isoformat() if activity.deadline else None,
            "completed": activity.completed_at is not None,
        },
    )
    _activity_entries(activity).delete()
    pk = activity.pk
    activity.delete()
    queue_event("ONCRMACTIVITYDELETE", {"ID": pk})


def queue_event(event: str, fields: dict) -> None:
    """Deliver an outgoing Bitrix24 event to its bindings once the transaction commits."""
    from voronka.integrations.bitrix24.tasks import deliver_event

    def send_all() -> None:
        for binding_id in EventBinding.objects.filter(event=event).values_list("pk", flat=True):
            deliver_event.delay(binding_id, event, fields)

    transaction.on_commit(send_all)


# --- click-to-call ------------------------------------------------------------------------


def card_type_name(card) -> str:
    """``CONTACT``, ``COMPANY``, ``LEAD`` or ``DEAL``: how Bitrix24 names a call's card."""
    return card._meta.model_name.upper()


def call_start(*, actor, phone: str, card=None, line_number: str = "") -> ExternalCall:
    """Click-to-call: register an outgoing call of ``actor`` to ``phone`` (on ``card``, or the
    card found by the number) and ask the PBX bound to ``ONEXTERNALCALLSTART`` to dial it.

    The PBX connects the employee's extension (their phone field) with the number and reports
    the end of the call with ``telephony.externalcall.finish`` and this call's ``CALL_ID``; it
    registers nothing itself, the call is registered here. PermissionDenied when ``card`` is
    one the employee may not see."""
    if card is not None:
        require(actor, Action.READ, card)
    with transaction.atomic():
        call, _created = call_register(
            actor=actor,
            user=actor,
            phone=phone,
            call_type=CallType.OUTGOING,
            line_number=line_number,
            card=card,
            create_lead=False,
        )
        card = call_card(call)
        queue_event(
            "ONEXTERNALCALLSTART",
            {
                "PHONE_NUMBER": call.phone,
                "PHONE_NUMBER_INTERNATIONAL": call.phone_normalized or call.phone,
                "EXTENSION": actor.phone or "",
                "USER_ID": actor.pk,
                "CALL_LIST_ID": "",
                "LINE_NUMBER": call.line_number,
                "IS_MOBILE": "0",
                "CALL_ID": call.call_id,
                "CRM_ENTITY_TYPE": card_type_name(card) if card is not None else "",
                "CRM_ENTITY_ID": card.pk if card is not None else "",
            },
        )
    return call
