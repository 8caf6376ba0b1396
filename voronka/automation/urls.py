from django.urls import path

from voronka.automation import views

app_name = "automation"

urlpatterns = [
    path("settings/automation/", views.EditorView.as_view(), name="editor"),
    path(
        "settings/automation/stages/<int:pk>/robots/new/",
        views.RobotCreateView.as_view(),
        name="robot_create",
    ),
    path(
        "settings/automation/stages/<int:pk>/robots/reorder/",
        views.RobotReorderView.as_view(),
        name="robot_reorder",
    ),
    path(
        "settings/automation/pipelines/<int:pk>/row/",
        views.RowView.as_view(),
        name="editor_row",
    ),
    path(
        "settings/automation/robots/<int:pk>/", views.RobotUpdateView.as_view(), name="robot_update"
    ),
    path(
        "settings/automation/robots/<int:pk>/toggle/",
        views.RobotToggleView.as_view(),
        name="robot_toggle",
    ),
    path(
        "settings/automation/robots/<int:pk>/delete/",
        views.RobotDeleteView.as_view(),
        name="robot_delete",
    ),
    path(
        "settings/automation/robots/<int:pk>/runs/",
        views.RobotRunsView.as_view(),
        name="robot_runs",
    ),
]
