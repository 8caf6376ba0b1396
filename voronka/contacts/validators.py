"""Checks of Russian requisites: INN, KPP, OGRN/OGRNIP, BIC and bank account control keys.

Each ``validate_*`` function returns the compact value (spaces removed) or raises a
ValidationError whose message names the problem; the caller decides which field it belongs to.
"""

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_exceptions
from stdnum.ru import inn as stdnum_inn
from stdnum.ru import ogrn as stdnum_ogrn

from voronka.contacts.models import CompanyType

_SEPARATORS = re.compile(r"[\s\-]+")
_KPP = re.compile(r"^\d{4}[\dA-Z]{2}\d{3}$")
_ACCOUNT_WEIGHTS = ((7, 1, 3) * 8)[:23]  # 3 digits of the bank + 20 of the account
# BIC digits 7-9 of Bank of Russia divisions (cash settlement centres) are 000-049; credit
# organisations have 050-999.
_FIRST_CREDIT_ORGANISATION_NUMBER = 50


def compact(value: Any) -> str:
    """The value without spaces and dashes people put into long numbers."""
    return _SEPARATORS.sub("", str(value or ""))


def validate_inn(value: str, *, length: int | None = None) -> str:
    """A 10-digit (organisation) or 12-digit (person) INN with correct check digits."""
    number = compact(value)
    if not number.isdigit():
        raise ValidationError(_("The INN must consist of digits only."), code="inn_format")
    if length is not None and len(number) != length:
        raise ValidationError(
            _("The INN must have %(length)d digits.") % {"length": length}, code="inn_length"
        )
    if len(number) not in (10, 12):
        raise ValidationError(_("The INN must have 10 or 12 digits."), code="inn_length")
    if not stdnum_inn.is_valid(number):
        raise ValidationError(
            _("The INN %(inn)s has a wrong check digit; check it for typos.") % {"inn": number},
            code="inn_checksum",
        )
    return number


def validate_kpp(value: str) -> str:
    """KPP: 4 digits (tax office), 2 digits or capital Latin letters (reason), 3 digits."""
    number = compact(value)
    if len(number) != 9:
        raise ValidationError(_("The KPP must have 9 characters."), code="kpp_length")
    if not _KPP.match(number):
        raise ValidationError(
            _("The KPP must be 4 digits, then 2 digits or capital Latin letters, then 3 digits."),
            code="kpp_format",
        )
    return number


def _ogrnip_check_digit(number: str) -> str:
    # The last digit of the remainder: stdnum 2.2 compares the whole remainder (10-12 included),
    # which rejects about a quarter of real OGRNIPs.
    return str(int(number[:-1]) % 13 % 10)


def _validate_registration_number(value: str, length: int) -> str:
    number = compact(value)
    name = _("OGRN") if length == 13 else _("OGRNIP")
    if not number.isdigit():
        raise ValidationError(
            _("The %(name)s must consist of digits only.") % {"name": name}, code="ogrn_format"
        )
    if len(number) != length:
        raise ValidationError(
            _("The %(name)s must have %(length)d digits.") % {"name": name, "length": length},
            code="ogrn_length",
        )
    try:
        stdnum_ogrn.validate(number)
    except stdnum_exceptions.InvalidComponent:
        raise ValidationError(
            _("The %(name)s %(number)s starts with a digit it cannot start with.")
            % {"name": name, "number": number},
            code="ogrn_component",
        ) from None
    except stdnum_exceptions.InvalidChecksum:
        if length == 13 or number[-1] != _ogrnip_check_digit(number):
            raise ValidationError(
                _("The %(name)s %(number)s has a wrong check digit; check it for typos.")
                % {"name": name, "number": number},
                code="ogrn_checksum",
            ) from None
    return number


def validate_ogrn(value: str) -> str:
    """A legal entity's 13-digit OGRN with its check digit."""
    return _validate_registration_number(value, 13)


def validate_ogrnip(value: str) -> str:
    """A sole proprietor's 15-digit OGRNIP with its check digit."""
    return _validate_registration_number(value, 15)


def validate_bic(value: str) -> str:
    """A Russian bank's 9-digit BIC, which starts with 04."""
    number = compact(value)
    if not number.isdigit() or len(number) != 9:
        raise ValidationError(_("The BIC must have 9 digits."), code="bic_format")
    if not number.startswith("04"):
        raise ValidationError(_("A Russian bank's BIC starts with 04."), code="bic_country")
    return number


def is_bank_of_russia_division(bic: str) -> bool:
    """Whether the BIC belongs to a cash settlement centre of the Bank of Russia."""
    return int(bic[6:9]) < _FIRST_CREDIT_ORGANISATION_NUMBER


def control_key_is_valid(prefix: str, account: str) -> bool:
    """Bank of Russia control key: weights 7, 1, 3 over the 3-digit prefix and 20 digits; the
    sum of the last digits of the products ends in 0."""
    digits = prefix + account
    total = sum(
        int(digit) * weight % 10 for digit, weight in zip(digits, _ACCOUNT_WEIGHTS, strict=True)
    )
    return total % 10 == 0


def control_key(prefix: str, account: str) -> str:
    """The control key digit (the 9th digit of the account) that makes ``account`` valid."""
    digits = prefix + account[:8] + "0" + account[9:]
    total = sum(
        int(digit) * weight % 10 for digit, weight in zip(digits, _ACCOUNT_WEIGHTS, strict=True)
    )
    return str(total % 10 * 3 % 10)


def _validate_account_digits(value: str, message: str) -> str:
    number = compact(value)
    if not number.isdigit() or len(number) != 20:
        raise ValidationError(message, code="account_format")
    return number


def validate_settlement_account(value: str, *, bic: str) -> str:
    """A 20-digit settlement account whose control key matches the bank's BIC."""
    number = _validate_account_digits(value, _("The settlement account must have 20 digits."))
    bic = validate_bic(bic)
    prefix = "0" + bic[4:6] if is_bank_of_russia_division(bic) else bic[6:9]
    if not control_key_is_valid(prefix, number):
        raise ValidationError(
            _(
                "The settlement account %(account)s does not match the BIC %(bic)s "
                "(wrong control key); check both for typos."
            )
            % {"account": number, "bic": bic},
            code="account_key",
        )
    return number


def validate_correspondent_account(value: str, *, bic: str) -> str:
    """A bank's 20-digit correspondent account (301…) whose control key matches the BIC."""
    number = _validate_account_digits(value, _("The correspondent account must have 20 digits."))
    bic = validate_bic(bic)
    if not number.startswith("301"):
        raise ValidationError(
            _("A correspondent account starts with 301."), code="correspondent_account_prefix"
        )
    if not control_key_is_valid("0" + bic[4:6], number):
        raise ValidationError(
            _(
                "The correspondent account %(account)s does not match the BIC %(bic)s "
                "(wrong control key); check both for typos."
            )
            % {"account": number, "bic": bic},
            code="account_key",
        )
    return number


def clean_company_requisites(
    *, company_type: str, inn: str = "", kpp: str = "", ogrn: str = ""
) -> dict[str, str]:
    """Check a company's requisites against its type; return them compact.

    A legal entity has a 10-digit INN, may have a KPP and a 13-digit OGRN. A sole proprietor has
    a 12-digit INN, no KPP and a 15-digit OGRNIP. A family or an individual needs no requisites;
    an INN given for them is a person's 12-digit one. Every requisite is optional; the ones given
    must be right. Errors are keyed by field name.
    """
    values = {"inn": compact(inn), "kpp": compact(kpp), "ogrn": compact(ogrn)}
    errors: dict[str, list[str]] = {}

    def check(field: str, validator) -> None:
        if not values[field]:
            return
        try:
            values[field] = validator(values[field])
        except ValidationError as error:
            errors[field] = error.messages

    if company_type == CompanyType.LEGAL_ENTITY:
        check("inn", lambda value: validate_inn(value, length=10))
        check("kpp", validate_kpp)
        check("ogrn", validate_ogrn)
    elif company_type == CompanyType.SOLE_PROPRIETOR:
        check("inn", lambda value: validate_inn(value, length=12))
        check("ogrn", validate_ogrnip)
        if values["kpp"]:
            errors["kpp"] = [_("A sole proprietor has no KPP; leave it empty.")]
    else:
        check("inn", lambda value: validate_inn(value, length=12))
        if values["kpp"]:
            errors["kpp"] = [_("Only organisations have a KPP; leave it empty.")]
        if values["ogrn"]:
            errors["ogrn"] = [
                _("Only organisations and sole proprietors have an OGRN; leave it empty.")
            ]
    if errors:
        raise ValidationError(errors)
    return values
