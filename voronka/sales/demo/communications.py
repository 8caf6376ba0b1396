"""Phones, e-mails, websites and Telegram handles typed the many ways people type them.

Normalising 700 000 values through phonenumbers would take most of the run, so each value is
generated together with its normalised form; the tests check both agree with
``voronka.core.normalization``.
"""

import random

from django.contrib.contenttypes.models import ContentType

from voronka.contacts.models import Communication, CommunicationKind, CommunicationValueType
from voronka.sales.demo.names import PERSONAL_MAIL_DOMAINS, PersonName, transliterate
from voronka.sales.demo.writer import Row, new_row


def _phone_forms(national: str) -> tuple[str, ...]:
    code, a, b, c = national[:3], national[3:6], national[6:8], national[8:]
    return (
        f"8 ({code}) {a}-{b}-{c}",
        f"+7 {code} {a}-{b}-{c}",
        f"+7 ({code}) {a}-{b}-{c}",
        f"8{national}",
        f"+7{national}",
        f"8-{code}-{a}-{b}-{c}",
        f"{code} {a} {b} {c}",
    )


def mobile_phone(rng: random.Random) -> tuple[str, str]:
    """(as typed, E.164) for a Russian mobile number."""
    national = f"9{rng.randrange(100):02d}{rng.randrange(10**7):07d}"
    return rng.choice(_phone_forms(national)), "+7" + national


def landline_phone(rng: random.Random, area_code: str) -> tuple[str, str]:
    national = f"{area_code}{rng.randint(2, 9)}{rng.randrange(10**6):06d}"
    return rng.choice(_phone_forms(national)), "+7" + national


def personal_email(rng: random.Random, person: PersonName) -> tuple[str, str]:
    first, last = transliterate(person.first_name), transliterate(person.last_name)
    local = rng.choice(
        (
            f"{first}.{last}",
            f"{first[0]}.{last}",
            f"{last}.{first[0]}",
            f"{last}{rng.randint(1, 99)}",
            f"{first}{last}{rng.randint(1970, 2005)}",
        )
    )
    address = f"{local}@{rng.choice(PERSONAL_MAIL_DOMAINS)}"
    typed = address.capitalize() if rng.random() < 0.1 else address
    return typed, address.lower()


def work_email(rng: random.Random, person: PersonName, domain: str) -> tuple[str, str]:
    local = f"{transliterate(person.first_name)[0]}.{transliterate(person.last_name)}"
    address = f"{local}@{domain}"
    return address, address


def telegram_handle(rng: random.Random, person: PersonName) -> tuple[str, str]:
    handle = f"{transliterate(person.first_name)}_{transliterate(person.last_name)}"
    if rng.random() < 0.5:
        handle += str(rng.randint(1, 999))
    return "@" + handle, handle


def communication(
    card_type: ContentType,
    card_id: int,
    kind: str,
    value_type: str,
    typed_and_normalized: tuple[str, str],
    sort: int,
) -> Row:
    typed, normalized = typed_and_normalized
    return new_row(
        Communication,
        card_type=card_type,
        card_id=card_id,
        kind=kind,
        value_type=value_type,
        value=typed,
        value_normalized=normalized,
        sort=sort,
    )


def person_communications(
    rng: random.Random,
    card_type: ContentType,
    card_id: int,
    person: PersonName,
    *,
    phone: bool = True,
    email_share: float = 0.7,
    telegram_share: float = 0.2,
    company_domain: str = "",
) -> list[Row]:
    """A mobile phone, often an e-mail (work or personal), sometimes Telegram."""
    rows = []
    if phone:
        rows.append(
            communication(
                card_type,
                card_id,
                CommunicationKind.PHONE,
                CommunicationValueType.MOBILE,
                mobile_phone(rng),
                len(rows),
            )
        )
    if rng.random() < email_share:
        if company_domain and rng.random() < 0.6:
            address, value_type = work_email(rng, person, company_domain), "work"
        else:
            address, value_type = personal_email(rng, person), "home"
        rows.append(
            communication(
                card_type, card_id, CommunicationKind.EMAIL, value_type, address, len(rows)
            )
        )
    if rng.random() < telegram_share:
        rows.append(
            communication(
                card_type,
                card_id,
                CommunicationKind.MESSENGER,
                CommunicationValueType.TELEGRAM,
                telegram_handle(rng, person),
                len(rows),
            )
        )
    return rows
