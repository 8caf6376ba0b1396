"""Forms of the import pages: the file, the columns' fields and the duplicate action."""

from django import forms
from django.utils.translation import gettext_lazy as _

from voronka.imports.mapping import Target
from voronka.imports.models import DuplicateAction


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV (UTF-8 or Windows-1251, columns separated by “;”, “,” or tab) or XLSX; the "
            "first row holds the column titles."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx"}),
    )


class MappingForm(forms.Form):
    """One choice per column of the file (``column_0``, ``column_1``…)."""

    duplicate_action = forms.ChoiceField(
        label=_("When a row looks like an existing card"),
        choices=DuplicateAction.choices,
        widget=forms.RadioSelect,
    )
    template_name = forms.CharField(
        label=_("Save these columns as a template"),
        required=False,
        max_length=200,
        help_text=_("A file with the same columns gets them again. Leave empty to not save."),
    )

    def __init__(self, *args, headers: list[str], targets: list[Target], samples, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("— do not import —")), *((t.code, t.label) for t in targets)]
        self.columns = []
        for index, header in enumerate(headers):
            name = f"column_{index}"
            self.fields[name] = forms.ChoiceField(label=header, choices=choices, required=False)
            self.columns.append((name, header, samples[index] if index < len(samples) else []))

    def column_fields(self):
        return [(self[name], header, sample) for name, header, sample in self.columns]

    def mapping(self) -> list[str]:
        return [self.cleaned_data.get(name) or "" for name, _header, _sample in self.columns]
