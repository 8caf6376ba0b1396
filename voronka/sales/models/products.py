"""The catalogue of goods and services and the priced rows on leads and deals."""

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from voronka.core.models import TimeStampedModel
from voronka.core.money import Currency, default_currency, money_field, quantize


class ProductSection(TimeStampedModel):
    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    sort = models.PositiveIntegerField(_("sort"), default=100)

    class Meta:
        verbose_name = _("product section")
        verbose_name_plural = _("product sections")
        ordering = ["sort", "name"]

    def __str__(self) -> str:
        return self.name


class Product(TimeStampedModel):
    name = models.CharField(_("name"), max_length=255)
    sku = models.CharField(_("SKU"), max_length=100, blank=True, db_index=True)
    unit = models.CharField(_("unit"), max_length=20, default="шт")
    price = money_field(_("price"), default=0)
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=default_currency
    )
    # None means "without VAT" (not subject to it), which differs from a 0% rate.
    vat_rate = models.DecimalField(
        _("VAT rate, %"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    vat_included = models.BooleanField(_("VAT included in price"), default=True)
    section = models.ForeignKey(
        ProductSection,
        verbose_name=_("section"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="products",
    )
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="product_price_not_negative")
        ]

    def __str__(self) -> str:
        return self.name


class ProductRow(models.Model):
    """A priced line on a lead or a deal. Totals are computed, never typed."""

    lead = models.ForeignKey(
        "sales.Lead", null=True, blank=True, on_delete=models.CASCADE, related_name="product_rows"
    )
    deal = models.ForeignKey(
        "sales.Deal", null=True, blank=True, on_delete=models.CASCADE, related_name="product_rows"
    )
    product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    name = models.CharField(_("name"), max_length=255)
    price = money_field(_("price"))
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3, default=1)
    unit = models.CharField(_("unit"), max_length=20, default="шт")
    discount_percent = models.DecimalField(
        _("discount, %"), max_digits=5, decimal_places=2, default=0
    )
    tax_rate = models.DecimalField(
        _("VAT rate, %"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    tax_included = models.BooleanField(_("VAT included in price"), default=True)
    sort = models.PositiveSmallIntegerField(_("sort"), default=0)

    class Meta:
        verbose_name = _("product row")
        verbose_name_plural = _("product rows")
        ordering = ["sort", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(lead__isnull=False, deal__isnull=True)
                    | Q(lead__isnull=True, deal__isnull=False)
                ),
                name="productrow_one_card",
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="productrow_price_not_negative"),
            models.CheckConstraint(
                condition=Q(quantity__gt=0), name="productrow_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0, discount_percent__lte=100),
                name="productrow_discount_percent",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def price_after_discount(self) -> Decimal:
        return quantize(self.price * (1 - self.discount_percent / 100))

    @property
    def subtotal(self) -> Decimal:
        """What the client pays for the row, VAT included."""
        net = quantize(self.price_after_discount * self.quantity)
        if self.tax_rate is None or self.tax_included:
            return net
        return quantize(net * (1 + self.tax_rate / 100))

    @property
    def tax_amount(self) -> Decimal:
        if self.tax_rate is None:
            return Decimal("0.00")
        total = self.subtotal
        return quantize(total * self.tax_rate / (100 + self.tax_rate))
