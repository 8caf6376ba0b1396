from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from voronka.staff.models import Absence, Department, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "last_name", "first_name", "position", "department", "is_active"]
    list_filter = ["department", "is_active", "is_staff"]
    list_select_related = ["department"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (
            _("Employee"),
            {
                "fields": (
                    "middle_name",
                    "position",
                    "department",
                    "phone",
                    "photo",
                    "hourly_cost_rate",
                    "work_day_start",
                    "work_day_end",
                    "work_days",
                )
            },
        ),
    )


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "parent", "head", "sort"]
    list_select_related = ["parent", "head"]
    raw_id_fields = ["head"]


@admin.register(Absence)
class AbsenceAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "starts_on", "ends_on"]
    list_filter = ["kind"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    date_hierarchy = "starts_on"
