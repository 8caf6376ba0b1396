from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "voronka.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self) -> None:
        from voronka.sales import (
            client_value,
            merge,  # noqa: F401 - registers how deals follow a merge
        )

        client_value.connect()
