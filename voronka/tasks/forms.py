"""Forms of the task pages: they check the input's shape; the services decide the rest."""

from django import forms
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from voronka.core.sections import LookupWidget
from voronka.tasks.models import TaskStatus
from voronka.tasks.selectors import ROLES

DATETIME_INPUT = "%Y-%m-%dT%H:%M"
DATETIME_FORMATS = [DATETIME_INPUT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%d.%m.%Y %H:%M"]
USER_LOOKUP = "timeline:user_lookup"


def _label_of_user(pk) -> str:
    found = get_user_model().objects.filter(pk=pk).first() if str(pk).isdigit() else None
    return str(found) if found else ""


def _active_users():
    return get_user_model().objects.filter(is_active=True)


class DeadlineInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=DATETIME_INPUT)


class MultiUserWidget(forms.Widget):
    """Chosen employees as removable chips plus a typeahead to add more; posts one value per
    chosen employee under the field's name."""

    template_name = "tasks/widgets/multi_user.html"

    def value_from_datadict(self, data, files, name):
        return data.getlist(name) if hasattr(data, "getlist") else data.get(name, [])

    def value_omitted_from_data(self, data, files, name):
        return False

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        ids = [str(getattr(item, "pk", item)) for item in value or [] if item not in (None, "")]
        ids = [pk for pk in ids if pk.isdigit()]
        users = {str(user.pk): user for user in _active_users().filter(pk__in=ids)} if ids else {}
        context["widget"].update(
            chosen=[users[pk] for pk in ids if pk in users], url=reverse(USER_LOOKUP)
        )
        return context

    def format_value(self, value):
        return value


class TaskForm(forms.Form):
    """Creating (with a checklist and a card link) and editing a task."""

    title = forms.CharField(label=_("What is to be done"), max_length=255, required=False)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    responsible = forms.ModelChoiceField(
        label=_("Responsible"),
        queryset=_active_users(),
        required=False,
        widget=LookupWidget(USER_LOOKUP, label_of=_label_of_user),
    )
    deadline = forms.DateTimeField(
        label=_("Deadline"), required=False, input_formats=DATETIME_FORMATS, widget=DeadlineInput
    )
    requires_control = forms.BooleanField(
        label=_("Accept the result"),
        required=False,
        help_text=_("When the responsible finishes, you check the result and accept it."),
    )
    co_executors = forms.ModelMultipleChoiceField(
        label=_("Co-executors"), queryset=_active_users(), required=False, widget=MultiUserWidget
    )
    observers = forms.ModelMultipleChoiceField(
        label=_("Observers"), queryset=_active_users(), required=False, widget=MultiUserWidget
    )
    checklist = forms.CharField(
        label=_("Checklist"),
        required=False,
        help_text=_("One item per line."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    card = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user=None, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible"].widget.attrs["aria-label"] = _("Responsible")
        if editing:
            # The deadline moves through its own dialog (with its policy and history).
            for name in ("checklist", "card", "deadline"):
                del self.fields[name]
        elif user is not None and not self.is_bound:
            self.initial.setdefault("responsible", user.pk)
        responsible = self.initial.get("responsible")
        if responsible is not None and not self.is_bound:
            person = getattr(responsible, "pk", None) and responsible
            self.fields["responsible"].widget.label = (
                str(person) if person else _label_of_user(responsible)
            )

    def clean(self):
        data = super().clean()
        if not (data.get("title") or "").strip() and "title" not in self.errors:
            self.add_error("title", _("Write what is to be done."))
        if data.get("responsible") is None and "responsible" not in self.errors:
            self.add_error("responsible", _("Choose the responsible."))
        return data

    def checklist_items(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data.get("checklist", "").splitlines()]

    def card_reference(self) -> tuple[str, int] | None:
        """``("deal", 42)`` from the hidden ``deal:42``; None when empty or malformed."""
        return parse_card_reference(self.cleaned_data.get("card", ""))


def parse_card_reference(text: str | None) -> tuple[str, int] | None:
    kind, _sep, number = (text or "").partition(":")
    if not kind or not number.isdigit():
        return None
    return kind, int(number)


class DeadlineForm(forms.Form):
    deadline = forms.DateTimeField(
        label=_("New deadline"),
        required=False,
        input_formats=DATETIME_FORMATS,
        widget=DeadlineInput,
        help_text=_("Leave empty to remove the deadline."),
    )
    comment = forms.CharField(
        label=_("Why it moves"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ResultForm(forms.Form):
    result = forms.CharField(
        label=_("Result"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("What was done?")}),
    )


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label=_("What is to be redone"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CommentForm(forms.Form):
    text = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("Write a comment…")}),
    )


class ChecklistItemForm(forms.Form):
    text = forms.CharField(
        label=_("New item"),
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": _("Add an item…")}),
    )


class TaskFilterForm(forms.Form):
    """The filters of "My tasks": whose tasks, status, overdue only."""

    role = forms.ChoiceField(
        label=_("Whose"),
        required=False,
        choices=[("", _("All mine")), *[(code, label) for code, label in ROLES.items()]],
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Open")), *TaskStatus.choices, ("all", _("Any"))],
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
