from django.core.management.base import BaseCommand

from voronka.contacts.services.families import contact_address_keys_sync_all


class Command(BaseCommand):
    help = "Fill the normalised address key of every contact (family suggestions read it)."

    def handle(self, *args, **options):
        changed = contact_address_keys_sync_all()
        self.stdout.write(f"Address keys changed: {changed}")
