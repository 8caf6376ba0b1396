from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    name = "voronka.access"
    label = "access"
    verbose_name = _("Access rights")

    def ready(self):
        from voronka.access import signals  # noqa: F401  (sign-in audit receivers)
