from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TasksConfig(AppConfig):
    name = "voronka.tasks"
    label = "tasks"
    verbose_name = _("Tasks")

    def ready(self) -> None:
        from voronka.timeline.registry import register_entry_template

        register_entry_template("task", "tasks/partials/_card_timeline_entry.html")
        from voronka.tasks import merge  # noqa: F401 - registers how tasks follow a merge
