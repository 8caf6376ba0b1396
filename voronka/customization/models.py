"""Administrator-defined fields and the shared catalogues every card refers to."""

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from voronka.core.models import TimeStampedModel


class EntityType(models.TextChoices):
    LEAD = "lead", _("Lead")
    DEAL = "deal", _("Deal")
    CONTACT = "contact", _("Contact")
    COMPANY = "company", _("Company")


# Model behind each entity, resolved lazily so this app imports no domain app.
ENTITY_MODELS = {
    EntityType.LEAD: "sales.Lead",
    EntityType.DEAL: "sales.Deal",
    EntityType.CONTACT: "contacts.Contact",
    EntityType.COMPANY: "contacts.Company",
}


class FieldType(models.TextChoices):
    STRING = "string", _("String")
    TEXT = "text", _("Text")
    INTEGER = "integer", _("Integer")
    DECIMAL = "decimal", _("Decimal number")
    MONEY = "money", _("Money")
    DATE = "date", _("Date")
    DATETIME = "datetime", _("Date and time")
    BOOLEAN = "boolean", _("Yes/no")
    LIST = "list", _("List")
    EMPLOYEE = "employee", _("Employee")
    CRM_LINK = "crm_link", _("Link to a CRM card")
    URL = "url", _("Link (URL)")


field_code_validator = RegexValidator(
    r"^[a-z][a-z0-9_]{0,49}$",
    _("Use lower-case Latin letters, digits and underscores, starting with a letter."),
)


class CustomField(TimeStampedModel):
    """A field an administrator added to leads, deals, contacts or companies.

    Values live in the card's ``custom_fields`` JSON under ``code``. List options are
    ``[{"id": "...", "label": "..."}]``; a CRM link may be limited to entities in
    ``settings["entities"]``.
    """

    entity = models.CharField(_("entity"), max_length=20, choices=EntityType.choices)
    code = models.CharField(_("code"), max_length=50, validators=[field_code_validator])
    label = models.CharField(_("label"), max_length=200)
    field_type = models.CharField(_("type"), max_length=20, choices=FieldType.choices)
    multiple = models.BooleanField(_("multiple values"), default=False)
    required = models.BooleanField(_("always required"), default=False)
    section = models.CharField(_("section"), max_length=100, blank=True)
    sort = models.PositiveIntegerField(_("sort"), default=100)
    options = models.JSONField(_("list options"), default=list, blank=True)
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["entity", "sort", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "code"], name="customfield_unique_code")
        ]

    def __str__(self) -> str:
        return f"{self.get_entity_display()}: {self.label}"


class Source(TimeStampedModel):
    """Where a client came from (website form, call, recommendation…); an editable catalogue."""

    code = models.CharField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    sort = models.PositiveIntegerField(_("sort"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["sort", "name"]

    def __str__(self) -> str:
        return self.name
