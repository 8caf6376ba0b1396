"""Factories for pipelines, stages, leads, deals and products."""

import factory

from voronka.customization.models import Source
from voronka.sales.models import (
    Deal,
    Lead,
    LossReason,
    Pipeline,
    PipelineEntity,
    Product,
    Stage,
    StageKind,
)
from voronka.staff.tests.factories import UserFactory


class PipelineFactory(factory.django.DjangoModelFactory):
    """A pipeline; ``PipelineFactory.with_stages()`` adds open, open, won and lost stages."""

    class Meta:
        model = Pipeline

    entity = PipelineEntity.DEAL
    name = factory.Sequence(lambda n: f"Воронка {n}")
    is_default = False

    @classmethod
    def with_stages(cls, *, stages=None, **kwargs) -> Pipeline:
        """A pipeline with stages from ``[(code, kind), …]`` (a standard set by default)."""
        pipeline = cls(**kwargs)
        stages = stages or [
            ("new", StageKind.OPEN),
            ("in_progress", StageKind.OPEN),
            ("won", StageKind.WON),
            ("lost", StageKind.LOST),
        ]
        for position, (code, kind) in enumerate(stages, start=1):
            StageFactory(
                pipeline=pipeline,
                code=code,
                name=code.replace("_", " ").title(),
                kind=kind,
                sort=10 * position,
            )
        return pipeline


class StageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stage

    pipeline = factory.SubFactory(PipelineFactory)
    name = factory.Sequence(lambda n: f"Стадия {n}")
    code = factory.Sequence(lambda n: f"stage_{n}")
    kind = StageKind.OPEN
    sort = factory.Sequence(lambda n: 10 * (n + 1))


def stage_of(pipeline: Pipeline, code: str) -> Stage:
    return pipeline.stages.get(code=code)


class LossReasonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LossReason

    name = factory.Sequence(lambda n: f"Причина {n}")


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"source_{n}")
    name = factory.Sequence(lambda n: f"Источник {n}")


class LeadFactory(factory.django.DjangoModelFactory):
    """A lead written straight to the table (for reads); services are tested through calls."""

    class Meta:
        model = Lead

    title = factory.Sequence(lambda n: f"Заявка с сайта {n}")
    stage = factory.LazyFunction(
        lambda: PipelineFactory.with_stages(entity=PipelineEntity.LEAD).stages.first()
    )
    responsible = factory.SubFactory(UserFactory)
    last_name = "Иванов"
    first_name = "Пётр"


class DealFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deal

    title = factory.Sequence(lambda n: f"Поставка оборудования {n}")
    pipeline = factory.LazyFunction(lambda: PipelineFactory.with_stages())
    stage = factory.LazyAttribute(lambda deal: deal.pipeline.stages.first())
    responsible = factory.SubFactory(UserFactory)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Товар {n}")
    price = factory.Faker("pydecimal", left_digits=5, right_digits=2, positive=True)
    vat_rate = 20
    vat_included = True
