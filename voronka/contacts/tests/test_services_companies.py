import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError

from voronka.contacts.events import CompanyCreated, CompanyDeleted, CompanyRestored, CompanyUpdated
from voronka.contacts.models import BankAccount, Communication, Company, CompanyAddress
from voronka.contacts.services import (
    company_create,
    company_delete,
    company_restore,
    company_update,
    contact_create,
)
from voronka.contacts.tests.factories import (
    make_inn,
    make_ogrnip,
    make_settlement_account,
)
from voronka.core.exceptions import ConflictError
from voronka.customization.models import CustomField
from voronka.timeline.models import EntryKind, TimelineEntry

pytestmark = pytest.mark.django_db

SBERBANK = {
    "bank_name": "ПАО Сбербанк",
    "bic": "044525225",
    "correspondent_account": "30101810400000000225",
}
VTB_BIC = "044525187"


def entries(card, kind=None):
    queryset = TimelineEntry.objects.filter(
        card_type=ContentType.objects.get_for_model(card), card_id=card.pk
    ).order_by("pk")
    if kind:
        queryset = queryset.filter(kind=kind)
    return list(queryset)


def sberbank_account(number: int) -> dict:
    return {**SBERBANK, "account_number": make_settlement_account(SBERBANK["bic"], number)}


def legal_entity(**data) -> dict:
    return {
        "title": "Сбербанк",
        "inn": "7707 083893",
        "kpp": "773601001",
        "ogrn": "1027700132195",
        **data,
    }


class TestCompanyCreate:
    def test_creates_company_with_everything(
        self, manager, published, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            company = company_create(
                actor=manager,
                data=legal_entity(director="Греф Г. О.", employees_count="200000"),
                communications=[{"kind": "web", "value": "https://www.sberbank.ru/"}],
                addresses=[
                    {
                        "kind": "legal",
                        "postal_code": "117312",
                        "city": "Москва",
                        "street_address": "ул. Вавилова, д. 19",
                    }
                ],
                bank_accounts=[sberbank_account(1)],
            )

        company.refresh_from_db()
        assert (company.inn, company.kpp, company.ogrn) == (
            "7707083893",
            "773601001",
            "1027700132195",
        )
        assert company.employees_count == 200000
        assert company.responsible == manager
        assert company.communications.get().value_normalized == "sberbank.ru"
        address = company.addresses.get()
        assert address.country == "Россия"
        assert str(address) == "117312, Москва, ул. Вавилова, д. 19"
        assert company.bank_accounts.get().is_primary
        assert [entry.kind for entry in entries(company)] == [EntryKind.CREATED]
        assert [type(event) for event in published] == [CompanyCreated]

    def test_needs_a_title(self, manager):
        with pytest.raises(ValidationError) as error:
            company_create(actor=manager, data={"title": "  "})
        assert error.value.message_dict == {"title": ["Enter the company's title."]}

    def test_title_alone_is_enough(self, manager):
        company = company_create(actor=manager, data={"title": "Ромашка"})
        assert company.inn == ""

    def test_wrong_inn_check_digit_is_named(self, manager):
        with pytest.raises(ValidationError) as error:
            company_create(actor=manager, data=legal_entity(inn="7707083894"))
        assert list(error.value.message_dict) == ["inn"]
        assert "wrong check digit" in error.value.message_dict["inn"][0]

    def test_sole_proprietor_requisites(self, manager):
        inn, ogrnip = make_inn(5, length=12), make_ogrnip(5)
        company = company_create(
            actor=manager,
            data={
                "company_type": "sole_proprietor",
                "title": "ИП Петров",
                "inn": inn,
                "ogrn": ogrnip,
            },
        )
        assert (company.inn, company.ogrn) == (inn, ogrnip)

    def test_sole_proprietor_with_organisation_requisites_is_refused(self, manager):
        with pytest.raises(ValidationError) as error:
            company_create(actor=manager, data=legal_entity(company_type="sole_proprietor"))
        assert set(error.value.message_dict) == {"inn", "kpp", "ogrn"}

    def test_family_needs_no_requisites(self, manager):
        company = company_create(
            actor=manager, data={"company_type": "family", "title": "Семья Ивановых"}
        )
        assert company.get_company_type_display() == "Family"

    def test_unknown_company_type_is_named(self, manager):
        with pytest.raises(ValidationError) as error:
            company_create(actor=manager, data={"company_type": "trust", "title": "X"})
        assert "company_type" in error.value.message_dict

    def test_bank_account_not_matching_the_bic_is_named(self, manager):
        account = sberbank_account(1)
        with pytest.raises(ValidationError) as error:
            company_create(
                actor=manager,
                data={"title": "Ромашка"},
                bank_accounts=[{**account, "bic": VTB_BIC, "correspondent_account": ""}],
            )
        [message] = error.value.message_dict["bank_accounts"]
        assert message.startswith("Bank account 1: The settlement account")
        assert "does not match the BIC 044525187" in message

    def test_two_primary_bank_accounts_are_refused(self, manager):
        accounts = [{**sberbank_account(n), "is_primary": True} for n in (1, 2)]
        with pytest.raises(ValidationError) as error:
            company_create(actor=manager, data={"title": "Ромашка"}, bank_accounts=accounts)
        assert "Only one bank account" in error.value.message_dict["bank_accounts"][0]

    def test_address_problems_are_named(self, manager):
        with pytest.raises(ValidationError) as error:
            company_create(
                actor=manager,
                data={"title": "Ромашка"},
                addresses=[
                    {"kind": "moon", "city": "Москва"},
                    {"kind": "legal", "postal_code": "1173", "city": "Москва"},
                    {"kind": "legal", "floor": "3"},
                ],
            )
        assert error.value.message_dict["addresses"] == [
            "Address 1: choose the kind of address.",
            "Address 2: a Russian postal code has 6 digits.",
            "Address 3: unknown keys floor.",
        ]

    def test_empty_addresses_are_dropped(self, manager):
        company = company_create(
            actor=manager, data={"title": "Ромашка"}, addresses=[{"kind": "legal"}]
        )
        assert company.addresses.count() == 0

    def test_failed_create_leaves_nothing_behind(
        self, manager, published, django_capture_on_commit_callbacks
    ):
        with (
            django_capture_on_commit_callbacks(execute=True) as callbacks,
            pytest.raises(ValidationError) as error,
        ):
            company_create(
                actor=manager,
                data=legal_entity(),
                communications=[{"kind": "phone", "value": "+79123456789"}],
                addresses=[{"kind": "legal", "city": "Москва"}],
                bank_accounts=[sberbank_account(1), {**sberbank_account(2), "bic": "123"}],
            )
        assert list(error.value.message_dict) == ["bank_accounts"]
        for model in (Company, Communication, CompanyAddress, BankAccount, TimelineEntry):
            assert model._default_manager.count() == 0
        assert callbacks == []
        assert published == []


class TestCompanyUpdate:
    def test_changes_fields_and_requisites_with_history(
        self, manager, published, django_capture_on_commit_callbacks
    ):
        company = company_create(actor=manager, data={"title": "Ромашка"})
        with django_capture_on_commit_callbacks(execute=True):
            company = company_update(
                actor=manager,
                company=company,
                data={"title": "Сбербанк", "inn": "7707083893", "kpp": "773601001"},
            )
        assert company.version == 2
        changed = {entry.payload["field"] for entry in entries(company, EntryKind.FIELD_CHANGED)}
        assert changed == {"title", "inn", "kpp"}
        assert isinstance(published[-1], CompanyUpdated)
        assert set(published[-1].fields) == {"title", "inn", "kpp"}

    def test_requisites_are_checked_against_a_new_type(self, manager):
        company = company_create(actor=manager, data=legal_entity())
        with pytest.raises(ValidationError) as error:
            company_update(actor=manager, company=company, data={"company_type": "sole_proprietor"})
        assert set(error.value.message_dict) == {"inn", "kpp", "ogrn"}
        company.refresh_from_db()
        assert company.company_type == "legal_entity"

    def test_editing_other_fields_does_not_recheck_requisites(self, manager):
        company = company_create(actor=manager, data={"title": "Ромашка"})
        Company.objects.filter(pk=company.pk).update(inn="123")  # an old import's leftover
        company = company_update(actor=manager, company=company, data={"industry": "IT"})
        assert company.industry == "IT"

    def test_addresses_and_bank_accounts_are_replaced_with_history(self, manager):
        company = company_create(
            actor=manager,
            data={"title": "Ромашка"},
            addresses=[{"kind": "legal", "city": "Москва"}],
            bank_accounts=[sberbank_account(1)],
        )
        second = sberbank_account(2)
        company = company_update(
            actor=manager,
            company=company,
            data={},
            addresses=[{"kind": "postal", "city": "Казань"}],
            bank_accounts=[sberbank_account(1), {**second, "is_primary": True}],
        )
        assert list(company.addresses.values_list("kind", "city")) == [("postal", "Казань")]
        primary = company.bank_accounts.get(is_primary=True)
        assert primary.account_number == second["account_number"]
        changes = {
            entry.payload["field"]: entry.payload
            for entry in entries(company, EntryKind.FIELD_CHANGED)
        }
        assert set(changes) == {"addresses", "bank_accounts"}
        assert changes["addresses"]["old"] == "Legal address: Москва"
        assert changes["addresses"]["new"] == "Postal address: Казань"
        assert company.version == 2

    def test_the_same_lists_again_change_nothing(self, manager):
        lists = {
            "addresses": [{"kind": "legal", "city": "Москва"}],
            "bank_accounts": [sberbank_account(1)],
            "communications": [{"kind": "phone", "value": "+7 495 123-45-67"}],
        }
        company = company_create(actor=manager, data={"title": "Ромашка"}, **lists)
        address_id = company.addresses.get().pk
        company = company_update(actor=manager, company=company, data={}, **lists)
        assert company.version == 1
        assert company.addresses.get().pk == address_id
        assert entries(company, EntryKind.FIELD_CHANGED) == []

    def test_none_leaves_lists_untouched_and_empty_list_clears(self, manager):
        company = company_create(
            actor=manager,
            data={"title": "Ромашка"},
            addresses=[{"kind": "legal", "city": "Москва"}],
            bank_accounts=[sberbank_account(1)],
        )
        company = company_update(actor=manager, company=company, data={"title": "Ромашка 2"})
        assert company.addresses.count() == 1
        company = company_update(
            actor=manager, company=company, data={}, addresses=[], bank_accounts=[]
        )
        assert company.addresses.count() == 0
        assert company.bank_accounts.count() == 0

    def test_custom_fields_on_companies(self, manager):
        CustomField.objects.create(
            entity="company",
            code="segment",
            label="Сегмент",
            field_type="list",
            options=[{"id": "a", "label": "A"}, {"id": "b", "label": "B"}],
        )
        company = company_create(
            actor=manager, data={"title": "Ромашка", "custom_fields": {"segment": "a"}}
        )
        company = company_update(
            actor=manager, company=company, data={"custom_fields": {"segment": "b"}}
        )
        assert company.custom_fields == {"segment": "b"}
        with pytest.raises(ValidationError) as error:
            company_update(actor=manager, company=company, data={"custom_fields": {"segment": "z"}})
        assert "segment" in error.value.message_dict

    def test_stale_version_is_a_conflict_and_changes_nothing(self, manager):
        company = company_create(actor=manager, data={"title": "Ромашка"})
        company_update(actor=manager, company=company, data={"title": "Лютик"})
        with pytest.raises(ConflictError):
            company_update(
                actor=manager,
                company=company,
                data={"title": "Василёк"},
                addresses=[{"kind": "legal", "city": "Москва"}],
                expected_version=1,
            )
        company.refresh_from_db()
        assert company.title == "Лютик"
        assert company.addresses.count() == 0

    def test_failed_update_leaves_lists_and_fields_as_they_were(self, manager):
        company = company_create(
            actor=manager,
            data={"title": "Ромашка"},
            communications=[{"kind": "phone", "value": "+74951234567"}],
        )
        with pytest.raises(ValidationError):
            company_update(
                actor=manager,
                company=company,
                data={"title": "Лютик"},
                communications=[{"kind": "email", "value": "ok@example.ru"}],
                bank_accounts=[{**sberbank_account(1), "account_number": "1"}],
            )
        company.refresh_from_db()
        assert company.title == "Ромашка"
        assert list(company.communications.values_list("kind", flat=True)) == ["phone"]
        assert entries(company, EntryKind.FIELD_CHANGED) == []


class TestCompanyRecycleBin:
    def test_delete_and_restore(self, manager, published, django_capture_on_commit_callbacks):
        company = company_create(actor=manager, data={"title": "Ромашка"})
        contact = contact_create(
            actor=manager, data={"last_name": "Иванов"}, company_links=[{"company": company}]
        )
        with django_capture_on_commit_callbacks(execute=True):
            company_delete(actor=manager, company=company)
        assert not Company.objects.filter(pk=company.pk).exists()
        assert contact.primary_company is None

        with django_capture_on_commit_callbacks(execute=True):
            company = company_restore(actor=manager, company=company)
        assert contact.primary_company == company
        assert [entry.kind for entry in entries(company)][-2:] == [
            EntryKind.DELETED,
            EntryKind.RESTORED,
        ]
        assert [type(event) for event in published] == [CompanyDeleted, CompanyRestored]

    def test_company_in_recycle_bin_cannot_be_edited(self, manager):
        company = company_delete(
            actor=manager, company=company_create(actor=manager, data={"title": "Ромашка"})
        )
        with pytest.raises(ValidationError):
            company_update(actor=manager, company=company, data={"title": "Лютик"})
