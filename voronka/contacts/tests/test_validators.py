import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st
from stdnum.ru import inn as stdnum_inn

from voronka.contacts.tests.factories import (
    make_inn,
    make_kpp,
    make_ogrn,
    make_ogrnip,
    make_settlement_account,
)
from voronka.contacts.validators import (
    clean_company_requisites,
    control_key,
    validate_bic,
    validate_correspondent_account,
    validate_inn,
    validate_kpp,
    validate_ogrn,
    validate_ogrnip,
    validate_settlement_account,
)

# Sberbank's published requisites.
SBERBANK_INN = "7707083893"
SBERBANK_KPP = "773601001"
SBERBANK_OGRN = "1027700132195"
SBERBANK_BIC = "044525225"
SBERBANK_CORRESPONDENT_ACCOUNT = "30101810400000000225"


def _message(error: pytest.ExceptionInfo) -> str:
    return " ".join(error.value.messages)


def _change_digit(number: str, position: int) -> str:
    digit = str((int(number[position]) + 1) % 10)
    return number[:position] + digit + number[position + 1 :]


class TestInn:
    def test_real_organisation_inn_is_valid(self):
        assert validate_inn(SBERBANK_INN) == SBERBANK_INN

    def test_spaces_are_removed(self):
        assert validate_inn(" 7707 083893 ") == SBERBANK_INN

    def test_person_inn_with_both_check_digits_is_valid(self):
        inn = make_inn(123, length=12)
        assert validate_inn(inn) == inn

    def test_wrong_check_digit_is_named(self):
        with pytest.raises(ValidationError) as error:
            validate_inn("7707083894")
        assert "check digit" in _message(error)

    @pytest.mark.parametrize("value", ["770708389", "77070838931", "7707083893123"])
    def test_lengths_other_than_10_or_12_are_refused(self, value):
        with pytest.raises(ValidationError) as error:
            validate_inn(value)
        assert "10 or 12 digits" in _message(error)

    def test_letters_are_refused(self):
        with pytest.raises(ValidationError) as error:
            validate_inn("77O7083893")
        assert "digits only" in _message(error)

    def test_a_required_length_is_enforced(self):
        with pytest.raises(ValidationError) as error:
            validate_inn(SBERBANK_INN, length=12)
        assert "12 digits" in _message(error)

    @given(st.integers(min_value=0, max_value=10**9 - 1))
    def test_generated_organisation_inn_passes_and_a_changed_digit_fails(self, body):
        start = f"{body:09d}"
        inn = start + stdnum_inn.calc_company_check_digit(start)
        assert validate_inn(inn) == inn
        with pytest.raises(ValidationError):
            validate_inn(_change_digit(inn, 9))

    @given(st.integers(min_value=0, max_value=10**10 - 1), st.integers(min_value=10, max_value=11))
    def test_generated_person_inn_passes_and_a_changed_check_digit_fails(self, body, position):
        start = f"{body:010d}"
        inn = start + stdnum_inn.calc_personal_check_digits(start)
        assert validate_inn(inn) == inn
        with pytest.raises(ValidationError):
            validate_inn(_change_digit(inn, position))


class TestKpp:
    @pytest.mark.parametrize("value", [SBERBANK_KPP, "7736AB001", "773601001 "])
    def test_valid_kpp(self, value):
        assert validate_kpp(value) == value.strip()

    @pytest.mark.parametrize("value", ["77360100", "7736010011"])
    def test_kpp_must_have_9_characters(self, value):
        with pytest.raises(ValidationError) as error:
            validate_kpp(value)
        assert "9 characters" in _message(error)

    @pytest.mark.parametrize("value", ["7736ab001", "77А601001", "773601A01", "A73601001"])
    def test_kpp_letters_only_in_the_reason_code_and_only_capital_latin(self, value):
        with pytest.raises(ValidationError) as error:
            validate_kpp(value)
        assert "capital Latin letters" in _message(error)


class TestOgrn:
    def test_real_ogrn_is_valid(self):
        assert validate_ogrn(SBERBANK_OGRN) == SBERBANK_OGRN

    def test_wrong_check_digit(self):
        with pytest.raises(ValidationError) as error:
            validate_ogrn("1027700132196")
        assert "OGRN 1027700132196 has a wrong check digit" in _message(error)

    def test_ogrn_has_13_digits(self):
        with pytest.raises(ValidationError) as error:
            validate_ogrn(make_ogrnip(5))
        assert "13 digits" in _message(error)

    def test_ogrn_cannot_start_with_zero(self):
        with pytest.raises(ValidationError) as error:
            validate_ogrn("0027700132195")
        assert "cannot start with" in _message(error)

    @given(st.integers(min_value=10**11, max_value=10**12 - 1))
    def test_generated_ogrn_passes_and_a_changed_check_digit_fails(self, body):
        ogrn = f"{body}{body % 11 % 10}"
        assert validate_ogrn(ogrn) == ogrn
        with pytest.raises(ValidationError):
            validate_ogrn(_change_digit(ogrn, 12))


class TestOgrnip:
    def test_valid_ogrnip(self):
        ogrnip = make_ogrnip(42)
        assert validate_ogrnip(ogrnip) == ogrnip

    def test_remainder_above_nine_uses_its_last_digit(self):
        # 30477000000000 % 13 == 10, so the check digit is 0.
        start = next(f"3047700{n:07d}" for n in range(100) if int(f"3047700{n:07d}") % 13 >= 10)
        ogrnip = start + str(int(start) % 13 % 10)
        assert validate_ogrnip(ogrnip) == ogrnip

    def test_wrong_check_digit(self):
        ogrnip = make_ogrnip(42)
        with pytest.raises(ValidationError) as error:
            validate_ogrnip(_change_digit(ogrnip, 14))
        assert "OGRNIP" in _message(error)
        assert "check digit" in _message(error)

    def test_ogrnip_has_15_digits(self):
        with pytest.raises(ValidationError) as error:
            validate_ogrnip(SBERBANK_OGRN)
        assert "OGRNIP must have 15 digits" in _message(error)

    @given(st.integers(min_value=0, max_value=10**13 - 1))
    def test_generated_ogrnip_passes_and_a_changed_check_digit_fails(self, body):
        start = f"3{body:013d}"
        ogrnip = start + str(int(start) % 13 % 10)
        assert validate_ogrnip(ogrnip) == ogrnip
        with pytest.raises(ValidationError):
            validate_ogrnip(_change_digit(ogrnip, 14))


class TestBankRequisites:
    def test_real_bic_is_valid(self):
        assert validate_bic(SBERBANK_BIC) == SBERBANK_BIC

    @pytest.mark.parametrize("value", ["04452522", "0445252250", "04452522A"])
    def test_bic_has_9_digits(self, value):
        with pytest.raises(ValidationError) as error:
            validate_bic(value)
        assert "9 digits" in _message(error)

    def test_russian_bic_starts_with_04(self):
        with pytest.raises(ValidationError) as error:
            validate_bic("144525225")
        assert "starts with 04" in _message(error)

    def test_real_correspondent_account_matches_its_bic(self):
        account = validate_correspondent_account(SBERBANK_CORRESPONDENT_ACCOUNT, bic=SBERBANK_BIC)
        assert account == SBERBANK_CORRESPONDENT_ACCOUNT

    def test_correspondent_account_of_another_bank_does_not_match(self):
        with pytest.raises(ValidationError) as error:
            validate_correspondent_account(SBERBANK_CORRESPONDENT_ACCOUNT, bic="044030653")
        assert "wrong control key" in _message(error)

    def test_correspondent_account_starts_with_301(self):
        with pytest.raises(ValidationError) as error:
            validate_correspondent_account("40702810400000000225", bic=SBERBANK_BIC)
        assert "starts with 301" in _message(error)

    def test_account_from_the_brief_does_not_pass_the_sberbank_key(self):
        # With BIC 044525225 the control key (9th digit) of 40702810?38000000000 must be 6.
        assert control_key("225", "40702810938000000000") == "6"
        with pytest.raises(ValidationError) as error:
            validate_settlement_account("40702810938000000000", bic=SBERBANK_BIC)
        assert "does not match the BIC 044525225" in _message(error)
        assert validate_settlement_account("40702810638000000000", bic=SBERBANK_BIC)

    def test_settlement_account_at_a_cash_settlement_centre_uses_bic_digits_5_and_6(self):
        bic = "044525000"
        account = "40101810" + "0" + "00000010041"
        account = account[:8] + control_key("0" + bic[4:6], account) + account[9:]
        assert validate_settlement_account(account, bic=bic) == account
        assert control_key(bic[6:9], account) != account[8]

    def test_settlement_account_must_have_20_digits(self):
        with pytest.raises(ValidationError) as error:
            validate_settlement_account("4070281093800000000", bic=SBERBANK_BIC)
        assert "20 digits" in _message(error)

    @given(st.integers(min_value=0, max_value=10**11 - 1), st.integers(0, 19))
    def test_generated_accounts_pass_and_any_changed_digit_fails(self, body, position):
        account = make_settlement_account(SBERBANK_BIC, body)
        assert validate_settlement_account(account, bic=SBERBANK_BIC) == account
        with pytest.raises(ValidationError):
            validate_settlement_account(_change_digit(account, position), bic=SBERBANK_BIC)


class TestCompanyRequisites:
    def test_legal_entity_with_real_requisites(self):
        cleaned = clean_company_requisites(
            company_type="legal_entity",
            inn=SBERBANK_INN,
            kpp=SBERBANK_KPP,
            ogrn=SBERBANK_OGRN,
        )
        assert cleaned == {"inn": SBERBANK_INN, "kpp": SBERBANK_KPP, "ogrn": SBERBANK_OGRN}

    def test_legal_entity_needs_a_10_digit_inn_and_a_13_digit_ogrn(self):
        with pytest.raises(ValidationError) as error:
            clean_company_requisites(
                company_type="legal_entity", inn=make_inn(1, length=12), ogrn=make_ogrnip(1)
            )
        assert "10 digits" in error.value.message_dict["inn"][0]
        assert "13 digits" in error.value.message_dict["ogrn"][0]

    def test_sole_proprietor_has_12_digit_inn_and_15_digit_ogrnip(self):
        inn, ogrnip = make_inn(7, length=12), make_ogrnip(7)
        cleaned = clean_company_requisites(company_type="sole_proprietor", inn=inn, ogrn=ogrnip)
        assert cleaned == {"inn": inn, "kpp": "", "ogrn": ogrnip}

    def test_sole_proprietor_has_no_kpp_and_no_10_digit_inn(self):
        with pytest.raises(ValidationError) as error:
            clean_company_requisites(
                company_type="sole_proprietor",
                inn=SBERBANK_INN,
                kpp=SBERBANK_KPP,
                ogrn=SBERBANK_OGRN,
            )
        assert set(error.value.message_dict) == {"inn", "kpp", "ogrn"}
        assert "no KPP" in error.value.message_dict["kpp"][0]

    @pytest.mark.parametrize("company_type", ["family", "individual"])
    def test_family_and_individual_need_no_requisites(self, company_type):
        cleaned = clean_company_requisites(company_type=company_type)
        assert cleaned == {"inn": "", "kpp": "", "ogrn": ""}

    def test_individual_has_no_kpp_or_ogrn(self):
        with pytest.raises(ValidationError) as error:
            clean_company_requisites(
                company_type="individual", kpp=SBERBANK_KPP, ogrn=SBERBANK_OGRN
            )
        assert set(error.value.message_dict) == {"kpp", "ogrn"}

    def test_factory_requisites_are_valid(self):
        inn = make_inn(99)
        cleaned = clean_company_requisites(
            company_type="legal_entity", inn=inn, kpp=make_kpp(inn), ogrn=make_ogrn(99)
        )
        assert cleaned["inn"] == inn
