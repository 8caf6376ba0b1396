from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _


class OneTimeCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the authenticator app"),
        max_length=8,
        validators=[RegexValidator(r"^\s*\d{6,8}\s*$", _("Enter the 6 digits the app shows."))],
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "pattern": "[0-9 ]*",
            }
        ),
    )


def apply_field_rules(form: forms.BaseForm, *, user, entity: str) -> forms.BaseForm:
    """Drop the fields hidden from the user and disable the read-only ones (a disabled field
    keeps its initial value whatever is posted), so a form never shows or takes them."""
    from voronka.access.predicates import hidden_fields, readonly_fields

    hidden = hidden_fields(user, entity)
    for name in list(form.fields):
        if name in hidden:
            del form.fields[name]
        elif name in readonly_fields(user, entity):
            form.fields[name].disabled = True
    return form
