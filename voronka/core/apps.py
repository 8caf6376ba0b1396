from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "voronka.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from voronka.core.sqlite import install_unicode_like

        connection_created.connect(install_unicode_like, dispatch_uid="voronka-unicode-like")
