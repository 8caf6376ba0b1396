from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("voronka.sales.urls")),
    path("", include("voronka.contacts.urls")),
    path("", include("voronka.core.urls")),
    path("", include("voronka.staff.urls")),
    path("", include("voronka.timeline.urls")),
    path("", include("voronka.access.urls")),
    path("", include("voronka.tasks.urls")),
    path("", include("voronka.automation.urls")),
    path("", include("voronka.automation.monitoring.urls")),
    path("", include("voronka.automation.urls_transfer")),
    path("", include("voronka.notifications.urls")),
    path("", include("voronka.imports.urls")),
    path("", include("voronka.integrations.urls")),
    path("api/v1/", include("voronka.api.urls")),
    path("rest/", include("voronka.integrations.bitrix24.urls")),
    path("settings/", include("voronka.customization.urls")),
    path("admin/", admin.site.urls),
]
