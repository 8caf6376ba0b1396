"""Clients: people, companies with requisites, and the ways to reach them."""

from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.core.models import (
    CustomFieldsModel,
    SoftDeleteModel,
    TimeStampedModel,
    VersionedModel,
)
from voronka.core.money import money_field


class CommunicationKind(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    WEB = "web", _("Website")
    MESSENGER = "messenger", _("Messenger")


class CommunicationValueType(models.TextChoices):
    WORK = "work", _("Work")
    MOBILE = "mobile", _("Mobile")
    HOME = "home", _("Home")
    OTHER = "other", _("Other")
    TELEGRAM = "telegram", _("Telegram")
    WHATSAPP = "whatsapp", _("WhatsApp")
    VIBER = "viber", _("Viber")
    VK = "vk", _("VK")


class Communication(models.Model):
    """A phone, e-mail, website or messenger of a lead, contact or company.

    ``value`` is what the person typed; ``value_normalized`` (E.164 phone, lower-cased e-mail)
    is what duplicate search and incoming calls match on, through an index.
    """

    card_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    card_id = models.PositiveBigIntegerField()
    card = GenericForeignKey("card_type", "card_id")
    kind = models.CharField(_("kind"), max_length=20, choices=CommunicationKind.choices)
    value_type = models.CharField(
        _("type"),
        max_length=20,
        choices=CommunicationValueType.choices,
        default=CommunicationValueType.WORK,
    )
    value = models.CharField(_("value"), max_length=255)
    value_normalized = models.CharField(_("normalised value"), max_length=255)
    sort = models.PositiveSmallIntegerField(_("sort"), default=0)

    class Meta:
        verbose_name = _("communication")
        verbose_name_plural = _("communications")
        ordering = ["kind", "sort", "pk"]
        indexes = [
            models.Index(fields=["kind", "value_normalized"]),
            models.Index(fields=["card_type", "card_id"]),
        ]

    def __str__(self) -> str:
        return self.value


class LtvSegment(models.TextChoices):
    """ABC segments: the clients that bring most of the money first."""

    A = "A", _("A — key clients")
    B = "B", _("B — regular clients")
    C = "C", _("C — small clients")


class Contact(TimeStampedModel, SoftDeleteModel, VersionedModel, CustomFieldsModel):
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    middle_name = models.CharField(_("patronymic"), max_length=150, blank=True)
    honorific = models.CharField(_("honorific"), max_length=50, blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    position = models.CharField(_("position"), max_length=200, blank=True)
    address = models.TextField(_("address"), blank=True)
    source = models.ForeignKey(
        "customization.Source",
        verbose_name=_("source"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    source_description = models.CharField(_("source details"), max_length=500, blank=True)
    responsible = models.ForeignKey(
        "staff.User",
        verbose_name=_("responsible"),
        on_delete=models.PROTECT,
        related_name="responsible_contacts",
    )
    comment = models.TextField(_("comment"), blank=True)
    companies = models.ManyToManyField(
        "Company",
        verbose_name=_("companies"),
        through="ContactCompany",
        related_name="contacts",
        blank=True,
    )
    communications = GenericRelation(
        Communication, content_type_field="card_type", object_id_field="card_id"
    )
    created_by = models.ForeignKey(
        "staff.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept by services from the name and address parts, for duplicate search and families.
    name_key = models.CharField(_("name key"), max_length=500, blank=True, editable=False)
    address_key = models.CharField(_("address key"), max_length=500, blank=True, editable=False)
    ltv = money_field(_("lifetime value"), default=0, editable=False)
    ltv_segment = models.CharField(
        _("LTV segment"), max_length=1, choices=LtvSegment.choices, blank=True, editable=False
    )
    last_contact_at = models.DateTimeField(
        _("last interaction"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["last_name", "first_name", "pk"]
        indexes = [
            models.Index(fields=["last_name", "first_name"]),
            models.Index(fields=["responsible", "deleted_at"]),
            models.Index(fields=["name_key"]),
            models.Index(fields=["address_key"]),
            models.Index(fields=["ltv", "id"]),
            models.Index(fields=["last_contact_at", "id"]),
        ]

    def __str__(self) -> str:
        return self.full_name or f"#{self.pk}"

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)

    @property
    def primary_company(self) -> "Company | None":
        """The contact's primary company; free when the list selector prefetched it."""
        links = getattr(self, "primary_company_links", None)
        if links is None:
            links = list(
                self.company_links.filter(
                    is_primary=True, company__deleted_at__isnull=True
                ).select_related("company")
            )
        return links[0].company if links else None


class CompanyType(models.TextChoices):
    LEGAL_ENTITY = "legal_entity", _("Legal entity")
    SOLE_PROPRIETOR = "sole_proprietor", _("Sole proprietor")
    FAMILY = "family", _("Family")
    INDIVIDUAL = "individual", _("Individual")


class Company(TimeStampedModel, SoftDeleteModel, VersionedModel, CustomFieldsModel):
    """A client organisation (or a family / an individual grouped as one client) and its
    requisites: INN, KPP, OGRN/OGRNIP, full and short name, director."""

    company_type = models.CharField(
        _("type"), max_length=20, choices=CompanyType.choices, default=CompanyType.LEGAL_ENTITY
    )
    title = models.CharField(_("title"), max_length=255)
    full_name = models.CharField(_("full legal name"), max_length=500, blank=True)
    short_name = models.CharField(_("short legal name"), max_length=255, blank=True)
    inn = models.CharField(_("INN"), max_length=12, blank=True, db_index=True)
    kpp = models.CharField(_("KPP"), max_length=9, blank=True)
    ogrn = models.CharField(_("OGRN / OGRNIP"), max_length=15, blank=True)
    director = models.CharField(_("director"), max_length=255, blank=True)
    industry = models.CharField(_("industry"), max_length=200, blank=True)
    employees_count = models.PositiveIntegerField(_("number of employees"), null=True, blank=True)
    source = models.ForeignKey(
        "customization.Source",
        verbose_name=_("source"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    responsible = models.ForeignKey(
        "staff.User",
        verbose_name=_("responsible"),
        on_delete=models.PROTECT,
        related_name="responsible_companies",
    )
    comment = models.TextField(_("comment"), blank=True)
    communications = GenericRelation(
        Communication, content_type_field="card_type", object_id_field="card_id"
    )
    created_by = models.ForeignKey(
        "staff.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept by services from the title (``company_name_key``), for duplicate search.
    title_key = models.CharField(_("title key"), max_length=255, blank=True, editable=False)
    ltv = money_field(_("lifetime value"), default=0, editable=False)
    ltv_segment = models.CharField(
        _("LTV segment"), max_length=1, choices=LtvSegment.choices, blank=True, editable=False
    )
    last_contact_at = models.DateTimeField(
        _("last interaction"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["title", "pk"]
        indexes = [
            models.Index(fields=["title"]),
            models.Index(fields=["responsible", "deleted_at"]),
            models.Index(fields=["title_key"]),
            models.Index(fields=["ltv", "id"]),
            models.Index(fields=["last_contact_at", "id"]),
        ]

    def __str__(self) -> str:
        return self.title


class ContactCompany(models.Model):
    """A contact works at (or belongs to) a company; one of a contact's companies is primary."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="company_links")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="contact_links")
    is_primary = models.BooleanField(_("primary"), default=False)
    role = models.CharField(_("role"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("contact's company")
        verbose_name_plural = _("contact's companies")
        constraints = [
            models.UniqueConstraint(fields=["contact", "company"], name="contactcompany_unique"),
            models.UniqueConstraint(
                fields=["contact"],
                condition=Q(is_primary=True),
                name="contactcompany_one_primary",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} → {self.company_id}"


class AddressKind(models.TextChoices):
    LEGAL = "legal", _("Legal address")
    POSTAL = "postal", _("Postal address")
    ACTUAL = "actual", _("Actual address")
    DELIVERY = "delivery", _("Delivery address")
    REGISTRATION = "registration", _("Registration address")
    OTHER = "other", _("Other")


class CompanyAddress(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="addresses")
    kind = models.CharField(_("kind"), max_length=20, choices=AddressKind.choices)
    postal_code = models.CharField(_("postal code"), max_length=12, blank=True)
    country = models.CharField(_("country"), max_length=100, blank=True, default="Россия")
    region = models.CharField(_("region"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=200, blank=True)
    street_address = models.CharField(_("street, house, office"), max_length=500, blank=True)
    comment = models.CharField(_("comment"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["kind", "pk"]

    def __str__(self) -> str:
        parts = (self.postal_code, self.region, self.city, self.street_address)
        return ", ".join(p for p in parts if p)


class BankAccount(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="bank_accounts")
    bank_name = models.CharField(_("bank"), max_length=255, blank=True)
    bic = models.CharField(_("BIC"), max_length=9)
    account_number = models.CharField(_("settlement account"), max_length=20)
    correspondent_account = models.CharField(_("correspondent account"), max_length=20, blank=True)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        verbose_name = _("bank account")
        verbose_name_plural = _("bank accounts")
        ordering = ["-is_primary", "pk"]

    def __str__(self) -> str:
        return f"{self.bank_name} {self.account_number}".strip()


class DuplicateEntity(models.TextChoices):
    LEAD = "lead", _("Lead")
    CONTACT = "contact", _("Contact")
    COMPANY = "company", _("Company")


class DuplicateMode(models.TextChoices):
    BLOCK = "block", _("Do not allow")
    WARN = "warn", _("Warn and allow to create anyway")
    ALLOW = "allow", _("Allow")


class DuplicateRule(models.TextChoices):
    PHONE = "phone", _("Same phone")
    EMAIL = "email", _("Same e-mail")
    INN = "inn", _("Same INN")
    INN_KPP = "inn_kpp", _("Same INN and KPP")
    COMPANY_NAME = "company_name", _("Similar company name")
    PERSON = "person", _("Same name and phone")


class DuplicatePolicy(models.Model):
    """What happens when a new or changed card of an entity looks like an existing one."""

    entity = models.CharField(
        _("entity"), max_length=20, choices=DuplicateEntity.choices, unique=True
    )
    mode = models.CharField(
        _("mode"), max_length=10, choices=DuplicateMode.choices, default=DuplicateMode.WARN
    )
    # Codes of ``DuplicateRule`` that are checked; all of them by default.
    rules = models.JSONField(_("rules"), default=list, blank=True)

    class Meta:
        verbose_name = _("duplicate policy")
        verbose_name_plural = _("duplicate policies")

    def __str__(self) -> str:
        return f"{self.get_entity_display()}: {self.get_mode_display()}"


class DuplicateGroup(models.Model):
    """Cards the background scan found alike by one rule: a line of the duplicate finder."""

    card_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    rule = models.CharField(_("rule"), max_length=20, choices=DuplicateRule.choices)
    # The shared value (a phone, an INN, a name key) that makes the group one.
    key = models.CharField(_("key"), max_length=500)
    card_ids = models.JSONField(_("cards"), default=list)
    size = models.PositiveIntegerField(_("cards"), default=0)
    score = models.PositiveSmallIntegerField(_("score"), default=100)
    found_at = models.DateTimeField(_("found"), default=timezone.now)
    dismissed_at = models.DateTimeField(_("dismissed"), null=True, blank=True)
    dismissed_by = models.ForeignKey(
        "staff.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("group of duplicates")
        verbose_name_plural = _("groups of duplicates")
        ordering = ["-score", "-size", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["card_type", "rule", "key"], name="duplicategroup_unique_key"
            )
        ]
        indexes = [models.Index(fields=["card_type", "dismissed_at", "-score"])]

    def __str__(self) -> str:
        return f"{self.get_rule_display()}: {self.key}"


class MergeRecord(models.Model):
    """One merge of two cards, with what is needed to undo it.

    ``snapshot`` holds the survivor's values before the merge and every row that was moved or
    changed (model, id, field, old value), so an undo puts each back exactly."""

    card_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    survivor_id = models.PositiveBigIntegerField(_("surviving card"))
    absorbed_id = models.PositiveBigIntegerField(_("absorbed card"))
    snapshot = models.JSONField(_("snapshot"), default=dict)
    merged_at = models.DateTimeField(_("merged"), default=timezone.now)
    merged_by = models.ForeignKey(
        "staff.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    undone_at = models.DateTimeField(_("undone"), null=True, blank=True)
    undone_by = models.ForeignKey(
        "staff.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("merge")
        verbose_name_plural = _("merges")
        ordering = ["-merged_at", "-pk"]
        indexes = [
            models.Index(fields=["card_type", "survivor_id"]),
            models.Index(fields=["card_type", "absorbed_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.absorbed_id} → {self.survivor_id}"


class ClientSettings(models.Model):
    """Company-wide settings of the client base (one row)."""

    require_company = models.BooleanField(
        _("every contact belongs to a company"),
        default=False,
        help_text=_("A contact without a company gets a family of its own."),
    )
    merge_undo_days = models.PositiveSmallIntegerField(
        _("a merge can be undone for, days"), default=30
    )
    # ABC segmentation: A are the clients that together bring this share of all LTV, B the
    # next ones up to ``ltv_b_share``, C the rest.
    ltv_a_share = models.PositiveSmallIntegerField(_("segment A, percent of revenue"), default=80)
    ltv_b_share = models.PositiveSmallIntegerField(
        _("segments A and B, percent of revenue"), default=95
    )

    class Meta:
        verbose_name = _("client settings")
        verbose_name_plural = _("client settings")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    @classmethod
    def load(cls) -> "ClientSettings":
        settings, _created = cls.objects.get_or_create(pk=1)
        return settings
