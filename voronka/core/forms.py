"""How every form field renders: one wrapper with label, widget, help text and errors."""

from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    """Project templates first (so a page can override a widget), then Django's own."""

    field_template_name = "core/forms/field.html"
