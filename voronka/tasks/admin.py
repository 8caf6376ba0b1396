from django.contrib import admin

from voronka.tasks.models import ChecklistItem, DeadlineChange, Task, TaskEntry


class ChecklistInline(admin.TabularInline):
    model = ChecklistItem
    extra = 0
    can_delete = False
    readonly_fields = ["text", "done", "sort"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    """For looking up a task (by robot run, by card); changes go through the task pages, where
    the deadline policy, the history and the events hold."""

    list_display = ["title", "status", "deadline", "responsible", "created_by", "robot_run_id"]
    list_filter = ["status", "requires_control"]
    list_select_related = ["responsible", "created_by"]
    search_fields = ["title", "robot_run_id"]
    show_full_result_count = False
    inlines = [ChecklistInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TaskEntry, DeadlineChange)
class TaskHistoryAdmin(admin.ModelAdmin):
    """History is evidence: administrators can read it but not rewrite it."""

    list_select_related = True

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
