"""Input shape of the contact and company cards; the services do the real validation.

Forms here only parse what the browser sent into values a service takes (objects, dates,
lists of row dicts). Errors a service raises are put back on the form field they name
(``core.sections.add_service_errors``), so a bad INN shows under the INN input.
"""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from voronka.contacts.models import (
    AddressKind,
    CommunicationKind,
    CommunicationValueType,
    Company,
    CompanyAddress,
    CompanyType,
    Contact,
)
from voronka.contacts.services import communications_clean
from voronka.contacts.validators import clean_company_requisites
from voronka.core.sections import LookupWidget
from voronka.customization.models import CustomField, FieldType, Source
from voronka.timeline.selectors import user_label


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class ServiceModelForm(forms.ModelForm):
    """A ModelForm used only to parse input and show values: the service validates and saves,
    so the model's own validation is not run here."""

    def _post_clean(self) -> None:
        pass

    def service_data(self) -> dict[str, Any]:
        """The cleaned values keyed as the service expects (relations as objects)."""
        return {name: self.cleaned_data.get(name) for name in self.fields}


def _user_label(pk) -> str:
    return user_label(user=None, pk=pk)


def _employee_field(form: forms.ModelForm, name: str, employees) -> None:
    """A typeahead over active employees (never the whole staff list in the page); the card's
    current responsible stays valid even if they have left."""
    current = getattr(form.instance, f"{name}_id", None)
    field = form.fields[name]
    field.queryset = employees.model.objects.filter(
        Q(pk__in=employees.values("pk")) | Q(pk=current)
    )
    widget = LookupWidget("timeline:user_lookup", label_of=_user_label)
    widget.attrs["aria-label"] = str(field.label)
    related = getattr(form.instance, name, None) if current else None
    if related is not None:
        widget.label = related.get_full_name() or related.get_username()
    field.widget = widget


def _source_field(form: forms.ModelForm, sources) -> None:
    current = getattr(form.instance, "source_id", None)
    field = form.fields["source"]
    field.queryset = Source.objects.filter(Q(pk__in=sources.values("pk")) | Q(pk=current))


class CardFormMixin:
    """Responsible among active employees (plus the current one), source among active ones."""

    def setup_choices(self, *, employees, sources) -> None:
        if "responsible" in self.fields:
            _employee_field(self, "responsible", employees)
        if "source" in self.fields:
            _source_field(self, sources)


class ContactMainForm(CardFormMixin, ServiceModelForm):
    class Meta:
        model = Contact
        fields = [
            "last_name",
            "first_name",
            "middle_name",
            "honorific",
            "position",
            "birthday",
            "responsible",
            "source",
            "source_description",
            "address",
            "comment",
        ]
        widgets = {
            "birthday": DateInput(),
            "address": forms.Textarea(attrs={"rows": 2}),
            "comment": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, employees, sources, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_choices(employees=employees, sources=sources)


class CompanyMainForm(CardFormMixin, ServiceModelForm):
    class Meta:
        model = Company
        fields = [
            "title",
            "company_type",
            "industry",
            "employees_count",
            "responsible",
            "source",
            "comment",
        ]
        widgets = {"comment": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, employees, sources, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_choices(employees=employees, sources=sources)


def _loosen_requisites(form: forms.BaseForm) -> None:
    """People paste requisites with spaces and dashes; the service compacts and checks them,
    so the form must not refuse ``7707 083 893`` for its length first."""
    for name in ("inn", "kpp", "ogrn"):
        if name in form.fields:
            field = form.fields[name]
            field.max_length = 40
            field.validators = []
            field.widget.attrs["maxlength"] = "40"
            field.widget.attrs.setdefault("inputmode", "numeric" if name != "kpp" else "text")


class CompanyRequisitesForm(ServiceModelForm):
    class Meta:
        model = Company
        fields = ["full_name", "short_name", "inn", "kpp", "ogrn", "director"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _loosen_requisites(self)


# Rows of the list editors (communications, addresses, bank accounts).


class CommunicationRowForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=CommunicationKind.choices)
    value_type = forms.ChoiceField(
        label=_("Type"), choices=CommunicationValueType.choices, required=False
    )
    value = forms.CharField(label=_("Value"), max_length=255, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The row shows no labels; screen readers still name each input.
        for field in self.fields.values():
            field.widget.attrs["aria-label"] = str(field.label)


class AddressRowForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AddressKind.choices, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=12, required=False)
    country = forms.CharField(label=_("Country"), max_length=100, required=False)
    region = forms.CharField(label=_("Region"), max_length=200, required=False)
    city = forms.CharField(label=_("City"), max_length=200, required=False)
    street_address = forms.CharField(
        label=_("Street, house, office"), max_length=500, required=False
    )
    comment = forms.CharField(label=_("Comment"), max_length=500, required=False)


class BankAccountRowForm(forms.Form):
    bank_name = forms.CharField(label=_("Bank"), max_length=255, required=False)
    bic = forms.CharField(label=_("BIC"), max_length=20, required=False)
    correspondent_account = forms.CharField(
        label=_("Correspondent account"), max_length=30, required=False
    )
    account_number = forms.CharField(label=_("Settlement account"), max_length=30, required=False)
    is_primary = forms.BooleanField(label=_("Primary"), required=False)


class BaseRowsFormSet(forms.BaseFormSet):
    """Rows edited together; ``rows()`` gives the dicts the service takes, in screen order."""

    def rows(self) -> list[dict[str, Any]]:
        return [form.cleaned_data for form in self.forms if form.cleaned_data]


class RowsForm(forms.Form):
    """A list editor as one form: its rows are a formset, problems the service finds in the
    list (``Address 2: …``) show above the rows."""

    def __init__(self, data=None, initial=None, *, formset_class, prefix, **kwargs):
        super().__init__(data=data, **kwargs)
        if data is not None:
            self.formset = formset_class(data, prefix=prefix)
        else:
            self.formset = formset_class(initial=(initial or {}).get("rows", []), prefix=prefix)

    def clean(self):
        if not self.formset.is_valid():
            problems = list(self.formset.non_form_errors()) or [_("Check the rows marked below.")]
            raise ValidationError(problems)
        return super().clean()

    def rows(self) -> list[dict[str, Any]]:
        return self.formset.rows()


CommunicationFormSet = forms.formset_factory(
    CommunicationRowForm, formset=BaseRowsFormSet, extra=0, max_num=50, validate_max=True
)
AddressFormSet = forms.formset_factory(
    AddressRowForm, formset=BaseRowsFormSet, extra=0, max_num=30, validate_max=True
)
BankAccountFormSet = forms.formset_factory(
    BankAccountRowForm, formset=BaseRowsFormSet, extra=0, max_num=30, validate_max=True
)

COMMUNICATION_PREFIX = "communications"
ADDRESS_PREFIX = "addresses"
BANK_ACCOUNT_PREFIX = "bank_accounts"


def communication_rows(card) -> list[dict[str, Any]]:
    return [
        {"kind": row.kind, "value_type": row.value_type, "value": row.value}
        for row in card.communications.all()
    ]


def address_rows(company: Company) -> list[dict[str, Any]]:
    fields = list(AddressRowForm.base_fields)
    return [{name: getattr(row, name) for name in fields} for row in company.addresses.all()]


def bank_account_rows(company: Company) -> list[dict[str, Any]]:
    fields = list(BankAccountRowForm.base_fields)
    return [{name: getattr(row, name) for name in fields} for row in company.bank_accounts.all()]


def raw_rows(formset_class, data, prefix: str) -> list[dict[str, Any]]:
    """The rows as typed, even when they do not validate (for adding or removing a row)."""
    try:
        total = min(int(data.get(f"{prefix}-TOTAL_FORMS", 0)), 100)
    except (TypeError, ValueError):
        total = 0
    names = list(formset_class.form.base_fields)
    rows = []
    for index in range(total):
        row = {name: data.get(f"{prefix}-{index}-{name}", "") for name in names}
        rows.append(row)
    return rows


NEW_COMMUNICATION_ROWS = {
    "phone": {"kind": CommunicationKind.PHONE, "value_type": CommunicationValueType.WORK},
    "email": {"kind": CommunicationKind.EMAIL, "value_type": CommunicationValueType.WORK},
    "web": {"kind": CommunicationKind.WEB, "value_type": CommunicationValueType.WORK},
    "messenger": {
        "kind": CommunicationKind.MESSENGER,
        "value_type": CommunicationValueType.TELEGRAM,
    },
}
NEW_ADDRESS_ROW = {
    "kind": AddressKind.LEGAL,
    "country": CompanyAddress._meta.get_field("country").default,
}
NEW_BANK_ACCOUNT_ROW: dict[str, Any] = {"is_primary": False}


def rows_formset(formset_class, rows: list[dict[str, Any]], prefix: str):
    """An unbound formset showing ``rows`` (the editor before saving, or after a row was added
    or removed)."""
    return formset_class(initial=rows, prefix=prefix)


# Custom fields.


class CustomFieldsForm(forms.Form):
    """One input per administrator-defined field; values go to the service as typed and are
    validated there (``customization.validation``)."""

    def __init__(self, *args, definitions: list[CustomField], values=None, employees=None, **kw):
        super().__init__(*args, **kw)
        self.definitions = definitions
        values = values or {}
        for definition in definitions:
            field = _custom_form_field(definition, employees)
            field.initial = _custom_initial(definition, values.get(definition.code))
            self.fields[definition.code] = field

    def service_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for definition in self.definitions:
            value = self.cleaned_data.get(definition.code)
            if definition.multiple and definition.field_type not in (
                FieldType.LIST,
                FieldType.EMPLOYEE,
            ):
                value = [line.strip() for line in (value or "").splitlines() if line.strip()]
            data[definition.code] = value
        return data


def _custom_form_field(definition: CustomField, employees) -> forms.Field:
    kind = definition.field_type
    common = {"label": definition.label, "required": False}
    if kind == FieldType.LIST:
        choices = [(str(option["id"]), option["label"]) for option in definition.options]
        if definition.multiple:
            return forms.MultipleChoiceField(choices=choices, **common)
        return forms.ChoiceField(choices=[("", "—"), *choices], **common)
    if kind == FieldType.EMPLOYEE:
        if not definition.multiple:
            widget = LookupWidget("timeline:user_lookup", label_of=_user_label)
            widget.attrs["aria-label"] = definition.label
            return forms.CharField(widget=widget, **common)
        people = list(employees) if employees is not None else []
        choices = [(str(user.pk), user.get_full_name() or user.get_username()) for user in people]
        return forms.MultipleChoiceField(choices=choices, **common)
    if kind == FieldType.BOOLEAN:
        return forms.ChoiceField(
            choices=[("", "—"), ("true", _("Yes")), ("false", _("No"))], **common
        )
    if definition.multiple or kind == FieldType.TEXT:
        help_text = _("One value per line.") if definition.multiple else ""
        return forms.CharField(
            widget=forms.Textarea(attrs={"rows": 3}), help_text=help_text, **common
        )
    if kind == FieldType.DATE:
        return forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if kind == FieldType.DATETIME:
        return forms.CharField(
            widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), **common
        )
    if kind == FieldType.URL:
        return forms.CharField(widget=forms.URLInput(), **common)
    if kind == FieldType.MONEY:
        return forms.CharField(help_text=_("For example 12500 or 12500|USD."), **common)
    if kind == FieldType.CRM_LINK:
        return forms.CharField(help_text=_("The card as entity:id, for example deal:7."), **common)
    return forms.CharField(**common)


def _custom_initial(definition: CustomField, value: Any) -> Any:
    if value is None:
        return None
    kind = definition.field_type
    if definition.multiple and kind in (FieldType.LIST, FieldType.EMPLOYEE):
        return [str(item) for item in value]
    if definition.multiple:
        return "\n".join(_custom_text(definition, item) for item in value)
    if kind == FieldType.BOOLEAN:
        return "true" if value else "false"
    if kind == FieldType.DATETIME:
        return str(value)[:16]
    return _custom_text(definition, value) if kind != FieldType.LIST else str(value)


def _custom_text(definition: CustomField, value: Any) -> str:
    if definition.field_type == FieldType.MONEY and isinstance(value, dict):
        return f"{value.get('amount')}|{value.get('currency')}"
    if definition.field_type == FieldType.CRM_LINK and isinstance(value, dict):
        return f"{value.get('entity')}:{value.get('id')}"
    return str(value)


def parse_crm_links(definitions: list[CustomField], data: dict[str, Any]) -> None:
    """Turn ``deal:7`` into ``{"entity": "deal", "id": "7"}`` for the CRM link fields."""
    for definition in definitions:
        if definition.field_type != FieldType.CRM_LINK:
            continue
        value = data.get(definition.code)
        items = value if isinstance(value, list) else [value]
        parsed = []
        for item in items:
            if not item:
                continue
            entity, _separator, pk = str(item).partition(":")
            parsed.append({"entity": entity.strip(), "id": pk.strip()})
        if isinstance(value, list):
            data[definition.code] = parsed
        else:
            data[definition.code] = parsed[0] if parsed else None


# Creating.


def _clean_communication(kind: str, value: str) -> str:
    value = (value or "").strip()
    if value:
        try:
            communications_clean([{"kind": kind, "value": value}])
        except ValidationError as error:
            raise ValidationError(error.message_dict["communications"]) from None
    return value


class CreateCommunicationsMixin:
    def clean_phone(self) -> str:
        return _clean_communication(CommunicationKind.PHONE, self.cleaned_data.get("phone"))

    def clean_email(self) -> str:
        return _clean_communication(CommunicationKind.EMAIL, self.cleaned_data.get("email"))


class ContactCreateForm(CreateCommunicationsMixin, CardFormMixin, ServiceModelForm):
    phone = forms.CharField(label=_("Phone"), max_length=255, required=False)
    email = forms.CharField(label=_("E-mail"), max_length=255, required=False)
    company = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Contact
        fields = ["last_name", "first_name", "middle_name", "position", "responsible", "source"]

    def __init__(self, *args, employees, sources, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_choices(employees=employees, sources=sources)
        self.fields["phone"].widget.input_type = "tel"
        self.fields["email"].widget.input_type = "email"
        self.fields["responsible"].required = False

    def service_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data.get(name) for name in self.Meta.fields}
        if data["responsible"] is None:
            data.pop("responsible")
        return data

    def communications(self) -> list[dict[str, Any]]:
        return _create_communications(self.cleaned_data)


class CompanyCreateForm(CreateCommunicationsMixin, CardFormMixin, ServiceModelForm):
    phone = forms.CharField(label=_("Phone"), max_length=255, required=False)
    email = forms.CharField(label=_("E-mail"), max_length=255, required=False)

    class Meta:
        model = Company
        fields = ["title", "company_type", "inn", "kpp", "responsible", "source"]

    def __init__(self, *args, employees, sources, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_choices(employees=employees, sources=sources)
        self.fields["phone"].widget.input_type = "tel"
        self.fields["email"].widget.input_type = "email"
        self.fields["responsible"].required = False
        # The service names these problems; the type defaults to a legal entity.
        self.fields["title"].required = False
        self.fields["company_type"].required = False
        _loosen_requisites(self)

    def clean(self):
        cleaned = super().clean()
        # Checked here too, so a bad INN is reported together with a bad phone or e-mail.
        try:
            clean_company_requisites(
                company_type=cleaned.get("company_type") or CompanyType.LEGAL_ENTITY,
                inn=cleaned.get("inn") or "",
                kpp=cleaned.get("kpp") or "",
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                if field in self.fields and field not in self.errors:
                    self.add_error(field, messages)
        return cleaned

    def service_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data.get(name) for name in self.Meta.fields}
        if data["responsible"] is None:
            data.pop("responsible")
        data["company_type"] = data["company_type"] or CompanyType.LEGAL_ENTITY
        return data

    def communications(self) -> list[dict[str, Any]]:
        return _create_communications(self.cleaned_data)


def _create_communications(cleaned: dict[str, Any]) -> list[dict[str, Any]]:
    items = []
    if cleaned.get("phone"):
        items.append({"kind": CommunicationKind.PHONE, "value": cleaned["phone"]})
    if cleaned.get("email"):
        items.append({"kind": CommunicationKind.EMAIL, "value": cleaned["email"]})
    return items
