"""Forms of the lead and deal cards: they check the shape of the input; services do the rest.

Values that services parse themselves (amounts typed as ``12 500,50``, dates, custom fields,
product rows) are passed through as text so the service names the problem once, the same way
for the web, the API and imports.
"""

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.formats import get_format
from django.utils.translation import gettext_lazy as _

from voronka.access.models import Action
from voronka.contacts.models import CommunicationKind, CommunicationValueType
from voronka.core.money import Currency
from voronka.core.sections import LookupWidget
from voronka.customization.models import CustomField, FieldType, Source
from voronka.sales.selectors import cards as card_selectors
from voronka.timeline.selectors import user_label

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
VAT_RATES = ("", "0", "5", "7", "10", "20")


def plain_number(value) -> str:
    """``Decimal("20.00")`` → ``"20"``, ``Decimal("1.500")`` → ``"1.5"``; None → ``""``."""
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    return text


def typed_number(value) -> str:
    """An amount as a person types it back: ``Decimal("320000.00")`` → ``"320 000"``,
    ``Decimal("48500.50")`` → ``"48 500,50"`` (the active language's decimal separator); the
    services read both the spaces and either separator. None → ``""``."""
    if value is None or value == "":
        return ""
    text = plain_number(Decimal(str(value)))
    sign = "-" if text.startswith("-") else ""
    whole, _dot, fraction = text.lstrip("-").partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    result = sign + " ".join(groups)
    if fraction:
        result += get_format("DECIMAL_SEPARATOR") + fraction.ljust(2, "0")
    return result


def _company_label(pk, user=None) -> str:
    company = card_selectors.company_by_id(user=user, pk=pk)
    return str(company) if company else ""


def _for_user(form: forms.BaseForm, user) -> None:
    """Pickers of companies and contacts name a chosen id only when the user sees that card."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, LookupWidget) and widget.url_name == "sales:company_lookup":
            widget.label_of = lambda pk: _company_label(pk, user)
        elif isinstance(widget, LookupWidget) and widget.url_name == "sales:contact_lookup":
            widget.label_of = lambda pk: _contact_label(pk, user)


def _user_label(pk) -> str:
    return user_label(user=None, pk=pk)


def user_field(label, required=True) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=label,
        queryset=get_user_model().objects.filter(is_active=True),
        required=required,
        widget=LookupWidget("timeline:user_lookup", label_of=_user_label),
    )


def company_field(required=False) -> forms.CharField:
    # An id; the view resolves it through the selector and the service checks it.
    return forms.CharField(
        label=_("Company"),
        required=required,
        widget=LookupWidget("sales:company_lookup", label_of=_company_label),
    )


def source_field() -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=_("Source"), queryset=Source.objects.filter(is_active=True), required=False
    )


def _label_user(form: forms.BaseForm, name: str, user) -> None:
    if user is not None:
        form.fields[name].widget.label = user.get_full_name() or user.get_username()


class CardTitleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=255, required=False)


class CardMainForm(forms.Form):
    """Title, money, responsible, source and comment of a lead or a deal."""

    title = forms.CharField(label=_("Title"), max_length=255, required=False)
    amount = forms.CharField(label=_("Amount"), required=False)
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices)
    responsible = user_field(_("Responsible"))
    source = source_field()
    source_description = forms.CharField(label=_("Source details"), max_length=500, required=False)
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, card=None, **kwargs):
        super().__init__(*args, **kwargs)
        if card is not None:
            _label_user(self, "responsible", card.responsible)
            if card.amount_from_products:
                self.fields["amount"].disabled = True
                self.fields["amount"].help_text = _("The total of the product rows.")

    @staticmethod
    def initial_from(card) -> dict[str, Any]:
        return {
            "title": card.title,
            "amount": typed_number(card.amount),
            "currency": card.currency,
            "responsible": card.responsible_id,
            "source": card.source_id,
            "source_description": card.source_description,
            "comment": card.comment,
        }

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        # Disabled (from products or read-only for the user) or hidden: not sent at all.
        if "amount" not in self.fields or self.fields["amount"].disabled:
            data.pop("amount", None)
        return data


class DealMainForm(CardMainForm):
    begins_on = forms.DateField(label=_("Start date"), required=False, widget=DATE_INPUT)
    closes_on = forms.DateField(label=_("Expected close date"), required=False, widget=DATE_INPUT)
    probability = forms.IntegerField(
        label=_("Probability, %"), required=False, min_value=0, max_value=100
    )
    # The hand-over between departments: who sells, who delivers, who heads the sale.
    sales_manager = user_field(_("Sales manager"), required=False)
    delivery_manager = user_field(_("Delivery manager"), required=False)
    head_of_sales = user_field(_("Head of sales"), required=False)

    ROLES = ("sales_manager", "delivery_manager", "head_of_sales")

    def __init__(self, *args, card=None, **kwargs):
        super().__init__(*args, card=card, **kwargs)
        if card is not None:
            for role in self.ROLES:
                person = getattr(card, role)
                if person is not None:
                    _label_user(self, role, person)

    @staticmethod
    def initial_from(card) -> dict[str, Any]:
        return {
            **CardMainForm.initial_from(card),
            "begins_on": card.begins_on,
            "closes_on": card.closes_on,
            "probability": card.probability,
            **{role: getattr(card, f"{role}_id") for role in DealMainForm.ROLES},
        }


class DealClientForm(forms.Form):
    """The deal's company and contacts; the contacts come as repeated ``contact`` ids."""

    company = company_field()

    def __init__(self, *args, card=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.card = card
        self.user = user
        _for_user(self, user)
        if card is not None and card.company_id:
            self.fields["company"].widget.label = str(card.company)
        self.contact_ids: list[str] = []
        self.primary_id = ""
        if self.is_bound:
            self.contact_ids = [v for v in self.data.getlist("contact") if v]
            self.primary_id = self.data.get("primary_contact", "")

    def _linked_contacts(self, missing: list[str]) -> dict:
        """Contacts already on the deal stay pickable even when the user does not see them."""
        if not missing or self.card is None or self.card.pk is None:
            return {}
        return {
            link.contact_id: link.contact
            for link in self.card.contact_links.select_related("contact")
        }

    def clean(self):
        data = super().clean()
        found = card_selectors.contacts_by_id(user=self.user, ids=self.contact_ids)
        missing = [v for v in self.contact_ids if not (v.isdigit() and int(v) in found)]
        found.update({pk: c for pk, c in self._linked_contacts(missing).items() if pk not in found})
        contacts = []
        for value in self.contact_ids:
            contact = found.get(int(value)) if value.isdigit() else None
            if contact is None:
                self.add_error(None, _("There is no contact with id %(id)s.") % {"id": value})
                continue
            contacts.append({"contact": contact, "is_primary": value == self.primary_id})
        data["contacts"] = contacts
        company_id = data.get("company") or ""
        data["company"] = None
        if company_id:
            company = card_selectors.company_by_id(user=self.user, pk=company_id)
            if (
                company is None
                and self.card is not None
                and str(self.card.company_id) == company_id
            ):
                company = self.card.company  # already on the deal, seen or not
            if company is None:
                self.add_error("company", _("There is no such company."))
            data["company"] = company
        return data


class LeadPersonForm(forms.Form):
    """The person and company of a lead and their phones, e-mails and messengers; the
    communications come as parallel lists ``comm_kind``, ``comm_type`` and ``comm_value``."""

    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    middle_name = forms.CharField(label=_("Patronymic"), max_length=150, required=False)
    company_title = forms.CharField(label=_("Company name"), max_length=255, required=False)
    position = forms.CharField(label=_("Position"), max_length=200, required=False)
    address = forms.CharField(
        label=_("Address"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, communications=None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound:
            self.communication_rows = [
                {"kind": kind, "value_type": value_type, "value": value}
                for kind, value_type, value in zip(
                    self.data.getlist("comm_kind"),
                    self.data.getlist("comm_type"),
                    self.data.getlist("comm_value"),
                    strict=False,
                )
            ]
        else:
            self.communication_rows = [
                {"kind": item.kind, "value_type": item.value_type, "value": item.value}
                for item in communications or []
            ]

    def clean(self):
        data = super().clean()
        data["communications"] = [row for row in self.communication_rows if row["value"].strip()]
        return data

    kinds = CommunicationKind.choices
    value_types = CommunicationValueType.choices


class ProductRowsForm(forms.Form):
    """The product rows editor: parallel lists ``row_product``, ``row_name``, ``row_price``,
    ``row_quantity``, ``row_unit``, ``row_discount``, ``row_tax_rate``, ``row_tax_included``."""

    KEYS = {
        "product": "row_product",
        "name": "row_name",
        "price": "row_price",
        "quantity": "row_quantity",
        "unit": "row_unit",
        "discount_percent": "row_discount",
        "tax_rate": "row_tax_rate",
        "tax_included": "row_tax_included",
    }
    vat_rates = VAT_RATES

    def __init__(self, *args, rows=None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound:
            columns = {key: self.data.getlist(name) for key, name in self.KEYS.items()}
            count = len(columns["name"])
            self.rows = [
                {key: (values[i] if i < len(values) else "") for key, values in columns.items()}
                for i in range(count)
            ]
        else:
            self.rows = [
                {
                    "product": row.product_id or "",
                    "name": row.name,
                    "price": plain_number(row.price),
                    "quantity": plain_number(row.quantity),
                    "unit": row.unit,
                    "discount_percent": plain_number(row.discount_percent),
                    "tax_rate": plain_number(row.tax_rate),
                    "tax_included": "1" if row.tax_included else "0",
                }
                for row in rows or []
            ]

    def clean(self):
        data = super().clean()
        rows = []
        for number, row in enumerate(self.rows, start=1):
            if not any(str(row[key]).strip() for key in ("product", "name", "price")):
                continue  # an empty new line is left out
            item = {
                "name": row["name"],
                "price": row["price"],
                "quantity": row["quantity"] or "1",
                "unit": row["unit"],
                "discount_percent": row["discount_percent"] or "0",
                "tax_rate": row["tax_rate"] if str(row["tax_rate"]).strip() else None,
                "tax_included": row["tax_included"] != "0",
                "sort": number,
            }
            if str(row["product"]).strip():
                item["product"] = row["product"]
            rows.append(item)
        data["rows"] = rows
        return data


def _custom_form_field(definition: CustomField) -> forms.Field | None:
    """A form field for a custom field; employees and card links are shown, not edited here."""
    kind = definition.field_type
    common = {"label": definition.label, "required": False}
    if kind in (FieldType.EMPLOYEE, FieldType.CRM_LINK) or (
        definition.multiple and kind != FieldType.LIST
    ):
        return None
    options = [(str(option["id"]), option["label"]) for option in definition.options or []]
    if kind == FieldType.LIST:
        if definition.multiple:
            return forms.MultipleChoiceField(
                choices=options, widget=forms.CheckboxSelectMultiple, **common
            )
        return forms.ChoiceField(choices=[("", "—"), *options], **common)
    if kind == FieldType.TEXT:
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), **common)
    if kind == FieldType.BOOLEAN:
        return forms.ChoiceField(
            choices=[("", "—"), ("true", _("Yes")), ("false", _("No"))], **common
        )
    if kind == FieldType.DATE:
        return forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind == FieldType.DATETIME:
        return forms.CharField(
            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), **common
        )
    if kind == FieldType.URL:
        return forms.CharField(widget=forms.URLInput, **common)
    return forms.CharField(**common)


def custom_field_input(definition: CustomField, value: Any) -> Any:
    """A stored custom value as the form shows it."""
    if value is None:
        return ""
    if definition.field_type == FieldType.MONEY and isinstance(value, dict):
        return value.get("amount", "")
    if definition.field_type == FieldType.BOOLEAN:
        return "true" if value else "false"
    if definition.field_type == FieldType.DATETIME and isinstance(value, str):
        return value[:16]
    return value


class CustomFieldsForm(forms.Form):
    """The custom fields of one card section, by code; values go to the service as typed."""

    def __init__(self, *args, definitions=(), existing=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.existing = existing or {}
        self.definitions = {}
        for definition in definitions:
            field = _custom_form_field(definition)
            if field is not None:
                self.fields[definition.code] = field
                self.definitions[definition.code] = definition

    def service_data(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for code, definition in self.definitions.items():
            field = self.fields.get(code)
            if field is None or field.disabled:
                continue  # hidden from or read-only for the user: left as it is
            value = self.cleaned_data.get(code)
            if definition.field_type == FieldType.MONEY and value:
                stored = self.existing.get(code)
                currency = stored.get("currency") if isinstance(stored, dict) else None
                value = {"amount": value, "currency": currency or settings.DEFAULT_CURRENCY}
            values[code] = value if value not in ("", []) else None
        return values


def contact_field(label=None, required=False) -> forms.CharField:
    return forms.CharField(
        label=label or _("Contact"),
        required=required,
        widget=LookupWidget("sales:contact_lookup", label_of=_contact_label),
    )


def _contact_label(pk, user=None) -> str:
    contact = card_selectors.contacts_by_id(user=user, ids=[pk]).get(int(pk))
    return str(contact) if contact else ""


class LeadCreateForm(forms.Form):
    """The essentials of a new lead; the title defaults to the person's or company's name."""

    title = forms.CharField(label=_("Title"), max_length=255, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=100, required=False)
    email = forms.CharField(label=_("E-mail"), max_length=255, required=False)
    company_title = forms.CharField(label=_("Company name"), max_length=255, required=False)
    amount = forms.CharField(label=_("Amount"), required=False)
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices)
    responsible = user_field(_("Responsible"))
    source = source_field()
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("currency", settings.DEFAULT_CURRENCY)
        if user is not None and not self.is_bound:
            self.initial.setdefault("responsible", user.pk)
            _label_user(self, "responsible", user)

    def clean(self):
        data = super().clean()
        if not any(
            (data.get(key) or "").strip()
            for key in ("title", "last_name", "first_name", "company_title")
        ):
            self.add_error("title", _("Enter a title, a name or a company name."))
        return data

    def service_call(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        communications = [
            {"kind": kind, "value": data.pop(kind)}
            for kind in ("phone", "email")
            if (data.get(kind) or "").strip()
        ]
        data.pop("phone", None)
        data.pop("email", None)
        if not data.get("title"):
            data.pop("title", None)
        # Empty, or not on the form (a field hidden from the user): left to the defaults.
        if not data.get("amount"):
            data.pop("amount", None)
        return {"data": data, "communications": communications or None}


class DealCreateForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=255, required=False)
    pipeline = forms.ModelChoiceField(
        label=_("Pipeline"),
        queryset=card_selectors.deal_pipeline_queryset(),
        required=False,
        empty_label=_("The default pipeline"),
    )
    amount = forms.CharField(label=_("Amount"), required=False)
    currency = forms.ChoiceField(label=_("Currency"), choices=Currency.choices)
    responsible = user_field(_("Responsible"))
    source = source_field()
    company = company_field()
    contact = contact_field()
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        _for_user(self, user)
        self.fields["pipeline"].queryset = card_selectors.deal_pipeline_queryset(
            user=user, action=Action.ADD
        )
        self.initial.setdefault("currency", settings.DEFAULT_CURRENCY)
        if user is not None and not self.is_bound:
            self.initial.setdefault("responsible", user.pk)
            _label_user(self, "responsible", user)

    def clean(self):
        data = super().clean()
        company_id = data.get("company") or ""
        data["company"] = None
        if company_id:
            data["company"] = card_selectors.company_by_id(user=self.user, pk=company_id)
            if data["company"] is None:
                self.add_error("company", _("There is no such company."))
        contact_id = data.get("contact") or ""
        data["contact"] = None
        if contact_id:
            data["contact"] = card_selectors.contacts_by_id(user=self.user, ids=[contact_id]).get(
                int(contact_id) if contact_id.isdigit() else 0
            )
            if data["contact"] is None:
                self.add_error("contact", _("There is no such contact."))
        return data

    def service_call(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        contact = data.pop("contact", None)
        if data.get("pipeline") is None:
            data.pop("pipeline", None)
        if not data.get("amount"):
            data.pop("amount", None)
        return {"data": data, "contacts": [contact] if contact else None}


class LeadConvertForm(forms.Form):
    """Which deal pipelines the lead becomes deals in, and which contact and company it joins.

    ``contact`` / ``company`` are ``new``, ``none`` or the id of an existing card (suggested
    matches are offered as choices; any other can be picked with the lookup)."""

    pipelines = forms.ModelMultipleChoiceField(
        label=_("Deals in the pipelines"),
        queryset=card_selectors.deal_pipeline_queryset(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one pipeline.")},
    )
    title = forms.CharField(label=_("Deal title"), max_length=255, required=False)
    amount = forms.CharField(label=_("Amount"), required=False)
    contact = forms.CharField(required=False)
    contact_other = contact_field(label=_("Another contact"))
    company = forms.CharField(required=False)
    company_other = company_field()

    def __init__(self, *args, lead=None, amount_from_products=False, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        _for_user(self, user)
        self.fields["pipelines"].queryset = card_selectors.deal_pipeline_queryset(
            user=user, action=Action.ADD
        )
        self.fields["company_other"].label = _("Another company")
        if amount_from_products:
            self.fields["amount"].disabled = True
            self.fields["amount"].help_text = _("The total of the lead's product rows.")

    def _pick(self, choice: str, other: str, resolver, field: str):
        if choice == "other":
            choice = other
            if not choice:
                self.add_error(field, _("Choose the card in the search box."))
                return None, False
        if choice in ("", "new"):
            return None, True
        if choice == "none":
            return None, False
        found = resolver(choice)
        if found is None:
            self.add_error(field, _("There is no such card."))
        return found, False

    def clean(self):
        data = super().clean()
        data["contact_card"], data["create_contact"] = self._pick(
            data.get("contact", ""),
            data.get("contact_other", ""),
            lambda pk: card_selectors.contacts_by_id(user=self.user, ids=[pk]).get(
                int(pk) if str(pk).isdigit() else 0
            ),
            "contact",
        )
        data["company_card"], data["create_company"] = self._pick(
            data.get("company", ""),
            data.get("company_other", ""),
            lambda pk: card_selectors.company_by_id(user=self.user, pk=pk),
            "company",
        )
        return data
