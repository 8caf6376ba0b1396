"""10. Duplicate check of a new card among all contacts and companies (issue 7).

``find_duplicates(entity, data)`` (``voronka/contacts/duplicates/``) — what every path that
creates or changes a contact or company asks before it writes:

* a new contact with the phone of an existing one, in 3 spellings (``+7 (912) 345-67-89``,
  ``8 912 345 67 89``, ``9123456789``); with its e-mail (mixed case, spaces); with its person
  name and phone; and a contact that has no duplicate at all (the common case);
* a new company with the INN of an existing one; with its INN and KPP; with its name spelled
  otherwise: «ООО "Ромашка"», "Ромашка ООО", "Romashka LLC" and with a typo ("Ромашкаа").

Each run takes the next sample and spelling. Reference: the indexed raw lookups the check
needs at least — the normalised phone or e-mail straight to ``contacts_communication (kind,
value_normalized)`` joined to the card; ``contacts_company.inn`` (and KPP); the neighbours of
the name key in the ``title_key`` index.
"""

import random

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction

from benchmarks.measure import result, time_operation
from benchmarks.scenarios.base import number
from benchmarks.scenarios.search import _samples, email_spellings, phone_spellings, raw_lookup
from benchmarks.sql import fetch, table
from voronka.contacts.duplicates import find_duplicates
from voronka.contacts.models import Communication, CommunicationKind, Company, Contact
from voronka.core.normalization import company_name_key, person_name_key

SCENARIO = "10 duplicates"
SAMPLES = 12
NEIGHBOURS = 40
LEGAL_FORMS = ("ООО", "АО", "ПАО", "ЗАО")


def name_spellings(title: str) -> list[str]:
    """«ООО "Ромашка"» as it is, reordered, in Latin letters and with a typo."""
    form, _space, rest = title.partition(" ")
    name = rest.strip("\"«»'")
    key = company_name_key(title)
    return [title, f"{name} {form}", f"{key.title()} LLC", f"{form} «{name}{name[-1]}»"]


def ensure_name_keys(log) -> None:
    """The name keys duplicate search reads, for data built before they existed (or written
    in bulk without them): filled the way the migration that added them does."""
    companies, contacts = Company.all_objects, Contact.all_objects
    missing = companies.filter(title_key="").exclude(title="")
    if missing.exists():
        log("    filling company name keys")
        _fill(missing.only("pk", "title"), "title_key", lambda c: company_name_key(c.title)[:255])
    missing = contacts.filter(name_key="").exclude(last_name="", first_name="")
    if missing.exists():
        log("    filling contact name keys")
        _fill(
            missing.only("pk", "last_name", "first_name", "middle_name"),
            "name_key",
            lambda c: person_name_key(c.last_name, c.first_name, c.middle_name)[:500],
        )


def _fill(queryset, field: str, key) -> None:
    """One ``UPDATE … WHERE id = %s`` per card, 2,000 to a transaction, read in id order
    (``bulk_update``'s ``CASE`` over a batch costs the square of the batch on SQLite)."""
    model = queryset.model
    sql = f"UPDATE {table(model)} SET {connection.ops.quote_name(field)} = %s WHERE id = %s"
    last = 0
    while True:
        cards = list(queryset.filter(pk__gt=last).order_by("pk")[:2000])
        if not cards:
            return
        _update(sql, [(key(card), card.pk) for card in cards])
        last = cards[-1].pk


def _update(sql: str, rows: list[tuple]) -> None:
    if rows:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, rows)


def _people(phones: list[str]) -> list[tuple[dict, str]]:
    """(the person's name parts with the phone, the phone) of the contacts owning ``phones``."""
    contact_type = ContentType.objects.get_for_model(Contact)
    owners = dict(
        Communication.objects.filter(
            kind=CommunicationKind.PHONE, card_type=contact_type, value_normalized__in=phones
        ).values_list("value_normalized", "card_id")
    )
    names = {
        row["pk"]: row
        for row in Contact.objects.filter(pk__in=owners.values()).values(
            "pk", "last_name", "first_name", "middle_name"
        )
    }
    people = []
    for phone, card_id in sorted(owners.items()):
        row = names.get(card_id)
        if row and row["last_name"]:
            data = {key: row[key] for key in ("last_name", "first_name", "middle_name")}
            people.append(({**data, "phones": [phone_spellings(phone)[1]]}, phone))
    return people


def _companies(rng: random.Random) -> list[tuple[str, str, str]]:
    """(title, INN, KPP) of companies with a legal form, a quoted name and requisites."""
    highest = Company.objects.order_by("-pk").values_list("pk", flat=True)[:1]
    if not highest:
        return []
    found: dict[int, tuple[str, str, str]] = {}
    for _ in range(SAMPLES * 4):
        start = rng.randint(1, highest[0])
        rows = (
            Company.objects.filter(pk__gte=start)
            .exclude(inn="")
            .exclude(kpp="")
            .filter(title__contains='"')
            .order_by("pk")
            .values_list("pk", "title", "inn", "kpp")[:1]
        )
        for pk, title, inn, kpp in rows:
            if title.split(" ", 1)[0] in LEGAL_FORMS:
                found[pk] = (title, inn, kpp)
        if len(found) >= SAMPLES:
            break
    return [found[pk] for pk in sorted(found)]


def run(context) -> list:
    sizes, dataset = context.sizes, context.dataset
    ensure_name_keys(context.log)
    rng = random.Random(11)
    contact_type = ContentType.objects.get_for_model(Contact).pk
    phone_values = _samples(CommunicationKind.PHONE, Contact, rng)
    email_values = _samples(CommunicationKind.EMAIL, Contact, rng)
    phones = [(s, v) for v in phone_values for s in phone_spellings(v)]
    emails = [(s, v) for v in email_values for s in email_spellings(v)]
    people = _people(phone_values)
    companies = _companies(rng)
    names = [
        (spelling, title) for title, _inn, _kpp in companies for spelling in name_spellings(title)
    ]
    contacts_size = f"{number(dataset.contacts)} contacts"
    companies_size = f"{number(Company.objects.count())} companies"

    def check(entity: str, data_of, expect_match: bool = True):
        def operation(index):
            data, shown = data_of(index)
            matches = find_duplicates(entity, data)
            assert bool(matches) == expect_match, (entity, shown, matches)

        return operation

    def by_phone(index):
        typed, _value = phones[index % len(phones)]
        return {"phones": [typed]}, typed

    def by_email(index):
        typed, _value = emails[index % len(emails)]
        return {"emails": [typed]}, typed

    def by_person(index):
        data, _phone = people[index % len(people)]
        return data, data

    def nobody(index):
        serial = 7_000_000 + index
        data = {
            "last_name": "Несуществующий",
            "first_name": f"Клиент {index}",
            "phones": [f"+7 (900) {serial // 10000 % 1000:03d}-{serial // 100 % 100:02d}-"
                       f"{serial % 100:02d}"],
            "emails": [f"nobody-{serial}@example.invalid"],
        }  # fmt: skip
        return data, data

    def by_inn(index):
        _title, inn, _kpp = companies[index % len(companies)]
        return {"inn": inn}, inn

    def by_inn_kpp(index):
        _title, inn, kpp = companies[index % len(companies)]
        return {"inn": inn, "kpp": kpp}, (inn, kpp)

    def by_name(index):
        typed, _title = names[index % len(names)]
        return {"title": typed}, typed

    def raw_communication(kind, terms):
        def operation(index):
            _typed, value = terms[index % len(terms)]
            raw_lookup(kind, value, contact_type)

        return operation

    def raw_person(index):
        _data, phone = people[index % len(people)]
        raw_lookup(CommunicationKind.PHONE, phone, contact_type)

    def raw_nobody(index):
        serial = 7_000_000 + index
        fetch(
            f"SELECT card_type_id, card_id FROM {table(Communication)} "
            "WHERE (kind = %s AND value_normalized = %s) OR (kind = %s AND value_normalized = %s)",
            [
                CommunicationKind.PHONE,
                f"+7900{serial % 10_000_000:07d}",
                CommunicationKind.EMAIL,
                f"nobody-{serial}@example.invalid",
            ],
        )

    def raw_inn(index):
        _title, inn, _kpp = companies[index % len(companies)]
        fetch(
            f"SELECT id, title, inn, kpp FROM {table(Company)} "
            "WHERE inn = %s AND deleted_at IS NULL LIMIT 50",
            [inn],
        )

    def raw_inn_kpp(index):
        _title, inn, kpp = companies[index % len(companies)]
        fetch(
            f"SELECT id, title, inn, kpp FROM {table(Company)} "
            "WHERE inn = %s AND kpp = %s AND deleted_at IS NULL LIMIT 50",
            [inn, kpp],
        )

    def raw_name(index):
        typed, _title = names[index % len(names)]
        key = company_name_key(typed)
        prefix = key[:3]
        fetch(
            f"SELECT id, title, title_key FROM {table(Company)} "
            "WHERE title_key >= %s AND title_key < %s AND deleted_at IS NULL "
            "ORDER BY title_key LIMIT %s",
            [prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1), NEIGHBOURS * 2],
        )

    plan = [
        ("contact: phone, 3 spellings", contacts_size, phones, check("contact", by_phone),
         raw_communication(CommunicationKind.PHONE, phones)),
        ("contact: e-mail, 2 spellings", contacts_size, emails, check("contact", by_email),
         raw_communication(CommunicationKind.EMAIL, emails)),
        ("contact: person name + phone", contacts_size, people, check("contact", by_person),
         raw_person),
        ("contact: no duplicate (new phone, e-mail, name)", contacts_size, [1],
         check("contact", nobody, expect_match=False), raw_nobody),
        ("company: INN", companies_size, companies, check("company", by_inn), raw_inn),
        ("company: INN + KPP", companies_size, companies, check("company", by_inn_kpp),
         raw_inn_kpp),
        ("company: name, 4 spellings (ООО «…», … ООО, Latin, typo)", companies_size, names,
         check("company", by_name), raw_name),
    ]  # fmt: skip
    rows = []
    for operation, size, samples, ours_operation, raw_operation in plan:
        if not samples:
            continue
        ours = time_operation(ours_operation, warmup=sizes.warmup, runs=sizes.runs)
        reference = time_operation(raw_operation, warmup=sizes.warmup, runs=sizes.runs)
        rows.append(
            result(
                scenario=SCENARIO,
                operation=operation,
                database=context.database,
                size=size,
                path="find_duplicates",
                ours=ours,
                reference=reference,
            )
        )
    return rows
