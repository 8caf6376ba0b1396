"""URLs of the task pages; a task is addressed by its id (``pk``)."""

from django.urls import path

from voronka.tasks import views

app_name = "tasks"

urlpatterns = [
    path("tasks/", views.TaskListView.as_view(), name="task_list"),
    path("tasks/board/", views.TaskBoardView.as_view(), name="task_board"),
    path("tasks/new/", views.TaskCreateView.as_view(), name="task_create"),
    path("tasks/for-card/", views.CardTasksView.as_view(), name="card_tasks"),
    path("tasks/<int:pk>/", views.TaskDetailView.as_view(), name="task_detail"),
    path("tasks/<int:pk>/edit/", views.TaskEditView.as_view(), name="task_edit"),
    path("tasks/<int:pk>/status/", views.TaskStatusView.as_view(), name="task_status"),
    path("tasks/<int:pk>/deadline/", views.TaskDeadlineView.as_view(), name="task_deadline"),
    path("tasks/<int:pk>/move/", views.TaskMoveView.as_view(), name="task_move"),
    path("tasks/<int:pk>/comment/", views.TaskCommentView.as_view(), name="task_comment"),
    path("tasks/<int:pk>/checklist/", views.ChecklistView.as_view(), name="task_checklist"),
    path("tasks/<int:pk>/delete/", views.TaskDeleteView.as_view(), name="task_delete"),
]
