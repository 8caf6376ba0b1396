"""The lead and deal cards: the page, its sections edited in place, deleting, and the pickers
(companies, contacts, products) their forms use."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import linebreaksbr
from django.urls import NoReverseMatch, reverse
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.text import slugify
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django_htmx.http import HttpResponseClientRedirect

from voronka.access.forms import apply_field_rules
from voronka.access.models import Action
from voronka.access.predicates import can, hidden_fields, readonly_fields
from voronka.contacts.duplicates import DuplicateBlocked, DuplicatesFound
from voronka.contacts.duplicates.forms import add_blocked_errors, on_duplicate_of
from voronka.core.sections import (
    LookupItem,
    Row,
    SectionView,
    add_service_errors,
    lookup_response,
)
from voronka.core.templatetags.voronka import money, phone
from voronka.customization.models import FieldType
from voronka.sales.forms import (
    CardMainForm,
    CardTitleForm,
    CustomFieldsForm,
    DealClientForm,
    DealCreateForm,
    DealMainForm,
    LeadCreateForm,
    LeadPersonForm,
    ProductRowsForm,
    custom_field_input,
    plain_number,
)
from voronka.sales.models import Deal, Lead, StageKind
from voronka.sales.selectors import cards as selectors
from voronka.sales.services import (
    deal_create,
    deal_delete,
    deal_update,
    lead_create,
    lead_delete,
    lead_update,
    product_rows_set,
    product_rows_total,
)

ADDITIONAL = "additional"


def _url_or_none(name: str, *args) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _custom_key(section_name: str) -> str:
    return slugify(section_name, allow_unicode=True) or ADDITIONAL


def custom_groups(definitions) -> list[tuple[str, str, list]]:
    """Custom field definitions grouped by their section: ``[(key, title, definitions)]``."""
    groups: dict[str, tuple[str, str, list]] = {}
    for definition in definitions:
        title = definition.section or str(gettext_lazy("Additional"))
        key = _custom_key(definition.section) if definition.section else ADDITIONAL
        groups.setdefault(key, (key, title, []))[2].append(definition)
    return list(groups.values())


def custom_display(definition, value) -> Any:
    if value is None or value == "" or value == []:
        return None
    kind = definition.field_type
    if kind == FieldType.MONEY and isinstance(value, dict):
        return money(value.get("amount"), value.get("currency") or "RUB")
    if kind == FieldType.BOOLEAN:
        return _("Yes") if value else _("No")
    if kind == FieldType.LIST:
        labels = {str(option["id"]): option["label"] for option in definition.options or []}
        values = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(str(item), str(item)) for item in values)
    if kind == FieldType.URL:
        return format_html('<a href="{}" rel="noopener" target="_blank">{}</a>', value, value)
    if kind == FieldType.DATE and isinstance(value, str):
        return date_filter(parse_date(value), "SHORT_DATE_FORMAT") or value
    if kind == FieldType.DATETIME and isinstance(value, str):
        moment = parse_datetime(value)
        return date_filter(localtime(moment), "SHORT_DATETIME_FORMAT") if moment else value
    if kind in (FieldType.DECIMAL, FieldType.INTEGER):
        return number_format(value, force_grouping=True)
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if kind == FieldType.CRM_LINK and isinstance(value, dict):
        return f"{value.get('entity', '')} #{value.get('id', '')}"
    return value


def card_rights(user, card) -> dict[str, bool]:
    """What the page offers: editing (sections, stages) and deleting; no query beyond the
    rights (the card comes with its responsible)."""
    return {
        "card_editable": can(user, Action.UPDATE, card),
        "card_deletable": can(user, Action.DELETE, card),
    }


# --- sections ----------------------------------------------------------------------------
class CardSection(SectionView):
    """A section of a lead or deal card; subclasses name the entity.

    A card the user does not see is a 404 on every section URL; one they see but may not
    change shows no "Edit" and a POST answers 403. Fields hidden by the user's field rules
    are left out of the rows and the form; read-only ones are disabled in the form.
    """

    entity = "deal"
    # The field codes of the section's rows and form (a section with all of them hidden is
    # left off the page); empty when the section is not about card fields.
    field_codes: tuple[str, ...] = ()
    # Fields whose being hidden hides the whole section (product rows add up to the amount).
    hidden_with: tuple[str, ...] = ()

    @classmethod
    def is_hidden_by(cls, hidden: frozenset[str]) -> bool:
        """Whether the field rules ``hidden`` leave nothing of this section to show."""
        if cls.field_codes and set(cls.field_codes) <= hidden:
            return True
        return bool(set(cls.hidden_with) & hidden)

    def get_card(self):
        # The card ``post`` has just read for its rights check (once; a reload reads again).
        card = self.__dict__.pop("_checked_card", None)
        if card is not None:
            return card
        loader = selectors.deal_card if self.entity == "deal" else selectors.lead_card
        card = loader(user=self.request.user, pk=self.kwargs["pk"])
        if card is None:
            raise Http404
        if self.is_hidden_by(self.hidden):
            raise Http404  # every field of the section is hidden from the user
        return card

    @property
    def hidden(self) -> frozenset[str]:
        return hidden_fields(self.request.user, self.entity)

    def may_change(self, card) -> bool:
        return can(self.request.user, Action.UPDATE, card)

    def is_editable(self, card) -> bool:
        return self.form_class is not None and self.may_change(card)

    def get_form(self, card, data=None):
        form = super().get_form(card, data)
        return apply_field_rules(form, user=self.request.user, entity=self.entity)

    def post(self, request, *args, **kwargs):
        card = self.get_card()
        if self.form_class is not None and not self.may_change(card):
            raise PermissionDenied
        self._checked_card = card
        return super().post(request, *args, **kwargs)

    def visible_rows(self, rows: list[tuple[str, Row]]) -> list[Row]:
        """Rows given as ``(field code, row)`` without those of hidden fields."""
        hidden = self.hidden
        return [row for code, row in rows if code not in hidden]

    def url_kwargs(self, card) -> dict[str, Any]:
        return {"pk": card.pk, "section": self.slug}

    @property
    def url_name(self) -> str:  # type: ignore[override]
        return f"sales:{self.entity}_section"

    def details(self, card) -> selectors.CardDetails:
        if "details" not in self.kwargs:
            loader = (
                selectors.deal_card_details
                if self.entity == "deal"
                else selectors.lead_card_details
            )
            self.kwargs["details"] = loader(user=self.request.user, **{self.entity: card})
        return self.kwargs["details"]

    def update(self, card, expected_version, **kwargs):
        if self.entity == "deal":
            return deal_update(
                actor=self.request.user, deal=card, expected_version=expected_version, **kwargs
            )
        return lead_update(
            actor=self.request.user, lead=card, expected_version=expected_version, **kwargs
        )

    def reloaded(self, card):
        self.kwargs.pop("details", None)
        return self.get_card()


class TitleSection(CardSection):
    """The card's name: always shown (boards and lists show it too); read-only for a user who
    may not change it."""

    slug = "title"
    title = gettext_lazy("Title")
    form_class = CardTitleForm
    template_name = "sales/partials/_card_title.html"

    def get_initial(self, card):
        return {"title": card.title}

    def save(self, form, card, expected_version):
        self.update(card, expected_version, data={"title": form.cleaned_data["title"]})
        return self.reloaded(card)


class MainSection(CardSection):
    slug = "main"
    title = gettext_lazy("About")
    field_codes = (
        "amount",
        "currency",
        "responsible",
        "source",
        "source_description",
        "comment",
        "begins_on",
        "closes_on",
        "probability",
        "sales_manager",
        "delivery_manager",
        "head_of_sales",
        "loss_reason",
        "loss_comment",
        "created_at",
    )

    @property
    def form_class(self):  # type: ignore[override]
        return DealMainForm if self.entity == "deal" else CardMainForm

    def get_form_kwargs(self, card):
        return {"card": card}

    def get_initial(self, card):
        return self.form_class.initial_from(card)

    def get_rows(self, card) -> list[Row]:
        rows = [
            ("amount", Row(_("Amount"), money(card.amount, card.currency))),
            (
                "responsible",
                Row(
                    _("Responsible"), card.responsible.get_full_name() or card.responsible.username
                ),
            ),
            ("source", Row(_("Source"), card.source)),
            ("source_description", Row(_("Source details"), card.source_description)),
        ]
        if isinstance(card, Deal):
            rows += [
                (
                    "begins_on",
                    Row(_("Start date"), date_filter(card.begins_on, "SHORT_DATE_FORMAT")),
                ),
                (
                    "closes_on",
                    Row(_("Expected close date"), date_filter(card.closes_on, "SHORT_DATE_FORMAT")),
                ),
                ("probability", Row(_("Probability, %"), card.probability)),
            ]
            rows += [
                (code, Row(label, person.get_full_name() or person.username))
                for code, label, person in (
                    ("sales_manager", _("Sales manager"), card.sales_manager),
                    ("delivery_manager", _("Delivery manager"), card.delivery_manager),
                    ("head_of_sales", _("Head of sales"), card.head_of_sales),
                )
                if person is not None
            ]
        if card.loss_reason_id:
            rows.append(("loss_reason", Row(_("Loss reason"), card.loss_reason)))
            rows.append(("loss_comment", Row(_("Loss comment"), card.loss_comment, wide=True)))
        rows += [
            (
                "created_at",
                Row(_("Created"), date_filter(localtime(card.created_at), "SHORT_DATETIME_FORMAT")),
            ),
            (
                "comment",
                Row(_("Comment"), linebreaksbr(card.comment) if card.comment else "", wide=True),
            ),
        ]
        return self.visible_rows(rows)

    def save(self, form, card, expected_version):
        self.update(card, expected_version, data=form.service_data())
        return self.reloaded(card)


def _communication_links(items) -> Any:
    parts = []
    for item in items:
        if item.kind == "phone":
            parts.append((f"tel:{item.value_normalized}", phone(item.value)))
        elif item.kind == "email":
            parts.append((f"mailto:{item.value}", item.value))
        elif item.kind == "web":
            parts.append((item.value, item.value))
        else:
            parts.append(("", f"{item.get_value_type_display()}: {item.value}"))
    return format_html_join(
        " · ", '<a href="{}">{}</a>', ((href or "#", text) for href, text in parts)
    )


class ClientSection(CardSection):
    """A deal's company and contacts, with their phones and e-mails and links to their cards."""

    slug = "client"
    title = gettext_lazy("Client")
    form_class = DealClientForm
    template_name = "sales/partials/_card_client.html"
    field_codes = ("company", "contacts")

    def get_form_kwargs(self, card):
        return {"card": card, "user": self.request.user}

    def get_initial(self, card):
        return {"company": card.company_id or ""}

    def get_extra(self, card):
        # A company or contact the user does not see keeps its name, without a link to its
        # card and without its phones and e-mails.
        details = self.details(card)
        company = card.company if card.company_id and not card.company.is_deleted else None
        shown = selectors.shown_company(card)
        return {
            "company": company,
            "company_url": _url_or_none("contacts:company_detail", company.pk) if shown else None,
            "company_links": _communication_links(details.communications_of(shown))
            if shown
            else "",
            "contacts": [
                {
                    "contact": link.contact,
                    "is_primary": link.is_primary,
                    "url": _url_or_none("contacts:contact_detail", link.contact_id)
                    if link.contact_visible
                    else None,
                    "links": _communication_links(details.communications_of(link.contact))
                    if link.contact_visible
                    else "",
                }
                for link in details.contact_links
            ],
        }

    def save(self, form, card, expected_version):
        self.update(
            card,
            expected_version,
            data={"company": form.cleaned_data["company"]},
            contacts=form.cleaned_data["contacts"],
        )
        return self.reloaded(card)


class PersonSection(CardSection):
    """A lead's person, company name and communications."""

    entity = "lead"
    slug = "person"
    title = gettext_lazy("Client")
    form_class = LeadPersonForm
    template_name = "sales/partials/_card_person.html"
    field_codes = (
        "last_name",
        "first_name",
        "middle_name",
        "company_title",
        "position",
        "address",
        "communications",
    )

    def get_initial(self, card):
        return {
            key: getattr(card, key)
            for key in (
                "last_name",
                "first_name",
                "middle_name",
                "company_title",
                "position",
                "address",
            )
        }

    def get_form_kwargs(self, card):
        if self.request.method == "POST":
            return {}
        return {"communications": self.details(card).communications_of(card)}

    def get_rows(self, card):
        hidden = self.hidden
        name_shown = not {"last_name", "first_name", "middle_name"} <= hidden
        return self.visible_rows(
            [
                ("" if name_shown else "last_name", Row(_("Name"), card.full_name)),
                ("company_title", Row(_("Company name"), card.company_title)),
                ("position", Row(_("Position"), card.position)),
                ("address", Row(_("Address"), card.address)),
            ]
        )

    def get_extra(self, card):
        if "communications" in self.hidden:
            return {"links": "", "communications_hidden": True}
        return {"links": _communication_links(self.details(card).communications_of(card))}

    def get_form(self, card, data=None):
        form = super().get_form(card, data)
        form.communications_editable = not {"communications"} & (
            self.hidden | readonly_fields(self.request.user, self.entity)
        )
        return form

    def save(self, form, card, expected_version):
        data = dict(form.cleaned_data)
        communications = data.pop("communications")
        if not getattr(form, "communications_editable", True):
            communications = None
        try:
            self.update(
                card,
                expected_version,
                data=data,
                communications=communications,
                on_duplicate=on_duplicate_of(self.request),
            )
        except DuplicatesFound as error:
            # New phones or names like another card's: the form comes back with the matches
            # and a "Save anyway".
            self.duplicates = error.notices
            raise
        return self.reloaded(card)

    def section(self, card, form=None):
        section = super().section(card, form)
        if form is not None:
            section.extra["duplicates"] = getattr(self, "duplicates", None)
        return section


class ProductsSection(CardSection):
    """The product rows with their totals; the editor saves through ``product_rows_set``."""

    slug = "products"
    title = gettext_lazy("Products")
    form_class = ProductRowsForm
    template_name = "sales/partials/_product_rows.html"
    field_codes = ("product_rows",)
    hidden_with = ("amount",)

    def is_editable(self, card) -> bool:
        return super().is_editable(card) and "product_rows" not in readonly_fields(
            self.request.user, self.entity
        )

    def get_form_kwargs(self, card):
        if self.request.method == "POST":
            return {}
        return {"rows": self.details(card).product_rows}

    def get_extra(self, card):
        rows = self.details(card).product_rows
        return {
            "product_rows": rows,
            "totals": product_rows_total(rows),
            "currency": card.currency,
        }

    def save(self, form, card, expected_version):
        product_rows_set(
            actor=self.request.user,
            card=card,
            rows=form.cleaned_data["rows"],
            expected_version=expected_version,
        )
        return self.reloaded(card)


class CustomSection(CardSection):
    """One group of custom fields (their "section"; "Additional" when they have none)."""

    form_class = CustomFieldsForm

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.slug = kwargs.get("section", "")
        self.group_key = self.slug.removeprefix("custom-")

    def group(self, card):
        hidden = self.hidden
        for key, title, definitions in custom_groups(
            [item for item in self.details(card).definitions if item.code not in hidden]
        ):
            if key == self.group_key:
                self.title = title
                return definitions
        raise Http404

    def get_form_kwargs(self, card):
        return {"definitions": self.group(card), "existing": card.custom_fields}

    def get_initial(self, card):
        return {
            definition.code: custom_field_input(definition, card.custom_fields.get(definition.code))
            for definition in self.group(card)
        }

    def get_rows(self, card):
        return [
            Row(
                definition.label,
                custom_display(definition, card.custom_fields.get(definition.code)),
                wide=definition.field_type == FieldType.TEXT,
            )
            for definition in self.group(card)
        ]

    def section(self, card, form=None):
        self.group(card)  # sets the title; 404 for an unknown group
        return super().section(card, form)

    def save(self, form, card, expected_version):
        self.update(card, expected_version, data={"custom_fields": form.service_data()})
        return self.reloaded(card)


class UtmSection(CardSection):
    """Where the client came from: UTM tags (and the lead's referrer and landing page)."""

    slug = "utm"
    title = gettext_lazy("Advertising (UTM)")
    form_class = None

    def get_rows(self, card):
        rows = [
            (key, Row(label, getattr(card, key)))
            for key, label in (
                ("utm_source", "utm_source"),
                ("utm_medium", "utm_medium"),
                ("utm_campaign", "utm_campaign"),
                ("utm_content", "utm_content"),
                ("utm_term", "utm_term"),
            )
        ]
        if isinstance(card, Lead):
            rows += [
                ("referrer", Row(_("Referrer"), card.referrer, wide=True)),
                ("landing_page", Row(_("Landing page"), card.landing_page, wide=True)),
            ]
        return [row for row in self.visible_rows(rows) if row.value]


class RelatedSection(CardSection):
    """Cards linked to this one: a deal's lead, company and contacts; a lead's results."""

    slug = "related"
    title = gettext_lazy("Related cards")
    form_class = None
    template_name = "sales/partials/_card_related.html"

    def get_extra(self, card):
        # A linked card the user does not see is named without a link to it.
        items = []
        if isinstance(card, Deal):
            if card.lead_id:
                items.append(
                    (
                        _("Lead"),
                        card.lead.title,
                        reverse("sales:lead_detail", args=[card.lead_id])
                        if card.lead_visible
                        else None,
                    )
                )
            if card.company_id and not card.company.is_deleted:
                items.append(
                    (
                        _("Company"),
                        card.company,
                        _url_or_none("contacts:company_detail", card.company_id)
                        if card.company_visible
                        else None,
                    )
                )
            for link in self.details(card).contact_links:
                items.append(
                    (
                        _("Contact"),
                        link.contact,
                        _url_or_none("contacts:contact_detail", link.contact_id)
                        if link.contact_visible
                        else None,
                    )
                )
        else:
            if card.contact_id and not card.contact.is_deleted:
                items.append(
                    (
                        _("Contact"),
                        card.contact,
                        _url_or_none("contacts:contact_detail", card.contact_id)
                        if card.contact_visible
                        else None,
                    )
                )
            if card.company_id and not card.company.is_deleted:
                items.append(
                    (
                        _("Company"),
                        card.company,
                        _url_or_none("contacts:company_detail", card.company_id)
                        if card.company_visible
                        else None,
                    )
                )
            for deal in self.details(card).deals:
                items.append(
                    (
                        _("Deal"),
                        deal.title,
                        reverse("sales:deal_detail", args=[deal.pk]) if deal.visible else None,
                    )
                )
        return {"items": items}


def _for(entity: str, base: type[CardSection]) -> type[CardSection]:
    return type(f"{entity.title()}{base.__name__}", (base,), {"entity": entity})


SECTIONS = {
    entity: {
        cls.slug: _for(entity, cls)
        for cls in (
            TitleSection,
            MainSection,
            ProductsSection,
            UtmSection,
            RelatedSection,
            *((ClientSection,) if entity == "deal" else (PersonSection,)),
        )
    }
    for entity in ("deal", "lead")
}
CUSTOM_SECTIONS = {entity: _for(entity, CustomSection) for entity in ("deal", "lead")}


def card_section(request, pk: int, section: str, entity: str):
    """Serve one section of a lead or deal card (see ``core.sections.SectionView``)."""
    view_class = SECTIONS[entity].get(section)
    if view_class is None and section.startswith("custom-"):
        view_class = CUSTOM_SECTIONS[entity]
    if view_class is None:
        raise Http404
    return view_class.as_view()(request, pk=pk, section=section)


# --- pages -------------------------------------------------------------------------------
def stage_bar(card, stages, version, *, editable: bool = True) -> dict[str, Any]:
    """Open stages as segments, then the won stage and the lost ones; not clickable when the
    user may not change the card."""
    entity = "deal" if isinstance(card, Deal) else "lead"
    current_sort = next((s.sort for s in stages if s.pk == card.stage_id), None)
    items = []
    for stage in stages:
        items.append(
            {
                "stage": stage,
                "current": stage.pk == card.stage_id,
                "passed": stage.kind == StageKind.OPEN
                and current_sort is not None
                and stage.sort < current_sort,
                "kind": stage.kind,
            }
        )
    items.sort(key=lambda item: (item["kind"] != StageKind.OPEN, item["kind"] == StageKind.LOST))
    return {
        "items": items,
        "move_url": _url_or_none(f"sales:{entity}_move", card.pk) if editable else None,
        "version": version,
    }


class CardDetailView(View):
    entity = "deal"
    template_name = "sales/deal_detail.html"

    def get(self, request, pk: int):
        loader = selectors.deal_card if self.entity == "deal" else selectors.lead_card
        card = loader(user=request.user, pk=pk)
        if card is None:
            raise Http404
        details_loader = (
            selectors.deal_card_details if self.entity == "deal" else selectors.lead_card_details
        )
        details = details_loader(user=request.user, **{self.entity: card})
        sections = SECTIONS[self.entity]

        def build(slug, **extra):
            view = sections[slug] if slug in sections else CUSTOM_SECTIONS[self.entity]
            return view.build(request, card, pk=card.pk, section=slug, details=details, **extra)

        client = "client" if self.entity == "deal" else "person"
        rights = card_rights(request.user, card)
        hidden = hidden_fields(request.user, self.entity)
        slugs = [
            "main",
            client,
            "products",
            *(
                f"custom-{key}"
                for key, _title, _definitions in custom_groups(
                    [item for item in details.definitions if item.code not in hidden]
                )
            ),
            "utm",
            "related",
        ]
        context = {
            "card": card,
            "entity": self.entity,
            **rights,
            "hide_amount": "amount" in hidden,
            "title_section": build("title"),
            # A section whose every field is hidden is left off.
            "sections": [
                build(slug)
                for slug in slugs
                if slug not in sections or not sections[slug].is_hidden_by(hidden)
            ],
            "stage_bar": stage_bar(
                card, details.stages, card.version, editable=rights["card_editable"]
            ),
            "delete_url": reverse(f"sales:{self.entity}_delete", args=[card.pk])
            if rights["card_deletable"]
            else None,
            "convert_url": _url_or_none("sales:lead_convert", card.pk)
            if self.entity == "lead"
            and card.converted_at is None
            and rights["card_editable"]
            and can(request.user, Action.ADD, Deal)
            else None,
        }
        return render(request, self.template_name, context)


class DealDetailView(CardDetailView):
    entity = "deal"
    template_name = "sales/deal_detail.html"


class LeadDetailView(CardDetailView):
    entity = "lead"
    template_name = "sales/lead_detail.html"


class CardDeleteView(View):
    """Move the card to the recycle bin and go back to the board."""

    http_method_names = ["post"]
    entity = "deal"

    def post(self, request, pk: int):
        if self.entity == "deal":
            card = selectors.deal_card(user=request.user, pk=pk)
            if card is None:
                raise Http404
            deal_delete(actor=request.user, deal=card)
            target = reverse("sales:deal_board_default")
        else:
            card = selectors.lead_card(user=request.user, pk=pk)
            if card is None:
                raise Http404
            lead_delete(actor=request.user, lead=card)
            target = reverse("sales:lead_board")
        if request.htmx:
            return HttpResponseClientRedirect(target)
        return HttpResponseRedirect(target)


class DealDeleteView(CardDeleteView):
    entity = "deal"


class LeadDeleteView(CardDeleteView):
    entity = "lead"


# --- pickers -------------------------------------------------------------------------------
class CompanyLookupView(View):
    def get(self, request):
        companies = selectors.company_lookup(user=request.user, search=request.GET.get("q", ""))
        return lookup_response(
            request,
            [
                LookupItem(value=company.pk, label=str(company), hint=company.inn)
                for company in companies
            ],
        )


class ContactLookupView(View):
    def get(self, request):
        contacts = selectors.contact_lookup(user=request.user, search=request.GET.get("q", ""))
        return lookup_response(
            request,
            [
                LookupItem(value=contact.pk, label=str(contact), hint=contact.position)
                for contact in contacts
            ],
        )


class ProductLookupView(View):
    def get(self, request):
        search = request.GET.get("q") or request.GET.get("row_name", "")
        products = selectors.product_lookup(user=request.user, search=search)
        return lookup_response(
            request,
            [
                LookupItem(
                    value=product.pk,
                    label=product.name,
                    hint=money(product.price, product.currency),
                    data={
                        "price": product.price,
                        "unit": product.unit,
                        "vat": plain_number(product.vat_rate),
                        "vat-included": "1" if product.vat_included else "0",
                    },
                )
                for product in products
            ],
        )


# --- creating ------------------------------------------------------------------------------
class CardCreateView(View):
    """A new lead or deal: a dialog when opened from a board, a page on a direct visit."""

    entity = "lead"

    def form_class(self):
        return LeadCreateForm if self.entity == "lead" else DealCreateForm

    def dispatch(self, request, *args, **kwargs):
        if not can(request.user, Action.ADD, Lead if self.entity == "lead" else Deal):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def initial(self) -> dict[str, Any]:
        if self.entity == "deal":
            pipeline = selectors.deal_pipeline(
                user=self.request.user, pk=self.request.GET.get("pipeline"), action=Action.ADD
            )
            if pipeline is not None:
                return {"pipeline": pipeline.pk}
        return {}

    def render_form(self, form, status=200, duplicates=None):
        dialog = bool(self.request.htmx) and not self.request.htmx.boosted
        context = {
            "form": form,
            "duplicates": duplicates,
            "entity": self.entity,
            "action": self.request.get_full_path(),
            "dialog": dialog,
            "heading": _("New lead") if self.entity == "lead" else _("New deal"),
        }
        template = "sales/card_create_dialog.html" if dialog else "sales/card_create.html"
        return render(self.request, template, context, status=status)

    def make_form(self, *args, **kwargs):
        form = self.form_class()(*args, user=self.request.user, **kwargs)
        return apply_field_rules(form, user=self.request.user, entity=self.entity)

    def get(self, request):
        return self.render_form(self.make_form(initial=self.initial()))

    def post(self, request):
        form = self.make_form(request.POST)
        duplicates = None
        if form.is_valid():
            call = form.service_call()
            try:
                if self.entity == "lead":
                    card = lead_create(
                        actor=request.user, on_duplicate=on_duplicate_of(request), **call
                    )
                else:
                    card = deal_create(actor=request.user, **call)
            except DuplicatesFound as error:
                # Warned: the form comes back with the matches and a "Create anyway".
                duplicates = error.notices
            except DuplicateBlocked as error:
                add_blocked_errors(form, error)
            except ValidationError as error:
                add_service_errors(form, error)
            except PermissionDenied:
                # E.g. the default pipeline is one the user may not add deals in.
                form.add_error(None, _("Your role does not let you add this card here."))
            else:
                target = reverse(f"sales:{self.entity}_detail", args=[card.pk])
                if request.htmx:
                    return HttpResponseClientRedirect(target)
                return HttpResponseRedirect(target)
        return self.render_form(form, status=422, duplicates=duplicates)


class LeadCreateView(CardCreateView):
    entity = "lead"


class DealCreateView(CardCreateView):
    entity = "deal"
