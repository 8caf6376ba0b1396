"""Forms of the settings area. They check the input's shape only; the services validate and
write, and their refusals are shown under the fields they name."""

from django import forms
from django.utils.translation import gettext_lazy as _

from voronka.customization.models import CustomField, Source


class TypedDecimalField(forms.DecimalField):
    """A number as people type it: ``12 500,50`` as well as ``12500.50``."""

    def to_python(self, value):
        if isinstance(value, str):
            value = value.replace(" ", "").replace("\u00a0", "").replace(",", ".")
        return super().to_python(value)


class ShapeModelForm(forms.ModelForm):
    """A model form that only parses input: it neither touches its instance nor runs model
    validation — the service does both, so every path (UI, API, import) obeys the same rules.
    The instance only supplies the initial values."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if type(field) is forms.DecimalField:
                typed = TypedDecimalField(
                    max_digits=field.max_digits,
                    decimal_places=field.decimal_places,
                    required=field.required,
                    label=field.label,
                    help_text=field.help_text,
                    initial=field.initial,
                )
                typed.widget = forms.TextInput(attrs={"inputmode": "decimal"})
                self.fields[name] = typed

    def _post_clean(self):
        pass

    def save(self, commit=True):
        raise NotImplementedError("Writes go through the services.")


class SourceForm(ShapeModelForm):
    class Meta:
        model = Source
        fields = ["code", "name", "sort", "is_active"]
        help_texts = {"code": _("Latin letters and digits; cannot be changed later.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["code"].disabled = True


class CustomFieldForm(ShapeModelForm):
    options = forms.CharField(
        label=_("List options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("For a list: one option per line."),
    )
    default = forms.CharField(
        label=_("Default value"),
        required=False,
        help_text=_("Offered on new cards; empty for none."),
    )

    class Meta:
        model = CustomField
        fields = [
            "entity",
            "label",
            "code",
            "field_type",
            "multiple",
            "required",
            "section",
            "sort",
            "is_active",
        ]
        help_texts = {
            "code": _("Latin letters, digits and underscores; cannot be changed later."),
            "is_active": _("An inactive field is hidden from cards; its values are kept."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for name in ("entity", "code"):
                self.fields[name].disabled = True
            self.initial["options"] = "\n".join(
                str(option["label"]) for option in self.instance.options or []
            )
            default = (self.instance.settings or {}).get("default")
            self.initial["default"] = "" if default is None else default

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        if self.instance.pk:
            data.pop("entity")
            data.pop("code")
        data["default"] = data["default"].strip() or None
        return data
