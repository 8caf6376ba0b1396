"""Robots can be set up here until the robot editor exists; runs are read-only records."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from voronka.automation.actions import all_actions
from voronka.automation.models import Robot, RobotRun, RunEffect
from voronka.automation.services import robot_clean, robot_create, robot_update


def _action_choices():
    return [(action.code, action.label) for action in all_actions()]


class RobotAdminForm(forms.ModelForm):
    action = forms.ChoiceField(label=_("Action"), choices=_action_choices)

    class Meta:
        model = Robot
        help_texts = {
            "params": _(
                'Depends on the action. Comment: {"text": "Call {{ deal.title }}"}. Change '
                'fields: {"values": [{"field": "probability", "value": 50}, {"field": '
                '"amount", "expression": "amount * 0.9"}]}. Move: {"stage": 12}. E-mail: '
                '{"subject": "…", "body": "…"}. Assign: {"strategy": "round_robin", "users": '
                "[3, 5]} (or least_loaded; department with "
                '{"department": 2}).'
            ),
            "condition": _(
                '{"join": "and", "rules": [{"field": "amount", "op": "gte", "value": '
                '"100000"}]}; operators eq, ne, gt, gte, lt, lte, contains, empty, not_empty, in. '
                "Empty: always."
            ),
            "timing": _(
                'Empty: at once. {"type": "after", "amount": 2, "unit": "hours"}; {"type": '
                '"at_field", "field": "closes_on", "offset": -1, "unit": "days", "time": '
                '"10:00"}; add "working_hours": true to keep to working hours.'
            ),
        }
        fields = [
            "pipeline",
            "stage",
            "sort",
            "name",
            "action",
            "params",
            "condition",
            "timing",
            "is_active",
        ]

    def _post_clean(self):
        super()._post_clean()
        # Every problem at once: the robot's own checks name what the fields' checks did not.
        try:
            robot_clean(self.instance)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                field = name if name in self.fields else None
                if field is None or field not in self.errors:
                    self.add_error(field, messages)


@admin.register(Robot)
class RobotAdmin(admin.ModelAdmin):
    form = RobotAdminForm
    list_display = ["name", "pipeline", "stage", "action", "sort", "is_active"]
    list_filter = ["is_active", "action", "pipeline"]
    list_select_related = ["pipeline", "stage"]
    search_fields = ["name"]

    def save_model(self, request, obj, form, change):
        # Through the services like the robot editor: rights, validation, open runs cancelled.
        if change:
            robot_update(actor=request.user, robot=obj, data=form.cleaned_data)
        else:
            created = robot_create(actor=request.user, data=form.cleaned_data)
            obj.pk, obj._state.adding = created.pk, False


class RunEffectInline(admin.TabularInline):
    model = RunEffect
    extra = 0
    can_delete = False
    readonly_fields = ["key", "created_at", "details"]


@admin.register(RobotRun)
class RobotRunAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "robot",
        "card_type",
        "card_id",
        "status",
        "due_at",
        "attempts",
        "finished_at",
        "outcome",
    ]
    list_filter = ["status"]
    list_select_related = ["robot", "card_type"]
    search_fields = ["outcome"]
    readonly_fields = [field.name for field in RobotRun._meta.fields]
    inlines = [RunEffectInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
