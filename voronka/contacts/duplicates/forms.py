"""Duplicate control in web forms: ask first, "create anyway" records, a block sits at its
field. Shared by the contact, company and lead forms and card sections."""

from django import forms
from django.http import HttpRequest

from voronka.contacts.duplicates.checks import DuplicateBlocked, OnDuplicate, field_of
from voronka.contacts.models import DuplicateEntity, DuplicateRule

# The button of the duplicates panel that submits the form again, accepting the matches.
CONFIRM_FIELD = "duplicates_confirmed"
# Form fields a blocked rule's message is put at, in order of preference.
_FORM_FIELDS = {
    DuplicateRule.PHONE: ("phone", "communications"),
    DuplicateRule.EMAIL: ("email", "communications"),
    DuplicateRule.INN: ("inn",),
    DuplicateRule.INN_KPP: ("inn", "kpp"),
    DuplicateRule.PERSON: ("last_name", "first_name", "phone"),
}


def on_duplicate_of(request: HttpRequest) -> OnDuplicate:
    """ "record" when the user pressed "Create anyway" / "Save anyway", otherwise "ask"."""
    return "record" if request.POST.get(CONFIRM_FIELD) else "ask"


def _form_field(form: forms.BaseForm, entity: str, rule: str) -> str | None:
    if rule == DuplicateRule.COMPANY_NAME:
        names = ("company_title",) if entity == DuplicateEntity.LEAD else ("title",)
    else:
        names = _FORM_FIELDS.get(rule, (field_of(entity, rule),))
    return next((name for name in names if name in form.fields), None)


def add_blocked_errors(form: forms.BaseForm, error: DuplicateBlocked) -> None:
    """Each blocking match at the form field it concerns (the phone, the INN…), once per
    field; form-wide when the form has no such field."""
    placed: set[str | None] = set()
    for notice in error.notices:
        field = _form_field(form, error.entity, notice.match.rule)
        if field in placed:
            continue
        placed.add(field)
        form.add_error(field, notice.sentence)
