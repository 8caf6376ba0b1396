"""Leads and deals: the cards that move through pipelines."""

from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.contacts.models import Communication
from voronka.core.models import CustomFieldsModel, SoftDeleteModel, TimeStampedModel, VersionedModel
from voronka.core.money import Currency, default_currency, money_field


class CardBase(TimeStampedModel, SoftDeleteModel, VersionedModel, CustomFieldsModel):
    """What leads and deals share: a stage, money, a responsible, a source, closing data."""

    title = models.CharField(_("title"), max_length=255)
    stage = models.ForeignKey(
        "sales.Stage", verbose_name=_("stage"), on_delete=models.PROTECT, related_name="+"
    )
    stage_changed_at = models.DateTimeField(_("in stage since"), default=timezone.now)
    amount = money_field(_("amount"), default=0)
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=default_currency
    )
    # While product rows exist, the amount is their total; otherwise it is typed by hand.
    amount_from_products = models.BooleanField(_("amount from products"), default=False)
    responsible = models.ForeignKey(
        "staff.User",
        verbose_name=_("responsible"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    source = models.ForeignKey(
        "customization.Source",
        verbose_name=_("source"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    source_description = models.CharField(_("source details"), max_length=500, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    loss_reason = models.ForeignKey(
        "sales.LossReason",
        verbose_name=_("loss reason"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    loss_comment = models.TextField(_("loss comment"), blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    created_by = models.ForeignKey(
        "staff.User",
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.title


class Lead(CardBase):
    """A first request from a possible client, with where it came from."""

    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    middle_name = models.CharField(_("patronymic"), max_length=150, blank=True)
    company_title = models.CharField(_("company name"), max_length=255, blank=True)
    position = models.CharField(_("position"), max_length=200, blank=True)
    address = models.TextField(_("address"), blank=True)
    utm_source = models.CharField("UTM source", max_length=255, blank=True)
    utm_medium = models.CharField("UTM medium", max_length=255, blank=True)
    utm_campaign = models.CharField("UTM campaign", max_length=255, blank=True)
    utm_content = models.CharField("UTM content", max_length=255, blank=True)
    utm_term = models.CharField("UTM term", max_length=255, blank=True)
    referrer = models.URLField(_("referrer"), max_length=2000, blank=True)
    landing_page = models.URLField(_("landing page"), max_length=2000, blank=True)
    contact = models.ForeignKey(
        "contacts.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    company = models.ForeignKey(
        "contacts.Company",
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    converted_at = models.DateTimeField(_("converted"), null=True, blank=True)
    communications = GenericRelation(
        Communication, content_type_field="card_type", object_id_field="card_id"
    )

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The board: cards of a stage, newest first.
            models.Index(fields=["stage", "deleted_at", "-created_at", "-id"]),
            # Column counts and sums of the board read this index alone, never the table.
            models.Index(
                fields=["stage", "deleted_at", "currency", "amount"], name="lead_stage_totals"
            ),
            models.Index(fields=["responsible", "deleted_at"]),
            models.Index(fields=["-created_at", "-id"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="lead_amount_not_negative")
        ]

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)


class Deal(CardBase):
    """A sale in one pipeline, from the first agreement to money received or a loss."""

    pipeline = models.ForeignKey(
        "sales.Pipeline", verbose_name=_("pipeline"), on_delete=models.PROTECT, related_name="+"
    )
    company = models.ForeignKey(
        "contacts.Company",
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deals",
    )
    contacts = models.ManyToManyField(
        "contacts.Contact",
        verbose_name=_("contacts"),
        through="DealContact",
        related_name="deals",
        blank=True,
    )
    lead = models.ForeignKey(
        Lead,
        verbose_name=_("lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deals",
    )
    # Role fields for the hand-over between departments.
    sales_manager = models.ForeignKey(
        "staff.User",
        verbose_name=_("sales manager"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    delivery_manager = models.ForeignKey(
        "staff.User",
        verbose_name=_("delivery manager"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    head_of_sales = models.ForeignKey(
        "staff.User",
        verbose_name=_("head of sales"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    begins_on = models.DateField(_("start date"), null=True, blank=True)
    closes_on = models.DateField(_("expected close date"), null=True, blank=True)
    probability = models.PositiveSmallIntegerField(_("probability, %"), null=True, blank=True)
    utm_source = models.CharField("UTM source", max_length=255, blank=True)
    utm_medium = models.CharField("UTM medium", max_length=255, blank=True)
    utm_campaign = models.CharField("UTM campaign", max_length=255, blank=True)
    utm_content = models.CharField("UTM content", max_length=255, blank=True)
    utm_term = models.CharField("UTM term", max_length=255, blank=True)

    class Meta:
        verbose_name = _("deal")
        verbose_name_plural = _("deals")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["stage", "deleted_at", "-created_at", "-id"]),
            models.Index(fields=["pipeline", "deleted_at", "-created_at", "-id"]),
            # The list of a pipeline sorted by amount, the largest first.
            models.Index(fields=["pipeline", "deleted_at", "-amount", "-id"], name="deal_amount"),
            models.Index(
                fields=["stage", "deleted_at", "currency", "amount"], name="deal_stage_totals"
            ),
            models.Index(fields=["responsible", "deleted_at"]),
            models.Index(fields=["-created_at", "-id"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="deal_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(probability__isnull=True) | Q(probability__lte=100),
                name="deal_probability_percent",
            ),
        ]


class DealContact(models.Model):
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="contact_links")
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="deal_links"
    )
    is_primary = models.BooleanField(_("primary"), default=False)
    sort = models.PositiveSmallIntegerField(_("sort"), default=0)

    class Meta:
        verbose_name = _("deal contact")
        verbose_name_plural = _("deal contacts")
        ordering = ["-is_primary", "sort", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["deal", "contact"], name="dealcontact_unique"),
            models.UniqueConstraint(
                fields=["deal"], condition=Q(is_primary=True), name="dealcontact_one_primary"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.deal_id} → {self.contact_id}"


class StageTransition(models.Model):
    """Every stage change of a lead or deal, with the time spent in the stage it left."""

    lead = models.ForeignKey(
        Lead, null=True, blank=True, on_delete=models.CASCADE, related_name="stage_transitions"
    )
    deal = models.ForeignKey(
        Deal, null=True, blank=True, on_delete=models.CASCADE, related_name="stage_transitions"
    )
    # A deleted stage leaves its past transitions in place (the timeline keeps its name).
    from_stage = models.ForeignKey(
        "sales.Stage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_stage = models.ForeignKey(
        "sales.Stage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        "staff.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moved_at = models.DateTimeField(_("moved"), default=timezone.now)
    seconds_in_previous = models.PositiveBigIntegerField(
        _("seconds in the previous stage"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("stage transition")
        verbose_name_plural = _("stage transitions")
        ordering = ["moved_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(lead__isnull=False, deal__isnull=True)
                    | Q(lead__isnull=True, deal__isnull=False)
                ),
                name="stagetransition_one_card",
            )
        ]

    def __str__(self) -> str:
        return f"{self.from_stage_id} → {self.to_stage_id} {self.moved_at:%d.%m.%Y %H:%M}"
