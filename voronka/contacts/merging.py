"""The registries of merging: which kinds of cards can be merged, and how rows of any app
follow a merged card to its survivor (movers).

A merge of two cards moves everything that points at the absorbed card to the survivor. The
contacts app knows its own rows (communications, requisites, company links); the rows of apps
above it (deals and leads, tasks, timeline entries) are moved by *movers* those apps register
from their ``AppConfig.ready()``, so contacts imports none of them.

A mover is ``mover(plan: MergePlan) -> None``; it changes rows only through the plan's methods,
which record every change in the merge's snapshot so an undo can put each row back:

* ``plan.repoint(queryset, field, ...)`` — one UPDATE moving rows from the absorbed card to the
  survivor, recorded as ``{"op": "update", "model", "field", "old", "new", "pks"}``;
* ``plan.set_value(row, field, value)`` — one row's field changed (a primary mark dropped);
* ``plan.delete(rows)`` — rows removed because the survivor already has them (the same phone,
  the same company link), recorded as exact copies.

``undo_changes`` replays the recorded changes backwards. A row changed since the merge in a
way that conflicts (it was moved again, or a deleted copy's place is taken) is left as it is and
reported — never overwritten.
"""

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

Mover = Callable[["MergePlan"], None]

_movers: dict[str, Mover] = {}


def register_merge_mover(name: str, mover: Mover) -> None:
    """Register (or replace, by ``name``) a mover; called from an app's ``ready()``."""
    _movers[name] = mover


def merge_movers() -> list[Mover]:
    """The registered movers in registration order."""
    return list(_movers.values())


@dataclass(frozen=True)
class MergeableKind:
    """A kind of card that can be merged: the fields chosen between, the service that writes
    them, and the events telling the absorbed card left or came back. Contacts and companies
    are registered here; apps above register theirs (leads) from their ``ready()``."""

    model: type[models.Model]
    entity: str  # "contact", "company", "lead": the URL and event name of the kind
    fields: tuple[str, ...]
    update: Callable[..., models.Model]  # update(*, actor, card, data) -> card
    deleted_event: Callable[[int | None, int], Any] | None = None  # (actor_id, card id)
    restored_event: Callable[[int | None, int], Any] | None = None
    refresh_keys: Callable[[models.Model], None] | None = None
    detail_url_name: str = ""  # the card page, reversed with the card's id
    # picker(*, user, search, exclude_ids) -> cards of the kind matching a typed text
    picker: Callable[..., list[models.Model]] | None = None


_kinds: dict[type[models.Model], MergeableKind] = {}


def register_mergeable(kind: MergeableKind) -> None:
    _kinds[kind.model] = kind


def mergeable_kind(model: type[models.Model]) -> MergeableKind:
    try:
        return _kinds[model]
    except KeyError:
        raise ValidationError(_("Cards of this kind cannot be merged.")) from None


def mergeable_kinds() -> dict[str, MergeableKind]:
    """The registered kinds by entity code."""
    return {kind.entity: kind for kind in _kinds.values()}


def _json_value(value: Any) -> Any:
    """``value`` as JSON keeps it (dates and decimals as text)."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


@dataclass
class MergePlan:
    """The two cards of one merge and the changes made to rows around them."""

    survivor: models.Model
    absorbed: models.Model
    changes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def model(self) -> type[models.Model]:
        return type(self.survivor)

    def card_type(self) -> ContentType:
        return ContentType.objects.get_for_model(self.survivor)

    # -- recorded changes ------------------------------------------------------------------

    def repoint(
        self,
        queryset: models.QuerySet,
        field_name: str,
        *,
        old: Any = None,
        new: Any = None,
    ) -> int:
        """Point ``field_name`` of the rows of ``queryset`` from the absorbed card (or ``old``)
        to the survivor (or ``new``) in one UPDATE; returns the number of rows moved."""
        old = self.absorbed.pk if old is None else old
        new = self.survivor.pk if new is None else new
        attname = queryset.model._meta.get_field(field_name).attname
        rows = queryset.filter(**{attname: old})
        pks = list(rows.values_list("pk", flat=True))
        if not pks:
            return 0
        queryset.model._base_manager.filter(pk__in=pks).update(**{attname: new})
        self.changes.append(
            {
                "op": "update",
                "model": queryset.model._meta.label_lower,
                "field": attname,
                "old": _json_value(old),
                "new": _json_value(new),
                "pks": pks,
            }
        )
        return len(pks)

    def set_value(self, row: models.Model, field_name: str, value: Any) -> None:
        """Change one field of one row, recording its old value."""
        attname = row._meta.get_field(field_name).attname
        old = getattr(row, attname)
        if old == value:
            return
        type(row)._base_manager.filter(pk=row.pk).update(**{attname: value})
        setattr(row, attname, value)
        self.changes.append(
            {
                "op": "update",
                "model": row._meta.label_lower,
                "field": attname,
                "old": _json_value(old),
                "new": _json_value(value),
                "pks": [row.pk],
            }
        )

    def delete(self, rows: Iterable[models.Model]) -> int:
        """Remove ``rows`` (all of one model), keeping exact copies for an undo."""
        rows = list(rows)
        if not rows:
            return 0
        model = type(rows[0])
        copies = serializers.serialize("python", rows)
        model._base_manager.filter(pk__in=[row.pk for row in rows]).delete()
        self.changes.append(
            {"op": "delete", "model": model._meta.label_lower, "rows": _json_value(copies)}
        )
        return len(rows)

    # -- helpers for generic links ---------------------------------------------------------

    def repoint_generic(
        self,
        model: type[models.Model],
        type_field: str = "card_type",
        id_field: str = "card_id",
    ) -> int:
        """Move the rows of ``model`` linked to the absorbed card through a content type and
        an id (timeline entries, activities, tasks)."""
        rows = model._base_manager.filter(**{type_field: self.card_type()})
        return self.repoint(rows, id_field)


@dataclass
class UndoReport:
    """What an undo put back and what it had to leave (rows changed since the merge)."""

    restored: int = 0
    conflicts: list[str] = field(default_factory=list)


def _model(label: str) -> type[models.Model]:
    return apps.get_model(label)


def _undo_update(change: dict[str, Any], report: UndoReport) -> None:
    model = _model(change["model"])
    field_object = next(f for f in model._meta.concrete_fields if f.attname == change["field"])
    old = field_object.to_python(change["old"])
    new = field_object.to_python(change["new"])
    rows = model._base_manager.filter(pk__in=change["pks"])
    moved = rows.filter(**{change["field"]: new}).update(**{change["field"]: old})
    report.restored += moved
    if moved == len(change["pks"]):
        return
    present = dict(rows.values_list("pk", change["field"]))
    for pk in change["pks"]:
        if pk not in present:
            report.conflicts.append(
                _("%(row)s #%(pk)s was deleted since the merge.")
                % {"row": str(model._meta.verbose_name).capitalize(), "pk": pk}
            )
        elif present[pk] != old:
            report.conflicts.append(
                _("%(row)s #%(pk)s: “%(field)s” changed since the merge and is kept.")
                % {
                    "row": str(model._meta.verbose_name).capitalize(),
                    "pk": pk,
                    "field": field_object.verbose_name,
                }
            )


def _undo_delete(change: dict[str, Any], report: UndoReport) -> None:
    model = _model(change["model"])
    for item in serializers.deserialize("python", change["rows"]):
        pk = item.object.pk
        if model._base_manager.filter(pk=pk).exists():
            report.conflicts.append(
                _("%(row)s #%(pk)s exists again and is kept.")
                % {"row": str(model._meta.verbose_name).capitalize(), "pk": pk}
            )
            continue
        try:
            with transaction.atomic():
                item.save()
        except IntegrityError:
            report.conflicts.append(
                _("%(row)s #%(pk)s cannot come back: its place is taken since the merge.")
                % {"row": str(model._meta.verbose_name).capitalize(), "pk": pk}
            )
            continue
        report.restored += 1


def undo_changes(changes: list[dict[str, Any]]) -> UndoReport:
    """Put back the rows a merge changed, the last change first. Call inside a transaction."""
    report = UndoReport()
    for change in reversed(changes):
        if change["op"] == "update":
            _undo_update(change, report)
        elif change["op"] == "delete":
            _undo_delete(change, report)
    return report
