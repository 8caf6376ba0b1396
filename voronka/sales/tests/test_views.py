from decimal import Decimal

import pytest
from django.urls import reverse

from voronka.sales.models import Deal
from voronka.sales.services import pipelines_ensure_defaults
from voronka.sales.tests.factories import PipelineFactory, stage_of

pytestmark = pytest.mark.django_db


def test_home_sends_an_anonymous_visitor_to_sign_in(client):
    response = client.get(reverse("sales:home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_home_shows_every_pipeline_with_stage_counts_and_sums(client, manager):
    lead_pipeline, deal_pipeline = pipelines_ensure_defaults()
    service = PipelineFactory.with_stages(name="Сервисное обслуживание")
    Deal.objects.bulk_create(
        Deal(
            title=f"Сделка {n}",
            pipeline=service,
            stage=stage_of(service, "in_progress"),
            responsible=manager,
            amount=Decimal("1250.50"),
        )
        for n in range(3)
    )
    client.force_login(manager)

    response = client.get(reverse("sales:home"), headers={"accept-language": "en"})

    assert response.status_code == 200
    html = response.content.decode()
    for pipeline in (lead_pipeline, deal_pipeline, service):
        assert pipeline.name in html
        for stage in pipeline.stages.all():
            assert stage.name in html
            assert stage.color in html
    assert "3 cards" in html
    assert "3,751.50\u00a0₽" in html


@pytest.mark.parametrize("pipeline_count", [1, 5])
def test_home_costs_a_fixed_number_of_queries(
    client, manager, pipeline_count, django_assert_num_queries
):
    pipelines_ensure_defaults()
    for _ in range(pipeline_count):
        PipelineFactory.with_stages()
    client.force_login(manager)
    # Session and user, rights and field rules, then pipelines, stages, lead totals and deal
    # totals.
    with django_assert_num_queries(8):
        response = client.get(reverse("sales:home"))
    assert response.status_code == 200
