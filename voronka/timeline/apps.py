from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TimelineConfig(AppConfig):
    name = "voronka.timeline"
    label = "timeline"
    verbose_name = _("Timeline")

    def ready(self) -> None:
        from voronka.timeline import merge  # noqa: F401 - registers how feeds follow a merge
