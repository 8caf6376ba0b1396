"""Generated requisites pass the validators real input goes through."""

import random

import pytest
from stdnum.ru import inn as stdnum_inn

from voronka.contacts import validators
from voronka.sales.demo import requisites


@pytest.fixture
def rng():
    return random.Random(7)


def test_company_inn_kpp_and_ogrn_are_valid(rng):
    for _ in range(500):
        inn = requisites.company_inn(rng, "77")
        assert stdnum_inn.is_valid(inn)
        assert validators.validate_inn(inn, length=10) == inn
        assert validators.validate_kpp(requisites.kpp_for(inn))
        assert validators.validate_ogrn(requisites.ogrn(rng, inn))


def test_sole_proprietor_inn_and_ogrnip_are_valid(rng):
    for _ in range(500):
        inn = requisites.personal_inn(rng, "50")
        assert validators.validate_inn(inn, length=12) == inn
        assert validators.validate_ogrnip(requisites.ogrnip(rng, inn))


def test_ogrnip_check_digit_is_the_remainder_mod_13_mod_10(rng):
    number = requisites.ogrnip(rng, "500100000000")
    assert number[-1] == str(int(number[:-1]) % 13 % 10)


def test_bank_correspondent_accounts_match_their_bic():
    for bank in requisites.BANKS:
        assert requisites.correspondent_account_is_valid(bank.bic, bank.correspondent_account)
        validators.validate_correspondent_account(bank.correspondent_account, bic=bank.bic)


@pytest.mark.parametrize("sole_proprietor", [False, True])
def test_settlement_accounts_carry_a_valid_control_key(rng, sole_proprietor):
    for bank in requisites.BANKS:
        for _ in range(100):
            account = requisites.settlement_account(rng, bank.bic, sole_proprietor=sole_proprietor)
            assert account.startswith("40802810" if sole_proprietor else "40702810")
            assert requisites.settlement_account_is_valid(bank.bic, account)
            validators.validate_settlement_account(account, bic=bank.bic)


def test_a_changed_digit_breaks_the_account_key():
    bank = requisites.BANKS[0]
    account = requisites.settlement_account(random.Random(1), bank.bic, sole_proprietor=False)
    broken = account[:-1] + str((int(account[-1]) + 1) % 10)
    assert not requisites.settlement_account_is_valid(bank.bic, broken)
