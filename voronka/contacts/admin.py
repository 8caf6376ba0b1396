"""Admin for contacts and companies. Saves and deletes go through the services, so the admin
follows the same rules (requisites, normalised communications, history, soft delete)."""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.contenttypes.admin import GenericTabularInline
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from voronka.contacts import services
from voronka.contacts.models import (
    BankAccount,
    Communication,
    Company,
    CompanyAddress,
    Contact,
    ContactCompany,
)
from voronka.contacts.services.companies import (
    COMPANY_EDITABLE_FIELDS,
    addresses_clean,
    bank_accounts_clean,
)
from voronka.contacts.services.contacts import CONTACT_EDITABLE_FIELDS
from voronka.contacts.validators import clean_company_requisites
from voronka.customization.models import EntityType
from voronka.customization.validation import clean_custom_fields

ADDRESS_FIELDS = ("kind", "postal_code", "country", "region", "city", "street_address", "comment")
BANK_ACCOUNT_FIELDS = ("bank_name", "bic", "account_number", "correspondent_account", "is_primary")
COMMUNICATION_FIELDS = ("kind", "value_type", "value")


def _rows(formset, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """What the inline rows say after editing: deleted and empty rows left out."""
    rows = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None)
        if not data or data.get("DELETE"):
            continue
        rows.append({field: data.get(field) for field in fields})
    return rows


def _text_row(row: dict[str, Any]) -> dict[str, Any]:
    return {key: value or "" for key, value in row.items()}


def _mark_saved_by_service(formset) -> None:
    # The admin's change message reads these lists, which formset.save() would have filled.
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


def _reraise_as_form_error(form: forms.Form, error: ValidationError) -> None:
    for field, messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


class CommunicationInlineForm(forms.ModelForm):
    class Meta:
        model = Communication
        fields = COMMUNICATION_FIELDS

    def clean(self):
        data = super().clean()
        if data.get("value") and not data.get("DELETE"):
            try:
                services.communications_clean(
                    [{key: data.get(key) for key in COMMUNICATION_FIELDS}]
                )
            except ValidationError as error:
                raise ValidationError(error.message_dict["communications"]) from None
        return data


class CommunicationInline(GenericTabularInline):
    model = Communication
    form = CommunicationInlineForm
    ct_field = "card_type"
    ct_fk_field = "card_id"
    fields = COMMUNICATION_FIELDS
    extra = 1


class ContactCompanyInline(admin.TabularInline):
    model = ContactCompany
    fk_name = "contact"
    fields = ["company", "is_primary", "role"]
    raw_id_fields = ["company"]
    extra = 0


class ContactAdminForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = sorted(CONTACT_EDITABLE_FIELDS - {"source_id", "responsible_id"})

    def clean_custom_fields(self):
        try:
            return clean_custom_fields(EntityType.CONTACT, self.cleaned_data["custom_fields"] or {})
        except ValidationError as error:
            raise ValidationError(error.messages) from None

    def clean(self):
        data = super().clean()
        if not data.get("first_name") and not data.get("last_name"):
            self.add_error("last_name", _("Enter the contact's first name or last name."))
        return data


def _form_values(form: forms.ModelForm, change: bool) -> dict[str, Any]:
    names = form.changed_data if change else list(form.cleaned_data)
    return {name: form.cleaned_data[name] for name in names if name in form.fields}


def _adopt(target, saved) -> None:
    """Make the admin's unsaved instance the saved card, so inlines and redirects use it."""
    target.pk = saved.pk
    target.version = saved.version
    target._state.adding = False
    target._state.db = saved._state.db


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    form = ContactAdminForm
    list_display = ["__str__", "position", "responsible", "created_at"]
    list_select_related = ["responsible"]
    search_fields = ["last_name", "first_name", "middle_name"]
    raw_id_fields = ["responsible"]
    inlines = [CommunicationInline, ContactCompanyInline]

    def save_model(self, request, obj, form, change):
        data = _form_values(form, change)
        if change:
            saved = services.contact_update(actor=request.user, contact=obj, data=data)
        else:
            saved = services.contact_create(actor=request.user, data=data)
        _adopt(obj, saved)

    def save_formset(self, request, form, formset, change):
        contact = form.instance
        _mark_saved_by_service(formset)
        if formset.model is Communication:
            items = _rows(formset, COMMUNICATION_FIELDS)
            services.contact_update(
                actor=request.user, contact=contact, data={}, communications=items
            )
        elif formset.model is ContactCompany:
            rows = _rows(formset, ("company", "is_primary", "role"))
            kept = {row["company"].pk for row in rows if row["company"]}
            for link in contact.company_links.exclude(company_id__in=kept):
                services.contact_unlink_company(
                    actor=request.user, contact=contact, company=link.company
                )
            for row in rows:
                if row["company"]:
                    services.contact_link_company(
                        actor=request.user,
                        contact=contact,
                        company=row["company"],
                        is_primary=bool(row["is_primary"]),
                        role=row["role"] or "",
                    )
        else:
            super().save_formset(request, form, formset, change)

    def delete_model(self, request, obj):
        services.contact_delete(actor=request.user, contact=obj)

    def delete_queryset(self, request, queryset):
        for contact in queryset:
            services.contact_delete(actor=request.user, contact=contact)


class CompanyAddressInlineForm(forms.ModelForm):
    class Meta:
        model = CompanyAddress
        fields = ADDRESS_FIELDS

    def clean(self):
        data = super().clean()
        if not data.get("DELETE"):
            try:
                addresses_clean([_text_row({field: data.get(field) for field in ADDRESS_FIELDS})])
            except ValidationError as error:
                raise ValidationError(error.message_dict["addresses"]) from None
        return data


class CompanyAddressInline(admin.TabularInline):
    model = CompanyAddress
    form = CompanyAddressInlineForm
    fields = ADDRESS_FIELDS
    extra = 0


class BankAccountInlineForm(forms.ModelForm):
    class Meta:
        model = BankAccount
        fields = BANK_ACCOUNT_FIELDS

    def clean(self):
        data = super().clean()
        if not data.get("DELETE"):
            item = {field: data.get(field) for field in BANK_ACCOUNT_FIELDS}
            try:
                bank_accounts_clean([item])
            except ValidationError as error:
                raise ValidationError(error.message_dict["bank_accounts"]) from None
        return data


class BankAccountInline(admin.TabularInline):
    model = BankAccount
    form = BankAccountInlineForm
    extra = 0


class CompanyAdminForm(forms.ModelForm):
    class Meta:
        model = Company
        fields = sorted(COMPANY_EDITABLE_FIELDS - {"source_id", "responsible_id"})

    def clean_custom_fields(self):
        try:
            return clean_custom_fields(EntityType.COMPANY, self.cleaned_data["custom_fields"] or {})
        except ValidationError as error:
            raise ValidationError(error.messages) from None

    def clean(self):
        data = super().clean()
        try:
            clean_company_requisites(
                company_type=data.get("company_type") or "",
                inn=data.get("inn") or "",
                kpp=data.get("kpp") or "",
                ogrn=data.get("ogrn") or "",
            )
        except ValidationError as error:
            _reraise_as_form_error(self, error)
        return data


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    form = CompanyAdminForm
    list_display = ["title", "company_type", "inn", "responsible", "created_at"]
    list_filter = ["company_type"]
    list_select_related = ["responsible"]
    search_fields = ["title", "=inn", "full_name"]
    raw_id_fields = ["responsible"]
    inlines = [CompanyAddressInline, BankAccountInline, CommunicationInline]

    def save_model(self, request, obj, form, change):
        data = _form_values(form, change)
        if change:
            saved = services.company_update(actor=request.user, company=obj, data=data)
        else:
            saved = services.company_create(actor=request.user, data=data)
        _adopt(obj, saved)

    def save_formset(self, request, form, formset, change):
        company = form.instance
        _mark_saved_by_service(formset)
        if formset.model is Communication:
            lists = {"communications": _rows(formset, COMMUNICATION_FIELDS)}
        elif formset.model is CompanyAddress:
            rows = _rows(formset, ADDRESS_FIELDS)
            lists = {"addresses": [_text_row(row) for row in rows]}
        elif formset.model is BankAccount:
            lists = {"bank_accounts": _rows(formset, BANK_ACCOUNT_FIELDS)}
        else:
            super().save_formset(request, form, formset, change)
            return
        services.company_update(actor=request.user, company=company, data={}, **lists)

    def delete_model(self, request, obj):
        services.company_delete(actor=request.user, company=obj)

    def delete_queryset(self, request, queryset):
        for company in queryset:
            services.company_delete(actor=request.user, company=company)


@admin.register(ContactCompany)
class ContactCompanyAdmin(admin.ModelAdmin):
    """Links are read here; they are edited on the contact so the services keep one primary."""

    list_display = ["contact", "company", "is_primary", "role"]
    list_select_related = ["contact", "company"]
    search_fields = ["contact__last_name", "contact__first_name", "company__title", "=company__inn"]
    raw_id_fields = ["contact", "company"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
