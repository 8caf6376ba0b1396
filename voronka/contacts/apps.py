from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactsConfig(AppConfig):
    name = "voronka.contacts"
    label = "contacts"
    verbose_name = _("Contacts and companies")

    def ready(self) -> None:
        from voronka.contacts import (
            duplicate_scan,  # noqa: F401 - the scan's Celery task
            duplicates,
            handlers,
        )
        from voronka.contacts.duplicates import checks
        from voronka.contacts.merging import register_merge_mover
        from voronka.contacts.services.merge import MERGE_ENTRY_KIND, move_contacts_rows
        from voronka.timeline.registry import register_entry_template

        handlers.connect()
        duplicates.connect()
        register_entry_template(
            checks.ENTRY_KIND, "contacts/partials/_duplicates_timeline_entry.html"
        )
        register_merge_mover("contacts", move_contacts_rows)
        register_entry_template(MERGE_ENTRY_KIND, "contacts/partials/_merge_timeline_entry.html")
