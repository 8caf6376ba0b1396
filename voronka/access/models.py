"""Roles with their permission matrix, field rules, API credentials and the audit log."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Entity(models.TextChoices):
    LEAD = "lead", _("Leads")
    DEAL = "deal", _("Deals")
    CONTACT = "contact", _("Contacts")
    COMPANY = "company", _("Companies")
    TASK = "task", _("Tasks")
    PRODUCT = "product", _("Products")
    INVOICE = "invoice", _("Invoices")
    REPORT = "report", _("Reports")
    SETTINGS = "settings", _("Settings")


class Action(models.TextChoices):
    READ = "read", _("Read")
    ADD = "add", _("Add")
    UPDATE = "update", _("Update")
    DELETE = "delete", _("Delete")
    EXPORT = "export", _("Export")
    IMPORT = "import", _("Import")


class Scope(models.IntegerChoices):
    """Ordered from narrow to wide, so the widest of several roles is simply the largest."""

    NONE = 0, _("None")
    OWN = 10, _("Own")
    DEPARTMENT = 20, _("Department")
    DEPARTMENT_TREE = 30, _("Department and sub-departments")
    ALL = 40, _("All")


class Role(models.Model):
    code = models.SlugField(
        _("code"),
        max_length=50,
        unique=True,
        help_text=_("Stable identifier used by the default roles; letters, digits and dashes."),
    )
    name = models.CharField(_("name"), max_length=150, unique=True)
    description = models.TextField(_("description"), blank=True)
    is_system = models.BooleanField(
        _("system role"), default=False, help_text=_("Installed with Voronka; cannot be deleted.")
    )
    is_default = models.BooleanField(
        _("for employees without a role"),
        default=False,
        help_text=_("Employees who hold no role get the rights of the roles marked here."),
    )
    requires_two_factor = models.BooleanField(
        _("requires a second factor"),
        default=False,
        help_text=_("Holders must confirm each sign-in with a one-time code."),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("employees"),
        related_name="access_roles",
        blank=True,
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Permission(models.Model):
    """One cell of a role's matrix: entity × action → scope. For deals a row may name a
    pipeline; it then replaces the role's general deal row in that pipeline."""

    role = models.ForeignKey(
        Role, verbose_name=_("role"), on_delete=models.CASCADE, related_name="permissions"
    )
    entity = models.CharField(_("entity"), max_length=20, choices=Entity.choices)
    pipeline = models.ForeignKey(
        "sales.Pipeline",
        verbose_name=_("pipeline"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    scope = models.PositiveSmallIntegerField(_("scope"), choices=Scope.choices, default=Scope.NONE)

    class Meta:
        verbose_name = _("permission")
        verbose_name_plural = _("permissions")
        ordering = ["role", "entity", "pipeline", "action"]
        constraints = [
            models.UniqueConstraint(
                fields=["role", "entity", "action"],
                condition=Q(pipeline__isnull=True),
                name="access_permission_unique_general",
            ),
            models.UniqueConstraint(
                fields=["role", "entity", "pipeline", "action"],
                condition=Q(pipeline__isnull=False),
                name="access_permission_unique_per_pipeline",
            ),
            models.CheckConstraint(
                condition=Q(pipeline__isnull=True) | Q(entity="deal"),
                name="access_permission_pipeline_only_for_deals",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.entity}.{self.action} = {self.get_scope_display()}"


class FieldAccess(models.TextChoices):
    HIDDEN = "hidden", _("Hidden")
    READ_ONLY = "read_only", _("Read-only")


class FieldRule(models.Model):
    """A field of an entity (model field name or custom field code) a role may not see or
    may not change."""

    role = models.ForeignKey(
        Role, verbose_name=_("role"), on_delete=models.CASCADE, related_name="field_rules"
    )
    entity = models.CharField(_("entity"), max_length=20, choices=Entity.choices)
    field = models.CharField(_("field code"), max_length=100)
    access = models.CharField(_("access"), max_length=20, choices=FieldAccess.choices)

    class Meta:
        verbose_name = _("field rule")
        verbose_name_plural = _("field rules")
        ordering = ["role", "entity", "field"]
        constraints = [
            models.UniqueConstraint(
                fields=["role", "entity", "field"], name="access_field_rule_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.entity}.{self.field} ({self.get_access_display()})"


class TokenKind(models.TextChoices):
    PERSONAL = "personal", _("Personal API token")
    WEBHOOK = "webhook", _("Inbound webhook")


class TokenScope(models.TextChoices):
    READ = "read", _("Read records")
    WRITE = "write", _("Create and change records")
    DELETE = "delete", _("Delete records")
    INBOUND_LEAD = "inbound:lead", _("Create leads from a webhook")
    # Scopes of the Bitrix24-compatible API (/rest/), named as Bitrix24 names them.
    CRM = "crm", _("Bitrix24 API: CRM")
    USER = "user", _("Bitrix24 API: employees")
    USER_BRIEF = "user_brief", _("Bitrix24 API: employees (brief)")
    USER_BASIC = "user_basic", _("Bitrix24 API: employees (basic)")
    DEPARTMENT = "department", _("Bitrix24 API: departments")
    TASK = "task", _("Bitrix24 API: tasks")
    TELEPHONY = "telephony", _("Bitrix24 API: telephony")


class ApiToken(models.Model):
    """A credential acting as its employee, with that employee's rights narrowed by scopes.
    Only a SHA-256 digest of the (high-entropy, random) token is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("employee"),
        on_delete=models.CASCADE,
        related_name="api_tokens",
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=TokenKind.choices, default=TokenKind.PERSONAL
    )
    name = models.CharField(_("name"), max_length=150)
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    token_hash = models.CharField(_("token digest"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()

    def allows(self, scope: str) -> bool:
        return scope in self.scopes


class AuditEvent(models.Model):
    """One line of the audit log. Written once by ``audit_record``; never changed or removed."""

    created_at = models.DateTimeField(_("when"), default=timezone.now, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_repr = models.CharField(_("who (as written)"), max_length=255, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=500, blank=True)
    action = models.CharField(_("action"), max_length=50, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=255, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["-created_at", "-id"]),
            models.Index(fields=["actor", "-created_at"]),
            models.Index(fields=["object_type", "object_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_repr} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RuntimeError("Audit events are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Audit events are never removed.")
