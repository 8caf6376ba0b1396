"""Factories for contacts and companies; requisites carry real check digits."""

import factory
from django.contrib.contenttypes.models import ContentType
from stdnum.ru import inn as stdnum_inn
from stdnum.ru import ogrn as stdnum_ogrn

from voronka.contacts.models import (
    BankAccount,
    Communication,
    CommunicationKind,
    Company,
    CompanyType,
    Contact,
    ContactCompany,
)
from voronka.contacts.validators import control_key
from voronka.staff.tests.factories import UserFactory


def make_inn(body: int, *, length: int = 10) -> str:
    """A valid INN from a number for its first 9 (organisation) or 10 (person) digits."""
    if length == 10:
        start = f"77{body % 10**7:07d}"
        return start + stdnum_inn.calc_company_check_digit(start)
    start = f"50{body % 10**8:08d}"
    return start + stdnum_inn.calc_personal_check_digits(start)


def make_kpp(inn: str) -> str:
    """KPP of a company registered where its INN was issued (reason 01, first registration)."""
    return inn[:4] + "01001"


def make_ogrn(body: int) -> str:
    start = f"1027700{body % 10**5:05d}"
    return start + stdnum_ogrn.calc_check_digit(start + "0")


def make_ogrnip(body: int) -> str:
    start = f"3047700{body % 10**7:07d}"
    return start + str(int(start) % 13 % 10)


def make_settlement_account(bic: str, body: int) -> str:
    """A valid settlement account at the bank with ``bic`` (a credit organisation)."""
    account = f"407028100{body % 10**11:011d}"
    return account[:8] + control_key(bic[6:9], account) + account[9:]


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    last_name = factory.Faker("last_name", locale="ru_RU")
    first_name = factory.Faker("first_name", locale="ru_RU")
    position = "Директор по закупкам"
    responsible = factory.SubFactory(UserFactory)


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    company_type = CompanyType.LEGAL_ENTITY
    title = factory.Sequence(lambda n: f"ООО «Ромашка {n}»")
    inn = factory.Sequence(lambda n: make_inn(n + 1))
    kpp = factory.LazyAttribute(lambda company: make_kpp(company.inn))
    ogrn = factory.Sequence(lambda n: make_ogrn(n + 1))
    responsible = factory.SubFactory(UserFactory)


class SoleProprietorFactory(CompanyFactory):
    company_type = CompanyType.SOLE_PROPRIETOR
    title = factory.Sequence(lambda n: f"ИП Иванов {n}")
    inn = factory.Sequence(lambda n: make_inn(n + 1, length=12))
    kpp = ""
    ogrn = factory.Sequence(lambda n: make_ogrnip(n + 1))


class ContactCompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactCompany

    contact = factory.SubFactory(ContactFactory)
    company = factory.SubFactory(CompanyFactory)
    is_primary = True


class PhoneFactory(factory.django.DjangoModelFactory):
    """A phone of a card: pass ``card=<contact or company>``."""

    class Meta:
        model = Communication
        exclude = ["card"]

    card = factory.SubFactory(ContactFactory)
    card_type = factory.LazyAttribute(lambda row: ContentType.objects.get_for_model(row.card))
    card_id = factory.LazyAttribute(lambda row: row.card.pk)
    kind = CommunicationKind.PHONE
    value = factory.Sequence(lambda n: f"+7 912 {n % 10**7:07d}")
    value_normalized = factory.LazyAttribute(lambda row: "+7912" + row.value[-7:])


class BankAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BankAccount

    company = factory.SubFactory(CompanyFactory)
    bank_name = "ПАО Сбербанк"
    bic = "044525225"
    correspondent_account = "30101810400000000225"
    account_number = factory.Sequence(lambda n: make_settlement_account("044525225", n + 1))
    is_primary = True
