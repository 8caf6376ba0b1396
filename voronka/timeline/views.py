"""The timeline panel of a card: its feed, open activities and the composer."""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views import View
from django_htmx.http import reswap, retarget, trigger_client_event

from voronka.access.models import Action
from voronka.access.predicates import can, entity_of, hidden_fields
from voronka.core.sections import LookupItem, add_service_errors, lookup_response
from voronka.core.templatetags.voronka import money
from voronka.timeline import selectors
from voronka.timeline.forms import COMPOSER_KINDS, ActivityCompleteForm, ActivityForm, CommentForm
from voronka.timeline.models import Activity, EntryKind, TimelineEntry
from voronka.timeline.registry import entry_template
from voronka.timeline.services import activity_complete, activity_create, comment_add

PANEL_ID = "timeline"
MONEY_FIELDS = {"amount", "price", "revenue", "opportunity"}


# --- what the feed shows ------------------------------------------------------------------
@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class FeedItem:
    """One line of the feed: an entry, or several field changes saved together."""

    entry: TimelineEntry
    changes: list[Change] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.entry.kind

    @property
    def template(self) -> str | None:
        """The template another app registered for this kind of entry, if any."""
        return entry_template(self.entry.kind)


def _display(field_name: str, value: Any, currency: str | None = None) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, str | int | float) and field_name.split(".")[-1] in MONEY_FIELDS:
        # Both sides of an amount change read the same way, with the currency sign.
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return str(value)
        return money(number, currency or settings.DEFAULT_CURRENCY)
    if isinstance(value, str):
        if len(value) == 10 and (day := parse_date(value)):
            return formats.date_format(day, "SHORT_DATE_FORMAT")
        if len(value) > 18 and "T" in value:
            try:
                moment = parse_datetime(value)
            except ValueError:
                moment = None
            if moment is not None:
                if timezone.is_aware(moment):
                    moment = timezone.localtime(moment)
                return formats.date_format(moment, "SHORT_DATETIME_FORMAT")
    if isinstance(value, list | dict):
        return ", ".join(str(item) for item in value) if isinstance(value, list) else str(value)
    return str(value)


def _change(payload: dict[str, Any], currency: str | None = None) -> Change:
    name = str(payload.get("field", ""))
    return Change(
        label=str(payload.get("label") or name),
        old=_display(name, payload.get("old"), currency),
        new=_display(name, payload.get("new"), currency),
    )


def feed_items(
    entries: list[TimelineEntry], currency: str | None = None, hidden: frozenset[str] = frozenset()
) -> list[FeedItem]:
    """Entries as the feed shows them; field changes of one save are one line. Amounts are
    shown in ``currency`` (the card's); changes of ``hidden`` fields are left out."""
    items: list[FeedItem] = []
    for entry in entries:
        if entry.kind == EntryKind.FIELD_CHANGED:
            if _field_code(entry.payload) & hidden:
                continue
            last = items[-1] if items else None
            if (
                last is not None
                and last.kind == EntryKind.FIELD_CHANGED
                and last.entry.author_id == entry.author_id
                and last.entry.created_at == entry.created_at
            ):
                last.changes.append(_change(entry.payload, currency))
                continue
            items.append(FeedItem(entry=entry, changes=[_change(entry.payload, currency)]))
        else:
            items.append(FeedItem(entry=entry))
    return items


def _field_code(payload: dict[str, Any]) -> set[str]:
    name = str(payload.get("field", ""))
    return {name, name.removeprefix("custom_fields.")}


def hidden_of(user, card) -> frozenset[str]:
    """Fields of the card the user may not see: their changes stay out of the feed."""
    try:
        return hidden_fields(user, entity_of(card))
    except LookupError:
        return frozenset()


def may_change(user, card) -> bool:
    """Whether the user may write to the card's feed (comments, activities, "done")."""
    try:
        entity_of(card)
    except LookupError:
        return True
    return can(user, Action.UPDATE, card)


def require_change(user, card) -> None:
    """403 for a card the user sees but may not change."""
    if not may_change(user, card):
        raise PermissionDenied


# --- rendering ----------------------------------------------------------------------------
def card_urls(card) -> dict[str, str]:
    kwargs = {"card_type": selectors.card_type_name(card), "card_id": card.pk}
    return {
        name: reverse(f"timeline:{name}", kwargs=kwargs)
        for name in ("panel", "entries", "comment_add", "activity_create")
    }


def composer_forms(user, *, comment=None, activity=None, active="comment") -> dict[str, Any]:
    activities = {
        kind.value: ActivityForm(initial={"kind": kind.value}, user=user, prefix=kind.value)
        for kind in COMPOSER_KINDS
    }
    if activity is not None:
        activities[activity.prefix] = activity
    tabs = [{"kind": "comment", "label": _("Comment")}] + [
        {"kind": kind.value, "label": kind.label, "form": activities[kind.value]}
        for kind in COMPOSER_KINDS
    ]
    return {"comment_form": comment or CommentForm(), "tabs": tabs, "active_tab": active}


def panel_context(request, card, **composer) -> dict[str, Any]:
    page = selectors.timeline_page(user=request.user, card=card)
    hidden = hidden_of(request.user, card)
    return {
        "card": card,
        "panel_id": PANEL_ID,
        "urls": card_urls(card),
        "activities": selectors.open_activities_for(card=card),
        "items": feed_items(page.entries, getattr(card, "currency", None), hidden),
        "next_cursor": page.next_cursor.encode() if page.next_cursor else "",
        # The composer and the "Done" buttons only for those who may change the card.
        "may_change": may_change(request.user, card),
        **composer_forms(request.user, **composer),
    }


def render_panel(request, card, status: int = 200, **composer) -> HttpResponse:
    html = render_to_string(
        "timeline/_panel.html", panel_context(request, card, **composer), request=request
    )
    return HttpResponse(html, status=status)


def _panel_changed(request, card) -> HttpResponse:
    response = render_panel(request, card)
    response = retarget(response, f"#{PANEL_ID}")
    return reswap(response, "outerHTML")


class CardTimelineMixin:
    """Resolve ``card_type``/``card_id`` from the URL to a live card, or 404."""

    def get_card(self):
        card = selectors.timeline_card(
            user=self.request.user,
            card_type=self.kwargs["card_type"],
            card_id=self.kwargs["card_id"],
        )
        if card is None:
            raise Http404
        return card


class TimelinePanelView(CardTimelineMixin, View):
    """The whole panel again (after the card changed elsewhere on the page)."""

    def get(self, request, *args, **kwargs):
        return render_panel(request, self.get_card())


class TimelineEntriesView(CardTimelineMixin, View):
    """The next page of the feed ("show more"), older than the cursor."""

    def get(self, request, *args, **kwargs):
        card = self.get_card()
        cursor = selectors.Cursor.decode(request.GET.get("before"))
        if cursor is None:
            return HttpResponse(_("The “before” parameter is not a feed position."), status=400)
        page = selectors.timeline_page(user=request.user, card=card, before=cursor)
        html = render_to_string(
            "timeline/_entries.html",
            {
                "items": feed_items(
                    page.entries,
                    getattr(card, "currency", None),
                    hidden_of(request.user, card),
                ),
                "urls": card_urls(card),
                "next_cursor": page.next_cursor.encode() if page.next_cursor else "",
            },
            request=request,
        )
        return HttpResponse(html)


def _composer_response(request, card, *, status: int, **composer) -> HttpResponse:
    html = render_to_string(
        "timeline/_composer.html",
        {"card": card, "urls": card_urls(card), **composer_forms(request.user, **composer)},
        request=request,
    )
    return HttpResponse(html, status=status)


class CommentAddView(CardTimelineMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        card = self.get_card()
        require_change(request.user, card)
        form = CommentForm(request.POST)
        if form.is_valid():
            try:
                comment_add(actor=request.user, card=card, text=form.cleaned_data["text"])
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                return _panel_changed(request, card)
        return _composer_response(request, card, status=422, comment=form, active="comment")


class ActivityCreateView(CardTimelineMixin, View):
    """Plan a call, meeting or to-do, or log a call or meeting that already happened."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        card = self.get_card()
        require_change(request.user, card)
        kind = request.POST.get("kind", "")
        if kind not in {k.value for k in COMPOSER_KINDS}:
            return HttpResponse(_("Choose the kind of activity."), status=400)
        form = ActivityForm(request.POST, prefix=kind, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    activity = activity_create(
                        actor=request.user,
                        card=card,
                        kind=kind,
                        subject=data["subject"],
                        responsible=data["responsible"] or request.user,
                        deadline=data["deadline"],
                        description=data["description"],
                    )
                    if data["done"]:
                        activity_complete(
                            actor=request.user, activity=activity, result=data["result"]
                        )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                return _panel_changed(request, card)
        return _composer_response(request, card, status=422, activity=form, active=kind)


class ActivityCompleteView(View):
    """GET: the small "done" form of an open activity; POST: complete it with a result."""

    def _load(self) -> tuple[Activity, Any]:
        activity = selectors.open_activity(user=self.request.user, pk=self.kwargs["pk"])
        card = (
            selectors.card_of_activity(user=self.request.user, activity=activity)
            if activity
            else None
        )
        if activity is None or card is None:
            raise Http404
        require_change(self.request.user, card)
        return activity, card

    def _form(self, activity, form, status=200) -> HttpResponse:
        html = render_to_string(
            "timeline/_activity_complete.html",
            {"activity": activity, "form": form},
            request=self.request,
        )
        return HttpResponse(html, status=status)

    def get(self, request, *args, **kwargs):
        activity, _card = self._load()
        return self._form(activity, ActivityCompleteForm())

    def post(self, request, *args, **kwargs):
        activity, card = self._load()
        form = ActivityCompleteForm(request.POST)
        if form.is_valid():
            try:
                activity_complete(
                    actor=request.user, activity=activity, result=form.cleaned_data["result"]
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                response = _panel_changed(request, card)
                trigger_client_event(
                    response, "voronka:toast", {"message": _("Done."), "level": "success"}
                )
                return response
        return self._form(activity, form, status=422)


class UserLookupView(View):
    """Employees for a picker, by the start of a name or login."""

    def get(self, request, *args, **kwargs):
        users = selectors.user_lookup(user=request.user, search=request.GET.get("q", ""))
        return lookup_response(
            request,
            [
                LookupItem(
                    value=user.pk,
                    label=user.get_full_name() or user.get_username(),
                    hint=getattr(user, "position", "") or "",
                )
                for user in users
            ],
        )
