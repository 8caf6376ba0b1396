"""Create (or update) the administrator account so a fresh install can be signed into."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Make sure the administrator 'admin' exists; print its login."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument(
            "--password",
            default="",
            help="Set this password. Without it an existing admin keeps its password "
            "and a new one gets a generated password that is printed.",
        )

    def handle(self, *args, username, password, **options):
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is None:
            password = password or secrets.token_urlsafe(12)
            User.objects.create_superuser(
                username=username,
                password=password,
                first_name="Администратор",
                email=f"{username}@voronka.local",
            )
            self.stdout.write(f"Administrator created. Login: {username}  Password: {password}")
        elif password:
            user.set_password(password)
            user.is_active = user.is_staff = user.is_superuser = True
            user.save(update_fields=["password", "is_active", "is_staff", "is_superuser"])
            self.stdout.write(
                f"Administrator password set. Login: {username}  Password: {password}"
            )
        else:
            self.stdout.write(
                f"Administrator exists. Login: {username}  Password: unchanged "
                "(set ADMIN_PASSWORD to reset it)"
            )
