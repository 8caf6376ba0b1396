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


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=150, help_text=_("Where the token is used, e.g. “1C exchange”.")
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=())
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), choices=(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, **kwargs):
        from voronka.access.models import TokenKind, TokenScope

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = TokenKind.choices
        self.fields["scopes"].choices = TokenScope.choices
