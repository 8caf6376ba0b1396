"""4. Quick search by phone, e-mail and INN among all contacts and companies.

The search term is typed in several spellings (``+7 (912) 345-67-89``, ``8 912 345 67 89``,
``9123456789``; e-mail in mixed case; INN with a space); each run takes the next sample value
and spelling. Measured through the selectors of ``voronka/contacts/selectors/lists.py``:
``contact_list(search=…)`` and ``company_list(search=…)`` (the first 20 rows, with what a row
shows), and ``cards_by_communication`` (the lookup behind duplicate checks and caller id).

Reference: the raw indexed lookup — the normalised value straight to its index, joined to the
card.
"""

import random

from django.contrib.contenttypes.models import ContentType

from benchmarks.measure import result, time_operation
from benchmarks.scenarios.base import number
from benchmarks.sql import fetch, table
from voronka.contacts.models import Communication, CommunicationKind, Company, Contact
from voronka.contacts.selectors.lists import cards_by_communication, company_list, contact_list

SCENARIO = "4 search"
SAMPLES = 12
ROWS = 20


def phone_spellings(e164: str) -> list[str]:
    """``+79123456789`` as people type it."""
    national = e164[2:]
    code, a, b, c = national[:3], national[3:6], national[6:8], national[8:]
    return [f"+7 ({code}) {a}-{b}-{c}", f"8 {code} {a} {b} {c}", national]


def email_spellings(email: str) -> list[str]:
    local, _at, domain = email.partition("@")
    return [f"{local.capitalize()}@{domain.upper()}", f" {email} "]


def inn_spellings(inn: str) -> list[str]:
    return [inn, f"{inn[:4]} {inn[4:]}"]


def _samples(kind: str, model, rng: random.Random) -> list[str]:
    card_type = ContentType.objects.get_for_model(model)
    matches = Communication.objects.filter(kind=kind, card_type=card_type)
    bounds = list(matches.order_by("pk").values_list("pk", flat=True)[:1]) + list(
        matches.order_by("-pk").values_list("pk", flat=True)[:1]
    )
    if not bounds:
        return []
    values = []
    for _ in range(SAMPLES * 3):
        start = rng.randint(bounds[0], bounds[-1])
        value = (
            matches.filter(pk__gte=start).order_by("pk").values_list("value_normalized", flat=True)
        )[:1]
        values.extend(value)
        if len(set(values)) >= SAMPLES:
            break
    return sorted(set(values))


def _inn_samples(rng: random.Random) -> list[str]:
    companies = Company.objects.exclude(inn="")
    highest = companies.order_by("-pk").values_list("pk", flat=True)[:1]
    if not highest:
        return []
    values = []
    for _ in range(SAMPLES * 3):
        start = rng.randint(1, highest[0])
        values.extend(
            companies.filter(pk__gte=start).order_by("pk").values_list("inn", flat=True)[:1]
        )
        if len(set(values)) >= SAMPLES:
            break
    return sorted(set(values))


def _terms(values: list[str], spell) -> list[tuple[str, str]]:
    """(what is typed, its normalised value), every spelling of every sample."""
    return [(spelling, value) for value in values for spelling in spell(value)]


def run(context) -> list:
    sizes, dataset = context.sizes, context.dataset
    rng = random.Random(7)
    contact_type = ContentType.objects.get_for_model(Contact).pk
    phones = _terms(_samples(CommunicationKind.PHONE, Contact, rng), phone_spellings)
    emails = _terms(_samples(CommunicationKind.EMAIL, Contact, rng), email_spellings)
    inns = _terms(_inn_samples(rng), inn_spellings)
    contacts = f"{number(dataset.contacts)} contacts"
    companies = f"{number(Company.objects.count())} companies"

    def contacts_by(terms):
        def operation(index):
            typed, _value = terms[index % len(terms)]
            found = list(contact_list(user=context.user, search=typed)[:ROWS])
            assert found, typed

        return operation

    def raw_contacts_by(kind, terms):
        def operation(index):
            _typed, value = terms[index % len(terms)]
            raw_lookup(kind, value, contact_type)

        return operation

    def companies_by_inn(index):
        typed, _value = inns[index % len(inns)]
        found = list(company_list(user=context.user, search=typed)[:ROWS])
        assert found, typed

    def raw_companies_by_inn(index):
        _typed, value = inns[index % len(inns)]
        fetch(
            f"SELECT id, title, inn, kpp FROM {table(Company)} "
            "WHERE inn = %s AND deleted_at IS NULL LIMIT %s",
            [value, ROWS],
        )

    def lookup_phone(index):
        typed, _value = phones[index % len(phones)]
        assert cards_by_communication(CommunicationKind.PHONE, typed), typed

    plan = [
        ("phone, 3 spellings", contacts, "selector contact_list(search=…)[:20]", phones,
         contacts_by(phones), raw_contacts_by(CommunicationKind.PHONE, phones)),
        ("e-mail, 2 spellings", contacts, "selector contact_list(search=…)[:20]", emails,
         contacts_by(emails), raw_contacts_by(CommunicationKind.EMAIL, emails)),
        ("INN, 2 spellings", companies, "selector company_list(search=…)[:20]", inns,
         companies_by_inn, raw_companies_by_inn),
        ("caller id by phone", contacts, "selector cards_by_communication", phones,
         lookup_phone, raw_contacts_by(CommunicationKind.PHONE, phones)),
    ]  # fmt: skip
    rows = []
    for operation, size, path, terms, ours_operation, raw_operation in plan:
        if not terms:
            continue
        ours = time_operation(ours_operation, warmup=sizes.warmup, runs=sizes.runs)
        reference = time_operation(raw_operation, warmup=sizes.warmup, runs=sizes.runs)
        rows.append(
            result(
                scenario=SCENARIO,
                operation=operation,
                database=context.database,
                size=size,
                path=path,
                ours=ours,
                reference=reference,
            )
        )
    return rows


def raw_lookup(kind: str, value: str, card_type_id: int) -> list[tuple]:
    return fetch(
        "SELECT c.id, c.last_name, c.first_name, c.middle_name "
        f"FROM {table(Communication)} m JOIN {table(Contact)} c ON c.id = m.card_id "
        "WHERE m.kind = %s AND m.value_normalized = %s AND m.card_type_id = %s "
        "AND c.deleted_at IS NULL LIMIT %s",
        [kind, value, card_type_id, ROWS],
    )
