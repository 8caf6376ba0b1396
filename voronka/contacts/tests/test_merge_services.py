"""Merging contacts and companies moves everything to the survivor; undo puts it all back."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from voronka.access.models import Action, AuditEvent, Entity, Scope
from voronka.access.predicates import forget_rights
from voronka.access.tests.factories import role_with
from voronka.contacts.events import CardsMerged, CompanyDeleted, CompanyRestored, MergeUndone
from voronka.contacts.models import (
    BankAccount,
    ClientSettings,
    Communication,
    Company,
    CompanyAddress,
    Contact,
    ContactCompany,
    DuplicateEntity,
    DuplicateMode,
    DuplicatePolicy,
    MergeRecord,
)
from voronka.contacts.services import company_create, contact_create, contact_update
from voronka.contacts.services.merge import merge_cards, merge_undo, refresh_keys
from voronka.contacts.tests.factories import make_settlement_account
from voronka.sales.models import Deal, DealContact, Lead
from voronka.sales.tests.factories import DealFactory, LeadFactory
from voronka.staff.tests.factories import DepartmentFactory, UserFactory
from voronka.tasks.models import Task
from voronka.tasks.tests.factories import TaskFactory
from voronka.timeline.models import Activity, ActivityKind, TimelineEntry
from voronka.timeline.services import comment_add

pytestmark = pytest.mark.django_db

SBERBANK = {"bank_name": "ПАО Сбербанк", "bic": "044525225"}
VOLATILE = {"version", "updated_at"}
MERGE_KINDS = {"merge", "deleted", "restored", "field_changed"}


def dump(*models, exclude_entries_after=None):
    """Every row of ``models`` as comparable dicts (volatile columns left out)."""
    rows = {}
    for model in models:
        queryset = model._base_manager.order_by("pk")
        if model is TimelineEntry and exclude_entries_after is not None:
            queryset = queryset.filter(pk__lte=exclude_entries_after)
        rows[model._meta.label] = [
            {key: value for key, value in row.items() if key not in VOLATILE}
            for row in queryset.values()
        ]
    return rows


TABLES = (
    Contact,
    Company,
    Communication,
    ContactCompany,
    CompanyAddress,
    BankAccount,
    Lead,
    Deal,
    DealContact,
    TimelineEntry,
    Activity,
    Task,
)


def card_ref(card):
    return {"card_type": ContentType.objects.get_for_model(card), "card_id": card.pk}


def counts(card):
    """How many rows of each kind belong to ``card``."""
    ref = card_ref(card)
    result = {
        "communications": Communication.objects.filter(**ref).count(),
        "timeline": TimelineEntry.objects.filter(**ref).exclude(kind__in=MERGE_KINDS).count(),
        "activities": Activity.objects.filter(**ref).count(),
        "tasks": Task.objects.filter(**ref).count(),
    }
    if isinstance(card, Contact):
        result |= {
            "leads": Lead._base_manager.filter(contact=card).count(),
            "deal_links": DealContact.objects.filter(contact=card).count(),
            "company_links": ContactCompany.objects.filter(contact=card).count(),
        }
    else:
        result |= {
            "leads": Lead._base_manager.filter(company=card).count(),
            "deals": Deal._base_manager.filter(company=card).count(),
            "contact_links": ContactCompany.objects.filter(company=card).count(),
            "addresses": CompanyAddress.objects.filter(company=card).count(),
            "bank_accounts": BankAccount.objects.filter(company=card).count(),
        }
    return result


def surround(card, actor, *, n=1):
    """Feed, activities, tasks and leads around ``card``."""
    for number in range(n):
        comment_add(actor=actor, card=card, text=f"Комментарий {number}")
        Activity.objects.create(
            **card_ref(card), kind=ActivityKind.CALL, subject="Звонок", responsible=actor
        )
        TaskFactory(responsible=actor, **card_ref(card))
        if isinstance(card, Contact):
            LeadFactory(responsible=actor, contact=card)
        else:
            LeadFactory(responsible=actor, company=card)


def make_contact(actor, last_name, phones, **data):
    contact = contact_create(
        actor=actor,
        data={"last_name": last_name, "first_name": "Пётр", **data},
        communications=[{"kind": "phone", "value": phone} for phone in phones],
    )
    refresh_keys(contact)
    return contact


def make_company(actor, title, phones, *, accounts=(), **data):
    company = company_create(
        actor=actor,
        data={"title": title, **data},
        communications=[{"kind": "phone", "value": phone} for phone in phones],
        addresses=[{"kind": "legal", "city": "Москва", "street_address": f"{title}, 1"}],
        bank_accounts=[
            {**SBERBANK, "account_number": make_settlement_account("044525225", number)}
            for number in accounts
        ],
    )
    refresh_keys(company)
    return company


@pytest.fixture
def two_contacts(manager):
    survivor = make_contact(manager, "Иванов", ["+7 912 345-67-89", "+7 912 000-00-01"])
    absorbed = make_contact(
        manager, "Иванофф", ["8 (912) 345-67-89", "+7 912 000-00-02"], position="Закупщик"
    )
    shared_company = make_company(manager, "Ромашка", [])
    own_company = make_company(manager, "Лютик", [])
    ContactCompany.objects.create(contact=survivor, company=shared_company, is_primary=True)
    ContactCompany.objects.create(contact=absorbed, company=shared_company, is_primary=False)
    ContactCompany.objects.create(contact=absorbed, company=own_company, is_primary=True)
    shared_deal = DealFactory(responsible=manager)
    DealContact.objects.create(deal=shared_deal, contact=absorbed, is_primary=True)
    DealContact.objects.create(deal=shared_deal, contact=survivor, is_primary=False, sort=1)
    own_deal = DealFactory(responsible=manager)
    DealContact.objects.create(deal=own_deal, contact=absorbed, is_primary=True)
    surround(survivor, manager)
    surround(absorbed, manager, n=2)
    return survivor, absorbed


@pytest.fixture
def two_companies(manager):
    survivor = make_company(manager, "ООО «Ромашка»", ["+7 495 123-45-67"], accounts=[1])
    absorbed = make_company(
        manager, "Ромашка ООО", ["8 495 123 45 67", "+7 495 765-43-21"], accounts=[2, 3]
    )
    both = make_contact(manager, "Сидоров", [])
    only_absorbed = make_contact(manager, "Петров", [])
    ContactCompany.objects.create(contact=both, company=survivor, is_primary=False)
    ContactCompany.objects.create(contact=both, company=absorbed, is_primary=True)
    ContactCompany.objects.create(contact=only_absorbed, company=absorbed, is_primary=True)
    DealFactory(responsible=manager, company=survivor)
    DealFactory(responsible=manager, company=absorbed)
    deleted_deal = DealFactory(responsible=manager, company=absorbed)
    Deal._base_manager.filter(pk=deleted_deal.pk).update(deleted_at=timezone.now())
    surround(survivor, manager)
    surround(absorbed, manager, n=2)
    return survivor, absorbed


class TestMergeContacts:
    def test_moves_everything_to_the_survivor(self, manager, two_contacts):
        survivor, absorbed = two_contacts
        before_survivor, before_absorbed = counts(survivor), counts(absorbed)

        record = merge_cards(
            actor=manager, survivor=survivor, absorbed=absorbed, values={"position": "absorbed"}
        )

        after = counts(survivor)
        assert counts(absorbed) == dict.fromkeys(before_absorbed, 0)
        # One phone is the same number written differently: united, not doubled.
        assert after["communications"] == 3
        assert after["timeline"] == before_survivor["timeline"] + before_absorbed["timeline"]
        assert after["activities"] == 3
        assert after["tasks"] == 3
        assert after["leads"] == 3
        # The shared deal keeps one link to the survivor, now primary; the other deal moved.
        assert after["deal_links"] == 2
        assert set(
            DealContact.objects.filter(contact=survivor).values_list("is_primary", flat=True)
        ) == {True}
        # The shared company is linked once; the survivor's primary company stays primary.
        assert after["company_links"] == 2
        primary = ContactCompany.objects.get(contact=survivor, is_primary=True)
        assert primary.company.title == "Ромашка"

        survivor.refresh_from_db()
        absorbed = Contact.all_objects.get(pk=absorbed.pk)
        assert survivor.position == "Закупщик"
        assert absorbed.is_deleted
        assert record.survivor_id == survivor.pk and record.absorbed_id == absorbed.pk
        assert TimelineEntry.objects.filter(**card_ref(survivor), kind="merge").count() == 1
        assert TimelineEntry.objects.filter(**card_ref(absorbed), kind="merge").count() == 1
        assert AuditEvent.objects.filter(action="card.merge", object_id=str(survivor.pk)).exists()

    def test_undo_restores_every_row_exactly(self, manager, two_contacts):
        survivor, absorbed = two_contacts
        before = dump(*TABLES)
        last_entry = TimelineEntry.objects.order_by("-pk").first().pk
        version = Contact.objects.get(pk=survivor.pk).version

        record = merge_cards(
            actor=manager,
            survivor=survivor,
            absorbed=absorbed,
            values={"position": "absorbed", "comment": "Один человек"},
        )
        result = merge_undo(actor=manager, record=record)

        assert result.conflicts == []
        assert dump(*TABLES, exclude_entries_after=last_entry) == before
        assert Contact.objects.get(pk=survivor.pk).version > version
        record.refresh_from_db()
        assert record.undone_at is not None and record.undone_by == manager
        assert AuditEvent.objects.filter(action="card.merge_undo").count() == 1

    def test_merge_bumps_both_versions(self, manager, two_contacts):
        survivor, absorbed = two_contacts
        merge_cards(actor=manager, survivor=survivor, absorbed=absorbed, values={})
        assert Contact.objects.get(pk=survivor.pk).version == survivor.version + 1
        assert Contact.all_objects.get(pk=absorbed.pk).version == absorbed.version + 1

    def test_explicit_and_custom_values(self, manager, two_contacts):
        survivor, absorbed = two_contacts
        merge_cards(
            actor=manager,
            survivor=survivor,
            absorbed=absorbed,
            values={"last_name": "Иванов-Петров", "first_name": "absorbed"},
        )
        survivor.refresh_from_db()
        assert survivor.last_name == "Иванов-Петров"
        assert survivor.name_key.startswith("ivanov-petrov") or "petrov" in survivor.name_key

    def test_unknown_field_is_refused_and_nothing_changes(self, manager, two_contacts):
        survivor, absorbed = two_contacts
        before = dump(*TABLES)
        with pytest.raises(ValidationError):
            merge_cards(
                actor=manager, survivor=survivor, absorbed=absorbed, values={"ltv": "absorbed"}
            )
        assert dump(*TABLES) == before

    def test_a_card_cannot_absorb_itself(self, manager, two_contacts):
        survivor, _absorbed = two_contacts
        with pytest.raises(ValidationError):
            merge_cards(actor=manager, survivor=survivor, absorbed=survivor, values={})


class TestMergeCompanies:
    def test_moves_everything_to_the_survivor(self, manager, two_companies):
        survivor, absorbed = two_companies
        before_survivor, before_absorbed = counts(survivor), counts(absorbed)

        merge_cards(actor=manager, survivor=survivor, absorbed=absorbed, values={})

        after = counts(survivor)
        assert counts(absorbed) == dict.fromkeys(before_absorbed, 0)
        assert after["communications"] == 2
        assert after["deals"] == 3  # the one in the recycle bin too
        assert after["leads"] == 3
        assert after["addresses"] == 2
        assert after["bank_accounts"] == 3
        assert BankAccount.objects.filter(company=survivor, is_primary=True).count() == 1
        assert after["contact_links"] == 2
        # A person linked to both companies keeps one link, primary as it was on the absorbed.
        assert ContactCompany.objects.get(company=survivor, contact__last_name="Сидоров").is_primary
        assert after["timeline"] == before_survivor["timeline"] + before_absorbed["timeline"]
        assert after["activities"] == 3 and after["tasks"] == 3

    def test_undo_restores_every_row_exactly(self, manager, two_companies):
        survivor, absorbed = two_companies
        before = dump(*TABLES)
        last_entry = TimelineEntry.objects.order_by("-pk").first().pk

        record = merge_cards(
            actor=manager, survivor=survivor, absorbed=absorbed, values={"title": "absorbed"}
        )
        assert Company.objects.get(pk=survivor.pk).title == "Ромашка ООО"
        result = merge_undo(actor=manager, record=record)

        assert result.conflicts == []
        assert dump(*TABLES, exclude_entries_after=last_entry) == before


class TestUndoRules:
    def test_after_the_period_is_refused(self, manager, two_contacts):
        survivor, absorbed = two_contacts
        settings = ClientSettings.load()
        settings.merge_undo_days = 7
        settings.save()
        record = merge_cards(actor=manager, survivor=survivor, absorbed=absorbed, values={})
        MergeRecord.objects.filter(pk=record.pk).update(
            merged_at=timezone.now() - datetime.timedelta(days=8)
        )
        record.refresh_from_db()
        with pytest.raises(ValidationError, match="within 7 days"):
            merge_undo(actor=manager, record=record)
        assert Contact.all_objects.get(pk=absorbed.pk).is_deleted

    def test_survivor_merged_again_is_refused_until_the_later_undo(self, manager, two_contacts):
        survivor, absorbed = two_contacts
        third = make_contact(manager, "Иванов", [])
        first = merge_cards(actor=manager, survivor=survivor, absorbed=absorbed, values={})
        second = merge_cards(actor=manager, survivor=survivor, absorbed=third, values={})
        with pytest.raises(ValidationError, match="merged again"):
            merge_undo(actor=manager, record=first)
        merge_undo(actor=manager, record=second)
        merge_undo(actor=manager, record=first)
        assert not Contact.all_objects.get(pk=absorbed.pk).is_deleted

    def test_twice_is_refused(self, manager, two_contacts):
        survivor, absorbed = two_contacts
        record = merge_cards(actor=manager, survivor=survivor, absorbed=absorbed, values={})
        merge_undo(actor=manager, record=record)
        with pytest.raises(ValidationError, match="already undone"):
            merge_undo(actor=manager, record=record)

    def test_rows_changed_since_are_kept_and_reported(self, manager, two_contacts):
        survivor, absorbed = two_contacts
        record = merge_cards(
            actor=manager, survivor=survivor, absorbed=absorbed, values={"position": "absorbed"}
        )
        # Since the merge: a task moved to another card, the position corrected again.
        other = make_contact(manager, "Другой", [])
        moved_task = Task.objects.filter(**card_ref(survivor)).order_by("-pk").first()
        Task.objects.filter(pk=moved_task.pk).update(card_id=other.pk)
        contact_update(actor=manager, contact=survivor, data={"position": "Директор"})

        result = merge_undo(actor=manager, record=record)

        assert len(result.conflicts) == 2, result.conflicts
        assert Task.objects.get(pk=moved_task.pk).card_id == other.pk
        assert Contact.objects.get(pk=survivor.pk).position == "Директор"
        assert not Contact.all_objects.get(pk=absorbed.pk).is_deleted


class TestMergeRights:
    def test_without_update_on_the_survivor(self, manager, other_manager, two_contacts):
        survivor, absorbed = two_contacts
        Contact.objects.filter(pk=survivor.pk).update(
            responsible=other_manager, created_by=other_manager
        )
        survivor.refresh_from_db()
        with pytest.raises(PermissionDenied):
            merge_cards(actor=manager, survivor=survivor, absorbed=absorbed, values={})
        assert not Contact.all_objects.get(pk=absorbed.pk).is_deleted

    def test_without_delete_on_the_absorbed(self, manager, two_contacts):
        survivor, absorbed = two_contacts
        role_with(
            (Entity.CONTACT, Action.READ, Scope.OWN),
            (Entity.CONTACT, Action.UPDATE, Scope.OWN),
            members=[manager],
        )
        forget_rights(manager)
        with pytest.raises(PermissionDenied):
            merge_cards(actor=manager, survivor=survivor, absorbed=absorbed, values={})
        assert MergeRecord.objects.count() == 0

    def test_head_merges_the_department_cards(self, head, manager, two_contacts):
        survivor, absorbed = two_contacts
        role_with(
            *(
                (Entity.CONTACT, action, Scope.DEPARTMENT_TREE)
                for action in (Action.READ, Action.UPDATE, Action.DELETE)
            ),
            members=[head],
        )
        forget_rights(head)
        record = merge_cards(actor=head, survivor=survivor, absorbed=absorbed, values={})
        assert record.merged_by == head

    def test_undo_needs_the_same_rights(self, manager, two_contacts):
        survivor, absorbed = two_contacts
        record = merge_cards(actor=manager, survivor=survivor, absorbed=absorbed, values={})
        stranger = UserFactory(department=DepartmentFactory())
        with pytest.raises(PermissionDenied):
            merge_undo(actor=stranger, record=record)


def test_merge_and_undo_under_a_blocking_duplicate_policy(manager, two_contacts):
    """The two cards are duplicates of each other by definition: neither the merge nor its
    undo is stopped by a policy that blocks duplicates."""
    survivor, absorbed = two_contacts
    DuplicatePolicy.objects.update_or_create(
        entity=DuplicateEntity.CONTACT, defaults={"mode": DuplicateMode.BLOCK, "rules": []}
    )
    record = merge_cards(
        actor=manager, survivor=survivor, absorbed=absorbed, values={"last_name": "absorbed"}
    )
    assert Contact.objects.get(pk=survivor.pk).last_name == "Иванофф"
    result = merge_undo(actor=manager, record=record)
    assert result.conflicts == []
    assert Contact.objects.get(pk=survivor.pk).last_name == "Иванов"
    assert Contact.objects.get(pk=absorbed.pk).last_name == "Иванофф"


def test_events_tell_the_absorbed_card_left_and_came_back(
    manager, two_companies, published, django_capture_on_commit_callbacks
):
    survivor, absorbed = two_companies
    with django_capture_on_commit_callbacks(execute=True):
        record = merge_cards(actor=manager, survivor=survivor, absorbed=absorbed, values={})
    with django_capture_on_commit_callbacks(execute=True):
        merge_undo(actor=manager, record=record)
    kinds = [type(event) for event in published]
    assert kinds.index(CompanyDeleted) < kinds.index(CardsMerged)
    assert kinds.index(CompanyRestored) < kinds.index(MergeUndone)
    merged = next(event for event in published if isinstance(event, CardsMerged))
    assert (merged.card_type, merged.survivor_id, merged.absorbed_id, merged.merge_id) == (
        "company",
        survivor.pk,
        absorbed.pk,
        record.pk,
    )


class TestMergeLeads:
    def test_merge_moves_everything_and_undo_restores_it(self, manager):
        survivor = LeadFactory(responsible=manager, title="Заявка", company_title="Ромашка")
        absorbed = LeadFactory(responsible=manager, title="Заявка с сайта", company_title="")
        for lead, phone in ((survivor, "+79123456789"), (absorbed, "+79123456789")):
            Communication.objects.create(
                **card_ref(lead), kind="phone", value=phone, value_normalized=phone
            )
        Communication.objects.create(
            **card_ref(absorbed), kind="email", value="a@b.ru", value_normalized="a@b.ru"
        )
        comment_add(actor=manager, card=absorbed, text="Перезвонить")
        TaskFactory(responsible=manager, **card_ref(absorbed))
        deal = DealFactory(responsible=manager, lead=absorbed)
        before = dump(*TABLES)
        last_entry = TimelineEntry.objects.order_by("-pk").first().pk

        record = merge_cards(
            actor=manager, survivor=survivor, absorbed=absorbed, values={"title": "absorbed"}
        )

        assert Lead.objects.get(pk=survivor.pk).title == "Заявка с сайта"
        assert Lead.all_objects.get(pk=absorbed.pk).is_deleted
        assert Deal.objects.get(pk=deal.pk).lead_id == survivor.pk
        assert Communication.objects.filter(**card_ref(survivor)).count() == 2
        assert Task.objects.filter(**card_ref(survivor)).count() == 1
        comments = TimelineEntry.objects.filter(**card_ref(survivor), kind="comment")
        assert comments.count() == 1

        merge_undo(actor=manager, record=record)
        assert dump(*TABLES, exclude_entries_after=last_entry) == before

    def test_a_lead_and_a_contact_are_not_merged(self, manager, two_contacts):
        lead = LeadFactory(responsible=manager)
        with pytest.raises(ValidationError):
            merge_cards(actor=manager, survivor=two_contacts[0], absorbed=lead, values={})
