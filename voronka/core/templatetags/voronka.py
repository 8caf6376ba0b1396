"""Template filters every page uses: money, phones and initials, formatted for the reader."""

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format
from django.utils.translation import get_language

from voronka.core.normalization import format_phone, normalize_phone

register = template.Library()

CURRENCY_SIGNS = {"RUB": "₽", "USD": "$", "EUR": "€", "CNY": "¥", "KZT": "₸", "BYN": "Br"}


@register.filter
def money(amount, currency: str = "RUB") -> str:
    """``12500`` → ``12 500,00 ₽`` in Russian, ``12,500.00 ₽`` in English.

    Thousands are always grouped (a manager reads sums at a glance); the sign follows the
    amount the Russian way. An empty amount renders as an empty string, not ``0``.
    """
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        return str(amount)
    text = number_format(value, decimal_pos=2, use_l10n=True, force_grouping=True)
    if (get_language() or "ru").startswith("ru"):
        text = text.replace(" ", "\u00a0")  # never break a sum across lines
    return f"{text}\u00a0{CURRENCY_SIGNS.get(currency, currency)}"


@register.filter
def phone(value: str) -> str:
    """Any spelling of a phone number in the international form: ``+7 912 345-67-89``."""
    normalized = normalize_phone(value or "")
    return format_phone(normalized) if normalized else (value or "")


@register.filter
def initials(user) -> str:
    """Two letters for an avatar: first and last name, or the login's first letter."""
    if user is None:
        return ""
    letters = f"{(user.first_name or '')[:1]}{(user.last_name or '')[:1]}".upper()
    return letters or (user.get_username() or "?")[:1].upper()
