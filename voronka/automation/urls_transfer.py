"""Export and import of a pipeline's automation; included by the project's URL conf."""

from django.urls import path

from voronka.automation import views_transfer

app_name = "automation_transfer"

urlpatterns = [
    path(
        "settings/automation/pipelines/<int:pk>/export/",
        views_transfer.ExportView.as_view(),
        name="export",
    ),
    path(
        "settings/automation/pipelines/<int:pk>/import/",
        views_transfer.ImportView.as_view(),
        name="import",
    ),
]
