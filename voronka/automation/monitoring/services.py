"""Monitoring rules: setting them up (the settings right, like robots) and running them.

``run_monitoring`` is what the scheduler calls every minute (Celery task
``automation.monitoring``, ``manage.py run_monitoring``): every active rule is checked in its
own transaction; one that fails is logged and the others run on.
"""

import datetime
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from voronka.access.models import Action as Right
from voronka.access.models import Entity
from voronka.access.predicates import require
from voronka.automation.actions import validate_params
from voronka.automation.models import MonitoringRule
from voronka.automation.monitoring import checks  # noqa: F401 - registers the checks
from voronka.automation.monitoring.registry import LIMIT, all_kinds, check, get_kind

logger = logging.getLogger(__name__)

# Batches of cards one rule may act on in one run.
MAX_BATCHES = 10
RULE_FIELDS = ("kind", "name", "pipeline", "params", "is_active")


def _flatten(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [
            f"{name}: {message}"
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    return list(error.messages)


def rule_clean(rule: MonitoringRule) -> None:
    """Every problem of a rule in one ValidationError keyed by field: an unknown check, a
    pipeline of the wrong kind (or one the check does not narrow by), bad parameters (each
    “name: message” under ``params``, as for robots)."""
    errors: dict[str, list[str]] = {}
    try:
        rule.full_clean(exclude=["params", "last_checked_at"])
    except ValidationError as error:
        errors.update(error.message_dict)
    kind = get_kind(rule.kind)
    if kind is None:
        errors.setdefault("kind", []).append(_("Unknown check."))
    else:
        if rule.pipeline_id is not None:
            if kind.pipeline_entity is None:
                errors.setdefault("pipeline", []).append(
                    _("This check looks at every card; it is not narrowed by a pipeline.")
                )
            elif rule.pipeline.entity != kind.pipeline_entity:
                errors.setdefault("pipeline", []).append(
                    _("Choose a pipeline of leads.")
                    if kind.pipeline_entity == "lead"
                    else _("Choose a pipeline of deals.")
                )
        try:
            validate_params(kind, rule, rule.params)
        except ValidationError as error:
            errors.setdefault("params", []).extend(_flatten(error))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def rule_create(*, actor, data: dict[str, Any]) -> MonitoringRule:
    require(actor, Right.ADD, Entity.SETTINGS)
    rule = MonitoringRule(**{key: value for key, value in data.items() if key in RULE_FIELDS})
    rule_clean(rule)
    rule.save()
    return rule


@transaction.atomic
def rule_update(*, actor, rule: MonitoringRule, data: dict[str, Any]) -> MonitoringRule:
    """Change a rule. Its hits stay: a card it has acted on is not acted on again for the same
    occasion, even after a change of its parameters."""
    require(actor, Right.UPDATE, Entity.SETTINGS)
    rule = MonitoringRule.objects.select_for_update().get(pk=rule.pk)
    for key, value in data.items():
        if key in RULE_FIELDS and key != "kind":
            setattr(rule, key, value)
    rule_clean(rule)
    rule.save()
    return rule


def rule_toggle(*, actor, rule: MonitoringRule) -> MonitoringRule:
    return rule_update(actor=actor, rule=rule, data={"is_active": not rule.is_active})


@transaction.atomic
def rule_delete(*, actor, rule: MonitoringRule) -> None:
    """Delete a rule with its hits (the notifications and tasks it made stay)."""
    require(actor, Right.DELETE, Entity.SETTINGS)
    MonitoringRule.objects.filter(pk=rule.pk).delete()


def _plain(params: dict[str, Any]) -> dict[str, Any]:
    return {
        name: str(value) if isinstance(value, Promise) else value for name, value in params.items()
    }


@transaction.atomic
def install_default_rules() -> list[MonitoringRule]:
    """One rule of each check that has none yet, with its default parameters, switched off;
    names and texts in the installation's language. Calling it again adds nothing."""
    existing = set(MonitoringRule.objects.values_list("kind", flat=True))
    created = []
    with translation.override(settings.LANGUAGE_CODE):
        for kind in all_kinds():
            if kind.code in existing:
                continue
            rule = MonitoringRule(
                kind=kind.code,
                name=str(kind.default_name or kind.label),
                params=_plain(kind.default_params),
                is_active=False,
            )
            rule_clean(rule)
            rule.save()
            created.append(rule)
    return created


def _due(rule: MonitoringRule, now: datetime.datetime) -> bool:
    kind = get_kind(rule.kind)
    if kind is None or not rule.last_checked_at:
        return True
    return now - rule.last_checked_at >= kind.min_interval


def run_rule(rule: MonitoringRule, now: datetime.datetime | None = None) -> int:
    """Check one rule now and record the time; how many cards it acted on. A backlog (a rule
    just switched on over a large base) is worked through in batches of ``LIMIT`` cards, each
    in its own transaction, up to ``MAX_BATCHES`` per run."""
    now = now or timezone.now()
    acted = 0
    for _batch in range(MAX_BATCHES):
        done = check(rule, now)
        acted += done
        if done < LIMIT:
            break
    MonitoringRule.objects.filter(pk=rule.pk).update(last_checked_at=now)
    rule.last_checked_at = now
    return acted


def run_monitoring(now: datetime.datetime | None = None) -> dict[int, int | None]:
    """Check every active rule that is due; by rule id, how many cards it acted on (None for a
    rule that failed). A failing rule is logged and never stops the others."""
    now = now or timezone.now()
    results: dict[int, int | None] = {}
    for rule in MonitoringRule.objects.filter(is_active=True).select_related("pipeline"):
        if not _due(rule, now):
            continue
        try:
            results[rule.pk] = run_rule(rule, now)
        # Any error of one rule — a bug in a check, a custom field removed under it — must
        # not stop the checks of the others; it is logged with its traceback.
        except Exception:
            logger.exception("Monitoring rule %s (%s) failed", rule.pk, rule.kind)
            results[rule.pk] = None
    return results
