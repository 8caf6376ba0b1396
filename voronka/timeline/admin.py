from django.contrib import admin

from voronka.timeline.models import Activity, TimelineEntry


@admin.register(TimelineEntry)
class TimelineEntryAdmin(admin.ModelAdmin):
    """History is evidence: administrators can read it but not rewrite it."""

    list_display = ["created_at", "kind", "card_type", "card_id", "author"]
    list_filter = ["kind", "card_type"]
    list_select_related = ["author", "card_type"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["subject", "kind", "deadline", "responsible", "completed_at"]
    list_filter = ["kind"]
    list_select_related = ["responsible"]
    raw_id_fields = ["responsible", "created_by", "completed_by"]
