"""Russian company requisites with correct check digits: INN, KPP, OGRN, OGRNIP, bank accounts.

The demo data must pass the same validators real input does, so every number here is built
from its parts and finished with the official control digit (stdnum computes the INN ones).
"""

import random
from dataclasses import dataclass

from stdnum.ru import inn as inn_numbers


@dataclass(frozen=True)
class Bank:
    name: str
    bic: str
    correspondent_account: str


# Real banks; correspondent accounts pass the control key check against their BIC.
BANKS = (
    Bank('ПАО "Сбербанк России"', "044525225", "30101810400000000225"),
    Bank('АО "Альфа-Банк"', "044525593", "30101810200000000593"),
    Bank("Банк ВТБ (ПАО)", "044525187", "30101810700000000187"),
    Bank('АО "ТБанк"', "044525974", "30101810145250000974"),
    Bank("Северо-Западный банк ПАО Сбербанк", "044030653", "30101810500000000653"),
)

_ACCOUNT_WEIGHTS = ((7, 1, 3) * 8)[:23]  # 3 digits of the BIC and 20 of the account


def _account_checksum(bic_part: str, account: str) -> int:
    digits = bic_part + account
    return (
        sum(int(digit) * weight for digit, weight in zip(digits, _ACCOUNT_WEIGHTS, strict=True))
        % 10
    )


def settlement_account_is_valid(bic: str, account: str) -> bool:
    """The control key of a settlement account is checked with the BIC's last three digits."""
    if len(bic) != 9 or len(account) != 20 or not (bic + account).isdigit():
        return False
    return _account_checksum(bic[-3:], account) == 0


def correspondent_account_is_valid(bic: str, account: str) -> bool:
    """A correspondent account is checked with ``0`` plus the BIC's fifth and sixth digits."""
    if len(bic) != 9 or len(account) != 20 or not (bic + account).isdigit():
        return False
    return _account_checksum("0" + bic[4:6], account) == 0


def with_account_key(bic: str, account: str) -> str:
    """Put the control key (the ninth digit) into ``account`` so it validates with ``bic``."""
    draft = account[:8] + "0" + account[9:]
    key = _account_checksum(bic[-3:], draft) * 3 % 10
    return draft[:8] + str(key) + draft[9:]


def settlement_account(rng: random.Random, bic: str, *, sole_proprietor: bool) -> str:
    # 40702 — commercial organisation, 40802 — sole proprietor; 810 — roubles.
    balance = "40802" if sole_proprietor else "40702"
    draft = balance + "810" + "0" + f"{rng.randrange(10_000):04d}" + f"{rng.randrange(10**7):07d}"
    return with_account_key(bic, draft)


def company_inn(rng: random.Random, region: str) -> str:
    """Ten digits: region, tax office, record number, check digit."""
    body = region + f"{rng.randint(1, 51):02d}" + f"{rng.randrange(100_000):05d}"
    return body + inn_numbers.calc_company_check_digit(body)


def personal_inn(rng: random.Random, region: str) -> str:
    """Twelve digits: region, tax office, record number and two check digits."""
    body = region + f"{rng.randint(1, 51):02d}" + f"{rng.randrange(1_000_000):06d}"
    return body + inn_numbers.calc_personal_check_digits(body)


def kpp_for(inn: str) -> str:
    """KPP of the head office: the INN's tax office, reason code 01 (Russian company), 001."""
    return inn[:4] + "01" + "001"


def ogrn(rng: random.Random, inn: str) -> str:
    """Thirteen digits: sign 1, registration year, region, tax office, record; check mod 11."""
    body = "1" + f"{rng.randint(2, 24):02d}" + inn[:4] + f"{rng.randrange(100_000):05d}"
    return body + str(int(body) % 11 % 10)


def ogrnip(rng: random.Random, inn: str) -> str:
    """Fifteen digits: sign 3, year, region, record; check = number mod 13 mod 10.

    Numbers whose remainder is 10–12 are skipped: they are legal, but some validators (python-
    stdnum among them) compare the remainder without the final ``mod 10`` and reject them.
    """
    while True:
        body = "3" + f"{rng.randint(4, 24):02d}" + inn[:2] + f"{rng.randrange(10**9):09d}"
        remainder = int(body) % 13
        if remainder < 10:
            return body + str(remainder)
