import pytest

from voronka.sales.services import deal_create
from voronka.sales.tests.factories import PipelineFactory, stage_of


@pytest.fixture
def pipeline(db):
    return PipelineFactory.with_stages()


@pytest.fixture
def first_stage(pipeline):
    return stage_of(pipeline, "new")


@pytest.fixture
def second_stage(pipeline):
    return stage_of(pipeline, "in_progress")


@pytest.fixture
def make_deal(manager, pipeline):
    def make(**data):
        return deal_create(
            actor=manager, data={"title": "Поставка станков", "pipeline": pipeline, **data}
        )

    return make
