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
