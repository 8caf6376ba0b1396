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


# ---- The roles editor and the audit log (settings) ----------------------------------------


class RoleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Who holds the role and what it is for."),
    )
    requires_two_factor = forms.BooleanField(
        label=_("Requires a second factor"),
        required=False,
        help_text=_("Holders confirm each sign-in with a code from an authenticator app."),
    )
    is_default = forms.BooleanField(
        label=_("For employees without a role"),
        required=False,
        help_text=_("Employees who hold no role get the rights of this role."),
    )


class MemberForm(forms.Form):
    """An employee to add to a role, chosen by typing a name."""

    user = forms.ModelChoiceField(label=_("Employee"), queryset=None)

    def __init__(self, *args, employees, **kwargs):
        from voronka.staff.forms import EmployeePicker

        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = employees
        self.fields["user"].widget = EmployeePicker()
        self.fields["user"].widget.choices = self.fields["user"].choices


class FieldRuleForm(forms.Form):
    """A field of an entity (``entity:field``) made hidden or read-only for the role."""

    field = forms.ChoiceField(label=_("Field"), choices=())
    access = forms.ChoiceField(label=_("Access"), choices=())

    def __init__(self, *args, field_choices, **kwargs):
        from voronka.access.models import FieldAccess

        super().__init__(*args, **kwargs)
        self.fields["field"].choices = [("", "---------"), *field_choices]
        self.fields["access"].choices = FieldAccess.choices

    def clean_field(self) -> tuple[str, str]:
        entity, _sep, code = self.cleaned_data["field"].partition(":")
        return entity, code


class AuditFilterForm(forms.Form):
    """Filters of the audit log; every one is optional."""

    group = forms.ChoiceField(label=_("Events"), required=False, choices=())
    actor = forms.ModelChoiceField(label=_("Employee"), required=False, queryset=None)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Employee, object or IP address")}
        ),
    )

    def __init__(self, *args, groups, employees, **kwargs):
        from voronka.staff.forms import EmployeePicker

        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [("", _("All events")), *groups]
        self.fields["actor"].queryset = employees
        self.fields["actor"].widget = EmployeePicker()
        self.fields["actor"].widget.choices = self.fields["actor"].choices
