"""The lists of leads and deals: filters (``LeadFilterSet`` / ``DealFilterSet``), a pipeline
choice, sorting, chosen columns, pages, bulk actions (assign responsible, move to a stage,
delete) and export. Reads go through ``voronka.sales.selectors.lists``, writes through the
lead and deal services."""

from typing import Any

from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from voronka.access.models import Action
from voronka.contacts.models import CommunicationKind
from voronka.contacts.selectors.lists import (
    communication_values,
    custom_field_definitions,
    employee_by_id,
)
from voronka.core.list_views import (
    CardList,
    CardListView,
    ListBulkView,
    ListColumnsView,
    ListExportView,
)
from voronka.core.lists import (
    Column,
    ListSpec,
    custom_field_columns,
    detail_url,
    link,
    person_name,
)
from voronka.core.templatetags.voronka import money
from voronka.customization.models import EntityType
from voronka.sales.filtersets import DealFilterSet, LeadFilterSet
from voronka.sales.models import StageKind
from voronka.sales.selectors.lists import (
    active_loss_reasons,
    deal_list,
    deals_by_ids,
    lead_list,
    leads_by_ids,
    list_pipelines,
    loss_reason_by_id,
    primary_contact,
    stage_by_id,
    stage_groups,
)
from voronka.sales.services import (
    deal_delete,
    deal_move_to_stage,
    deal_update,
    lead_delete,
    lead_move_to_stage,
    lead_update,
)


def _stage(row):
    return format_html(
        '<span class="stage-dot" style="--stage-color: {}"></span> {}',
        row.stage.color,
        row.stage.name,
    )


def _amount_column() -> Column:
    return Column(
        key="amount",
        label=gettext_lazy("Amount"),
        value=lambda row: row.amount,
        display=lambda row: money(row.amount, row.currency),
        sort=("amount",),
        numeric=True,
        export_with=("currency",),
    )


def _common_columns() -> dict[str, Column]:
    return {
        "stage": Column(
            key="stage",
            label=gettext_lazy("Stage"),
            value=lambda row: row.stage.name,
            display=_stage,
            sort=("stage__pipeline__sort", "stage__pipeline_id", "stage__sort"),
        ),
        "amount": _amount_column(),
        "currency": Column(
            key="currency",
            label=gettext_lazy("Currency"),
            value=lambda row: row.currency,
            sort=("currency",),
            default=False,
        ),
        "responsible": Column(
            key="responsible",
            label=gettext_lazy("Responsible"),
            value=lambda row: person_name(row.responsible),
            sort=("responsible__last_name", "responsible__first_name"),
        ),
        "source": Column(
            key="source",
            label=gettext_lazy("Source"),
            value=lambda row: row.source.name if row.source else "",
            sort=("source__name",),
            default=False,
        ),
        "created": Column(
            key="created",
            label=gettext_lazy("Created"),
            value=lambda row: row.created_at,
            sort=("created_at",),
            fields=("created_at",),
        ),
        "updated": Column(
            key="updated",
            label=gettext_lazy("Updated"),
            value=lambda row: row.updated_at,
            sort=("updated_at",),
            default=False,
            fields=("updated_at",),
        ),
        "closed": Column(
            key="closed",
            label=gettext_lazy("Closed"),
            value=lambda row: row.closed_at,
            sort=("closed_at",),
            default=False,
            fields=("closed_at",),
        ),
        "utm_source": Column(
            key="utm_source",
            label="UTM source",
            value=lambda row: row.utm_source,
            sort=("utm_source",),
            default=False,
        ),
        "utm_campaign": Column(
            key="utm_campaign",
            label="UTM campaign",
            value=lambda row: row.utm_campaign,
            sort=("utm_campaign",),
            default=False,
        ),
    }


# The right a bulk action needs on each card it touches.
BULK_ACTION_RIGHTS = {"assign": Action.UPDATE, "move": Action.UPDATE, "delete": Action.DELETE}


class SalesCardList(CardList):
    """What the lead and deal lists share: a pipeline choice, moves between stages.

    Rows are the cards the user sees; a bulk action reaches only the cards the user may change
    (or delete) — the others are reported as not found."""

    namespace = "sales"
    entity = ""
    actions = ("assign", "move", "delete")

    def __init__(self, request):
        super().__init__(request)
        self.pipelines = list_pipelines(user=self.user, entity=self.entity)
        chosen = request.GET.get("pipeline") or request.POST.get("pipeline")
        self.pipeline = next((p for p in self.pipelines if str(p.pk) == chosen), None)

    def custom_fields(self) -> list:
        return custom_field_definitions(self.entity)

    def filterset_kwargs(self) -> dict[str, Any]:
        return {"pipeline": self.pipeline}

    def extra_context(self, filterset) -> dict[str, Any]:
        # A single lead pipeline needs no choice.
        return {
            "pipelines": self.pipelines if len(self.pipelines) > 1 else [],
            "pipeline": self.pipeline,
        }

    def employee(self, pk):
        return employee_by_id(user=self.user, pk=pk)

    def bulk_right(self) -> str:
        """The right the asked bulk action needs on each card."""
        data = self.request.POST if self.request.method == "POST" else self.request.GET
        return BULK_ACTION_RIGHTS.get(data.get("action", ""), Action.UPDATE)

    def move_choices(self) -> dict[str, Any]:
        return {
            "stage_groups": stage_groups(
                user=self.user, entity=self.entity, pipeline=self.pipeline
            ),
            "loss_reasons": active_loss_reasons(user=self.user),
        }

    def move_target(self, data):
        errors: dict[str, list[str]] = {}
        stage = stage_by_id(user=self.user, entity=self.entity, pk=data.get("stage"))
        if stage is None:
            errors["stage"] = [_("Choose a stage.")]
        loss_reason = None
        if data.get("loss_reason"):
            loss_reason = loss_reason_by_id(user=self.user, pk=data.get("loss_reason"))
            if loss_reason is None:
                errors["loss_reason"] = [_("Choose an active loss reason.")]
        elif stage is not None and stage.kind == StageKind.LOST:
            errors["loss_reason"] = [
                _("Choose why the cards are lost to move them to “%(stage)s”.")
                % {"stage": stage.name}
            ]
        return stage, loss_reason, errors


def lead_url(pk: int) -> str:
    return detail_url("sales:lead_detail", "/leads/{}/", pk)


def deal_url(pk: int) -> str:
    return detail_url("sales:deal_detail", "/deals/{}/", pk)


def company_url(pk: int) -> str:
    return detail_url("contacts:company_detail", "/companies/{}/", pk)


def contact_url(pk: int) -> str:
    return detail_url("contacts:contact_detail", "/contacts/{}/", pk)


class LeadList(SalesCardList):
    key = "lead"
    entity = EntityType.LEAD
    title = gettext_lazy("Leads")
    file_name = "leads"
    filterset_class = LeadFilterSet
    board_url_name = "sales:lead_board"
    search_placeholder = gettext_lazy("Title, name, phone, e-mail, INN")

    def spec(self) -> ListSpec:
        common = _common_columns()
        columns = [
            Column(
                key="title",
                label=gettext_lazy("Title"),
                value=lambda row: row.title,
                display=lambda row: link(lead_url(row.pk), row.title),
                sort=("title",),
            ),
            Column(
                key="name",
                label=gettext_lazy("Name"),
                value=lambda row: row.full_name,
                sort=("last_name", "first_name", "middle_name"),
                fields=("last_name", "first_name", "middle_name"),
            ),
            Column(
                key="company",
                label=gettext_lazy("Company"),
                value=lambda row: row.company.title if row.company else row.company_title,
                sort=("company_title",),
                fields=("company", "company_title"),
            ),
            common["stage"],
            common["amount"],
            common["currency"],
            Column(
                key="phones",
                label=gettext_lazy("Phones"),
                value=lambda row: ", ".join(communication_values(row, CommunicationKind.PHONE)),
                fields=("communications",),
            ),
            Column(
                key="emails",
                label=gettext_lazy("E-mails"),
                value=lambda row: ", ".join(communication_values(row, CommunicationKind.EMAIL)),
                default=False,
                fields=("communications",),
            ),
            common["responsible"],
            common["source"],
            common["created"],
            common["updated"],
            common["closed"],
            common["utm_source"],
            common["utm_campaign"],
            *custom_field_columns(self.definitions),
        ]
        return ListSpec(key="leads", columns=columns, default_sort="-created", fixed=("title",))

    def queryset(self):
        return lead_list(user=self.user, pipeline=self.pipeline)

    def cards(self, ids):
        return leads_by_ids(user=self.user, ids=ids, action=self.bulk_right())

    def assign(self, card, responsible) -> None:
        lead_update(actor=self.user, lead=card, data={"responsible": responsible})

    def move(self, card, stage, loss_reason) -> None:
        lead_move_to_stage(actor=self.user, lead=card, stage=stage, loss_reason=loss_reason)

    def delete(self, card) -> None:
        lead_delete(actor=self.user, lead=card)


class DealList(SalesCardList):
    key = "deal"
    entity = EntityType.DEAL
    title = gettext_lazy("Deals")
    file_name = "deals"
    filterset_class = DealFilterSet
    board_url_name = "sales:deal_board_default"
    search_placeholder = gettext_lazy("Title, company, contact, phone, e-mail, INN")

    def spec(self) -> ListSpec:
        common = _common_columns()

        def contact_name(row):
            contact = primary_contact(row)
            return contact.full_name if contact else ""

        def contact_link(row):
            contact = primary_contact(row)
            if contact is None:
                return ""
            links = row.primary_contact_links
            if not getattr(links[0], "contact_visible", True):
                return contact.full_name  # a contact the user does not see: no link
            return link(contact_url(contact.pk), contact.full_name)

        def company_link(row):
            if not row.company:
                return ""
            if not getattr(row, "company_visible", True):
                return row.company.title
            return link(company_url(row.company_id), row.company.title)

        columns = [
            Column(
                key="title",
                label=gettext_lazy("Title"),
                value=lambda row: row.title,
                display=lambda row: link(deal_url(row.pk), row.title),
                sort=("title",),
            ),
            Column(
                key="pipeline",
                label=gettext_lazy("Pipeline"),
                value=lambda row: row.pipeline.name,
                sort=("pipeline__sort", "pipeline_id"),
                default=False,
            ),
            common["stage"],
            common["amount"],
            common["currency"],
            Column(
                key="company",
                label=gettext_lazy("Company"),
                value=lambda row: row.company.title if row.company else "",
                display=company_link,
                sort=("company__title",),
            ),
            Column(
                key="contact",
                label=gettext_lazy("Contact"),
                value=contact_name,
                display=contact_link,
                fields=("contacts",),
            ),
            common["responsible"],
            Column(
                key="closes_on",
                label=gettext_lazy("Expected close date"),
                value=lambda row: row.closes_on,
                sort=("closes_on",),
            ),
            Column(
                key="probability",
                label=gettext_lazy("Probability, %"),
                value=lambda row: row.probability,
                sort=("probability",),
                numeric=True,
                default=False,
            ),
            common["source"],
            common["created"],
            common["updated"],
            common["closed"],
            common["utm_source"],
            common["utm_campaign"],
            *custom_field_columns(self.definitions),
        ]
        return ListSpec(key="deals", columns=columns, default_sort="-created", fixed=("title",))

    def queryset(self):
        return deal_list(user=self.user, pipeline=self.pipeline)

    def cards(self, ids):
        return deals_by_ids(user=self.user, ids=ids, action=self.bulk_right())

    def assign(self, card, responsible) -> None:
        deal_update(actor=self.user, deal=card, data={"responsible": responsible})

    def move(self, card, stage, loss_reason) -> None:
        deal_move_to_stage(actor=self.user, deal=card, stage=stage, loss_reason=loss_reason)

    def delete(self, card) -> None:
        deal_delete(actor=self.user, deal=card)


class LeadListView(CardListView):
    card_list = LeadList


class LeadListColumnsView(ListColumnsView):
    card_list = LeadList


class LeadBulkView(ListBulkView):
    card_list = LeadList


class LeadExportView(ListExportView):
    card_list = LeadList


class DealListView(CardListView):
    card_list = DealList


class DealListColumnsView(ListColumnsView):
    card_list = DealList


class DealBulkView(ListBulkView):
    card_list = DealList


class DealExportView(ListExportView):
    card_list = DealList
