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
    path(
        "settings/automation/stages/<int:pk>/triggers/new/",
        views.TriggerCreateView.as_view(),
        name="trigger_create",
    ),
    path(
        "settings/automation/triggers/<int:pk>/",
        views.TriggerUpdateView.as_view(),
        name="trigger_update",
    ),
    path(
        "settings/automation/triggers/<int:pk>/toggle/",
        views.TriggerToggleView.as_view(),
        name="trigger_toggle",
    ),
    path(
        "settings/automation/triggers/<int:pk>/delete/",
        views.TriggerDeleteView.as_view(),
        name="trigger_delete",
    ),
    path(
        "automation/hooks/<int:pk>/<str:secret>/",
        views.TriggerHookView.as_view(),
        name="trigger_hook",
    ),
]
