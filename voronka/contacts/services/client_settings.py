"""The client base settings: duplicate policies, families, merges and ABC segments."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from voronka.access.services import audit_record
from voronka.contacts.models import (
    ClientSettings,
    DuplicateEntity,
    DuplicateMode,
    DuplicatePolicy,
    DuplicateRule,
)
from voronka.core.permissions import has_right

SETTINGS_FIELDS = ("require_company", "merge_undo_days", "ltv_a_share", "ltv_b_share")


def _check_shares(a_share: int, b_share: int) -> None:
    if not 0 < a_share < b_share <= 100:
        raise ValidationError(
            {
                "ltv_b_share": _(
                    "The shares must grow: 0 < segment A < segments A and B, at most 100."
                )
            }
        )


def _check_policy(entity: str, mode: str, rules: list[str]) -> None:
    if entity not in DuplicateEntity.values:
        raise ValidationError(
            {"policies": _("Unknown kind of card: %(entity)s") % {"entity": entity}}
        )
    if mode not in DuplicateMode.values:
        raise ValidationError({f"{entity}_mode": _("Choose what happens with duplicates.")})
    unknown = set(rules) - set(DuplicateRule.values)
    if unknown:
        raise ValidationError({f"{entity}_rules": _("Unknown rule.")})


def client_settings_update(
    *,
    actor,
    values: dict[str, Any],
    policies: dict[str, tuple[str, list[str]]],
    request=None,
) -> ClientSettings:
    """Save the client settings and the duplicate policies (``{entity: (mode, rules)}``; an
    empty rule list checks every rule). Only those who may change the settings; the change is
    written to the audit log with the old and new values."""
    if actor is not None and not has_right(actor, "update", "settings"):
        raise PermissionDenied
    unknown = set(values) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown settings: %(names)s") % {"names": ", ".join(unknown)})
    for entity, (mode, rules) in policies.items():
        _check_policy(entity, mode, rules)
    with transaction.atomic():
        settings = ClientSettings.objects.select_for_update().filter(pk=1).first()
        if settings is None:
            settings = ClientSettings.load()
        before = {name: getattr(settings, name) for name in SETTINGS_FIELDS}
        for name, value in values.items():
            setattr(settings, name, value)
        _check_shares(settings.ltv_a_share, settings.ltv_b_share)
        settings.full_clean()
        settings.save()
        after = {name: getattr(settings, name) for name in SETTINGS_FIELDS}
        changes: dict[str, Any] = {
            name: [before[name], after[name]]
            for name in SETTINGS_FIELDS
            if before[name] != after[name]
        }
        stored = {policy.entity: policy for policy in DuplicatePolicy.objects.select_for_update()}
        for entity, (mode, rules) in policies.items():
            rules = [rule for rule in DuplicateRule.values if rule in set(rules)]
            policy = stored.get(entity) or DuplicatePolicy(entity=entity)
            old = [policy.mode, list(policy.rules)] if policy.pk else None
            if old == [mode, rules]:
                continue
            policy.mode, policy.rules = mode, rules
            policy.save()
            changes[f"duplicates.{entity}"] = [old, [mode, rules]]
        if changes:
            audit_record(
                action="settings.clients",
                actor=actor,
                request=request,
                obj=settings,
                details=changes,
            )
    return settings
