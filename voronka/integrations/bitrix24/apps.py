from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Bitrix24Config(AppConfig):
    name = "voronka.integrations.bitrix24"
    label = "bitrix24"
    verbose_name = _("Bitrix24-compatible API")

    def ready(self) -> None:
        # The method table fills as the handlers are imported.
        from voronka.integrations.bitrix24 import batch, delivery, methods  # noqa: F401

        delivery.connect()
