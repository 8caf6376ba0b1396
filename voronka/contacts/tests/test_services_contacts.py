import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError

from voronka.contacts.events import ContactCreated, ContactDeleted, ContactRestored, ContactUpdated
from voronka.contacts.models import Communication, Contact, ContactCompany
from voronka.contacts.services import (
    contact_create,
    contact_delete,
    contact_link_company,
    contact_restore,
    contact_unlink_company,
    contact_update,
)
from voronka.contacts.tests.factories import CompanyFactory
from voronka.core.exceptions import ConflictError
from voronka.customization.models import CustomField, Source
from voronka.staff.tests.factories import UserFactory
from voronka.timeline.models import EntryKind, TimelineEntry

pytestmark = pytest.mark.django_db


def entries(card, kind=None):
    queryset = TimelineEntry.objects.filter(
        card_type=ContentType.objects.get_for_model(card), card_id=card.pk
    ).order_by("pk")
    if kind:
        queryset = queryset.filter(kind=kind)
    return list(queryset)


def create(actor, **data):
    data.setdefault("last_name", "Иванов")
    data.setdefault("first_name", "Пётр")
    return contact_create(actor=actor, data=data)


class TestContactCreate:
    def test_creates_contact_with_actor_as_responsible_and_history(
        self, manager, published, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            contact = contact_create(
                actor=manager,
                data={"last_name": " Иванов ", "first_name": "Пётр", "birthday": "23.11.1980"},
                communications=[
                    {"kind": "phone", "value": "8 (912) 345-67-89", "value_type": "mobile"},
                    {"kind": "email", "value": "Petr@Example.RU"},
                ],
            )

        contact.refresh_from_db()
        assert contact.full_name == "Иванов Пётр"
        assert contact.birthday == datetime.date(1980, 11, 23)
        assert contact.responsible == manager
        assert contact.created_by == manager
        assert contact.version == 1
        normalized = sorted(contact.communications.values_list("value_normalized", flat=True))
        assert normalized == ["+79123456789", "petr@example.ru"]
        assert [entry.kind for entry in entries(contact)] == [EntryKind.CREATED]
        assert published == [
            ContactCreated(
                actor_id=manager.pk, contact_id=contact.pk, occurred_at=published[0].occurred_at
            )
        ]

    def test_responsible_can_be_given_by_id(self, manager, other_manager):
        contact = create(manager, responsible_id=other_manager.pk)
        assert contact.responsible == other_manager

    def test_a_first_name_alone_is_enough(self, manager):
        assert contact_create(actor=manager, data={"first_name": "Анна"}).pk

    def test_needs_a_first_or_last_name(self, manager):
        with pytest.raises(ValidationError) as error:
            contact_create(actor=manager, data={"middle_name": "Петрович", "position": "CEO"})
        assert error.value.message_dict == {
            "last_name": ["Enter the contact's first name or last name."]
        }

    def test_unknown_and_read_only_keys_are_named(self, manager):
        with pytest.raises(ValidationError) as error:
            contact_create(
                actor=manager, data={"last_name": "Иванов", "version": 5, "nickname": "x"}
            )
        assert set(error.value.message_dict) == {"version", "nickname"}

    def test_missing_responsible_id_is_named(self, manager):
        with pytest.raises(ValidationError) as error:
            create(manager, responsible_id=999999)
        assert "responsible" in error.value.message_dict

    def test_inactive_responsible_and_source_are_refused(self, manager):
        fired = UserFactory(is_active=False)
        old_source = Source.objects.create(code="fax", name="Факс", is_active=False)
        with pytest.raises(ValidationError) as error:
            create(manager, responsible=fired, source=old_source)
        assert set(error.value.message_dict) == {"responsible", "source"}

    def test_wrong_date_is_named(self, manager):
        with pytest.raises(ValidationError) as error:
            create(manager, birthday="31.02.1980")
        assert error.value.message_dict["birthday"] == ["Enter a date such as 23.11.2026."]

    def test_custom_fields_are_validated_and_stored(self, manager):
        CustomField.objects.create(
            entity="contact", code="budget", label="Бюджет", field_type="money"
        )
        contact = create(manager, custom_fields={"budget": "12500|RUB"})
        assert contact.custom_fields == {"budget": {"amount": "12500.00", "currency": "RUB"}}

        with pytest.raises(ValidationError) as error:
            create(manager, custom_fields={"budget": "много"})
        assert "budget" in error.value.message_dict

    def test_required_custom_field_must_be_filled_on_create(self, manager):
        CustomField.objects.create(
            entity="contact", code="inn", label="ИНН", field_type="string", required=True
        )
        with pytest.raises(ValidationError) as error:
            create(manager)
        assert error.value.message_dict == {"inn": ["ИНН: this field is required."]}

    def test_company_links_first_becomes_primary(self, manager):
        first, second = CompanyFactory(responsible=manager), CompanyFactory(responsible=manager)
        contact = contact_create(
            actor=manager,
            data={"last_name": "Иванов"},
            company_links=[{"company": first, "role": "бухгалтер"}, {"company": second}],
        )
        links = {link.company_id: link for link in contact.company_links.all()}
        assert links[first.pk].is_primary and links[first.pk].role == "бухгалтер"
        assert not links[second.pk].is_primary
        assert contact.primary_company == first
        assert [entry.payload["new"] for entry in entries(first, EntryKind.FIELD_CHANGED)] == [
            "Иванов"
        ]

    def test_company_link_marked_primary_wins(self, manager):
        first, second = CompanyFactory(responsible=manager), CompanyFactory(responsible=manager)
        contact = contact_create(
            actor=manager,
            data={"last_name": "Иванов"},
            company_links=[{"company": first}, {"company": second, "is_primary": True}],
        )
        assert contact.primary_company == second

    def test_two_primary_companies_are_refused(self, manager):
        links = [
            {"company": CompanyFactory(responsible=manager), "is_primary": True} for _ in range(2)
        ]
        with pytest.raises(ValidationError) as error:
            contact_create(actor=manager, data={"last_name": "Иванов"}, company_links=links)
        assert "company_links" in error.value.message_dict

    def test_failed_create_leaves_nothing_behind(
        self, manager, published, django_capture_on_commit_callbacks
    ):
        with (
            django_capture_on_commit_callbacks(execute=True) as callbacks,
            pytest.raises(ValidationError) as error,
        ):
            contact_create(
                actor=manager,
                data={"last_name": "Иванов"},
                communications=[
                    {"kind": "phone", "value": "+7 912 345-67-89"},
                    {"kind": "phone", "value": "звоните в офис"},
                ],
                company_links=[{"company": CompanyFactory(responsible=manager)}],
            )
        assert "communications" in error.value.message_dict
        assert Contact.all_objects.count() == 0
        assert Communication.objects.count() == 0
        assert ContactCompany.objects.count() == 0
        assert TimelineEntry.objects.count() == 0
        assert published == []
        assert callbacks == []

    def test_every_problem_is_reported_at_once(self, manager):
        with pytest.raises(ValidationError) as error:
            contact_create(
                actor=manager,
                data={"first_name": "", "birthday": "вчера"},
                communications=[{"kind": "email", "value": "нет"}],
            )
        assert set(error.value.message_dict) == {"last_name", "birthday", "communications"}


class TestContactUpdate:
    def test_changes_fields_with_one_history_entry_each(
        self, manager, other_manager, published, django_capture_on_commit_callbacks
    ):
        contact = create(manager, position="Менеджер")
        with django_capture_on_commit_callbacks(execute=True):
            contact = contact_update(
                actor=manager,
                contact=contact,
                data={"position": "Директор", "responsible": other_manager, "last_name": "Иванов"},
            )

        contact.refresh_from_db()
        assert contact.position == "Директор"
        assert contact.responsible == other_manager
        assert contact.version == 2
        changed = entries(contact, EntryKind.FIELD_CHANGED)
        assert sorted(entry.payload["field"] for entry in changed) == ["position", "responsible"]
        position = next(entry for entry in changed if entry.payload["field"] == "position")
        assert (position.payload["old"], position.payload["new"]) == ("Менеджер", "Директор")
        assert isinstance(published[-1], ContactUpdated)
        assert set(published[-1].fields) == {"position", "responsible"}

    def test_nothing_changed_writes_nothing(
        self, manager, published, django_capture_on_commit_callbacks
    ):
        contact = create(manager)
        with django_capture_on_commit_callbacks(execute=True):
            contact = contact_update(actor=manager, contact=contact, data={"last_name": "Иванов"})
        assert contact.version == 1
        assert entries(contact, EntryKind.FIELD_CHANGED) == []
        assert not any(isinstance(event, ContactUpdated) for event in published)

    def test_communications_none_leaves_them_and_a_list_replaces_them(self, manager):
        contact = contact_create(
            actor=manager,
            data={"last_name": "Иванов"},
            communications=[{"kind": "phone", "value": "+79123456789"}],
        )
        contact = contact_update(actor=manager, contact=contact, data={"position": "CEO"})
        assert contact.communications.count() == 1

        contact = contact_update(
            actor=manager,
            contact=contact,
            data={},
            communications=[{"kind": "email", "value": "ivanov@example.ru"}],
        )
        assert list(contact.communications.values_list("kind", flat=True)) == ["email"]
        change = entries(contact, EntryKind.FIELD_CHANGED)[-1].payload
        assert change["field"] == "communications"
        assert change["old"] == "+79123456789 (Work)"
        assert change["new"] == "ivanov@example.ru (Work)"
        assert contact.version == 3

    def test_custom_field_changes_go_to_history(self, manager):
        CustomField.objects.create(entity="contact", code="vip", label="VIP", field_type="boolean")
        contact = create(manager)
        contact = contact_update(
            actor=manager, contact=contact, data={"custom_fields": {"vip": "да"}}
        )
        assert contact.custom_fields == {"vip": True}
        change = entries(contact, EntryKind.FIELD_CHANGED)[-1].payload
        assert change == {"field": "custom_fields.vip", "label": "VIP", "old": None, "new": True}

    def test_stale_version_is_a_conflict_and_changes_nothing(self, manager):
        contact = create(manager, position="Менеджер")
        contact_update(actor=manager, contact=contact, data={"position": "Директор"})

        with pytest.raises(ConflictError) as error:
            contact_update(
                actor=manager, contact=contact, data={"position": "Бухгалтер"}, expected_version=1
            )
        assert error.value.current_version == 2
        contact.refresh_from_db()
        assert contact.position == "Директор"

    def test_current_version_is_accepted(self, manager):
        contact = create(manager)
        contact = contact_update(
            actor=manager, contact=contact, data={"position": "CEO"}, expected_version=1
        )
        assert contact.version == 2

    def test_removing_both_names_is_refused_and_changes_nothing(self, manager):
        contact = create(manager)
        with pytest.raises(ValidationError):
            contact_update(
                actor=manager,
                contact=contact,
                data={"last_name": "", "first_name": ""},
                communications=[{"kind": "phone", "value": "+79123456789"}],
            )
        contact.refresh_from_db()
        assert contact.full_name == "Иванов Пётр"
        assert contact.communications.count() == 0
        assert entries(contact, EntryKind.FIELD_CHANGED) == []

    def test_read_only_field_is_refused(self, manager):
        contact = create(manager)
        with pytest.raises(ValidationError) as error:
            contact_update(actor=manager, contact=contact, data={"created_by": manager})
        assert "created_by" in error.value.message_dict

    def test_contact_in_recycle_bin_cannot_be_edited(self, manager):
        contact = contact_delete(actor=manager, contact=create(manager))
        with pytest.raises(ValidationError) as error:
            contact_update(actor=manager, contact=contact, data={"position": "CEO"})
        assert "recycle bin" in error.value.messages[0]


class TestCompanyLinks:
    def test_first_link_is_primary_and_history_on_both_cards(
        self, manager, published, django_capture_on_commit_callbacks
    ):
        contact, company = (
            create(manager),
            CompanyFactory(title="ООО «Ромашка»", responsible=manager),
        )
        with django_capture_on_commit_callbacks(execute=True):
            link = contact_link_company(actor=manager, contact=contact, company=company, role="CEO")

        assert link.is_primary
        change = entries(contact, EntryKind.FIELD_CHANGED)[-1].payload
        assert change["field"] == "companies"
        assert change["old"] is None
        assert change["new"] == "ООО «Ромашка» (CEO) — primary"
        assert entries(company, EntryKind.FIELD_CHANGED)[-1].payload["new"] == "Иванов Пётр"
        assert published[-1] == ContactUpdated(
            actor_id=manager.pk,
            contact_id=contact.pk,
            fields=("companies",),
            occurred_at=published[-1].occurred_at,
        )

    def test_is_primary_moves_the_mark(self, manager):
        contact, first, second = (
            create(manager),
            CompanyFactory(responsible=manager),
            CompanyFactory(responsible=manager),
        )
        contact_link_company(actor=manager, contact=contact, company=first)
        contact_link_company(actor=manager, contact=contact, company=second, is_primary=True)
        primary = ContactCompany.objects.get(contact=contact, is_primary=True)
        assert primary.company == second

    def test_linking_again_changes_role_and_keeps_primary(self, manager):
        contact, company = create(manager), CompanyFactory(responsible=manager)
        contact_link_company(actor=manager, contact=contact, company=company)
        link = contact_link_company(actor=manager, contact=contact, company=company, role="CFO")
        assert link.is_primary and link.role == "CFO"
        assert ContactCompany.objects.filter(contact=contact).count() == 1

    def test_linking_the_same_way_twice_writes_history_once(self, manager):
        contact, company = create(manager), CompanyFactory(responsible=manager)
        contact_link_company(actor=manager, contact=contact, company=company)
        contact_link_company(actor=manager, contact=contact, company=company)
        assert len(entries(contact, EntryKind.FIELD_CHANGED)) == 1

    def test_deleted_company_cannot_be_linked(self, manager):
        from voronka.contacts.services import company_delete

        company = company_delete(actor=manager, company=CompanyFactory(responsible=manager))
        with pytest.raises(ValidationError) as error:
            contact_link_company(actor=manager, contact=create(manager), company=company)
        assert "company" in error.value.message_dict

    def test_unlinking_the_primary_promotes_the_next(self, manager):
        contact, first, second = (
            create(manager),
            CompanyFactory(responsible=manager),
            CompanyFactory(responsible=manager),
        )
        contact_link_company(actor=manager, contact=contact, company=first)
        contact_link_company(actor=manager, contact=contact, company=second)

        contact_unlink_company(actor=manager, contact=contact, company=first)

        assert list(
            ContactCompany.objects.filter(contact=contact).values_list("company_id", "is_primary")
        ) == [(second.pk, True)]
        assert entries(first, EntryKind.FIELD_CHANGED)[-1].payload["new"] is None

    def test_unlinking_a_company_that_is_not_linked_does_nothing(self, manager):
        contact = create(manager)
        contact_unlink_company(
            actor=manager, contact=contact, company=CompanyFactory(responsible=manager)
        )
        assert entries(contact, EntryKind.FIELD_CHANGED) == []


class TestContactRecycleBin:
    def test_delete_hides_the_contact_and_restore_brings_it_back(
        self, manager, published, django_capture_on_commit_callbacks
    ):
        company = CompanyFactory(responsible=manager)
        with django_capture_on_commit_callbacks(execute=True):
            contact = contact_create(
                actor=manager,
                data={"last_name": "Иванов"},
                communications=[{"kind": "phone", "value": "+79123456789"}],
                company_links=[{"company": company}],
            )
        with django_capture_on_commit_callbacks(execute=True):
            contact = contact_delete(actor=manager, contact=contact)
        assert not Contact.objects.filter(pk=contact.pk).exists()
        assert contact.deleted_by == manager
        assert contact.deleted_at is not None

        with django_capture_on_commit_callbacks(execute=True):
            contact = contact_restore(actor=manager, contact=contact)
        assert Contact.objects.get(pk=contact.pk).primary_company == company
        assert contact.communications.count() == 1
        kinds = [entry.kind for entry in entries(contact)]
        assert kinds == [EntryKind.CREATED, EntryKind.DELETED, EntryKind.RESTORED]
        assert [type(event) for event in published] == [
            ContactCreated,
            ContactDeleted,
            ContactRestored,
        ]

    def test_deleting_twice_writes_one_entry(self, manager):
        contact = create(manager)
        contact_delete(actor=manager, contact=contact)
        contact_delete(actor=manager, contact=contact)
        assert len(entries(contact, EntryKind.DELETED)) == 1

    def test_restoring_a_live_contact_does_nothing(self, manager):
        contact = contact_restore(actor=manager, contact=create(manager))
        assert contact.version == 1
        assert entries(contact, EntryKind.RESTORED) == []
