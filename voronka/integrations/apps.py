from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "voronka.integrations"
    label = "integrations"
    verbose_name = _("Integrations")

    def ready(self) -> None:
        from voronka.integrations import events

        events.connect()
