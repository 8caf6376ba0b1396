"""The checks of this release. Each finds its cards in one or a few set-based queries (never a
query per card) and acts on the hits its run has recorded: notifications go out in one insert,
tasks through the tasks service with the system as the actor, keyed by the hit so a retry finds
the task it created.

Texts are written in each recipient's language when they are created; a notification keeps
its text even if its reader later loses sight of the card.
"""

import datetime
import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import formats, timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from voronka.automation.actions.builtin import template_context
from voronka.automation.models import MonitoringHit, MonitoringRule
from voronka.automation.monitoring.registry import (
    LIMIT,
    Candidate,
    CheckKind,
    Hit,
    content_type_id,
    not_hit,
    register,
)
from voronka.automation.templating import render
from voronka.contacts.models import Company, Contact
from voronka.customization.models import EntityType, FieldType
from voronka.customization.validation import definitions_for
from voronka.sales.models import Deal, DealContact, Lead, PipelineEntity, Stage, StageKind
from voronka.tasks.models import OPEN_STATUSES as OPEN_TASK_STATUSES
from voronka.tasks.models import Task
from voronka.timeline.models import Activity, ActivityKind, EntryKind, TimelineEntry

logger = logging.getLogger(__name__)

RESPONSIBLE = "responsible"
HEAD = "head"
EMPLOYEES = "employees"
TO_CHOICES = [
    (RESPONSIBLE, _lazy("the card’s responsible")),
    (HEAD, _lazy("the head of the responsible")),
    (EMPLOYEES, _lazy("the chosen employees")),
]
CONTACTS = "contacts"
COMPANIES = "companies"
BOTH = "both"
CLIENT_CHOICES = [
    (BOTH, _lazy("contacts and companies")),
    (CONTACTS, _lazy("contacts")),
    (COMPANIES, _lazy("companies")),
]
INTERACTION_ACTIVITIES = (ActivityKind.CALL, ActivityKind.EMAIL, ActivityKind.MEETING)
EPOCH = datetime.date(1970, 1, 1)


def _to() -> dict[str, dict[str, Any]]:
    return {
        "to": {"type": "choice", "label": _lazy("Whom to notify"), "choices": TO_CHOICES},
        "employees": {"type": "employees", "label": _lazy("Employees")},
    }


def _recipient_errors(params) -> dict[str, list[str]]:
    if params.get("to") == EMPLOYEES and not params.get("employees"):
        return {"employees": [_("Choose the employees to notify.")]}
    return {}


def _deadline_param() -> dict[str, Any]:
    return {"type": "integer", "label": _lazy("Task deadline in, days")}


def _positive(params: dict[str, Any], *names: str) -> dict[str, list[str]]:
    return {
        name: [_("Enter a number greater than zero.")]
        for name in names
        if name in params and isinstance(params[name], int) and params[name] < 1
    }


def _period(now: datetime.datetime, days: int) -> str:
    """The number of the ``days``-long period ``now`` falls in: a key that lets a rule act on a
    card again once every ``days`` days."""
    return f"p{(timezone.localdate(now) - EPOCH).days // max(1, days)}"


def _alive_open_deals():
    return Deal.objects.filter(stage__kind=StageKind.OPEN)


# --- Acting: notifications and tasks ---------------------------------------------------------


def _language(user) -> str:
    return getattr(user, "language", "") or settings.LANGUAGE_CODE


def notify_hits(
    kind: CheckKind,
    rule: MonitoringRule,
    hits: list[Hit],
    responsible_of,
    text_of,
    link_of=None,
) -> None:
    """One notification per hit and recipient, in one insert: to the responsible
    (``responsible_of(card)``), the head above them or the chosen employees; the text is
    ``text_of(card, extra)`` in the recipient's language."""
    from voronka.notifications.services import Message, heads_of, notify_many

    to = kind.param(rule, "to") or RESPONSIBLE
    users = get_user_model().objects.filter(is_active=True)
    recipients: dict[int, list] = {}
    if to == EMPLOYEES:
        chosen = list(users.filter(pk__in=kind.param(rule, "employees") or []).order_by("pk"))
        recipients = {hit.row.pk: chosen for hit in hits}
    elif to == HEAD:
        heads = heads_of({responsible_of(hit.card) for hit in hits})
        head_users = users.in_bulk({head for head in heads.values() if head})
        for hit in hits:
            head = head_users.get(heads.get(responsible_of(hit.card).pk))
            recipients[hit.row.pk] = [head] if head else []
    else:
        for hit in hits:
            responsible = responsible_of(hit.card)
            recipients[hit.row.pk] = [responsible] if responsible.is_active else []
    messages = []
    for hit in hits:
        for user in recipients[hit.row.pk]:
            with translation.override(_language(user)):
                text = text_of(hit.card, hit.candidate.extra)
            messages.append(
                Message(
                    recipient=user,
                    text=text,
                    card=link_of(hit.card) if link_of else hit.card,
                    kind=f"monitoring:{rule.kind}",
                    key=f"monitoring:{hit.row.pk}",
                )
            )
        hit.row.details = {"notified": [user.pk for user in recipients[hit.row.pk]]}
    notify_many(messages)
    MonitoringHit.objects.bulk_update([hit.row for hit in hits], ["details"], batch_size=500)


def create_tasks(
    kind: CheckKind, rule: MonitoringRule, hits: list[Hit], now, title_of, description_of=None
) -> None:
    """A task per hit for the card's responsible, through the tasks service; a refusal (an
    employee who left) is written on the hit and does not stop the others."""
    from voronka.tasks.services import task_create

    days = kind.param(rule, "deadline_days")
    deadline = now + datetime.timedelta(days=days) if days else None
    for hit in hits:
        card = hit.card
        with translation.override(_language(card.responsible)):
            title = title_of(card)[:255] or str(kind.label)
            description = description_of(card) if description_of else ""
        try:
            with transaction.atomic():
                task = task_create(
                    actor=None,
                    title=title,
                    description=description,
                    responsible=card.responsible,
                    deadline=deadline,
                    card=card,
                    robot_run_id=f"monitoring:{hit.row.pk}",
                )
        except ValidationError as error:
            logger.warning("Monitoring rule %s: no task for %r: %s", rule.pk, card, error)
            hit.row.details = {"error": " ".join(error.messages)}
        else:
            hit.row.details = {"task_id": task.pk}
    MonitoringHit.objects.bulk_update([hit.row for hit in hits], ["details"], batch_size=500)


def _date(value: datetime.datetime | datetime.date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    return formats.date_format(value, "SHORT_DATE_FORMAT")


# --- The checks ------------------------------------------------------------------------------


class LeadNotTaken(CheckKind):
    """A lead still in the first stage of its pipeline N minutes after it arrived."""

    code = "lead_not_taken"
    label = _lazy("A new lead is not taken into work")
    description = _lazy(
        "A lead still in the first stage of its pipeline so many minutes after it arrived: "
        "the head of its responsible (or the chosen employees) is notified, once per lead."
    )
    default_name = _lazy("Lead not taken into work in 15 minutes")
    pipeline_entity = PipelineEntity.LEAD
    params_schema = {
        "minutes": {"type": "integer", "label": _lazy("Minutes"), "required": True},
        **_to(),
    }
    default_params = {"minutes": 15, "to": HEAD}

    def validate(self, rule, params):
        errors = _positive(params, "minutes")
        errors.update(_recipient_errors(params))
        if errors:
            raise ValidationError(errors)

    def find(self, rule, now):
        stages = Stage.objects.filter(pipeline__entity=PipelineEntity.LEAD)
        if rule.pipeline_id:
            stages = stages.filter(pipeline_id=rule.pipeline_id)
        first: dict[int, tuple[int, str]] = {}
        for pipeline_id, stage_id, stage_kind in stages.order_by(
            "pipeline_id", "sort", "pk"
        ).values_list("pipeline_id", "pk", "kind"):
            first.setdefault(pipeline_id, (stage_id, stage_kind))
        first_open = [stage_id for stage_id, kind in first.values() if kind == StageKind.OPEN]
        if not first_open:
            return []
        cutoff = now - datetime.timedelta(minutes=self.param(rule, "minutes"))
        leads = (
            Lead.objects.filter(stage_id__in=first_open, created_at__lte=cutoff)
            .filter(not_hit(rule, Lead))
            .select_related("responsible")
            .order_by("created_at", "pk")
        )
        return [Candidate(card=lead) for lead in leads[:LIMIT]]

    def act(self, rule, hits, now):
        minutes = self.param(rule, "minutes")

        def text(lead, extra):
            return _(
                "The lead “%(title)s” has not been taken into work for %(minutes)s minutes "
                "(responsible: %(name)s)."
            ) % {"title": lead.title, "minutes": minutes, "name": lead.responsible}

        notify_hits(self, rule, hits, lambda lead: lead.responsible, text)


class TaskOverdue(CheckKind):
    """An open task past its deadline; a moved deadline that passes again fires again."""

    code = "task_overdue"
    label = _lazy("A task is overdue")
    description = _lazy(
        "An open task past its deadline: the head of its responsible (or the chosen employees) "
        "is notified, once per deadline — a deadline moved and missed again is told again."
    )
    default_name = _lazy("Overdue task: tell the head")
    params_schema = {**_to()}
    default_params = {"to": HEAD}

    def validate(self, rule, params):
        if errors := _recipient_errors(params):
            raise ValidationError(errors)

    def find(self, rule, now):
        # Acted on for this deadline: a hit recorded after it passed.
        told = MonitoringHit.objects.filter(
            rule=rule,
            card_type_id=content_type_id(Task),
            card_id=OuterRef("pk"),
            created_at__gte=OuterRef("deadline"),
        )
        tasks = (
            Task.objects.filter(status__in=OPEN_TASK_STATUSES, deadline__lt=now)
            .filter(~Exists(told))
            .select_related("responsible")
            .order_by("deadline", "pk")
        )
        return [
            Candidate(card=task, key=task.deadline.astimezone(datetime.UTC).isoformat())
            for task in tasks[:LIMIT]
        ]

    def act(self, rule, hits, now):
        def text(task, extra):
            return _(
                "The task “%(title)s” of %(name)s is overdue: the deadline was %(deadline)s."
            ) % {"title": task.title, "name": task.responsible, "deadline": _date(task.deadline)}

        notify_hits(self, rule, hits, lambda task: task.responsible, text)


class DealWithoutTask(CheckKind):
    """An open deal with no open task: a task for its responsible."""

    code = "deal_without_task"
    label = _lazy("An open deal has no task")
    description = _lazy(
        "An open deal (not won or lost) with no open task: a task for its responsible — at "
        "most once in so many days per deal, and not for deals younger than the grace minutes."
    )
    default_name = _lazy("Deal without a task: plan the next step")
    pipeline_entity = PipelineEntity.DEAL
    params_schema = {
        "title": {"type": "template", "label": _lazy("Task title"), "required": True},
        "deadline_days": _deadline_param(),
        "minutes": {"type": "integer", "label": _lazy("Grace for a new deal, minutes")},
        "repeat_days": {"type": "integer", "label": _lazy("At most once in, days")},
    }
    default_params = {
        "title": _lazy("Plan the next step on “{{ deal.title }}”"),
        "deadline_days": 1,
        "minutes": 60,
        "repeat_days": 1,
    }

    def validate(self, rule, params):
        errors = _positive(params, "repeat_days")
        if isinstance(params.get("minutes"), int) and params["minutes"] < 0:
            errors["minutes"] = [_("Enter zero or more.")]
        if errors:
            raise ValidationError(errors)

    def find(self, rule, now):
        key = _period(now, self.param(rule, "repeat_days"))
        open_task = Task.objects.filter(
            card_type_id=content_type_id(Deal),
            card_id=OuterRef("pk"),
            status__in=OPEN_TASK_STATUSES,
        )
        cutoff = now - datetime.timedelta(minutes=self.param(rule, "minutes") or 0)
        deals = _alive_open_deals().filter(created_at__lte=cutoff)
        if rule.pipeline_id:
            deals = deals.filter(pipeline_id=rule.pipeline_id)
        deals = (
            deals.filter(~Exists(open_task))
            .filter(not_hit(rule, Deal, key))
            .select_related("responsible")
            .order_by("pk")
        )
        return [Candidate(card=deal, key=key) for deal in deals[:LIMIT]]

    def act(self, rule, hits, now):
        title = self.param(rule, "title")
        create_tasks(self, rule, hits, now, lambda deal: render(title, template_context(deal)))


def _clients(rule, kind: CheckKind) -> list[type[models.Model]]:
    which = kind.param(rule, "clients") or BOTH
    return [
        model
        for model, code in ((Contact, CONTACTS), (Company, COMPANIES))
        if which in (code, BOTH)
    ]


def _client_text_name(card) -> str:
    return card.title if isinstance(card, Company) else str(card)


class ClientWithoutDeal(CheckKind):
    """A contact or company with no open deal: its responsible is reminded every N days."""

    code = "client_without_deal"
    label = _lazy("A client has no active deal")
    description = _lazy(
        "A contact or company, known for at least so many days, with no open deal: its "
        "responsible (or the chosen employees) is reminded — again every so many days."
    )
    default_name = _lazy("Client without an active deal for 30 days")
    params_schema = {
        "days": {"type": "integer", "label": _lazy("Days"), "required": True},
        "clients": {"type": "choice", "label": _lazy("Clients"), "choices": CLIENT_CHOICES},
        **_to(),
    }
    default_params = {"days": 30, "clients": BOTH, "to": RESPONSIBLE}
    min_interval = datetime.timedelta(hours=1)

    def validate(self, rule, params):
        errors = _positive(params, "days")
        errors.update(_recipient_errors(params))
        if errors:
            raise ValidationError(errors)

    def find(self, rule, now):
        days = self.param(rule, "days")
        key = _period(now, days)
        cutoff = now - datetime.timedelta(days=days)
        open_deals = _alive_open_deals()
        deal_of = {
            Contact: Exists(
                DealContact.objects.filter(
                    contact=OuterRef("pk"),
                    deal__deleted_at__isnull=True,
                    deal__stage__kind=StageKind.OPEN,
                )
            ),
            Company: Exists(open_deals.filter(company=OuterRef("pk"))),
        }
        found: list[Candidate] = []
        for model in _clients(rule, self):
            clients = (
                model.objects.filter(created_at__lte=cutoff)
                .filter(~deal_of[model])
                .filter(not_hit(rule, model, key))
                .select_related("responsible")
                .order_by("pk")
            )
            found += [Candidate(card=client, key=key) for client in clients[:LIMIT]]
        return found

    def act(self, rule, hits, now):
        days = self.param(rule, "days")

        def text(client, extra):
            return _("“%(name)s” has had no open deal for %(days)s days or more.") % {
                "name": _client_text_name(client),
                "days": days,
            }

        notify_hits(self, rule, hits, lambda client: client.responsible, text)


class NoInteraction(CheckKind):
    """No comment, call, e-mail or meeting with a client for N days: a task."""

    code = "no_interaction"
    label = _lazy("No interaction with a client")
    description = _lazy(
        "No comment, call, e-mail or meeting on a contact's or company's card for so many "
        "days: a task for its responsible, again every so many days while it lasts."
    )
    default_name = _lazy("No contact with the client for 14 days")
    params_schema = {
        "days": {"type": "integer", "label": _lazy("Days"), "required": True},
        "clients": {"type": "choice", "label": _lazy("Clients"), "choices": CLIENT_CHOICES},
        "title": {"type": "text", "label": _lazy("Task title")},
        "deadline_days": _deadline_param(),
    }
    default_params = {"days": 14, "clients": BOTH, "deadline_days": 1}
    min_interval = datetime.timedelta(hours=1)

    def validate(self, rule, params):
        errors = _positive(params, "days")
        if errors:
            raise ValidationError(errors)

    def find(self, rule, now):
        days = self.param(rule, "days")
        key = _period(now, days)
        cutoff = now - datetime.timedelta(days=days)
        found: list[Candidate] = []
        for model in _clients(rule, self):
            card_type_id = content_type_id(model)
            comment = TimelineEntry.objects.filter(
                card_type_id=card_type_id,
                card_id=OuterRef("pk"),
                kind=EntryKind.COMMENT,
                created_at__gte=cutoff,
            )
            activity = Activity.objects.filter(
                Q(created_at__gte=cutoff) | Q(completed_at__gte=cutoff),
                card_type_id=card_type_id,
                card_id=OuterRef("pk"),
                kind__in=INTERACTION_ACTIVITIES,
            )
            clients = (
                model.objects.filter(created_at__lte=cutoff)
                .filter(~Exists(comment), ~Exists(activity))
                .filter(not_hit(rule, model, key))
                .select_related("responsible")
                .order_by("pk")
            )
            found += [Candidate(card=client, key=key) for client in clients[:LIMIT]]
        return found

    def act(self, rule, hits, now):
        title = self.param(rule, "title")
        days = self.param(rule, "days")

        def title_of(client):
            return f"{title or _('Get in touch with the client')}: {_client_text_name(client)}"

        def description_of(client):
            return _("No comment, call, e-mail or meeting for %(days)s days.") % {"days": days}

        create_tasks(self, rule, hits, now, title_of, description_of)


class Birthday(CheckKind):
    """A contact's birthday (the contact's standard “birthday” field) today."""

    code = "birthday"
    label = _lazy("A contact's birthday")
    description = _lazy(
        "Today is a contact's birthday (the contact's “birthday” field): its responsible (or "
        "the chosen employees) is notified in the morning, once a year. Those born on 29 "
        "February are told on 28 February in other years."
    )
    default_name = _lazy("Contact's birthday today")
    params_schema = {**_to()}
    default_params = {"to": RESPONSIBLE}
    min_interval = datetime.timedelta(hours=1)

    def validate(self, rule, params):
        if errors := _recipient_errors(params):
            raise ValidationError(errors)

    def find(self, rule, now):
        today = timezone.localdate(now)
        days = [today.day]
        if today.month == 2 and today.day == 28:
            try:
                datetime.date(today.year, 2, 29)
            except ValueError:
                days.append(29)
        key = str(today.year)
        contacts = (
            Contact.objects.filter(birthday__month=today.month, birthday__day__in=days)
            .filter(not_hit(rule, Contact, key))
            .select_related("responsible")
            .order_by("pk")
        )
        return [Candidate(card=contact, key=key) for contact in contacts[:LIMIT]]

    def act(self, rule, hits, now):
        today = timezone.localdate(now)

        def text(contact, extra):
            age = today.year - contact.birthday.year
            if contact.birthday.year > 1900 and age > 0:
                return _("Today is %(name)s's birthday: %(age)s years.") % {
                    "name": contact,
                    "age": age,
                }
            return _("Today is %(name)s's birthday.") % {"name": contact}

        notify_hits(self, rule, hits, lambda contact: contact.responsible, text)


def deal_date_fields() -> list[tuple[str, str]]:
    """Date fields of deals a rule may watch: the standard ones and the custom date fields."""
    standard = [
        (field.name, capfirst(str(field.verbose_name)))
        for field in Deal._meta.concrete_fields
        if isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField)
    ]
    custom = [
        (code, capfirst(definition.label))
        for code, definition in definitions_for(EntityType.DEAL).items()
        if definition.field_type == FieldType.DATE and not definition.multiple
    ]
    return standard + custom


class PaymentDue(CheckKind):
    """A date of a deal (standard or custom, e.g. the payment date) N days ahead: a task."""

    code = "payment_due"
    label = _lazy("A payment is due soon")
    description = _lazy(
        "A date field of an open deal (the payment date, the expected close date…) is so many "
        "days ahead: a task for its responsible to remind the client, once per date. Invoices "
        "and payments arrive in a later release; until then a deal's date field stands for "
        "the payment date."
    )
    default_name = _lazy("Payment in 3 days: remind the client")
    pipeline_entity = PipelineEntity.DEAL
    params_schema = {
        "field": {"type": "deal_date_field", "label": _lazy("Date field"), "required": True},
        "days": {"type": "integer", "label": _lazy("Days ahead"), "required": True},
        "title": {"type": "template", "label": _lazy("Task title"), "required": True},
        "deadline_days": _deadline_param(),
    }
    default_params = {
        "field": "closes_on",
        "days": 3,
        "title": _lazy("Remind the client about the payment for “{{ deal.title }}”"),
        "deadline_days": 1,
    }
    min_interval = datetime.timedelta(hours=1)

    def validate(self, rule, params):
        errors: dict[str, list[str]] = {}
        if isinstance(params.get("days"), int) and params["days"] < 0:
            errors["days"] = [_("Enter zero or more.")]
        field = params.get("field")
        if field and field not in dict(deal_date_fields()):
            errors["field"] = [_("Choose a date field of deals.")]
        if errors:
            raise ValidationError(errors)

    def find(self, rule, now):
        target = timezone.localdate(now) + datetime.timedelta(days=self.param(rule, "days"))
        field = self.param(rule, "field")
        key = target.isoformat()
        if any(model_field.name == field for model_field in Deal._meta.concrete_fields):
            by_date = Q(**{field: target})
        else:
            by_date = Q(**{f"custom_fields__{field}": key})
        deals = _alive_open_deals().filter(by_date)
        if rule.pipeline_id:
            deals = deals.filter(pipeline_id=rule.pipeline_id)
        deals = deals.filter(not_hit(rule, Deal, key)).select_related("responsible").order_by("pk")
        return [Candidate(card=deal, key=key) for deal in deals[:LIMIT]]

    def act(self, rule, hits, now):
        title = self.param(rule, "title")
        create_tasks(self, rule, hits, now, lambda deal: render(title, template_context(deal)))


KINDS = (
    LeadNotTaken(),
    TaskOverdue(),
    DealWithoutTask(),
    ClientWithoutDeal(),
    NoInteraction(),
    Birthday(),
    PaymentDue(),
)
for _kind in KINDS:
    register(_kind)
