"""Robots can be set up here until the robot editor exists; runs are read-only records."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from voronka.automation.models import Robot, RobotRun, RunEffect
from voronka.automation.services import robot_clean, robot_update


class RobotAdminForm(forms.ModelForm):
    class Meta:
        model = Robot
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
        if self.errors:
            return
        try:
            robot_clean(self.instance)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                self.add_error(name if name in self.fields else None, messages)


@admin.register(Robot)
class RobotAdmin(admin.ModelAdmin):
    form = RobotAdminForm
    list_display = ["name", "pipeline", "stage", "action", "sort", "is_active"]
    list_filter = ["is_active", "action", "pipeline"]
    list_select_related = ["pipeline", "stage"]
    search_fields = ["name"]

    def save_model(self, request, obj, form, change):
        if change:
            robot_update(actor=request.user, robot=obj, data=form.cleaned_data)
        else:
            obj.save()


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
