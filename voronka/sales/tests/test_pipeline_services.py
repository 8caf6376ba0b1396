"""Pipeline deletion (and the rename, re-sort and default mark the Bitrix24 API relies on)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from voronka.access.models import Action, AuditEvent, Entity, Permission, Role, Scope
from voronka.access.tests.factories import role_with
from voronka.automation.models import Robot
from voronka.sales.models import Pipeline, PipelineEntity, Stage
from voronka.sales.services import deal_create, deal_delete
from voronka.sales.services.catalogues import pipeline_update
from voronka.sales.services.pipelines import (
    pipeline_create,
    pipeline_delete,
    pipelines_ensure_defaults,
)
from voronka.sales.tests.factories import PipelineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def keeper(manager):
    """A manager who keeps the pipelines (the settings rights beside the Manager role)."""
    role_with(
        *((Entity.SETTINGS, action, Scope.ALL) for action in Action.values), members=[manager]
    )
    Role.objects.get(code="manager").members.add(manager)
    return manager


def test_a_pipeline_is_renamed_and_resorted(keeper):
    pipeline = PipelineFactory.with_stages(name="Сервис", sort=50)

    pipeline_update(actor=keeper, pipeline=pipeline, data={"name": "Сервисные работы", "sort": 70})

    pipeline.refresh_from_db()
    assert (pipeline.name, pipeline.sort) == ("Сервисные работы", 70)


def test_an_empty_name_is_refused_and_named(keeper):
    pipeline = PipelineFactory.with_stages(name="Сервис")

    with pytest.raises(ValidationError) as error:
        pipeline_update(actor=keeper, pipeline=pipeline, data={"name": ""})

    assert "name" in error.value.message_dict
    pipeline.refresh_from_db()
    assert pipeline.name == "Сервис"


def test_the_entity_of_a_pipeline_cannot_change(keeper):
    pipeline = PipelineFactory.with_stages()

    with pytest.raises(ValidationError):
        pipeline_update(actor=keeper, pipeline=pipeline, data={"entity": PipelineEntity.LEAD})


def test_making_a_pipeline_default_takes_the_mark_from_the_previous_one(keeper):
    _lead_pipeline, old_default = pipelines_ensure_defaults()
    pipeline = PipelineFactory.with_stages()

    pipeline_update(actor=keeper, pipeline=pipeline, data={"is_default": True})

    old_default.refresh_from_db()
    pipeline.refresh_from_db()
    assert pipeline.is_default and not old_default.is_default
    assert Pipeline.objects.filter(entity=PipelineEntity.DEAL, is_default=True).count() == 1


def test_the_default_mark_is_not_simply_taken_away(keeper):
    _lead_pipeline, default = pipelines_ensure_defaults()

    with pytest.raises(ValidationError) as error:
        pipeline_update(actor=keeper, pipeline=default, data={"is_default": False})

    assert "is_default" in error.value.message_dict
    default.refresh_from_db()
    assert default.is_default


def test_an_empty_pipeline_is_deleted_with_its_stages_robots_and_rights(keeper):
    pipeline = pipeline_create(actor=keeper, data={"entity": "deal", "name": "Тендеры"})
    stage = pipeline.stages.first()
    Robot.objects.create(pipeline=pipeline, stage=stage, name="Задача", action="create_task")
    role_with((Entity.DEAL, Action.READ, Scope.ALL, pipeline))
    stage_ids = list(pipeline.stages.values_list("pk", flat=True))

    pipeline_delete(actor=keeper, pipeline=pipeline)

    assert not Pipeline.objects.filter(pk=pipeline.pk).exists()
    assert not Stage.objects.filter(pk__in=stage_ids).exists()
    assert not Robot.objects.filter(stage_id__in=stage_ids).exists()
    assert not Permission.objects.filter(pipeline_id=pipeline.pk).exists()
    event = AuditEvent.objects.get(action="pipeline.delete")
    assert event.details == {"entity": "deal", "name": "Тендеры"}


def test_a_pipeline_holding_deals_is_not_deleted(keeper):
    pipeline = pipeline_create(actor=keeper, data={"entity": "deal", "name": "Тендеры"})
    deal_create(actor=keeper, data={"title": "Поставка", "pipeline": pipeline})

    with pytest.raises(ValidationError) as error:
        pipeline_delete(actor=keeper, pipeline=pipeline)

    assert "Тендеры" in " ".join(error.value.messages)
    assert "move them to another pipeline" in " ".join(error.value.messages)
    assert Pipeline.objects.filter(pk=pipeline.pk).exists()


def test_deals_in_the_recycle_bin_keep_their_pipeline(keeper):
    pipeline = pipeline_create(actor=keeper, data={"entity": "deal", "name": "Тендеры"})
    deal = deal_create(actor=keeper, data={"title": "Поставка", "pipeline": pipeline})
    deal_delete(actor=keeper, deal=deal)

    with pytest.raises(ValidationError):
        pipeline_delete(actor=keeper, pipeline=pipeline)

    assert Pipeline.objects.filter(pk=pipeline.pk).exists()


def test_the_default_pipeline_is_not_deleted(keeper):
    _lead_pipeline, default = pipelines_ensure_defaults()

    with pytest.raises(ValidationError) as error:
        pipeline_delete(actor=keeper, pipeline=default)

    assert "default pipeline" in " ".join(error.value.messages)
    assert Pipeline.objects.filter(pk=default.pk).exists()


def test_changing_and_deleting_pipelines_need_the_settings_rights(other_manager):
    pipeline = PipelineFactory.with_stages(name="Сервис")

    with pytest.raises(PermissionDenied):
        pipeline_update(actor=other_manager, pipeline=pipeline, data={"name": "Другое"})
    with pytest.raises(PermissionDenied):
        pipeline_delete(actor=other_manager, pipeline=pipeline)

    pipeline.refresh_from_db()
    assert pipeline.name == "Сервис"


def test_the_right_to_change_settings_does_not_allow_deleting_a_pipeline(other_manager):
    role_with((Entity.SETTINGS, Action.UPDATE, Scope.ALL), members=[other_manager])
    pipeline = PipelineFactory.with_stages(name="Сервис")

    pipeline_update(actor=other_manager, pipeline=pipeline, data={"name": "Другое"})
    with pytest.raises(PermissionDenied):
        pipeline_delete(actor=other_manager, pipeline=pipeline)

    assert Pipeline.objects.filter(pk=pipeline.pk).exists()
