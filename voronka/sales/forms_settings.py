"""Forms of the sales settings: pipelines, stages, loss reasons, products and sections.

They check the input's shape; the services in ``sales.services`` validate and write."""

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from voronka.customization.forms import ShapeModelForm
from voronka.customization.validation import definitions_for
from voronka.sales.models import (
    Deal,
    Lead,
    LossReason,
    Pipeline,
    PipelineEntity,
    Product,
    ProductSection,
    Stage,
)
from voronka.sales.services.common import field_label, known_required_codes


class PipelineForm(ShapeModelForm):
    class Meta:
        model = Pipeline
        fields = ["name", "sort", "is_default"]
        help_texts = {"is_default": _("New cards go to the default pipeline.")}


class StageForm(ShapeModelForm):
    required_fields = forms.MultipleChoiceField(
        label=_("Required fields"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("A card cannot enter this stage while these fields are empty."),
    )

    color = forms.RegexField(
        label=_("Colour"),
        regex=r"^#[0-9A-Fa-f]{6}$",
        error_messages={"invalid": _("Choose a colour such as #2f6fed.")},
        widget=forms.TextInput(attrs={"type": "color"}),
    )

    class Meta:
        model = Stage
        fields = ["name", "color", "kind", "probability"]

    def __init__(self, *args, pipeline: Pipeline, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["required_fields"].choices = required_field_choices(pipeline.entity)
        if self.instance.pk:
            self.initial["required_fields"] = list(self.instance.required_fields or [])


def required_field_choices(entity: str) -> list[tuple[str, str]]:
    """Every field a stage of ``entity`` may demand, standard and custom, by label."""
    definitions = definitions_for(entity)
    model = Lead if entity == PipelineEntity.LEAD else Deal
    codes = known_required_codes(entity, definitions)
    choices = [(code, capfirst(str(field_label(model, code, definitions)))) for code in codes]
    return sorted(choices, key=lambda choice: (choice[0] in definitions, choice[1].lower()))


class LossReasonForm(ShapeModelForm):
    class Meta:
        model = LossReason
        fields = ["name", "sort", "is_active"]


class ProductSectionForm(ShapeModelForm):
    class Meta:
        model = ProductSection
        fields = ["name", "parent", "sort"]
        labels = {"parent": _("Parent section")}


class ProductForm(ShapeModelForm):
    class Meta:
        model = Product
        fields = [
            "name",
            "sku",
            "section",
            "price",
            "currency",
            "vat_rate",
            "vat_included",
            "unit",
            "is_active",
            "description",
        ]
        help_texts = {"vat_rate": _("Empty means “without VAT”.")}
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class ProductFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    active = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), ("yes", _("Active")), ("no", _("Inactive"))],
    )
    page = forms.IntegerField(required=False, min_value=1)

    def __init__(self, *args, sections, **kwargs):
        super().__init__(*args, **kwargs)
        # The sections are read once by the view; the choice is checked against that list.
        self.fields["section"] = forms.TypedChoiceField(
            label=_("Section"),
            required=False,
            coerce=int,
            empty_value=None,
            choices=[("", _("All sections"))] + [(s.pk, s.name) for s in sections],
        )
