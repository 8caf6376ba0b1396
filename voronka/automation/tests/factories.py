"""Robots for tests. Cards are created through the sales services so their events fire."""

import factory

from voronka.automation.models import Robot


class RobotFactory(factory.django.DjangoModelFactory):
    """A robot that adds a comment at once; pass ``stage`` (its pipeline follows)."""

    class Meta:
        model = Robot

    pipeline = factory.LazyAttribute(lambda robot: robot.stage.pipeline)
    name = factory.Sequence(lambda n: f"Робот {n}")
    action = "comment"
    params = factory.LazyFunction(lambda: {"text": "Клиент {{ deal.title }} ждёт звонка"})
    condition = factory.LazyFunction(dict)
    timing = factory.LazyFunction(dict)
    sort = factory.Sequence(lambda n: 10 * (n + 1))
