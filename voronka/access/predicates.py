"""Who may see and change what: the one place that turns roles into query conditions.

Reads of cards go through ``visible_to(user, queryset)``; writes check ``can(user, action,
obj)`` (or ``require``). A user's rights are resolved once per request and kept on the user
object: one query for the permission rows of the user's roles and, only when a department
scope is in play, one query over the (small) departments table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, Model, OuterRef, Q, QuerySet

from voronka.access.models import Action, Entity, FieldAccess, FieldRule, Role, Scope

CACHE_ATTRIBUTE = "_access_rights"


@dataclass(frozen=True)
class EntityRule:
    """How records of an entity belong to employees."""

    model_label: str
    owner_fields: tuple[str, ...] = ()  # any of these being the user makes the record "own"
    department_field: str | None = None  # whose department decides "department" scopes
    pipeline_field: str | None = None
    # Many-to-many relations to users whose members also hold the record as "own" (a task's
    # co-executors and observers); read with an EXISTS subquery, so no row comes twice.
    participants: tuple[str, ...] = ()


ENTITIES: dict[str, EntityRule] = {
    Entity.LEAD: EntityRule("sales.Lead", ("responsible", "created_by"), "responsible"),
    Entity.DEAL: EntityRule(
        "sales.Deal",
        ("responsible", "created_by", "sales_manager", "delivery_manager", "head_of_sales"),
        "responsible",
        pipeline_field="pipeline",
    ),
    Entity.CONTACT: EntityRule("contacts.Contact", ("responsible", "created_by"), "responsible"),
    Entity.COMPANY: EntityRule("contacts.Company", ("responsible", "created_by"), "responsible"),
    # A catalogue without owners: any scope other than "none" opens all of it.
    Entity.PRODUCT: EntityRule("sales.Product"),
    Entity.TASK: EntityRule(
        "tasks.Task",
        ("responsible", "created_by"),
        "responsible",
        participants=("co_executors", "observers"),
    ),
}


def entity_of(model_or_obj) -> str:
    label = model_or_obj._meta.label
    for code, rule in ENTITIES.items():
        if rule.model_label == label:
            return code
    raise LookupError(f"{label} has no access rule")


@dataclass
class ResolvedRights:
    """A user's matrix with the widest scope of all roles in each cell."""

    general: dict[tuple[str, str], int] = field(default_factory=dict)
    per_pipeline: dict[tuple[str, int], int] = field(default_factory=dict)  # (action, pipeline)
    role_ids: tuple[int, ...] = ()
    department_ids: frozenset[int] | None = None  # the user's and the headed departments
    department_tree_ids: frozenset[int] | None = None
    hidden: dict[str, frozenset[str]] | None = None
    read_only: dict[str, frozenset[str]] | None = None


def _is_all_powerful(user) -> bool:
    return bool(user.is_active and user.is_superuser)


def _is_nobody(user) -> bool:
    return not (user is not None and user.is_authenticated and user.is_active)


def rights_of(user) -> ResolvedRights:
    """The resolved matrix, computed with one query and cached on the user object."""
    cached = getattr(user, CACHE_ATTRIBUTE, None)
    if cached is not None:
        return cached
    membership = Role.members.through.objects.filter(user_id=user.pk)
    # Roles left-joined to their rows, so a role without rows still counts for field rules.
    rows = (
        Role.objects.filter(Q(members=user.pk) | Q(is_default=True) & ~Exists(membership))
        .values_list(
            "pk",
            "permissions__entity",
            "permissions__action",
            "permissions__pipeline_id",
            "permissions__scope",
        )
        .distinct()
    )
    # Within a role a pipeline's own row replaces the general one; across roles the widest wins.
    role_general: dict[tuple[int, str, str], int] = {}
    role_pipeline: dict[tuple[int, str, int], int] = {}
    role_ids = set()
    for role_id, entity, action, pipeline_id, scope in rows:
        role_ids.add(role_id)
        if entity is None:
            continue
        if pipeline_id is None:
            role_general[role_id, entity, action] = scope
        else:
            role_pipeline[role_id, action, pipeline_id] = scope
    rights = ResolvedRights(role_ids=tuple(sorted(role_ids)))
    for (_role, entity, action), scope in role_general.items():
        key = (entity, action)
        rights.general[key] = max(rights.general.get(key, Scope.NONE), scope)
    pipelines = {pipeline_id for (_role, _action, pipeline_id) in role_pipeline}
    for pipeline_id in pipelines:
        for action in Action.values:
            widest: int = Scope.NONE
            for role_id in role_ids:
                scope = role_pipeline.get(
                    (role_id, action, pipeline_id),
                    role_general.get((role_id, Entity.DEAL, action), Scope.NONE),
                )
                widest = max(widest, scope)
            rights.per_pipeline[action, pipeline_id] = widest
    setattr(user, CACHE_ATTRIBUTE, rights)
    return rights


def forget_rights(user) -> None:
    """Drop the cached matrix (after the user's roles change within the same request)."""
    if hasattr(user, CACHE_ATTRIBUTE):
        delattr(user, CACHE_ATTRIBUTE)


def _departments(user, rights: ResolvedRights) -> tuple[frozenset[int], frozenset[int]]:
    """The user's department plus the departments they head, and those with everything below
    them — from one query over the departments table."""
    if rights.department_ids is None:
        from voronka.staff.models import Department

        children: dict[int | None, list[int]] = {}
        direct = {user.department_id} if user.department_id else set()
        for pk, parent_id, head_id in Department.objects.values_list("pk", "parent_id", "head_id"):
            children.setdefault(parent_id, []).append(pk)
            if head_id == user.pk:
                direct.add(pk)
        found: set[int] = set()
        stack = list(direct)
        while stack:
            current = stack.pop()
            if current in found:
                continue
            found.add(current)
            stack.extend(children.get(current, ()))
        rights.department_ids = frozenset(direct)
        rights.department_tree_ids = frozenset(found)
    return rights.department_ids, rights.department_tree_ids  # type: ignore[return-value]


def scope_for(user, entity: str, action: str, *, pipeline_id: int | None = None) -> int:
    """The widest scope the user's roles give for ``entity`` × ``action`` (in a pipeline)."""
    if _is_nobody(user):
        return Scope.NONE
    if _is_all_powerful(user):
        return Scope.ALL
    rights = rights_of(user)
    key = (action, pipeline_id if pipeline_id is not None else 0)
    if entity == Entity.DEAL and key in rights.per_pipeline:
        return rights.per_pipeline[key]
    return rights.general.get((entity, action), Scope.NONE)


def _condition(user, rule: EntityRule, scope: int, rights: ResolvedRights | None) -> Q:
    """The SQL condition for one scope; ``Q(pk__in=[])`` matches nothing."""
    if scope >= Scope.ALL or (scope > Scope.NONE and not rule.owner_fields):
        return Q()
    if scope <= Scope.NONE:
        return Q(pk__in=[])
    condition = Q()
    for name in rule.owner_fields:
        condition |= Q(**{name: user.pk})
    for name in rule.participants:
        condition |= Q(_participant_exists(rule, name, user.pk))
    if scope >= Scope.DEPARTMENT and rule.department_field and rights is not None:
        department_ids, tree_ids = _departments(user, rights)
        ids = tree_ids if scope >= Scope.DEPARTMENT_TREE else department_ids
        if ids:
            condition |= Q(**{f"{rule.department_field}__department_id__in": sorted(ids)})
    return condition


def _participant_exists(rule: EntityRule, name: str, user_id: int) -> Exists:
    """EXISTS (a row of the ``name`` relation links the record to the user)."""
    relation = apps.get_model(rule.model_label)._meta.get_field(name)
    through = relation.remote_field.through
    return Exists(
        through.objects.filter(
            **{
                f"{relation.m2m_field_name()}_id": OuterRef("pk"),
                f"{relation.m2m_reverse_field_name()}_id": user_id,
            }
        )
    )


def _is_participant(rule: EntityRule, obj: Model, user_id: int) -> bool:
    """Whether the user is among the record's participants: from prefetched rows when the
    caller loaded them, otherwise one query per relation."""
    if obj.pk is None:
        return False
    prefetched = getattr(obj, "_prefetched_objects_cache", {})
    for name in rule.participants:
        if name in prefetched:
            if any(member.pk == user_id for member in prefetched[name]):
                return True
        elif getattr(obj, name).filter(pk=user_id).exists():
            return True
    return False


def visible_to(user, queryset: QuerySet, *, action: str = Action.READ) -> QuerySet:
    """``queryset`` narrowed to the records ``user`` may ``action`` (read by default):
    a single WHERE condition, no per-row checks."""
    entity = entity_of(queryset.model)
    rule = ENTITIES[entity]
    if _is_nobody(user):
        return queryset.none()
    if _is_all_powerful(user):
        return queryset
    rights = rights_of(user)
    general = rights.general.get((entity, action), Scope.NONE)
    if rule.pipeline_field:
        special = {
            pipeline_id: scope
            for (row_action, pipeline_id), scope in rights.per_pipeline.items()
            if row_action == action
        }
        if special:
            condition = ~Q(**{f"{rule.pipeline_field}_id__in": sorted(special)}) & _condition(
                user, rule, general, rights
            )
            for pipeline_id, scope in sorted(special.items()):
                if scope > Scope.NONE:
                    condition |= Q(**{f"{rule.pipeline_field}_id": pipeline_id}) & _condition(
                        user, rule, scope, rights
                    )
            return queryset.filter(condition)
    if general <= Scope.NONE:
        return queryset.none()
    return queryset.filter(_condition(user, rule, general, rights))


def editable_by(user, queryset: QuerySet) -> QuerySet:
    return visible_to(user, queryset, action=Action.UPDATE)


def _matches(user, rule: EntityRule, scope: int, obj: Model, rights: ResolvedRights) -> bool:
    """The Python twin of ``_condition`` for one record already in memory."""
    if scope >= Scope.ALL or (scope > Scope.NONE and not rule.owner_fields):
        return True
    if scope <= Scope.NONE:
        return False
    if any(getattr(obj, f"{name}_id", None) == user.pk for name in rule.owner_fields):
        return True
    if scope >= Scope.DEPARTMENT and rule.department_field:
        department_ids, tree_ids = _departments(user, rights)
        ids = tree_ids if scope >= Scope.DEPARTMENT_TREE else department_ids
        owner = getattr(obj, rule.department_field, None)
        if owner is not None and owner.department_id in ids:
            return True
    return bool(rule.participants) and _is_participant(rule, obj, user.pk)


def can(user, action: str, target) -> bool:
    """May ``user`` do ``action`` on ``target``: a record (saved or about to be created), a
    model class or an entity code (then: on at least some records)."""
    if _is_nobody(user):
        return False
    if _is_all_powerful(user):
        return True
    if isinstance(target, str):
        entity, obj = target, None
    elif isinstance(target, type):
        entity, obj = entity_of(target), None
    else:
        entity, obj = entity_of(target), target
    rule = ENTITIES.get(entity)
    pipeline_id = getattr(obj, f"{rule.pipeline_field}_id", None) if rule and obj else None
    scope = scope_for(user, entity, action, pipeline_id=pipeline_id)
    if obj is None or rule is None:
        if entity == Entity.DEAL and not _is_all_powerful(user):
            # Some pipeline may open deals even where the general row is closed.
            pipeline_scopes = [
                value
                for (row_action, _pipeline), value in rights_of(user).per_pipeline.items()
                if row_action == action
            ]
            scope = max([scope, *pipeline_scopes])
        return scope > Scope.NONE
    return _matches(user, rule, scope, obj, rights_of(user))


def require(actor, action: str, target) -> None:
    """``can`` for services: raises ``PermissionDenied`` when the answer is no.

    ``actor=None`` is the system itself (robots, the demo generator, data migrations): it is
    not checked. Every request path — web, REST, Bitrix24 API, import — passes its user, and an
    anonymous visitor is an ``AnonymousUser``, never None.
    """
    if actor is None:
        return
    if not can(actor, action, target):
        raise PermissionDenied


def _field_rules(user, rights: ResolvedRights) -> None:
    """A field is hidden when every role of the user hides it and read-only when every role
    restricts it but some role still shows it — the widest role wins here too."""
    if rights.hidden is not None:
        return
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for entity, field_code, access in FieldRule.objects.filter(
        role_id__in=rights.role_ids
    ).values_list("entity", "field", "access"):
        counts.setdefault((entity, field_code), {}).setdefault(access, 0)
        counts[entity, field_code][access] += 1
    roles = len(rights.role_ids)
    hidden: dict[str, set[str]] = {}
    read_only: dict[str, set[str]] = {}
    for (entity, field_code), by_access in counts.items():
        total = sum(by_access.values())
        if roles == 0 or total < roles:
            continue
        if by_access.get(FieldAccess.HIDDEN, 0) == roles:
            hidden.setdefault(entity, set()).add(field_code)
        else:
            read_only.setdefault(entity, set()).add(field_code)
    rights.hidden = {entity: frozenset(codes) for entity, codes in hidden.items()}
    rights.read_only = {entity: frozenset(codes) for entity, codes in read_only.items()}


def hidden_fields(user, entity: str) -> frozenset[str]:
    """Field codes of ``entity`` the user must not be shown (nor sent in exports or the API)."""
    if _is_nobody(user) or _is_all_powerful(user):
        return frozenset()
    rights = rights_of(user)
    _field_rules(user, rights)
    return rights.hidden.get(entity, frozenset())  # type: ignore[union-attr]


def readonly_fields(user, entity: str) -> frozenset[str]:
    """Field codes of ``entity`` the user sees but may not change (hidden ones included)."""
    if _is_nobody(user) or _is_all_powerful(user):
        return frozenset()
    rights = rights_of(user)
    _field_rules(user, rights)
    return rights.read_only.get(entity, frozenset()) | rights.hidden.get(  # type: ignore[union-attr]
        entity, frozenset()
    )


def roles_requiring_two_factor(user) -> bool:
    if _is_nobody(user):
        return False
    membership = Role.members.through.objects.filter(user_id=user.pk)
    return Role.objects.filter(
        Q(members=user.pk) | Q(is_default=True) & ~Exists(membership),
        requires_two_factor=True,
    ).exists()


def unchanged_fields_only(user, entity: str, changed: Iterable[str]) -> None:
    """Raise ``PermissionDenied`` when ``changed`` touches a field read-only for the user
    (the system, ``user=None``, is not checked)."""
    if user is not None and set(changed) & readonly_fields(user, entity):
        raise PermissionDenied


def visible_object_or_404(user, queryset: QuerySet, *, action: str = Action.READ, **lookup):
    """The one record matching ``lookup`` that the user may ``action``; otherwise 404, so a
    guessed id of a hidden card looks exactly like a missing one."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(visible_to(user, queryset, action=action), **lookup)
