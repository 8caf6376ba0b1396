"""The composer of a card's feed: a comment, a call, a meeting or a to-do."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from voronka.core.sections import LookupWidget
from voronka.timeline.models import ActivityKind
from voronka.timeline.selectors import user_label

DATETIME_INPUT = "%Y-%m-%dT%H:%M"
# The tabs of the composer; e-mail activities arrive with the mail channel.
COMPOSER_KINDS = (ActivityKind.CALL, ActivityKind.MEETING, ActivityKind.TO_DO)


def _label_of_user(pk) -> str:
    return user_label(user=None, pk=pk)


class CommentForm(forms.Form):
    text = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("Write a comment…")}),
    )


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[(kind.value, kind.label) for kind in COMPOSER_KINDS], widget=forms.HiddenInput
    )
    subject = forms.CharField(label=_("Subject"), max_length=255, required=False)
    deadline = forms.DateTimeField(
        label=_("When"),
        required=False,
        input_formats=[DATETIME_INPUT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT),
    )
    responsible = forms.ModelChoiceField(
        label=_("Responsible"),
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
        widget=LookupWidget("timeline:user_lookup", label_of=_label_of_user),
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    done = forms.BooleanField(label=_("Already done"), required=False)
    result = forms.CharField(label=_("Result"), required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is not None and not self.is_bound:
            self.initial.setdefault("responsible", user.pk)
            self.fields["responsible"].widget.label = user.get_full_name() or user.get_username()

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == ActivityKind.TO_DO:
            if not data.get("subject"):
                self.add_error("subject", _("Write what is to be done."))
            if not data.get("deadline") and "deadline" not in self.errors:
                self.add_error("deadline", _("Set the deadline of the to-do."))
            data["done"] = False
        elif (
            kind
            and not data.get("done")
            and not data.get("deadline")
            and "deadline" not in self.errors
        ):
            self.add_error("deadline", _("Set the time, or tick “Already done”."))
        if kind and not data.get("subject"):
            data["subject"] = str(ActivityKind(kind).label)
        return data


class ActivityCompleteForm(forms.Form):
    result = forms.CharField(
        label=_("Result"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("How did it go?")}),
    )
