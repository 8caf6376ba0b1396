"""Merging two contacts or two companies into one, and undoing a merge.

``merge_cards`` keeps the survivor, gives it the chosen values, moves every row of the
absorbed card to it (through the movers of ``voronka.contacts.merging``) and sends the
absorbed card to the recycle bin. Everything it changed goes into the ``MergeRecord``'s
snapshot, so ``merge_undo`` can restore the absorbed card and put each row back.

The conflict rule of an undo: a row (or a survivor's field) is put back only while it still
holds what the merge left in it. One changed since — a deal moved on to another company, a
name corrected on the survivor, a phone whose place another row took — is left as it is and
named in the report, never overwritten.
"""

import datetime
import json
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.access.models import Action
from voronka.access.predicates import require
from voronka.access.services import audit_record
from voronka.contacts.events import (
    CardsMerged,
    CompanyDeleted,
    CompanyRestored,
    ContactDeleted,
    ContactRestored,
    MergeUndone,
)
from voronka.contacts.merging import (
    MergeableKind,
    MergePlan,
    merge_movers,
    mergeable_kind,
    mergeable_kinds,
    register_mergeable,
    undo_changes,
)
from voronka.contacts.models import (
    BankAccount,
    ClientSettings,
    Communication,
    Company,
    CompanyAddress,
    Contact,
    ContactCompany,
    MergeRecord,
)
from voronka.contacts.services.companies import company_update
from voronka.contacts.services.contacts import contact_update
from voronka.core.concurrency import lock_card, save_new_version
from voronka.core.events import publish
from voronka.core.normalization import company_name_key, person_name_key
from voronka.timeline.services import card_soft_delete, card_soft_restore, entry_add

MERGE_ENTRY_KIND = "merge"

# The fields a person chooses between, in the order the merge page shows them.
CONTACT_MERGE_FIELDS = (
    "last_name",
    "first_name",
    "middle_name",
    "honorific",
    "birthday",
    "position",
    "address",
    "source",
    "source_description",
    "responsible",
    "comment",
)
COMPANY_MERGE_FIELDS = (
    "company_type",
    "title",
    "full_name",
    "short_name",
    "inn",
    "kpp",
    "ogrn",
    "director",
    "industry",
    "employees_count",
    "source",
    "responsible",
    "comment",
)
CUSTOM_PREFIX = "custom_fields."
SURVIVOR = "survivor"
ABSORBED = "absorbed"


def merge_fields(model: type[models.Model]) -> tuple[str, ...]:
    return mergeable_kind(model).fields


def _json(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _card_values(card: models.Model) -> dict[str, Any]:
    """The chosen-between fields of ``card`` as JSON (by attribute name), custom fields apart."""
    return {
        card._meta.get_field(name).attname: _json(getattr(card, card._meta.get_field(name).attname))
        for name in merge_fields(type(card))
    }


def _chosen_data(survivor, absorbed, values: dict[str, Any]) -> dict[str, Any]:
    """The update data for the survivor from ``values`` (field → survivor/absorbed/value)."""
    allowed = set(merge_fields(type(survivor)))
    data: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    unknown = []
    for key, choice in (values or {}).items():
        if choice == SURVIVOR:
            continue
        if key.startswith(CUSTOM_PREFIX):
            code = key.removeprefix(CUSTOM_PREFIX)
            if choice == ABSORBED:
                choice = (absorbed.custom_fields or {}).get(code)
            custom[code] = choice
            continue
        name = key.removesuffix("_id")
        if name not in allowed:
            unknown.append(key)
            continue
        model_field = survivor._meta.get_field(name)
        if choice == ABSORBED:
            choice = getattr(absorbed, model_field.attname)
        data[model_field.attname if model_field.is_relation else name] = choice
    if unknown:
        raise ValidationError(
            {key: _("The field “%(field)s” cannot be merged.") % {"field": key} for key in unknown}
        )
    if custom:
        data["custom_fields"] = custom
    return data


def _update_card(*, actor, card, data: dict[str, Any]):
    if not data:
        return card
    return mergeable_kind(type(card)).update(actor=actor, card=card, data=data)


def refresh_keys(card: models.Model) -> None:
    """Keep the duplicate-search key of ``card`` in step with its name."""
    kind = mergeable_kinds().get(type(card)._meta.model_name)
    if kind is not None and kind.refresh_keys is not None:
        kind.refresh_keys(card)


def _refresh_client_keys(card: models.Model) -> None:
    if isinstance(card, Contact):
        key = person_name_key(card.last_name, card.first_name, card.middle_name)[:500]
        name = "name_key"
    else:
        key = company_name_key(card.title)[:255]
        name = "title_key"
    if getattr(card, name) != key:
        setattr(card, name, key)
        type(card)._base_manager.filter(pk=card.pk).update(**{name: key})


# ---- Contacts' own rows -----------------------------------------------------------------------


def _move_communications(plan: MergePlan) -> None:
    """Phones, e-mails… of the absorbed card join the survivor's; one it already has (the same
    normalised value) is removed instead."""
    card_type = plan.card_type()
    held = set(
        Communication.objects.filter(card_type=card_type, card_id=plan.survivor.pk).values_list(
            "kind", "value_normalized"
        )
    )
    rows = list(Communication.objects.filter(card_type=card_type, card_id=plan.absorbed.pk))
    plan.delete(row for row in rows if (row.kind, row.value_normalized) in held)
    plan.repoint(Communication.objects.filter(card_type=card_type), "card_id")


def _move_contact_companies(plan: MergePlan) -> None:
    """The absorbed contact's companies become the survivor's; the survivor's primary company
    stays primary."""
    links = ContactCompany.objects.filter(contact=plan.survivor)
    held = set(links.values_list("company_id", flat=True))
    has_primary = links.filter(is_primary=True).exists()
    moving = list(ContactCompany.objects.filter(contact=plan.absorbed))
    plan.delete(link for link in moving if link.company_id in held)
    for link in moving:
        if link.company_id not in held and link.is_primary and has_primary:
            plan.set_value(link, "is_primary", False)
    plan.repoint(ContactCompany.objects.all(), "contact")


def _move_company_contacts(plan: MergePlan) -> None:
    """The absorbed company's people join the survivor; a person linked to both keeps one
    link, primary if either was."""
    survivor_links = {
        link.contact_id: link for link in ContactCompany.objects.filter(company=plan.survivor)
    }
    moving = list(ContactCompany.objects.filter(company=plan.absorbed))
    shared = [link for link in moving if link.contact_id in survivor_links]
    plan.delete(shared)
    for link in shared:
        if link.is_primary:
            plan.set_value(survivor_links[link.contact_id], "is_primary", True)
    plan.repoint(ContactCompany.objects.all(), "company")


def _move_requisites(plan: MergePlan) -> None:
    """Addresses and bank accounts join the survivor's; its primary account stays primary."""
    plan.repoint(CompanyAddress.objects.all(), "company")
    if BankAccount.objects.filter(company=plan.survivor, is_primary=True).exists():
        for account in BankAccount.objects.filter(company=plan.absorbed, is_primary=True):
            plan.set_value(account, "is_primary", False)
    plan.repoint(BankAccount.objects.all(), "company")


def move_contacts_rows(plan: MergePlan) -> None:
    _move_communications(plan)
    if plan.model is Contact:
        _move_contact_companies(plan)
    elif plan.model is Company:
        _move_company_contacts(plan)
        _move_requisites(plan)


def _selectors():
    from voronka.contacts.selectors import cards

    return cards


register_mergeable(
    MergeableKind(
        model=Contact,
        entity="contact",
        fields=CONTACT_MERGE_FIELDS,
        update=lambda *, actor, card, data: contact_update(actor=actor, contact=card, data=data),
        deleted_event=lambda actor_id, pk: ContactDeleted(actor_id=actor_id, contact_id=pk),
        restored_event=lambda actor_id, pk: ContactRestored(actor_id=actor_id, contact_id=pk),
        refresh_keys=_refresh_client_keys,
        detail_url_name="contacts:contact_detail",
        picker=lambda **kwargs: _selectors().contact_picker(**kwargs),
    )
)
register_mergeable(
    MergeableKind(
        model=Company,
        entity="company",
        fields=COMPANY_MERGE_FIELDS,
        update=lambda *, actor, card, data: company_update(actor=actor, company=card, data=data),
        deleted_event=lambda actor_id, pk: CompanyDeleted(actor_id=actor_id, company_id=pk),
        restored_event=lambda actor_id, pk: CompanyRestored(actor_id=actor_id, company_id=pk),
        refresh_keys=_refresh_client_keys,
        detail_url_name="contacts:company_detail",
        picker=lambda **kwargs: _selectors().company_picker(**kwargs),
    )
)


# ---- Merge ------------------------------------------------------------------------------------


def _lock_pair(model, survivor_pk: int, absorbed_pk: int):
    """Lock both cards in id order, so two merges of the same pair cannot deadlock."""
    locked = {}
    for pk in sorted((survivor_pk, absorbed_pk)):
        locked[pk] = lock_card(model.all_objects, pk)
    return locked[survivor_pk], locked[absorbed_pk]


def _publish(actor, record: MergeRecord, *, undone: bool) -> None:
    """The absorbed card's delete or restore, then the merge or its undo, for automation,
    webhooks and the audit log."""
    actor_id = getattr(actor, "pk", None)
    kind = mergeable_kind(record.card_type.model_class())
    entity = kind.entity
    card_event = kind.restored_event if undone else kind.deleted_event
    if card_event is not None:
        publish(card_event(actor_id, record.absorbed_id))
    merge_event = MergeUndone if undone else CardsMerged
    publish(
        merge_event(
            actor_id=actor_id,
            card_type=entity,
            survivor_id=record.survivor_id,
            absorbed_id=record.absorbed_id,
            merge_id=record.pk,
        )
    )


def _merge_entry(*, actor, card, other, text: str, record: MergeRecord, action: str) -> None:
    entry_add(
        actor=actor,
        card=card,
        kind=MERGE_ENTRY_KIND,
        text=text,
        payload={
            "merge_id": record.pk,
            "action": action,
            "other_id": other.pk,
            "other_title": str(other)[:255],
        },
    )


def merge_cards(
    *, actor, survivor: models.Model, absorbed: models.Model, values: dict[str, Any], request=None
) -> MergeRecord:
    """Merge ``absorbed`` into ``survivor``: two contacts, two companies or two cards of another
    registered kind (leads).

    ``values`` says, field by field (custom fields as ``custom_fields.<code>``), which value the
    survivor keeps: ``"survivor"``, ``"absorbed"`` or an explicit value; fields not named keep
    the survivor's. Needs the right to change the survivor and to delete the absorbed card
    (PermissionDenied otherwise) and the rights on the fields it changes. Communications are
    united, every link and feed moves to the survivor, the absorbed card goes to the recycle
    bin; both feeds and the audit log record the merge. One transaction with both cards
    locked; returns the record an undo needs.
    """
    model = type(survivor)
    mergeable_kind(model)
    if type(absorbed) is not model:
        raise ValidationError(_("Only cards of one kind can be merged."))
    if survivor.pk == absorbed.pk:
        raise ValidationError(_("Choose two different cards to merge."))
    require(actor, Action.UPDATE, survivor)
    require(actor, Action.DELETE, absorbed)
    with transaction.atomic():
        survivor, absorbed = _lock_pair(model, survivor.pk, absorbed.pk)
        if survivor.is_deleted or absorbed.is_deleted:
            raise ValidationError(
                _("A card in the recycle bin cannot be merged; restore it first.")
            )
        # Checked again on the locked rows: the cards may have changed hands meanwhile.
        require(actor, Action.UPDATE, survivor)
        require(actor, Action.DELETE, absorbed)
        data = _chosen_data(survivor, absorbed, values)
        before = {"values": _card_values(survivor), "custom_fields": survivor.custom_fields or {}}
        version_before = survivor.version

        plan = MergePlan(survivor=survivor, absorbed=absorbed)
        for mover in merge_movers():
            mover(plan)
        absorbed, _changed = card_soft_delete(actor=actor, card=absorbed)
        survivor = _update_card(actor=actor, card=survivor, data=data)
        survivor.refresh_from_db()
        refresh_keys(survivor)
        if survivor.version == version_before:
            save_new_version(survivor, [])

        record = MergeRecord.objects.create(
            card_type=ContentType.objects.get_for_model(model),
            survivor_id=survivor.pk,
            absorbed_id=absorbed.pk,
            merged_by=actor,
            snapshot={
                "survivor": before,
                "merged": {
                    "values": _card_values(survivor),
                    "custom_fields": survivor.custom_fields or {},
                },
                "absorbed_title": str(absorbed),
                "survivor_title": str(survivor),
                "changes": plan.changes,
            },
        )
        _merge_entry(
            actor=actor,
            card=survivor,
            other=absorbed,
            text=_("Merged with “%(card)s”") % {"card": absorbed},
            record=record,
            action="merged_with",
        )
        _merge_entry(
            actor=actor,
            card=absorbed,
            other=survivor,
            text=_("Merged into “%(card)s”") % {"card": survivor},
            record=record,
            action="merged_into",
        )
        audit_record(
            action="card.merge",
            actor=actor,
            request=request,
            obj=survivor,
            details={
                "merge_id": record.pk,
                "absorbed_id": absorbed.pk,
                "absorbed": str(absorbed)[:255],
                "moved_rows": sum(len(c.get("pks", c.get("rows", []))) for c in plan.changes),
            },
        )
        _publish(actor, record, undone=False)
    return record


# ---- Undo -------------------------------------------------------------------------------------


def undo_deadline(record: MergeRecord, *, undo_days: int | None = None) -> datetime.datetime:
    days = ClientSettings.load().merge_undo_days if undo_days is None else undo_days
    return record.merged_at + datetime.timedelta(days=days)


def undo_refusal(record: MergeRecord, *, undo_days: int | None = None) -> str | None:
    """Why ``record`` cannot be undone now, or None when it can."""
    if record.undone_at is not None:
        return _("This merge is already undone.")
    if timezone.now() > undo_deadline(record, undo_days=undo_days):
        return _("A merge can be undone within %(days)d days; this one is older.") % {
            "days": ClientSettings.load().merge_undo_days if undo_days is None else undo_days
        }
    later = MergeRecord.objects.filter(
        Q(survivor_id=record.survivor_id) | Q(absorbed_id=record.survivor_id),
        card_type_id=record.card_type_id,
        undone_at__isnull=True,
        pk__gt=record.pk,
    )
    if later.exists():
        return _("The surviving card was merged again since; undo the later merge first.")
    return None


@dataclass
class UndoResult:
    record: MergeRecord
    restored: int = 0
    conflicts: list[str] = field(default_factory=list)


def _restore_values(*, actor, survivor, record: MergeRecord, conflicts: list[str]) -> None:
    """Give the survivor back its own values where they are still the merged ones."""
    before, merged = record.snapshot["survivor"], record.snapshot["merged"]
    current = {"values": _card_values(survivor), "custom_fields": survivor.custom_fields or {}}
    data: dict[str, Any] = {}
    for attname, old in before["values"].items():
        if old == merged["values"].get(attname):
            continue
        model_field = next(f for f in survivor._meta.concrete_fields if f.attname == attname)
        if current["values"].get(attname) != merged["values"].get(attname):
            conflicts.append(
                _("%(field)s of “%(card)s” changed since the merge and is kept.")
                % {"field": str(model_field.verbose_name).capitalize(), "card": survivor}
            )
            continue
        data[attname if model_field.is_relation else model_field.name] = model_field.to_python(old)
    custom: dict[str, Any] = {}
    codes = set(before["custom_fields"]) | set(merged["custom_fields"])
    for code in sorted(codes):
        old, new = before["custom_fields"].get(code), merged["custom_fields"].get(code)
        if old == new:
            continue
        if current["custom_fields"].get(code) != new:
            conflicts.append(
                _("The field “%(field)s” of “%(card)s” changed since the merge and is kept.")
                % {"field": code, "card": survivor}
            )
            continue
        custom[code] = old
    if custom:
        data["custom_fields"] = custom
    _update_card(actor=actor, card=survivor, data=data)


def merge_undo(*, actor, record: MergeRecord, request=None) -> UndoResult:
    """Undo a merge: the absorbed card comes back from the recycle bin with every row that
    moved, the survivor gets its own values back and loses the communications that came from
    the absorbed card. Refused (ValidationError) after ``ClientSettings.merge_undo_days``, when
    the survivor was merged again since or the absorbed card is no longer in the bin. Rows
    changed since the merge in a conflicting way stay and are listed in the result."""
    model = record.card_type.model_class()
    survivor = model.all_objects.filter(pk=record.survivor_id).first()
    absorbed = model.all_objects.filter(pk=record.absorbed_id).first()
    if survivor is None or absorbed is None:
        raise ValidationError(
            _("One of the merged cards was deleted for good; undo is impossible.")
        )
    require(actor, Action.UPDATE, survivor)
    require(actor, Action.DELETE, absorbed)
    with transaction.atomic():
        record = MergeRecord.objects.select_for_update().get(pk=record.pk)
        survivor, absorbed = _lock_pair(model, survivor.pk, absorbed.pk)
        refusal = undo_refusal(record)
        if refusal:
            raise ValidationError(refusal)
        if survivor.is_deleted:
            raise ValidationError(_("The surviving card is in the recycle bin; restore it first."))
        if not absorbed.is_deleted:
            raise ValidationError(_("The absorbed card is not in the recycle bin any more."))
        report = undo_changes(record.snapshot.get("changes", []))
        conflicts = list(report.conflicts)
        survivor = model.all_objects.get(pk=survivor.pk)
        version_before = survivor.version
        # The survivor's own values come back while the absorbed card is still in the bin, so
        # the duplicate policy does not take the two for duplicates of each other.
        _restore_values(actor=actor, survivor=survivor, record=record, conflicts=conflicts)
        absorbed, _changed = card_soft_restore(actor=actor, card=absorbed)
        survivor.refresh_from_db()
        refresh_keys(survivor)
        if survivor.version == version_before:
            save_new_version(survivor, [])
        record.undone_at = timezone.now()
        record.undone_by = actor
        record.save(update_fields=["undone_at", "undone_by"])
        _merge_entry(
            actor=actor,
            card=survivor,
            other=absorbed,
            text=_("Merge with “%(card)s” undone") % {"card": absorbed},
            record=record,
            action="undone",
        )
        _merge_entry(
            actor=actor,
            card=absorbed,
            other=survivor,
            text=_("Separated again from “%(card)s”") % {"card": survivor},
            record=record,
            action="undone",
        )
        audit_record(
            action="card.merge_undo",
            actor=actor,
            request=request,
            obj=survivor,
            details={
                "merge_id": record.pk,
                "absorbed_id": absorbed.pk,
                "restored_rows": report.restored,
                "conflicts": conflicts[:50],
            },
        )
        _publish(actor, record, undone=True)
    return UndoResult(record=record, restored=report.restored, conflicts=conflicts)
