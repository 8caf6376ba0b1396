"""URLs of the settings area: the hub, sources and custom fields. Pipelines, loss reasons and
products live with sales, employees and departments with staff, all under /settings/."""

from django.urls import path

from voronka.customization import views

app_name = "customization"

urlpatterns = [
    path("", views.SettingsIndexView.as_view(), name="settings_index"),
    path("sources/", views.SourceListView.as_view(), name="settings_sources"),
    path("sources/new/", views.SourceCreateView.as_view(), name="settings_source_create"),
    path("sources/<int:pk>/", views.SourceUpdateView.as_view(), name="settings_source_update"),
    path("fields/", views.CustomFieldListView.as_view(), name="settings_custom_fields"),
    path(
        "fields/new/",
        views.CustomFieldCreateView.as_view(),
        name="settings_custom_field_create",
    ),
    path(
        "fields/<int:pk>/",
        views.CustomFieldUpdateView.as_view(),
        name="settings_custom_field_update",
    ),
]
