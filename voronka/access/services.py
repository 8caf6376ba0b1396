"""Writes of the access app: roles and their matrix, field rules, API tokens, the audit log."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.access.models import (
    Action,
    ApiToken,
    AuditEvent,
    Entity,
    FieldAccess,
    FieldRule,
    Permission,
    Role,
    Scope,
    TokenKind,
    TokenScope,
)
from voronka.access.predicates import forget_rights, require

TOKEN_PREFIX = "vrn"
TOKEN_LAST_USED_PRECISION = timedelta(minutes=1)


# ---- Audit log ------------------------------------------------------------------------------


def client_address(request) -> str | None:
    """The client's IP address as the server saw it (``REMOTE_ADDR``; a proxy in front must
    set it, e.g. gunicorn's ``--forwarded-allow-ips``)."""
    if request is None:
        return None
    address = request.META.get("REMOTE_ADDR") or None
    return address


def audit_record(
    *,
    action: str,
    actor=None,
    request=None,
    obj: Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    object_repr: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the audit log: exports, deletions, restores, merges, sign-ins and
    rights changes. ``request`` supplies the address and browser; ``actor`` defaults to the
    request's user."""
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        actor = user if user is not None and user.is_authenticated else None
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
        object_repr = object_repr or str(obj)
    return AuditEvent.objects.create(
        actor=actor,
        actor_repr=(actor.get_username() if actor is not None else "")[:255],
        ip_address=client_address(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "") if request is not None else "")[:500],
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        object_repr=object_repr[:255],
        details=details or {},
    )


# ---- Roles ----------------------------------------------------------------------------------


def _role_errors(*, name: str, code: str, exclude_pk: int | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    others = Role.objects.all() if exclude_pk is None else Role.objects.exclude(pk=exclude_pk)
    if not name.strip():
        errors["name"] = [_("Enter the role's name.")]
    elif others.filter(name=name.strip()).exists():
        errors["name"] = [_("A role with this name already exists.")]
    if code and others.filter(code=code).exists():
        errors["code"] = [_("A role with this code already exists.")]
    return errors


def role_create(
    *,
    actor,
    name: str,
    code: str = "",
    description: str = "",
    requires_two_factor: bool = False,
    request=None,
) -> Role:
    require(actor, Action.ADD, Entity.SETTINGS)
    from django.utils.text import slugify

    code = code or slugify(name, allow_unicode=False) or f"role-{secrets.token_hex(4)}"
    errors = _role_errors(name=name, code=code, exclude_pk=None)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        role = Role(
            name=name.strip(),
            code=code,
            description=description,
            requires_two_factor=requires_two_factor,
        )
        role.full_clean()
        role.save()
        audit_record(action="role.create", actor=actor, request=request, obj=role)
    return role


def role_update(*, actor, role: Role, request=None, **changes) -> Role:
    require(actor, Action.UPDATE, Entity.SETTINGS)
    allowed = {"name", "description", "requires_two_factor", "is_default"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed.")] for name in unknown})
    if "name" in changes:
        errors = _role_errors(name=changes["name"], code="", exclude_pk=role.pk)
        if errors:
            raise ValidationError(errors)
        changes["name"] = changes["name"].strip()
    before = {name: getattr(role, name) for name in changes}
    with transaction.atomic():
        for name, value in changes.items():
            setattr(role, name, value)
        role.full_clean()
        role.save(update_fields=[*changes, "updated_at"])
        audit_record(
            action="role.update",
            actor=actor,
            request=request,
            obj=role,
            details={
                name: {"from": before[name], "to": value}
                for name, value in changes.items()
                if before[name] != value
            },
        )
    return role


def role_delete(*, actor, role: Role, request=None) -> None:
    require(actor, Action.DELETE, Entity.SETTINGS)
    if role.is_system:
        raise ValidationError({"role": [_("A system role cannot be deleted.")]})
    with transaction.atomic():
        audit_record(
            action="role.delete",
            actor=actor,
            request=request,
            obj=role,
            details={"members": list(role.members.values_list("username", flat=True))},
        )
        role.delete()


def role_set_scope(
    *,
    actor,
    role: Role,
    entity: str,
    action: str,
    scope: int,
    pipeline=None,
    request=None,
) -> Permission:
    """Set one cell of the role's matrix (for deals optionally for one pipeline)."""
    require(actor, Action.UPDATE, Entity.SETTINGS)
    errors: dict[str, list[str]] = {}
    if entity not in Entity.values:
        errors["entity"] = [_("Unknown entity.")]
    if action not in Action.values:
        errors["action"] = [_("Unknown action.")]
    if scope not in Scope.values:
        errors["scope"] = [_("Unknown scope.")]
    if pipeline is not None and entity != Entity.DEAL:
        errors["pipeline"] = [_("Only deals have per-pipeline rights.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        permission, _created = Permission.objects.select_for_update().get_or_create(
            role=role, entity=entity, action=action, pipeline=pipeline
        )
        before = permission.scope if not _created else None
        if permission.scope != scope or _created:
            permission.scope = scope
            permission.save(update_fields=["scope"])
            audit_record(
                action="permission.change",
                actor=actor,
                request=request,
                obj=role,
                details={
                    "entity": entity,
                    "action": action,
                    "pipeline": pipeline.pk if pipeline is not None else None,
                    "from": before,
                    "to": scope,
                },
            )
    return permission


def role_pipeline_rights_remove(*, actor, role: Role, pipeline, request=None) -> int:
    """Drop the role's own deal rights in ``pipeline``: its general deal row applies there
    again. Returns how many cells were removed."""
    require(actor, Action.UPDATE, Entity.SETTINGS)
    with transaction.atomic():
        rows = Permission.objects.filter(role=role, entity=Entity.DEAL, pipeline=pipeline)
        before = dict(rows.values_list("action", "scope"))
        removed, _details = rows.delete()
        if removed:
            audit_record(
                action="permission.pipeline_remove",
                actor=actor,
                request=request,
                obj=role,
                details={
                    "entity": Entity.DEAL,
                    "pipeline": pipeline.pk,
                    "pipeline_name": pipeline.name,
                    "from": before,
                },
            )
    return removed


def role_assign(*, actor, role: Role, user, request=None) -> None:
    require(actor, Action.UPDATE, Entity.SETTINGS)
    with transaction.atomic():
        if role.members.filter(pk=user.pk).exists():
            return
        role.members.add(user)
        audit_record(
            action="role.assign",
            actor=actor,
            request=request,
            obj=role,
            details={"user": user.pk, "username": user.get_username()},
        )
    forget_rights(user)


def role_unassign(*, actor, role: Role, user, request=None) -> None:
    require(actor, Action.UPDATE, Entity.SETTINGS)
    with transaction.atomic():
        if not role.members.filter(pk=user.pk).exists():
            return
        role.members.remove(user)
        audit_record(
            action="role.unassign",
            actor=actor,
            request=request,
            obj=role,
            details={"user": user.pk, "username": user.get_username()},
        )
    forget_rights(user)


def employee_roles_set(*, actor, employee, roles, request=None) -> None:
    """Make ``roles`` exactly the roles the employee holds (each change audited)."""
    require(actor, Action.UPDATE, Entity.SETTINGS)
    wanted = {role.pk: role for role in roles}
    with transaction.atomic():
        held = {role.pk: role for role in Role.objects.filter(members=employee)}
        for pk, role in held.items():
            if pk not in wanted:
                role_unassign(actor=actor, role=role, user=employee, request=request)
        for pk, role in wanted.items():
            if pk not in held:
                role_assign(actor=actor, role=role, user=employee, request=request)


def field_rule_set(
    *, actor, role: Role, entity: str, field: str, access: str | None, request=None
) -> FieldRule | None:
    """Make ``field`` hidden or read-only for the role; ``access=None`` lifts the rule."""
    require(actor, Action.UPDATE, Entity.SETTINGS)
    errors: dict[str, list[str]] = {}
    if entity not in Entity.values:
        errors["entity"] = [_("Unknown entity.")]
    if not field.strip():
        errors["field"] = [_("Enter the field's code.")]
    if access is not None and access not in FieldAccess.values:
        errors["access"] = [_("Unknown access.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        rule = FieldRule.objects.filter(role=role, entity=entity, field=field).first()
        before = rule.access if rule is not None else None
        if access is None:
            if rule is not None:
                rule.delete()
            rule = None
        elif rule is None:
            rule = FieldRule.objects.create(role=role, entity=entity, field=field, access=access)
        elif rule.access != access:
            rule.access = access
            rule.save(update_fields=["access"])
        if before != access:
            audit_record(
                action="field_rule.change",
                actor=actor,
                request=request,
                obj=role,
                details={"entity": entity, "field": field, "from": before, "to": access},
            )
    return rule


# ---- API tokens -----------------------------------------------------------------------------


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_token_create(
    *,
    actor,
    user,
    name: str,
    scopes: list[str],
    kind: str = TokenKind.PERSONAL,
    expires_at=None,
    request=None,
) -> tuple[ApiToken, str]:
    """Issue a token; returns the record and the plain token, which is never stored or shown
    again. Employees issue their own tokens; administrators may issue anyone's."""
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("Enter a name that says where the token is used.")]
    if kind not in TokenKind.values:
        errors["kind"] = [_("Unknown token kind.")]
    unknown = [scope for scope in scopes if scope not in TokenScope.values]
    if unknown:
        errors["scopes"] = [_("Unknown scopes: %(scopes)s.") % {"scopes": ", ".join(unknown)}]
    elif not scopes:
        errors["scopes"] = [_("Choose at least one scope.")]
    if actor.pk != user.pk and not actor.is_superuser:
        errors["user"] = [_("Only an administrator may issue a token for someone else.")]
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = [_("The expiry must be in the future.")]
    if errors:
        raise ValidationError(errors)
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            kind=kind,
            name=name.strip(),
            scopes=sorted(set(scopes)),
            prefix=prefix,
            token_hash=_digest(secret),
            expires_at=expires_at,
        )
        audit_record(
            action="api_token.create",
            actor=actor,
            request=request,
            obj=token,
            details={"user": user.pk, "kind": kind, "scopes": token.scopes},
        )
    return token, f"{TOKEN_PREFIX}_{prefix}_{secret}"


def api_token_authenticate(raw: str, *, kind: str | None = None, scope: str | None = None):
    """The active employee a presented token acts as, or ``None``. The token is available
    afterwards as ``user.api_token`` so callers can check its scopes."""
    parts = (raw or "").strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=parts[1]).first()
    if token is None or not hmac.compare_digest(token.token_hash, _digest(parts[2])):
        return None
    if not token.is_active or not token.user.is_active:
        return None
    if kind is not None and token.kind != kind:
        return None
    if scope is not None and not token.allows(scope):
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > TOKEN_LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    user = token.user
    # The token in use, so callers can check its scopes.
    user.api_token = token  # type: ignore[attr-defined]
    return user


def api_token_revoke(*, actor, token: ApiToken, request=None) -> ApiToken:
    if actor.pk != token.user_id and not actor.is_superuser:
        raise ValidationError({"token": [_("Only its owner or an administrator may revoke it.")]})
    with transaction.atomic():
        updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        token.refresh_from_db(fields=["revoked_at"])
        if updated:
            audit_record(action="api_token.revoke", actor=actor, request=request, obj=token)
    return token
