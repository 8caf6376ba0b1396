"""The lists of contacts and companies: filters, sorting, chosen columns, pages, bulk actions
(assign responsible, delete) and export. Reads go through ``voronka.contacts.selectors.lists``,
writes through the contact and company services."""

from django.shortcuts import render
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views import View

from voronka.contacts.filtersets import CompanyFilterSet, ContactFilterSet
from voronka.contacts.models import CommunicationKind
from voronka.contacts.selectors.lists import (
    communication_values,
    companies_by_ids,
    company_list,
    contact_list,
    contacts_by_ids,
    custom_field_definitions,
    employee_by_id,
    responsible_options,
)
from voronka.contacts.services import (
    company_delete,
    company_update,
    contact_delete,
    contact_update,
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
from voronka.core.money import default_currency
from voronka.core.templatetags.voronka import money
from voronka.customization.models import EntityType


def communication_columns() -> list[Column]:
    return [
        Column(
            key="phones",
            label=_("Phones"),
            value=lambda row: ", ".join(communication_values(row, CommunicationKind.PHONE)),
        ),
        Column(
            key="emails",
            label=_("E-mails"),
            value=lambda row: ", ".join(communication_values(row, CommunicationKind.EMAIL)),
        ),
    ]


def responsible_column() -> Column:
    return Column(
        key="responsible",
        label=_("Responsible"),
        value=lambda row: person_name(row.responsible),
        sort=("responsible__last_name", "responsible__first_name"),
    )


def source_column() -> Column:
    return Column(
        key="source",
        label=_("Source"),
        value=lambda row: row.source.name if row.source else "",
        sort=("source__name",),
        default=False,
    )


def dates_columns() -> list[Column]:
    return [
        Column(
            key="created",
            label=_("Created"),
            value=lambda row: row.created_at,
            sort=("created_at",),
        ),
        Column(
            key="updated",
            label=_("Updated"),
            value=lambda row: row.updated_at,
            sort=("updated_at",),
            default=False,
        ),
    ]


def segment_badge(row):
    if not row.ltv_segment:
        return ""
    return format_html(
        '<span class="badge segment-{}" title="{}">{}</span>',
        row.ltv_segment.lower(),
        row.get_ltv_segment_display(),
        row.ltv_segment,
    )


def client_value_columns() -> list[Column]:
    """LTV, its ABC segment and the last interaction: kept by the sales side on the row itself,
    so they cost no query; LTV and the last interaction sort through their (value, id)
    indexes, page after page."""
    return [
        Column(
            key="ltv",
            label=_("LTV"),
            value=lambda row: row.ltv,
            display=lambda row: money(row.ltv, default_currency()),
            sort=("ltv",),
            numeric=True,
        ),
        Column(
            key="ltv_segment",
            label=_("Segment"),
            value=lambda row: row.ltv_segment,
            display=segment_badge,
            default=False,
        ),
        Column(
            key="last_contact_at",
            label=_("Last interaction"),
            value=lambda row: row.last_contact_at,
            sort=("last_contact_at",),
        ),
    ]


# The filters that read a client value, by the field code access field rules name.
CLIENT_VALUE_FILTERS = {
    "ltv": ("ltv",),
    "ltv_segment": ("ltv_segment",),
    "last_contact_at": ("last_contact", "silent_days"),
}


class ClientValueFilters:
    """A list whose filters on LTV, segment and last interaction vanish with the field."""

    def filterset(self):
        filterset = super().filterset()
        hidden = self.hidden_fields()
        for code, names in CLIENT_VALUE_FILTERS.items():
            if code in hidden:
                for name in names:
                    filterset.filters.pop(name, None)
        return filterset


def company_url(pk: int) -> str:
    return detail_url("contacts:company_detail", "/companies/{}/", pk)


def contact_url(pk: int) -> str:
    return detail_url("contacts:contact_detail", "/contacts/{}/", pk)


class ContactList(ClientValueFilters, CardList):
    key = "contact"
    namespace = "contacts"
    title = _("Contacts")
    file_name = "contacts"
    filterset_class = ContactFilterSet
    new_url_name = "contacts:contact_create"
    new_url = "/contacts/new/"
    new_label = _("+ Contact")
    search_placeholder = _("Name, phone, e-mail")

    def custom_fields(self) -> list:
        return custom_field_definitions(EntityType.CONTACT)

    def spec(self) -> ListSpec:
        def primary_company(row):
            company = row.primary_company
            return company.title if company else ""

        def primary_company_link(row):
            company = row.primary_company
            return link(company_url(company.pk), company.title) if company else ""

        columns = [
            Column(
                key="name",
                label=_("Name"),
                value=lambda row: row.full_name,
                display=lambda row: link(contact_url(row.pk), row.full_name),
                sort=("last_name", "first_name", "middle_name"),
            ),
            Column(
                key="company",
                label=_("Company"),
                value=primary_company,
                display=primary_company_link,
            ),
            Column(
                key="position",
                label=_("Position"),
                value=lambda row: row.position,
                sort=("position",),
            ),
            *communication_columns(),
            responsible_column(),
            source_column(),
            Column(
                key="birthday",
                label=_("Birthday"),
                value=lambda row: row.birthday,
                sort=("birthday",),
                default=False,
            ),
            Column(key="address", label=_("Address"), value=lambda row: row.address, default=False),
            *client_value_columns(),
            *dates_columns(),
            *custom_field_columns(self.definitions),
        ]
        return ListSpec(key="contacts", columns=columns, default_sort="name", fixed=("name",))

    def queryset(self):
        return contact_list(user=self.user)

    def cards(self, ids):
        return contacts_by_ids(user=self.user, ids=ids, action=self.bulk_right())

    def employee(self, pk):
        return employee_by_id(user=self.user, pk=pk)

    def assign(self, card, responsible) -> None:
        contact_update(actor=self.user, contact=card, data={"responsible": responsible})

    def delete(self, card) -> None:
        contact_delete(actor=self.user, contact=card)


class CompanyList(ClientValueFilters, CardList):
    key = "company"
    namespace = "contacts"
    title = _("Companies")
    file_name = "companies"
    filterset_class = CompanyFilterSet
    new_url_name = "contacts:company_create"
    new_url = "/companies/new/"
    new_label = _("+ Company")
    search_placeholder = _("Title, INN, phone, e-mail")

    def custom_fields(self) -> list:
        return custom_field_definitions(EntityType.COMPANY)

    def spec(self) -> ListSpec:
        columns = [
            Column(
                key="title",
                label=_("Title"),
                value=lambda row: row.title,
                display=lambda row: link(company_url(row.pk), row.title),
                sort=("title",),
            ),
            Column(
                key="company_type",
                label=_("Type"),
                value=lambda row: row.get_company_type_display(),
                sort=("company_type",),
            ),
            Column(key="inn", label=_("INN"), value=lambda row: row.inn, sort=("inn",)),
            Column(key="kpp", label=_("KPP"), value=lambda row: row.kpp, default=False),
            Column(
                key="industry",
                label=_("Industry"),
                value=lambda row: row.industry,
                sort=("industry",),
                default=False,
            ),
            Column(
                key="employees_count",
                label=_("Employees"),
                value=lambda row: row.employees_count,
                sort=("employees_count",),
                numeric=True,
                default=False,
            ),
            *communication_columns(),
            responsible_column(),
            source_column(),
            *client_value_columns(),
            *dates_columns(),
            *custom_field_columns(self.definitions),
        ]
        return ListSpec(key="companies", columns=columns, default_sort="title", fixed=("title",))

    def queryset(self):
        return company_list(user=self.user)

    def cards(self, ids):
        return companies_by_ids(user=self.user, ids=ids, action=self.bulk_right())

    def employee(self, pk):
        return employee_by_id(user=self.user, pk=pk)

    def assign(self, card, responsible) -> None:
        company_update(actor=self.user, company=card, data={"responsible": responsible})

    def delete(self, card) -> None:
        company_delete(actor=self.user, company=card)


class ContactListView(CardListView):
    card_list = ContactList


class ContactListColumnsView(ListColumnsView):
    card_list = ContactList


class ContactBulkView(ListBulkView):
    card_list = ContactList


class ContactExportView(ListExportView):
    card_list = ContactList


class CompanyListView(CardListView):
    card_list = CompanyList


class CompanyListColumnsView(ListColumnsView):
    card_list = CompanyList


class CompanyBulkView(ListBulkView):
    card_list = CompanyList


class CompanyExportView(ListExportView):
    card_list = CompanyList


class ResponsibleOptionsView(View):
    """Employees matching a typed fragment, as ``<option>``s for a responsible picker (the
    list filters and the bulk assign dialog) — never the whole staff in a page."""

    def get(self, request, *args, **kwargs):
        term = request.GET.get("term", "")[:100]
        people = responsible_options(user=request.user, search=term)
        return render(
            request,
            "core/partials/_list_user_options.html",
            {"people": people, "blank": request.GET.get("blank") == "1"},
        )
