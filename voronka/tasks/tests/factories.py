import factory

from voronka.staff.tests.factories import UserFactory
from voronka.tasks.models import Task


class TaskFactory(factory.django.DjangoModelFactory):
    """A task written straight to the table (for reads); services are tested through calls."""

    class Meta:
        model = Task

    title = factory.Sequence(lambda n: f"Позвонить клиенту {n}")
    responsible = factory.SubFactory(UserFactory)
    created_by = factory.LazyAttribute(lambda task: task.responsible)
