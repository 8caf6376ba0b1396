"""The duplicate finder, the merge page (two cards side by side, a choice per differing field,
a preview, then the merge), the "merge with…" picker and the list of merges with their undo.

Reads go through ``voronka.contacts.selectors.duplicates``, writes through
``voronka.contacts.services.merge``. A card, group or merge the user may not see answers 404
on every URL; a merge without the rights answers 403.
"""

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django_htmx.http import trigger_client_event

from voronka.access.models import Action
from voronka.access.predicates import can, entity_of, hidden_fields, readonly_fields, require
from voronka.contacts.merging import MergeableKind, mergeable_kind
from voronka.contacts.models import Company, Contact, DuplicateRule
from voronka.contacts.selectors import cards as card_selectors
from voronka.contacts.selectors import duplicates as selectors
from voronka.contacts.services.duplicate_groups import duplicate_group_dismiss
from voronka.contacts.services.merge import (
    ABSORBED,
    CUSTOM_PREFIX,
    SURVIVOR,
    merge_cards,
    merge_fields,
    merge_undo,
)
from voronka.core.changes import display_value
from voronka.customization.models import EntityType

TOAST_EVENT = "voronka:toast"
PAGE_SIZE = 25
ENTITY_LABELS = {
    "contact": Contact._meta.verbose_name_plural,
    "company": Company._meta.verbose_name_plural,
}


def _offset(request) -> int:
    try:
        return max(0, min(int(request.GET.get("offset", 0)), 10**9))
    except ValueError:
        return 0


def merge_url(entity: str, pk: int, other_pk: int) -> str:
    """The merge page of two cards of ``entity`` (the first one stays by default)."""
    return reverse(f"contacts:{entity}_merge", args=[pk, other_pk])


def merge_pick_url(entity: str, pk: int) -> str:
    return reverse(f"contacts:{entity}_merge_pick", args=[pk])


def _kind(card) -> MergeableKind:
    return mergeable_kind(type(card))


def _detail_url(card) -> str:
    return reverse(_kind(card).detail_url_name, args=[card.pk])


def _entity(card) -> str:
    return _kind(card).entity


class DuplicateFinderView(View):
    """Groups of likely duplicates with their reason and score, filtered by entity and rule."""

    def get(self, request):
        entity = request.GET.get("entity") or "contact"
        model = selectors.model_of_entity(entity)
        rule = request.GET.get("rule") or ""
        if rule not in DuplicateRule.values:
            rule = ""
        offset = _offset(request)
        page = selectors.duplicate_finder_page(
            user=request.user, model=model, rule=rule, offset=offset, limit=PAGE_SIZE
        )
        hidden = hidden_fields(request.user, entity_of(model))
        context = {
            "entity": entity,
            "entities": list(ENTITY_LABELS.items()),
            "rule": rule,
            "rules": DuplicateRule.choices,
            "page": page,
            "offset": offset,
            "show_phones": "communications" not in hidden,
            "show_inn": "inn" not in hidden,
        }
        return render(request, "contacts/duplicates.html", context)


class DuplicateDismissView(View):
    """Mark a group as not duplicates; the scan leaves it so until its cards change."""

    def post(self, request, pk):
        line = selectors.visible_group_or_404(user=request.user, pk=pk)
        if not any(can(request.user, Action.UPDATE, card) for card in line.cards):
            require(request.user, Action.UPDATE, line.cards[0])
        duplicate_group_dismiss(actor=request.user, group=line.group)
        if request.htmx:
            response = HttpResponse("")
            trigger_client_event(
                response,
                TOAST_EVENT,
                {"message": _("Marked as not duplicates."), "level": "success"},
            )
            return response
        messages.success(request, _("Marked as not duplicates."))
        return HttpResponseRedirect(reverse("contacts:duplicates"))


@dataclass
class ChoiceRow:
    """One field of the merge page: both cards' values and which one is chosen."""

    name: str
    label: str
    left: Any
    right: Any
    differs: bool
    readonly: bool
    chosen: int  # the id of the card whose value is kept


def _display(card, name: str) -> Any:
    model_field = card._meta.get_field(name)
    value = getattr(card, model_field.attname)
    shown = display_value(card, model_field, value)
    return "" if shown in (None, "") else shown


def _custom_display(value: Any) -> str:
    if value in (None, "", [], {}):
        return ""
    if isinstance(value, dict):
        return " ".join(str(part) for part in value.values())
    if isinstance(value, list):
        return ", ".join(str(part) for part in value)
    return str(value)


def _choice_rows(request, left, right, survivor_pk: int, data) -> list[ChoiceRow]:
    """The fields both cards have, the user's choice (or the survivor's) for differing ones;
    fields hidden by the user's field rules are left out (the survivor's value stays)."""
    entity = entity_of(type(left))
    hidden = hidden_fields(request.user, entity)
    readonly = readonly_fields(request.user, entity)
    rows: list[ChoiceRow] = []
    for name in merge_fields(type(left)):
        if name in hidden:
            continue
        model_field = left._meta.get_field(name)
        differs = getattr(left, model_field.attname) != getattr(right, model_field.attname)
        rows.append(
            _row(
                name,
                str(model_field.verbose_name),
                _display(left, name),
                _display(right, name),
                differs,
                name in readonly,
                survivor_pk,
                data,
                (left.pk, right.pk),
            )
        )
    definitions = card_selectors.custom_field_definitions(
        user=request.user, entity=EntityType(_entity(left))
    )
    for definition in definitions:
        code = definition.code
        if code in hidden:
            continue
        left_value = (left.custom_fields or {}).get(code)
        right_value = (right.custom_fields or {}).get(code)
        if left_value in (None, "", [], {}) and right_value in (None, "", [], {}):
            continue
        rows.append(
            _row(
                CUSTOM_PREFIX + code,
                definition.label,
                _custom_display(left_value),
                _custom_display(right_value),
                left_value != right_value,
                code in readonly,
                survivor_pk,
                data,
                (left.pk, right.pk),
            )
        )
    return rows


def _row(name, label, left, right, differs, readonly, survivor_pk, data, pks) -> ChoiceRow:
    chosen = survivor_pk
    if differs and not readonly and data is not None:
        try:
            picked = int(data.get(f"field:{name}", survivor_pk))
        except ValueError:
            picked = survivor_pk
        chosen = picked if picked in pks else survivor_pk
    return ChoiceRow(
        name=name,
        label=label,
        left=left,
        right=right,
        differs=differs,
        readonly=readonly,
        chosen=chosen,
    )


class MergeView(View):
    """Two cards side by side: which one survives and, per differing field, whose value it
    keeps; "Preview" shows the result, "Merge" does it."""

    entity = ""

    def _pair(self, request, pk, kwargs):
        other_pk = kwargs[f"{self.entity}_pk"]
        return selectors.merge_pair_or_404(
            user=request.user, entity=self.entity, pk=pk, other_pk=other_pk
        )

    def get(self, request, pk, **kwargs):
        left, right = self._pair(request, pk, kwargs)
        return self._render(request, left, right, survivor_pk=left.pk, data=None)

    def post(self, request, pk, **kwargs):
        left, right = self._pair(request, pk, kwargs)
        try:
            survivor_pk = int(request.POST.get("survivor", left.pk))
        except ValueError:
            survivor_pk = left.pk
        if survivor_pk not in (left.pk, right.pk):
            survivor_pk = left.pk
        survivor, absorbed = (left, right) if survivor_pk == left.pk else (right, left)
        rows = _choice_rows(request, left, right, survivor_pk, request.POST)
        if "confirm" not in request.POST:
            return self._render(
                request, left, right, survivor_pk=survivor_pk, data=request.POST, preview=True
            )
        values = {
            row.name: SURVIVOR if row.chosen == survivor.pk else ABSORBED
            for row in rows
            if row.differs and not row.readonly
        }
        try:
            merge_cards(
                actor=request.user,
                survivor=survivor,
                absorbed=absorbed,
                values=values,
                request=request,
            )
        except ValidationError as error:
            return self._render(
                request,
                left,
                right,
                survivor_pk=survivor_pk,
                data=request.POST,
                errors=_messages(error),
                status=422,
            )
        messages.success(
            request,
            _(
                "“%(absorbed)s” is merged into this card. "
                "The merge can be undone from the list of merges."
            )
            % {"absorbed": absorbed},
        )
        return HttpResponseRedirect(_detail_url(survivor))

    def _render(
        self, request, left, right, *, survivor_pk, data, preview=False, errors=(), status=200
    ):
        rows = _choice_rows(request, left, right, survivor_pk, data)
        survivor = left if survivor_pk == left.pk else right
        absorbed = right if survivor is left else left
        context = {
            "entity": _entity(left),
            "left": left,
            "right": right,
            "survivor_pk": survivor_pk,
            "rows": rows,
            "preview": preview,
            "result": [
                (row.label, row.left if row.chosen == left.pk else row.right) for row in rows
            ],
            "errors": errors,
            "may_merge": can(request.user, Action.UPDATE, survivor)
            and can(request.user, Action.DELETE, absorbed),
            "left_url": _detail_url(left),
            "right_url": _detail_url(right),
        }
        return render(request, "contacts/merge.html", context, status=status)


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [
            message
            for key, items in error.message_dict.items()
            for message in (
                [f"{key}: {item}" for item in items] if key != NON_FIELD_ERRORS else items
            )
        ]
    return list(error.messages)


class MergePickView(View):
    """ "Merge with…": find the other card (same kind) to merge with this one."""

    entity = ""

    def get(self, request, pk):
        entity = self.entity
        card = selectors.visible_card_or_404(user=request.user, entity=entity, pk=pk)
        require(request.user, Action.UPDATE, card)
        query = request.GET.get("q", "").strip()
        picker = _kind(card).picker
        found = (
            picker(user=request.user, search=query, exclude_ids=[card.pk])
            if query and picker
            else []
        )
        for other in found:
            other.merge_url = merge_url(entity, card.pk, other.pk)
        context = {
            "card": card,
            "entity": entity,
            "query": query,
            "found": found,
            "pick_url": merge_pick_url(entity, card.pk),
        }
        if request.htmx and request.GET.get("partial"):
            return render(request, "contacts/partials/_merge_pick_results.html", context)
        return render(request, "contacts/merge_pick.html", context)


class MergeListView(View):
    """Recent merges of the cards the user sees, with undo while it is possible."""

    def get(self, request):
        offset = _offset(request)
        lines, next_offset = selectors.merge_list_page(
            user=request.user, offset=offset, limit=PAGE_SIZE
        )
        return render(
            request,
            "contacts/merges.html",
            {"lines": lines, "next_offset": next_offset, "undo_days": selectors.undo_period().days},
        )


class MergeUndoView(View):
    """Undo a merge: the absorbed card and its rows come back."""

    def post(self, request, pk):
        record = selectors.visible_merge_or_404(user=request.user, pk=pk)
        try:
            result = merge_undo(actor=request.user, record=record, request=request)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The merge is undone."))
            for conflict in result.conflicts:
                messages.warning(request, conflict)
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = reverse("contacts:merges")
        return HttpResponseRedirect(target)
