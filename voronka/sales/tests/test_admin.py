import pytest
from django.urls import reverse

from voronka.sales.models import Deal, Lead, Pipeline, StageTransition
from voronka.sales.services import deal_create, lead_create, pipelines_ensure_defaults

pytestmark = pytest.mark.django_db


@pytest.fixture
def cards(manager):
    return (
        lead_create(actor=manager, data={"title": "Заявка"}),
        deal_create(actor=manager, data={"title": "Поставка"}),
    )


@pytest.mark.parametrize(
    "model", [Pipeline, Lead, Deal, StageTransition], ids=lambda model: model.__name__
)
def test_admin_lists_and_pages_open(client, admin_user, cards, model):
    client.force_login(admin_user)
    opts = model._meta
    response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert response.status_code == 200
    instance = model.objects.first()
    response = client.get(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[instance.pk])
    )
    assert response.status_code == 200


def test_deleting_a_deal_in_the_admin_sends_it_to_the_recycle_bin(client, admin_user, cards):
    _, deal = cards
    client.force_login(admin_user)
    response = client.post(reverse("admin:sales_deal_delete", args=[deal.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert Deal.all_objects.get(pk=deal.pk).deleted_by == admin_user


def test_a_pipeline_without_a_lost_stage_is_refused(client, admin_user):
    pipeline, _ = pipelines_ensure_defaults()
    stages = list(pipeline.stages.order_by("sort"))
    client.force_login(admin_user)
    data = {
        "entity": pipeline.entity,
        "name": pipeline.name,
        "sort": pipeline.sort,
        "is_default": "on",
        "stages-TOTAL_FORMS": len(stages),
        "stages-INITIAL_FORMS": len(stages),
        "stages-MIN_NUM_FORMS": 0,
        "stages-MAX_NUM_FORMS": 1000,
    }
    for index, stage in enumerate(stages):
        prefix = f"stages-{index}-"
        data.update(
            {
                prefix + "id": stage.pk,
                prefix + "pipeline": pipeline.pk,
                prefix + "name": stage.name,
                prefix + "code": stage.code,
                prefix + "kind": "open" if stage.kind == "lost" else stage.kind,
                prefix + "color": stage.color,
                prefix + "sort": stage.sort,
                prefix + "required_fields": "[]",
            }
        )
    response = client.post(reverse("admin:sales_pipeline_change", args=[pipeline.pk]), data)
    assert response.status_code == 200
    assert "missing" in response.content.decode()
    assert pipeline.stages.filter(kind="lost").exists()
