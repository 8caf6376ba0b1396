import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from voronka.access.models import Action, Entity, Role, Scope
from voronka.access.tests.factories import role_with
from voronka.customization.models import CustomField, EntityType
from voronka.sales.models import Pipeline, PipelineEntity, Stage, StageKind, StageTransition
from voronka.sales.services import (
    deal_create,
    deal_delete,
    deal_move_to_stage,
    pipeline_create,
    pipelines_ensure_defaults,
    stage_create,
    stage_delete,
    stage_reorder,
    stage_update,
)
from voronka.sales.tests.factories import PipelineFactory, stage_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(manager):
    """A manager who also keeps the pipelines: the settings rights beside the Manager role
    (holding a role, the manager no longer gets the default one by itself)."""
    role_with(
        *((Entity.SETTINGS, action, Scope.ALL) for action in Action.values), members=[manager]
    )
    Role.objects.get(code="manager").members.add(manager)
    return manager


def test_pipelines_and_stages_need_the_settings_rights(other_manager):
    pipeline = PipelineFactory.with_stages(entity=PipelineEntity.DEAL)
    stage = stage_of(pipeline, "new")

    with pytest.raises(PermissionDenied):
        pipeline_create(actor=other_manager, data={"entity": "deal", "name": "Сервис"})
    with pytest.raises(PermissionDenied):
        stage_create(actor=other_manager, pipeline=pipeline, data={"name": "Звонок"})
    with pytest.raises(PermissionDenied):
        stage_update(actor=other_manager, stage=stage, data={"name": "Другое"})
    with pytest.raises(PermissionDenied):
        stage_reorder(actor=other_manager, pipeline=pipeline, stage_ids=[stage.pk])
    with pytest.raises(PermissionDenied):
        stage_delete(actor=other_manager, stage=stage)
    assert Pipeline.objects.count() == 1
    assert stage_of(pipeline, "new").name == stage.name


def test_reading_the_settings_is_not_enough_to_change_them(other_manager):
    role_with((Entity.SETTINGS, Action.READ, Scope.ALL), members=[other_manager])

    with pytest.raises(PermissionDenied):
        pipeline_create(actor=other_manager, data={"entity": "deal", "name": "Сервис"})


def test_ensure_defaults_creates_once_and_keeps_existing_ones():
    lead_pipeline, deal_pipeline = pipelines_ensure_defaults()
    assert (lead_pipeline.entity, deal_pipeline.entity) == (
        PipelineEntity.LEAD,
        PipelineEntity.DEAL,
    )
    assert pipelines_ensure_defaults() == (lead_pipeline, deal_pipeline)
    assert Pipeline.objects.count() == 2
    for pipeline in (lead_pipeline, deal_pipeline):
        assert set(pipeline.stages.values_list("kind", flat=True)) == set(StageKind.values)


def test_ensure_defaults_marks_an_existing_pipeline_default():
    existing = PipelineFactory.with_stages(name="Опт")
    _, deal_pipeline = pipelines_ensure_defaults()
    assert deal_pipeline == existing
    existing.refresh_from_db()
    assert existing.is_default


def test_pipeline_create_adds_a_minimal_stage_set(manager):
    pipeline = pipeline_create(actor=manager, data={"entity": "deal", "name": "Сервис"})
    assert sorted(pipeline.stages.values_list("kind", flat=True)) == ["lost", "open", "won"]


def test_pipeline_create_refuses_stages_missing_a_kind(manager):
    with pytest.raises(ValidationError) as error:
        pipeline_create(
            actor=manager,
            data={"entity": "deal", "name": "Сервис"},
            stages=[{"name": "Новая", "kind": "open"}, {"name": "Успех", "kind": "won"}],
        )
    assert "stages" in error.value.message_dict
    assert not Pipeline.objects.exists()


def test_a_new_default_pipeline_takes_the_mark(manager):
    _, old_default = pipelines_ensure_defaults()
    new = pipeline_create(
        actor=manager, data={"entity": "deal", "name": "Новая", "is_default": True}
    )
    old_default.refresh_from_db()
    assert new.is_default and not old_default.is_default


def test_stage_create_checks_required_field_codes(manager):
    pipeline = PipelineFactory.with_stages()
    CustomField.objects.create(
        entity=EntityType.DEAL, code="contract_no", label="Договор", field_type="string"
    )
    with pytest.raises(ValidationError) as error:
        stage_create(
            actor=manager,
            pipeline=pipeline,
            data={"name": "Договор", "kind": "open", "required_fields": ["amount", "nonsense"]},
        )
    assert "nonsense" in error.value.message_dict["required_fields"][0]
    stage = stage_create(
        actor=manager,
        pipeline=pipeline,
        data={
            "name": "Договор",
            "kind": "open",
            "required_fields": ["amount", "contacts", "contract_no"],
        },
    )
    assert stage.code.startswith("stage_")
    assert stage.sort > pipeline.stages.exclude(pk=stage.pk).order_by("-sort")[0].sort


def test_stage_create_refuses_a_bad_colour(manager):
    with pytest.raises(ValidationError) as error:
        stage_create(
            actor=manager,
            pipeline=PipelineFactory.with_stages(),
            data={"name": "X", "kind": "open", "color": "red"},
        )
    assert "color" in error.value.message_dict or "__all__" in error.value.message_dict


def test_stage_update_keeps_one_stage_of_each_kind(manager):
    pipeline = PipelineFactory.with_stages()
    with pytest.raises(ValidationError) as error:
        stage_update(actor=manager, stage=stage_of(pipeline, "lost"), data={"kind": "open"})
    assert "kind" in error.value.message_dict
    renamed = stage_update(
        actor=manager, stage=stage_of(pipeline, "lost"), data={"name": "Отказ", "color": "#000000"}
    )
    assert (renamed.name, renamed.color) == ("Отказ", "#000000")


def test_stage_update_refuses_a_kind_change_while_cards_are_in_it(manager):
    pipeline = PipelineFactory.with_stages()
    deal_create(actor=manager, data={"title": "x", "stage": stage_of(pipeline, "in_progress")})
    with pytest.raises(ValidationError):
        stage_update(actor=manager, stage=stage_of(pipeline, "in_progress"), data={"kind": "won"})
    with pytest.raises(ValidationError):
        stage_update(actor=manager, stage=stage_of(pipeline, "new"), data={"code": "other"})


def test_stage_reorder_needs_every_stage_once(manager):
    pipeline = PipelineFactory.with_stages()
    ids = list(pipeline.stages.order_by("sort").values_list("pk", flat=True))
    with pytest.raises(ValidationError):
        stage_reorder(actor=manager, pipeline=pipeline, stage_ids=ids[:-1])
    with pytest.raises(ValidationError):
        stage_reorder(actor=manager, pipeline=pipeline, stage_ids=[*ids[:-1], ids[0]])
    stage_reorder(actor=manager, pipeline=pipeline, stage_ids=list(reversed(ids)))
    assert list(pipeline.stages.order_by("sort").values_list("pk", flat=True)) == ids[::-1]


def test_stage_delete_is_refused_while_cards_are_in_it_even_in_the_recycle_bin(manager):
    pipeline = PipelineFactory.with_stages()
    stage = stage_of(pipeline, "in_progress")
    deal = deal_create(actor=manager, data={"title": "x", "stage": stage})
    deal_delete(actor=manager, deal=deal)
    with pytest.raises(ValidationError):
        stage_delete(actor=manager, stage=stage)
    assert Stage.objects.filter(pk=stage.pk).exists()


def test_stage_delete_keeps_past_transitions(manager):
    pipeline = PipelineFactory.with_stages()
    stage = stage_of(pipeline, "in_progress")
    deal = deal_create(actor=manager, data={"title": "x", "stage": stage})
    deal_move_to_stage(actor=manager, deal=deal, stage=stage_of(pipeline, "new"))
    stage_delete(actor=manager, stage=stage)
    assert not Stage.objects.filter(pk=stage.pk).exists()
    assert StageTransition.objects.filter(deal=deal).count() == 2


def test_the_last_stage_of_a_kind_cannot_be_deleted(manager):
    pipeline = PipelineFactory.with_stages()
    with pytest.raises(ValidationError):
        stage_delete(actor=manager, stage=stage_of(pipeline, "won"))
    stage_delete(actor=manager, stage=stage_of(pipeline, "in_progress"))
    with pytest.raises(ValidationError):
        stage_delete(actor=manager, stage=stage_of(pipeline, "new"))
