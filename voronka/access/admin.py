"""Administration of roles before the settings editor exists; the audit log read-only."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from voronka.access.models import ApiToken, AuditEvent, FieldRule, Permission, Role
from voronka.access.services import api_token_revoke, audit_record


class PermissionInline(admin.TabularInline):
    model = Permission
    extra = 0
    fields = ["entity", "pipeline", "action", "scope"]


class FieldRuleInline(admin.TabularInline):
    model = FieldRule
    extra = 0
    fields = ["entity", "field", "access"]


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "is_system", "is_default", "requires_two_factor"]
    search_fields = ["name", "code"]
    filter_horizontal = ["members"]
    inlines = [PermissionInline, FieldRuleInline]

    def get_readonly_fields(self, request, obj=None):
        return ["code", "is_system"] if obj is not None and obj.is_system else ["is_system"]

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (obj and obj.is_system)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if form.changed_data:
            audit_record(
                action="role.update" if change else "role.create",
                request=request,
                obj=obj,
                details={"fields": [n for n in form.changed_data if n != "members"]},
            )

    def save_related(self, request, form, formsets, change):
        before = set(form.instance.members.values_list("pk", flat=True)) if change else set()
        super().save_related(request, form, formsets, change)
        after = set(form.instance.members.values_list("pk", flat=True))
        if before != after:
            audit_record(
                action="role.members",
                request=request,
                obj=form.instance,
                details={"added": sorted(after - before), "removed": sorted(before - after)},
            )

    def save_formset(self, request, form, formset, change):
        instances = formset.save()
        changed = [{"row": str(row), "fields": fields} for row, fields in formset.changed_objects]
        if instances or formset.deleted_objects or changed:
            audit_record(
                action="permission.change",
                request=request,
                obj=form.instance,
                details={
                    "added": [str(row) for row in formset.new_objects],
                    "changed": changed,
                    "removed": [str(row) for row in formset.deleted_objects],
                },
            )

    def delete_model(self, request, obj):
        audit_record(action="role.delete", request=request, obj=obj)
        super().delete_model(request, obj)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "kind", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["kind"]
    search_fields = ["name", "prefix", "user__username"]
    readonly_fields = [
        "user",
        "kind",
        "name",
        "scopes",
        "prefix",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    ]
    exclude = ["token_hash"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # issued by api_token_create, which shows the plain token once

    @admin.action(description=_("Revoke the chosen tokens"))
    def revoke(self, request, queryset):
        for token in queryset:
            api_token_revoke(actor=request.user, token=token, request=request)
        self.message_user(request, _("Tokens revoked."), messages.SUCCESS)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "actor_repr",
        "action",
        "object_type",
        "object_repr",
        "ip_address",
    ]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_repr", "object_repr", "object_id", "ip_address"]
    date_hierarchy = "created_at"
    list_select_related = ["actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
