"""Money is Decimal with a currency code, never float."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

CENT = Decimal("0.01")


class Currency(models.TextChoices):
    RUB = "RUB", _("Russian rouble")
    USD = "USD", _("US dollar")
    EUR = "EUR", _("Euro")
    CNY = "CNY", _("Chinese yuan")
    KZT = "KZT", _("Kazakhstani tenge")
    BYN = "BYN", _("Belarusian rouble")


def quantize(amount: Decimal) -> Decimal:
    """Round to kopecks the way accountants do (half up)."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def money_field(verbose_name, **kwargs) -> models.DecimalField:
    kwargs.setdefault("max_digits", 18)
    kwargs.setdefault("decimal_places", 2)
    return models.DecimalField(verbose_name, **kwargs)


def default_currency() -> str:
    from django.conf import settings

    return settings.DEFAULT_CURRENCY
