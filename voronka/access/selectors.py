"""Reads of the access app: the audit log for administrators, an employee's tokens, roles."""

import datetime

from django.db.models import Count, Q, QuerySet

from voronka.access.models import ApiToken, AuditEvent, Role
from voronka.access.predicates import can


def audit_event_list(
    *,
    user,
    action: str = "",
    actor_id: int | None = None,
    object_type: str = "",
    object_id: str = "",
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
    query: str = "",
) -> QuerySet[AuditEvent]:
    """The audit log, newest first, for those who may read settings; others get nothing."""
    if not can(user, "read", "settings"):
        return AuditEvent.objects.none()
    events = AuditEvent.objects.select_related("actor").order_by("-created_at", "-pk")
    if action:
        # "role" matches every role.* event; "role.assign" only itself.
        events = events.filter(Q(action=action) | Q(action__startswith=f"{action}."))
    if actor_id is not None:
        events = events.filter(actor_id=actor_id)
    if object_type:
        events = events.filter(object_type=object_type)
    if object_id:
        events = events.filter(object_id=str(object_id))
    if since is not None:
        events = events.filter(created_at__gte=since)
    if until is not None:
        events = events.filter(created_at__lt=until)
    if query.strip():
        text = query.strip()
        events = events.filter(
            Q(actor_repr__icontains=text)
            | Q(object_repr__icontains=text)
            | Q(ip_address__startswith=text)
        )
    return events


def api_token_list(*, user, owner=None) -> QuerySet[ApiToken]:
    """Tokens of ``owner`` (default: the user); someone else's only for administrators."""
    owner = owner or user
    if owner.pk != user.pk and not user.is_superuser:
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=owner).order_by("-created_at", "-pk")


def role_list(*, user) -> QuerySet[Role]:
    """Roles with their number of holders, for the roles editor."""
    return Role.objects.annotate(member_count=Count("members")).order_by("name")


def roles_of(*, user, employee) -> QuerySet[Role]:
    return Role.objects.filter(members=employee).order_by("name")


# ---- The roles editor ------------------------------------------------------------------------

# Model fields no field rule is about: keys, bookkeeping, the custom values' container.
TECHNICAL_FIELDS = frozenset(
    {
        "id",
        "version",
        "deleted_at",
        "deleted_by",
        "custom_fields",
        "updated_at",
        "stage_changed_at",
        "amount_from_products",
    }
)
# Rows of other tables shown as part of a card, which a rule may hide as a whole.
CARD_PARTS = {
    "lead": ("communications", "product_rows"),
    "deal": ("product_rows",),
    "contact": ("communications",),
    "company": ("communications", "addresses", "bank_accounts"),
    "product": (),
}
ENTITY_MODELS = {
    "lead": "sales.Lead",
    "deal": "sales.Deal",
    "contact": "contacts.Contact",
    "company": "contacts.Company",
    "product": "sales.Product",
}


def role_detail(*, user, pk: int) -> Role | None:
    return Role.objects.annotate(member_count=Count("members")).filter(pk=pk).first()


def role_matrix(*, role: Role) -> dict[tuple[str, str, int | None], int]:
    """The role's cells as ``(entity, action, pipeline id or None) → scope`` (one query)."""
    from voronka.access.models import Permission

    return {
        (entity, action, pipeline_id): scope
        for entity, action, pipeline_id, scope in Permission.objects.filter(role=role).values_list(
            "entity", "action", "pipeline_id", "scope"
        )
    }


def role_members(*, user, role: Role):
    from voronka.staff.models import User

    return (
        User.objects.filter(access_roles=role)
        .select_related("department")
        .order_by("last_name", "first_name", "pk")
    )


def deal_pipelines(*, user):
    from django.apps import apps

    Pipeline = apps.get_model("sales", "Pipeline")
    return list(Pipeline.objects.filter(entity="deal").order_by("sort", "pk"))


def _model_fields(entity: str) -> list[tuple[str, str]]:
    from django.apps import apps

    model = apps.get_model(ENTITY_MODELS[entity])
    found: list[tuple[str, str]] = []
    for model_field in model._meta.get_fields():
        name = model_field.name
        if name in TECHNICAL_FIELDS:
            continue
        own = getattr(model_field, "concrete", False) or model_field.many_to_many
        if own and not model_field.auto_created:
            found.append((name, str(model_field.verbose_name)))
        elif name in CARD_PARTS[entity]:
            related = model_field.related_model._meta
            found.append((name, str(related.verbose_name_plural)))
    return found


def field_rule_fields(*, user) -> dict[str, list[tuple[str, str]]]:
    """Per entity, the fields a rule may name: the model's own fields and parts, then its
    custom fields (one query for those)."""
    from voronka.customization.models import CustomField

    fields = {entity: _model_fields(entity) for entity in ENTITY_MODELS}
    for entity, code, label in (
        CustomField.objects.filter(entity__in=list(fields))
        .order_by("entity", "sort", "pk")
        .values_list("entity", "code", "label")
    ):
        fields[entity].append((code, label))
    for entity in fields:
        fields[entity] = [(code, label[:1].upper() + label[1:]) for code, label in fields[entity]]
    return fields


# ---- The audit log ---------------------------------------------------------------------------

AUDIT_PAGE_SIZE = 50


def audit_page(
    *, user, filters: dict, after: tuple[datetime.datetime, int] | None = None
) -> tuple[list[AuditEvent], tuple[datetime.datetime, int] | None]:
    """One page of the log, newest first, from the cursor ``after`` (the time and id of the
    last event already shown): a keyset page costs the same at any depth. Returns the events
    and the cursor of the next page (``None`` on the last one)."""
    events = audit_event_list(user=user, **filters)
    if after is not None:
        moment, pk = after
        events = events.filter(Q(created_at__lt=moment) | Q(created_at=moment, pk__lt=pk))
    rows = list(events[: AUDIT_PAGE_SIZE + 1])
    if len(rows) <= AUDIT_PAGE_SIZE:
        return rows, None
    rows = rows[:AUDIT_PAGE_SIZE]
    return rows, (rows[-1].created_at, rows[-1].pk)


# What each kind of event is called in the log, and the groups the filter offers.
def audit_groups() -> list[tuple[str, str]]:
    from django.utils.translation import gettext_lazy as _

    return [
        ("auth", _("Sign-ins")),
        ("two_factor", _("Second factor")),
        ("role", _("Roles and holders")),
        ("permission", _("Rights")),
        ("field_rule", _("Field rules")),
        ("api_token", _("API tokens")),
        ("card", _("Recycle bin")),
        ("export", _("Exports")),
        ("merge", _("Merges")),
        ("webhook", _("Webhooks")),
    ]


def audit_action_label(action: str) -> str:
    from django.utils.translation import gettext as _

    labels = {
        "auth.login": _("Signed in"),
        "auth.login_failed": _("Failed to sign in"),
        "auth.second_factor": _("Confirmed the sign-in with a code"),
        "auth.second_factor_failed": _("Entered a wrong one-time code"),
        "two_factor.enrol": _("Added an authenticator app"),
        "two_factor.enrol_failed": _("Failed to add an authenticator app"),
        "two_factor.disable": _("Removed the authenticator app"),
        "role.create": _("Created a role"),
        "role.update": _("Changed a role"),
        "role.delete": _("Deleted a role"),
        "role.assign": _("Gave a role"),
        "role.unassign": _("Took a role away"),
        "permission.change": _("Changed a right"),
        "permission.pipeline_remove": _("Removed a pipeline's own rights"),
        "field_rule.change": _("Changed a field rule"),
        "api_token.create": _("Issued an API token"),
        "api_token.revoke": _("Revoked an API token"),
        "card.delete": _("Moved to the recycle bin"),
        "card.restore": _("Restored from the recycle bin"),
        "card.purge": _("Deleted for good"),
        "webhook.created": _("Added a webhook"),
        "webhook.updated": _("Changed a webhook"),
        "webhook.enabled": _("Switched a webhook on"),
        "webhook.switched_off": _("Switched a webhook off"),
        "webhook.disabled": _("A webhook was switched off after failed deliveries"),
        "webhook.deleted": _("Deleted a webhook"),
        "webhook.secret_shown": _("Looked at a webhook's secret"),
        "webhook.secret_rotated": _("Replaced a webhook's secret"),
        "webhook.redelivered": _("Sent a webhook delivery again"),
        "export": _("Exported a list"),
        "import": _("Imported a file"),
        "card.merge": _("Merged two cards"),
        "card.merge_undo": _("Undid a merge"),
        "duplicates.accepted": _("Created a card despite possible duplicates"),
        "settings.clients": _("Changed the client settings"),
        "contacts.families_of_one": _("Created families for contacts without a company"),
        "pipeline.delete": _("Deleted a pipeline"),
        "comment.delete": _("Deleted a comment"),
        "activity.delete": _("Deleted an activity"),
    }
    return labels.get(action, action)


def _scope_label(value) -> str:
    from django.utils.translation import gettext as _

    from voronka.access.models import Scope

    if value is None:
        return _("not set")
    try:
        return str(Scope(value).label)
    except ValueError:
        return str(value)


def _access_label(value) -> str:
    from django.utils.translation import gettext as _

    from voronka.access.models import FieldAccess

    if value is None:
        return _("visible and editable")
    try:
        return str(FieldAccess(value).label)
    except ValueError:
        return str(value)


def _entity_label(value) -> str:
    from voronka.access.models import Entity

    try:
        return str(Entity(value).label)
    except ValueError:
        return str(value)


def _action_label(value) -> str:
    from voronka.access.models import Action

    try:
        return str(Action(value).label)
    except ValueError:
        return str(value)


def _object_type_label(object_type: str) -> str:
    from django.apps import apps

    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return object_type
    name = str(model._meta.verbose_name)
    return name[:1].upper() + name[1:]


def _yes_no(value) -> str:
    from django.utils.translation import gettext as _

    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return "—" if value in (None, "") else str(value)


def _details(
    event: AuditEvent, pipelines: dict[int, str], fields: dict, names: dict[int, str]
) -> list[str]:
    """The event's details as sentences a head of sales reads without knowing the codes."""
    from django.utils.translation import gettext as _

    details = event.details or {}
    action = event.action
    if action == "permission.change":
        text = _("%(entity)s · %(action)s: %(before)s → %(after)s") % {
            "entity": _entity_label(details.get("entity")),
            "action": _action_label(details.get("action")),
            "before": _scope_label(details.get("from")),
            "after": _scope_label(details.get("to")),
        }
        if details.get("pipeline"):
            text += " · " + _("pipeline “%(name)s”") % {
                "name": pipelines.get(details["pipeline"], details["pipeline"])
            }
        return [text]
    if action == "permission.pipeline_remove":
        return [
            _("Deals in the pipeline “%(name)s” follow the general deal rights again.")
            % {"name": details.get("pipeline_name") or details.get("pipeline")}
        ]
    if action == "field_rule.change":
        entity = details.get("entity")
        field = details.get("field", "")
        return [
            _("%(entity)s · %(field)s: %(before)s → %(after)s")
            % {
                "entity": _entity_label(entity),
                "field": fields.get(entity, {}).get(field, field),
                "before": _access_label(details.get("from")),
                "after": _access_label(details.get("to")),
            }
        ]
    if action in ("role.assign", "role.unassign"):
        name = names.get(details.get("user")) or details.get("username", details.get("user"))
        return [_("Employee: %(name)s") % {"name": name}]
    if action == "role.update":
        names = {
            "name": _("name"),
            "description": _("description"),
            "requires_two_factor": _("requires a second factor"),
            "is_default": _("for employees without a role"),
        }
        return [
            _("%(field)s: %(before)s → %(after)s")
            % {
                "field": names.get(key, key),
                "before": _yes_no(change.get("from")),
                "after": _yes_no(change.get("to")),
            }
            for key, change in details.items()
            if isinstance(change, dict)
        ]
    if action == "role.delete" and details.get("members"):
        return [_("Held by: %(names)s") % {"names": ", ".join(details["members"])}]
    lines = []
    for key, value in details.items():
        if isinstance(value, list | tuple):
            value = ", ".join(str(item) for item in value)
        elif isinstance(value, dict):
            value = ", ".join(f"{k}: {v}" for k, v in value.items())
        lines.append(f"{key}: {value}")
    return lines


def audit_rows(events: list[AuditEvent]) -> list[dict]:
    """The events of a page ready to show: labels for the action and object, details as
    sentences. Pipeline names and employees' names come in one query each for the whole page
    (only when such events are on it); field labels need the custom fields (one more query)
    only when a field rule is on the page."""
    from django.apps import apps

    pipeline_ids = {
        event.details.get("pipeline")
        for event in events
        if event.action.startswith("permission.") and isinstance(event.details, dict)
    } - {None}
    pipelines = {}
    if pipeline_ids:
        Pipeline = apps.get_model("sales", "Pipeline")
        pipelines = dict(Pipeline.objects.filter(pk__in=pipeline_ids).values_list("pk", "name"))
    fields = {}
    if any(event.action == "field_rule.change" for event in events):
        fields = {entity: dict(found) for entity, found in field_rule_fields(user=None).items()}
    user_ids = {
        event.details.get("user")
        for event in events
        if event.action in ("role.assign", "role.unassign") and isinstance(event.details, dict)
    } - {None}
    names = {}
    if user_ids:
        from voronka.staff.models import User

        names = {user.pk: str(user) for user in User.objects.filter(pk__in=user_ids)}
    return [
        {
            "event": event,
            "action_label": audit_action_label(event.action),
            "object_type_label": _object_type_label(event.object_type) if event.object_type else "",
            "details": _details(event, pipelines, fields, names),
        }
        for event in events
    ]
