"""URLs of file imports."""

from django.urls import path

from voronka.imports import views

app_name = "imports"

urlpatterns = [
    path("imports/", views.ImportListView.as_view(), name="list"),
    path("imports/<str:entity>/new/", views.ImportUploadView.as_view(), name="upload"),
    path("imports/<int:pk>/columns/", views.ImportMappingView.as_view(), name="mapping"),
    path("imports/<int:pk>/preview/", views.ImportPreviewView.as_view(), name="preview"),
    path("imports/<int:pk>/start/", views.ImportStartView.as_view(), name="start"),
    path("imports/<int:pk>/", views.ImportProgressView.as_view(), name="progress"),
    path(
        "imports/<int:pk>/report/<str:file_format>/",
        views.ImportReportView.as_view(),
        name="report",
    ),
]
