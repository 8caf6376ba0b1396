from django import forms
from django.utils.translation import gettext_lazy as _

from voronka.integrations.delivery import validate_target_url
from voronka.integrations.events import event_type_choices


class WebhookForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    target_url = forms.CharField(
        label=_("Address"),
        max_length=2000,
        help_text=_("Where the events are posted, e.g. https://example.com/hooks/voronka."),
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    event_types = forms.MultipleChoiceField(
        label=_("Events"),
        choices=event_type_choices,
        widget=forms.CheckboxSelectMultiple,
    )

    def clean_target_url(self):
        url = self.cleaned_data["target_url"].strip()
        validate_target_url(url)
        return url


class DeliveryFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args, **kwargs):
        from voronka.integrations.models import DeliveryStatus

        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All")), *DeliveryStatus.choices]
