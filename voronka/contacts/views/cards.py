"""Contact and company cards: sections edited in place, links between contacts and companies,
the requisites editor (addresses and bank accounts), creating and deleting.

Reads go through ``voronka.contacts.selectors.cards``, writes through the contact and company
services; a missing card or one in the recycle bin is a 404.
"""

import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from voronka.access.forms import apply_field_rules
from voronka.access.models import Action, Entity
from voronka.access.predicates import can, hidden_fields, require
from voronka.contacts import forms as card_forms
from voronka.contacts.duplicates import DuplicateBlocked, DuplicatesFound
from voronka.contacts.duplicates.forms import add_blocked_errors, on_duplicate_of
from voronka.contacts.models import Company, CompanyType, Contact
from voronka.contacts.selectors import cards as selectors
from voronka.contacts.services import (
    company_create,
    company_delete,
    company_update,
    contact_create,
    contact_delete,
    contact_link_company,
    contact_unlink_company,
    contact_update,
)
from voronka.core.sections import (
    CARD_CHANGED_EVENT,
    Row,
    SectionView,
    add_service_errors,
    parse_version,
)
from voronka.core.templatetags.voronka import money
from voronka.customization.models import CustomField, FieldType

TOAST_EVENT = "voronka:toast"


def _contact_or_404(request, pk: int) -> Contact:
    try:
        return selectors.contact_for_card(user=request.user, pk=pk)
    except Contact.DoesNotExist:
        raise Http404 from None


def _company_or_404(request, pk: int) -> Company:
    bank_accounts = BANK_ACCOUNTS not in hidden_fields(request.user, Entity.COMPANY)
    try:
        return selectors.company_for_card(user=request.user, pk=pk, bank_accounts=bank_accounts)
    except Company.DoesNotExist:
        raise Http404 from None


BANK_ACCOUNTS = "bank_accounts"


def _require_change(request, card) -> None:
    """A card the user sees but may not change: its write URLs answer 403."""
    require(request.user, Action.UPDATE, card)


def _shown(hidden: frozenset[str], *rows: tuple[str, Row]) -> list[Row]:
    """The rows whose field the user may see (field rules hide the others)."""
    return [row for code, row in rows if code not in hidden]


def _person(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


def _date(value) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT") if value else ""


def _filled(*rows: Row, always: int) -> list[Row]:
    """The first ``always`` rows, then only the filled ones: a card reads without a column of
    dashes; the form still offers every field."""
    return [
        row for number, row in enumerate(rows) if number < always or row.value not in ("", None)
    ]


def _created_row(card) -> Row:
    when = formats.date_format(timezone.localtime(card.created_at), "SHORT_DATETIME_FORMAT")
    if card.created_by_id:
        when = _("%(when)s by %(who)s") % {"when": when, "who": _person(card.created_by)}
    return Row(_("Created"), when, wide=True)


# ---------------------------------------------------------------------------------------------
# Sections shared by contacts and companies: communications and custom fields.


class CardSectionMixin:
    """Where a section finds its card: the contact or company of the URL — 404 when the user
    may not see it; the section is read-only without the right to change the card."""

    card_kind = "contact"
    # A field rule hiding this code hides the whole section (GET 404, POST 403).
    field_code = ""

    @property
    def entity(self) -> str:
        return Entity.CONTACT if self.card_kind == "contact" else Entity.COMPANY

    def hidden(self) -> frozenset[str]:
        return hidden_fields(self.request.user, self.entity)

    def is_hidden(self) -> bool:
        return bool(self.field_code) and self.field_code in self.hidden()

    def may_change(self, card) -> bool:
        return can(self.request.user, Action.UPDATE, card)

    def get_card(self):
        if self.is_hidden():
            if self.request.method == "POST":
                raise PermissionDenied
            raise Http404
        pk = self.kwargs["pk"]
        if self.card_kind == "contact":
            return _contact_or_404(self.request, pk)
        return _company_or_404(self.request, pk)

    def get_extra(self, card) -> dict[str, Any]:
        return {"may_change": self.may_change(card)}

    def update(self, card, expected_version, **values):
        """Write through the card's service; both take the same keywords. New phones,
        e-mails, names or requisites that look like another card's are asked about first:
        the section comes back with the matches and a "Save anyway"."""
        values["on_duplicate"] = on_duplicate_of(self.request)
        try:
            if self.card_kind == "contact":
                return contact_update(
                    actor=self.request.user,
                    contact=card,
                    expected_version=expected_version,
                    **values,
                )
            return company_update(
                actor=self.request.user, company=card, expected_version=expected_version, **values
            )
        except DuplicatesFound as error:
            self.duplicates = error.notices
            raise

    def section(self, card, form=None):
        section = super().section(card, form)
        if form is not None:
            section.extra["duplicates"] = getattr(self, "duplicates", None)
        return section


class RowsSectionView(CardSectionMixin, SectionView):
    """A list edited as rows (phones, addresses, bank accounts): a row is added or removed on
    the server without saving (``row_action``), the whole list is saved at once."""

    form_class = card_forms.RowsForm
    formset_class: Any = None
    prefix = ""
    new_rows: dict[str, dict[str, Any]] = {}

    def current_rows(self, card) -> list[dict[str, Any]]:
        raise NotImplementedError

    def get_initial(self, card) -> dict[str, Any]:
        return {"rows": self.current_rows(card)}

    def get_form_kwargs(self, card) -> dict[str, Any]:
        return {"formset_class": self.formset_class, "prefix": self.prefix}

    def get_form(self, card, data=None):
        if data is None and self.request.GET.get("edit") and not self.current_rows(card):
            # An empty list opens with one blank row to fill in.
            first = next(iter(self.new_rows.values()), {})
            return self.form_class(initial={"rows": [dict(first)]}, **self.get_form_kwargs(card))
        return super().get_form(card, data)

    def post(self, request, *args, **kwargs):
        action = request.POST.get("row_action", "")
        if not action:
            return super().post(request, *args, **kwargs)
        card = self.get_card()
        if not self.may_change(card):
            raise PermissionDenied
        rows = card_forms.raw_rows(self.formset_class, request.POST, self.prefix)
        kind, _separator, argument = action.partition(":")
        if kind == "add" and argument in self.new_rows and len(rows) < 30:
            rows.append(dict(self.new_rows[argument]))
        elif kind == "remove" and argument.isdigit() and int(argument) < len(rows):
            rows.pop(int(argument))
        form = self.form_class(initial={"rows": rows}, **self.get_form_kwargs(card))
        # Keep the version the editor was opened with, so a save after adding rows still
        # detects someone else's change in between.
        version = parse_version(request.POST.get("version"))
        if version is not None:
            card.version = version
        return self.render(card, form)

    def save(self, form, card, expected_version):
        return self.update(card, expected_version, data={}, **{self.prefix: form.rows()})


class CommunicationsSectionView(RowsSectionView):
    slug = "communications"
    field_code = "communications"
    title = gettext_lazy("Contact data")
    template_name = "contacts/partials/_section_communications.html"
    formset_class = card_forms.CommunicationFormSet
    prefix = card_forms.COMMUNICATION_PREFIX
    new_rows = card_forms.NEW_COMMUNICATION_ROWS

    def current_rows(self, card):
        return card_forms.communication_rows(card)

    def get_extra(self, card):
        return {"communications": list(card.communications.all())}


class CustomFieldsSectionView(CardSectionMixin, SectionView):
    slug = "custom"
    title = gettext_lazy("More")
    form_class = card_forms.CustomFieldsForm

    def definitions(self) -> list[CustomField]:
        if not hasattr(self, "_definitions"):
            entity = (
                selectors.CONTACT_ENTITY
                if self.card_kind == "contact"
                else selectors.COMPANY_ENTITY
            )
            hidden = self.hidden()
            self._definitions = [
                definition
                for definition in selectors.custom_field_definitions(
                    user=self.request.user, entity=entity
                )
                if definition.code not in hidden
            ]
        return self._definitions

    def is_editable(self, card) -> bool:
        return bool(self.definitions())

    def get_form_kwargs(self, card):
        definitions = self.definitions()
        employees = None
        if any(d.field_type == FieldType.EMPLOYEE and d.multiple for d in definitions):
            employees = selectors.responsible_choices(user=self.request.user)
        return {"definitions": definitions, "values": card.custom_fields, "employees": employees}

    def get_rows(self, card) -> list[Row]:
        return custom_field_rows(self.definitions(), card.custom_fields or {}, self.request.user)

    def save(self, form, card, expected_version):
        data = form.service_data()
        card_forms.parse_crm_links(self.definitions(), data)
        return self.update(card, expected_version, data={"custom_fields": data})


def custom_field_rows(definitions: list[CustomField], values: dict, user) -> list[Row]:
    """Read-only rows of custom fields: option labels, employee names, money and dates
    formatted for the reader. Employees cost one query, only when such a field is filled."""
    employee_ids = set()
    for definition in definitions:
        if definition.field_type == FieldType.EMPLOYEE and values.get(definition.code):
            value = values[definition.code]
            employee_ids.update(value if isinstance(value, list) else [value])
    names = {}
    if employee_ids:
        names = {
            employee.pk: _person(employee)
            for employee in selectors.employees_by_ids(user=user, ids=employee_ids)
        }
    rows = []
    for definition in definitions:
        value = values.get(definition.code)
        items = value if isinstance(value, list) else [value]
        shown = [_custom_display(definition, item, names) for item in items if item is not None]
        rows.append(
            Row(
                label=definition.label,
                value=", ".join(str(item) for item in shown),
                wide=definition.field_type == FieldType.TEXT,
            )
        )
    return rows


def _custom_display(definition: CustomField, value: Any, names: dict[int, str]) -> Any:
    kind = definition.field_type
    if kind == FieldType.LIST:
        labels = {str(option["id"]): option["label"] for option in definition.options}
        return labels.get(str(value), value)
    if kind == FieldType.EMPLOYEE:
        return names.get(value, f"#{value}")
    if kind == FieldType.BOOLEAN:
        return _("Yes") if value else _("No")
    if kind == FieldType.MONEY and isinstance(value, dict):
        return money(value.get("amount"), value.get("currency") or "RUB")
    if kind == FieldType.DATE:
        try:
            return _date(datetime.date.fromisoformat(value))
        except (TypeError, ValueError):
            return value
    if kind == FieldType.DATETIME:
        try:
            moment = datetime.datetime.fromisoformat(value)
        except (TypeError, ValueError):
            return value
        return formats.date_format(moment, "SHORT_DATETIME_FORMAT")
    if kind == FieldType.CRM_LINK and isinstance(value, dict):
        return f"{value.get('entity')} #{value.get('id')}"
    return value


# ---------------------------------------------------------------------------------------------
# Contact card.


class ContactSectionMixin(CardSectionMixin):
    card_kind = "contact"


class ContactMainSectionView(ContactSectionMixin, SectionView):
    slug = "main"
    title = gettext_lazy("About the contact")
    url_name = "contacts:contact_section_main"
    form_class = card_forms.ContactMainForm
    template_name = "contacts/partials/_section_with_duplicates.html"

    def get_form(self, card, data=None):
        form = self.form_class(
            data=data,
            instance=card,
            employees=selectors.responsible_choices(user=self.request.user),
            sources=selectors.source_choices(user=self.request.user),
        )
        return apply_field_rules(form, user=self.request.user, entity=self.entity)

    def get_rows(self, card: Contact) -> list[Row]:
        return _filled(
            *_shown(
                self.hidden(),
                ("last_name", Row(_("Last name"), card.last_name)),
                ("first_name", Row(_("First name"), card.first_name)),
                ("middle_name", Row(_("Patronymic"), card.middle_name)),
                ("honorific", Row(_("Honorific"), card.honorific)),
                ("position", Row(_("Position"), card.position)),
                ("birthday", Row(_("Birthday"), _date(card.birthday))),
                ("responsible", Row(_("Responsible"), _person(card.responsible))),
                ("source", Row(_("Source"), str(card.source or ""))),
                ("source_description", Row(_("Source details"), card.source_description)),
                ("address", Row(_("Address"), card.address, wide=True)),
                ("comment", Row(_("Comment"), card.comment, wide=True)),
                ("created_at", _created_row(card)),
            ),
            always=2,
        )

    def save(self, form, card, expected_version):
        return self.update(card, expected_version, data=form.service_data())


class ContactCommunicationsSectionView(ContactSectionMixin, CommunicationsSectionView):
    url_name = "contacts:contact_section_communications"


class ContactCustomFieldsSectionView(ContactSectionMixin, CustomFieldsSectionView):
    url_name = "contacts:contact_section_custom"


class ContactCompaniesSectionView(ContactSectionMixin, SectionView):
    """The contact's companies: link one found by the picker, make one primary, unlink."""

    slug = "companies"
    title = gettext_lazy("Companies")
    url_name = "contacts:contact_section_companies"
    template_name = "contacts/partials/_section_contact_companies.html"

    field_code = "companies"

    def get_extra(self, card):
        return {"links": card.alive_company_links, "may_change": self.may_change(card)}


class ContactCompanyPickerView(View):
    """Companies matching ``?q=`` as buttons that link the contact to them."""

    def get(self, request, pk):
        try:
            contact = selectors.contact_for_edit(user=request.user, pk=pk, action=Action.READ)
        except Contact.DoesNotExist:
            raise Http404 from None
        _require_change(request, contact)
        linked = selectors.linked_company_ids(user=request.user, contact=contact)
        companies = selectors.company_picker(
            user=request.user, search=request.GET.get("q", ""), exclude_ids=linked
        )
        return render(
            request,
            "contacts/partials/_card_company_picker.html",
            {"contact": contact, "companies": companies, "query": request.GET.get("q", "")},
        )


def _changed(response: HttpResponse, section: str, message: str | None = None) -> HttpResponse:
    trigger_client_event(response, CARD_CHANGED_EVENT, {"section": section})
    if message:
        trigger_client_event(response, TOAST_EVENT, {"message": message, "level": "success"})
    return response


def _refused(request, view, card, error: ValidationError) -> HttpResponse:
    """A refused link or unlink: the section as it is (422) and the reason as a notice."""
    section = view.build(request, card, pk=card.pk)
    response = _render_section(request, section, card)
    response.status_code = 422
    text = " ".join(error.messages)
    trigger_client_event(response, TOAST_EVENT, {"message": text, "level": "error"})
    return response


def _link_written(request, pk, card, section_view, write, load) -> HttpResponse:
    """Answer a link or unlink of ``card`` with its section: read again after the write, or
    as it is (422, the service's reason as a notice) when the service refuses."""
    try:
        write()
    except ValidationError as error:
        return _refused(request, section_view, card, error)
    card = load(request, pk)
    section = section_view.build(request, card, pk=pk)
    return _changed(_render_section(request, section, card), section_view.slug)


class ContactCompanyLinkView(View):
    """Link the contact to a company (POST ``company``; ``is_primary`` moves the mark)."""

    def post(self, request, pk):
        contact = _contact_or_404(request, pk)
        _require_change(request, contact)
        try:
            company = selectors.company_for_edit(
                user=request.user, pk=int(request.POST.get("company", "")), action=Action.READ
            )
        except (ValueError, Company.DoesNotExist):
            raise Http404 from None
        return _link_written(
            request,
            pk,
            contact,
            ContactCompaniesSectionView,
            lambda: contact_link_company(
                actor=request.user,
                contact=contact,
                company=company,
                is_primary=bool(request.POST.get("is_primary")),
                role=request.POST.get("role", ""),
            ),
            _contact_or_404,
        )


class ContactCompanyUnlinkView(View):
    def post(self, request, pk, company_pk):
        contact = _contact_or_404(request, pk)
        link = next(
            (link for link in contact.alive_company_links if link.company_id == company_pk), None
        )
        if link is None:
            raise Http404
        _require_change(request, contact)
        return _link_written(
            request,
            pk,
            contact,
            ContactCompaniesSectionView,
            lambda: contact_unlink_company(
                actor=request.user, contact=contact, company=link.company
            ),
            _contact_or_404,
        )


def _card_rights(request, card) -> dict[str, Any]:
    """What the card page offers: delete, and which amounts of related cards it shows."""
    user = request.user
    return {
        "may_delete": can(user, Action.DELETE, card),
        "show_deal_amount": "amount" not in hidden_fields(user, Entity.DEAL),
        "show_lead_amount": "amount" not in hidden_fields(user, Entity.LEAD),
    }


def _render_section(request, section, card) -> HttpResponse:
    return HttpResponse(
        render_to_string(section.template_name, {"section": section, "card": card}, request)
    )


class ContactDetailView(View):
    def get(self, request, pk):
        contact = _contact_or_404(request, pk)
        hidden = hidden_fields(request.user, Entity.CONTACT)
        sections = [
            view.build(request, contact, pk=pk)
            for view in (
                ContactMainSectionView,
                ContactCommunicationsSectionView,
                ContactCompaniesSectionView,
                ContactCustomFieldsSectionView,
            )
            if not view.field_code or view.field_code not in hidden
        ]
        return render(
            request,
            "contacts/contact_detail.html",
            {
                "card": contact,
                "contact": contact,
                "sections": sections,
                "leads": contact.alive_leads,
                "deals": contact.alive_deals,
                "related_limit": selectors.RELATED_LIMIT,
                **_card_rights(request, contact),
            },
        )


# ---------------------------------------------------------------------------------------------
# Company card.


class CompanySectionMixin(CardSectionMixin):
    card_kind = "company"


class CompanyMainSectionView(CompanySectionMixin, SectionView):
    slug = "main"
    title = gettext_lazy("About the company")
    url_name = "contacts:company_section_main"
    form_class = card_forms.CompanyMainForm
    template_name = "contacts/partials/_section_with_duplicates.html"

    def get_form(self, card, data=None):
        form = self.form_class(
            data=data,
            instance=card,
            employees=selectors.responsible_choices(user=self.request.user),
            sources=selectors.source_choices(user=self.request.user),
        )
        return apply_field_rules(form, user=self.request.user, entity=self.entity)

    def get_rows(self, card: Company) -> list[Row]:
        return _filled(
            *_shown(
                self.hidden(),
                ("title", Row(_("Title"), card.title)),
                ("company_type", Row(_("Type"), card.get_company_type_display())),
                ("industry", Row(_("Industry"), card.industry)),
                ("employees_count", Row(_("Number of employees"), card.employees_count)),
                ("responsible", Row(_("Responsible"), _person(card.responsible))),
                ("source", Row(_("Source"), str(card.source or ""))),
                ("comment", Row(_("Comment"), card.comment, wide=True)),
                ("created_at", _created_row(card)),
            ),
            always=2,
        )

    def save(self, form, card, expected_version):
        return self.update(card, expected_version, data=form.service_data())


class CompanyRequisitesSectionView(CompanySectionMixin, SectionView):
    slug = "requisites"
    title = gettext_lazy("Requisites")
    url_name = "contacts:company_section_requisites"
    form_class = card_forms.CompanyRequisitesForm
    template_name = "contacts/partials/_section_with_duplicates.html"

    def get_form(self, card, data=None):
        form = self.form_class(data=data, instance=card)
        return apply_field_rules(form, user=self.request.user, entity=self.entity)

    def get_rows(self, card: Company) -> list[Row]:
        ogrn_label = _("OGRNIP") if card.company_type == CompanyType.SOLE_PROPRIETOR else _("OGRN")
        return _shown(
            self.hidden(),
            ("full_name", Row(_("Full legal name"), card.full_name, wide=True)),
            ("short_name", Row(_("Short legal name"), card.short_name)),
            ("inn", Row(_("INN"), card.inn)),
            ("kpp", Row(_("KPP"), card.kpp)),
            ("ogrn", Row(ogrn_label, card.ogrn)),
            ("director", Row(_("Director"), card.director)),
        )

    def save(self, form, card, expected_version):
        return self.update(card, expected_version, data=form.service_data())


class CompanyCommunicationsSectionView(CompanySectionMixin, CommunicationsSectionView):
    url_name = "contacts:company_section_communications"


class CompanyAddressesSectionView(CompanySectionMixin, RowsSectionView):
    slug = "addresses"
    field_code = "addresses"
    title = gettext_lazy("Addresses")
    url_name = "contacts:company_section_addresses"
    template_name = "contacts/partials/_section_addresses.html"
    formset_class = card_forms.AddressFormSet
    prefix = card_forms.ADDRESS_PREFIX
    new_rows = {"address": card_forms.NEW_ADDRESS_ROW}

    def current_rows(self, card):
        return card_forms.address_rows(card)

    def get_extra(self, card):
        return {"addresses": list(card.addresses.all())}


class CompanyBankAccountsSectionView(CompanySectionMixin, RowsSectionView):
    slug = "bank_accounts"
    field_code = BANK_ACCOUNTS
    title = gettext_lazy("Bank accounts")
    url_name = "contacts:company_section_bank_accounts"
    template_name = "contacts/partials/_section_bank_accounts.html"
    formset_class = card_forms.BankAccountFormSet
    prefix = card_forms.BANK_ACCOUNT_PREFIX
    new_rows = {"account": card_forms.NEW_BANK_ACCOUNT_ROW}

    def current_rows(self, card):
        return card_forms.bank_account_rows(card)

    def get_extra(self, card):
        return {"bank_accounts": list(card.bank_accounts.all())}


class CompanyCustomFieldsSectionView(CompanySectionMixin, CustomFieldsSectionView):
    url_name = "contacts:company_section_custom"


class CompanyContactsSectionView(CompanySectionMixin, SectionView):
    """People of the company: link an existing contact, create a new one, unlink."""

    slug = "contacts"
    title = gettext_lazy("Contacts")
    url_name = "contacts:company_section_contacts"
    template_name = "contacts/partials/_section_company_contacts.html"

    field_code = "contacts"

    def get_extra(self, card):
        return {
            "links": card.alive_contact_links,
            "may_change": self.may_change(card),
            "may_add_contact": can(self.request.user, Action.ADD, Contact),
        }


class CompanyContactPickerView(View):
    def get(self, request, pk):
        try:
            company = selectors.company_for_edit(user=request.user, pk=pk, action=Action.READ)
        except Company.DoesNotExist:
            raise Http404 from None
        _require_change(request, company)
        linked = selectors.linked_contact_ids(user=request.user, company=company)
        contacts = selectors.contact_picker(
            user=request.user, search=request.GET.get("q", ""), exclude_ids=linked
        )
        return render(
            request,
            "contacts/partials/_card_contact_picker.html",
            {"company": company, "contacts": contacts, "query": request.GET.get("q", "")},
        )


class CompanyContactLinkView(View):
    def post(self, request, pk):
        company = _company_or_404(request, pk)
        _require_change(request, company)
        try:
            contact = selectors.contact_for_edit(
                user=request.user, pk=int(request.POST.get("contact", "")), action=Action.READ
            )
        except (ValueError, Contact.DoesNotExist):
            raise Http404 from None
        return _link_written(
            request,
            pk,
            company,
            CompanyContactsSectionView,
            lambda: contact_link_company(
                actor=request.user,
                contact=contact,
                company=company,
                role=request.POST.get("role", ""),
            ),
            _company_or_404,
        )


class CompanyContactUnlinkView(View):
    def post(self, request, pk, contact_pk):
        company = _company_or_404(request, pk)
        link = next(
            (link for link in company.alive_contact_links if link.contact_id == contact_pk), None
        )
        if link is None:
            raise Http404
        _require_change(request, company)
        return _link_written(
            request,
            pk,
            company,
            CompanyContactsSectionView,
            lambda: contact_unlink_company(
                actor=request.user, contact=link.contact, company=company
            ),
            _company_or_404,
        )


class CompanyDetailView(View):
    def get(self, request, pk):
        company = _company_or_404(request, pk)
        hidden = hidden_fields(request.user, Entity.COMPANY)
        sections = [
            view.build(request, company, pk=pk)
            for view in (
                CompanyMainSectionView,
                CompanyCommunicationsSectionView,
                CompanyRequisitesSectionView,
                CompanyAddressesSectionView,
                CompanyBankAccountsSectionView,
                CompanyContactsSectionView,
                CompanyCustomFieldsSectionView,
            )
            if not view.field_code or view.field_code not in hidden
        ]
        return render(
            request,
            "contacts/company_detail.html",
            {
                "card": company,
                "company": company,
                "sections": sections,
                "leads": company.alive_leads,
                "deals": company.alive_deals,
                "related_limit": selectors.RELATED_LIMIT,
                **_card_rights(request, company),
            },
        )


# ---------------------------------------------------------------------------------------------
# Deleting (to the recycle bin).


class CardDeleteView(View):
    """GET: the confirmation dialog; POST: move the card to the recycle bin and go to the list."""

    card_kind = "contact"

    def get_card(self, pk):
        if self.card_kind == "contact":
            return _contact_or_404(self.request, pk)
        return _company_or_404(self.request, pk)

    def get(self, request, pk):
        card = self.get_card(pk)
        require(request.user, Action.DELETE, card)
        return render(
            request,
            "contacts/partials/_card_delete_confirm.html",
            {"card": card, "card_kind": self.card_kind, "delete_url": request.path},
        )

    def post(self, request, pk):
        card = self.get_card(pk)
        if self.card_kind == "contact":
            contact_delete(actor=request.user, contact=card)
            message, target = _("The contact is in the recycle bin."), "contacts:contact_list"
        else:
            company_delete(actor=request.user, company=card)
            message, target = _("The company is in the recycle bin."), "contacts:company_list"
        messages.success(request, message)
        if request.htmx:
            return HttpResponseClientRedirect(reverse(target))
        return HttpResponseRedirect(reverse(target))


class ContactDeleteView(CardDeleteView):
    card_kind = "contact"


class CompanyDeleteView(CardDeleteView):
    card_kind = "company"


# ---------------------------------------------------------------------------------------------
# Creating.


class CardCreateView(View):
    """A page, or a dialog when asked by htmx; success opens the new card."""

    card_kind = "contact"
    form_class: Any = card_forms.ContactCreateForm
    entity = selectors.CONTACT_ENTITY

    def template(self) -> str:
        dialog = self.request.htmx and not self.request.htmx.boosted
        return f"contacts/{self.card_kind}_create{'_dialog' if dialog else ''}.html"

    def forms(self, data=None):
        user = self.request.user
        form = self.form_class(
            data=data,
            initial=self.initial(),
            employees=selectors.responsible_choices(user=user),
            sources=selectors.source_choices(user=user),
        )
        apply_field_rules(form, user=user, entity=self.access_entity)
        # Fields an administrator made always required must be filled in from the start.
        hidden = hidden_fields(user, self.access_entity)
        definitions = [
            definition
            for definition in selectors.custom_field_definitions(user=user, entity=self.entity)
            if definition.required and definition.code not in hidden
        ]
        custom = card_forms.CustomFieldsForm(
            data=data,
            definitions=definitions,
            employees=selectors.responsible_choices(user=user),
            prefix="custom",
        )
        return form, custom

    def initial(self) -> dict[str, Any]:
        return {"responsible": self.request.user.pk}

    @property
    def access_entity(self) -> str:
        return Entity.CONTACT if self.card_kind == "contact" else Entity.COMPANY

    def service_data(self, form) -> dict[str, Any]:
        """The form's values for the service, without the fields field rules took out of the
        form (hidden) or froze (read-only: the model's default stays)."""
        return {
            name: value
            for name, value in form.service_data().items()
            if name in form.fields and not form.fields[name].disabled
        }

    def respond(self, form, custom, status=200, **context):
        return render(
            self.request,
            self.template(),
            {"form": form, "custom_form": custom, "card_kind": self.card_kind, **context},
            status=status,
        )

    def dispatch(self, request, *args, **kwargs):
        # Without the right to add cards the page (and its POST) is refused outright.
        model = Contact if self.card_kind == "contact" else Company
        if not can(request.user, Action.ADD, model):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        form, custom = self.forms()
        return self.respond(form, custom, **self.context())

    def context(self) -> dict[str, Any]:
        return {}

    def post(self, request):
        form, custom = self.forms(request.POST)
        valid = form.is_valid() & custom.is_valid()
        duplicates = None
        if valid:
            data = custom.service_data()
            card_forms.parse_crm_links(custom.definitions, data)
            try:
                card = self.create(form, data)
            except DuplicatesFound as error:
                # Warned: the form comes back with the matches and a "Create anyway".
                duplicates = error.notices
                valid = False
            except DuplicateBlocked as error:
                add_blocked_errors(form, error)
                valid = False
            except ValidationError as error:
                add_service_errors(form, error)
                if hasattr(error, "error_dict"):
                    for key, texts in error.message_dict.items():
                        if key in custom.fields:
                            custom.add_error(key, texts)
                valid = False
        if not valid:
            return self.respond(form, custom, status=422, duplicates=duplicates, **self.context())
        url = reverse(f"contacts:{self.card_kind}_detail", kwargs={"pk": card.pk})
        if request.htmx:
            return HttpResponseClientRedirect(url)
        return HttpResponseRedirect(url)


class ContactCreateView(CardCreateView):
    card_kind = "contact"
    form_class = card_forms.ContactCreateForm
    entity = selectors.CONTACT_ENTITY

    def company(self) -> Company | None:
        raw = self.request.POST.get("company") or self.request.GET.get("company")
        if not raw:
            return None
        try:
            return selectors.company_for_edit(
                user=self.request.user, pk=int(raw), action=Action.READ
            )
        except (ValueError, Company.DoesNotExist):
            raise Http404 from None

    def initial(self):
        company = self.company()
        return {**super().initial(), "company": company.pk if company else None}

    def context(self):
        return {"company": self.company()}

    def create(self, form, custom_values):
        company = self.company()
        links = [{"company": company, "is_primary": True}] if company else []
        data = self.service_data(form)
        if custom_values:
            data["custom_fields"] = custom_values
        return contact_create(
            actor=self.request.user,
            data=data,
            communications=form.communications(),
            company_links=links,
            on_duplicate=on_duplicate_of(self.request),
        )


class CompanyCreateView(CardCreateView):
    card_kind = "company"
    form_class = card_forms.CompanyCreateForm
    entity = selectors.COMPANY_ENTITY

    def create(self, form, custom_values):
        data = self.service_data(form)
        if custom_values:
            data["custom_fields"] = custom_values
        return company_create(
            actor=self.request.user,
            data=data,
            communications=form.communications(),
            on_duplicate=on_duplicate_of(self.request),
        )
