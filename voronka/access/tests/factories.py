import importlib

import factory
from django.apps import apps

from voronka.access.models import Permission, Role


class RoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Role

    code = factory.Sequence(lambda n: f"role-{n}")
    name = factory.Sequence(lambda n: f"Role {n}")


def role_with(*cells, members=(), **kwargs) -> Role:
    """A role whose matrix holds only ``cells`` — ``(entity, action, scope[, pipeline])``."""
    role = RoleFactory(**kwargs)
    for cell in cells:
        entity, action, scope, *pipeline = cell
        Permission.objects.create(
            role=role,
            entity=entity,
            action=action,
            scope=scope,
            pipeline=pipeline[0] if pipeline else None,
        )
    role.members.add(*members)
    return role


def install_default_roles() -> None:
    """The default roles as the data migration installs them, for a database that was flushed
    (transactional and browser tests); nothing happens when roles exist."""
    if not Role.objects.exists():
        migration = importlib.import_module("voronka.access.migrations.0002_default_roles")
        migration.install(apps, None)
