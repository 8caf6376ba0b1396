"""The robot dialog for the new actions: the parameter kinds (a field, fields, a pipeline,
pipelines) are generated, shown and saved back as they were."""

import pytest
from django.urls import reverse

from voronka.automation.forms import RobotForm
from voronka.automation.models import Robot
from voronka.automation.tests.factories import RobotFactory
from voronka.automation.tests.test_views_editor import _as_post
from voronka.sales.tests.factories import PipelineFactory, stage_of

pytestmark = pytest.mark.django_db


def test_the_conversion_robot_of_a_lead_pipeline_round_trips(admin_client, pipeline):
    leads = PipelineFactory.with_stages(entity="lead")
    other = PipelineFactory.with_stages(name="Сервис")
    robot = RobotFactory(
        stage=stage_of(leads, "new"),
        action="convert_lead",
        params={
            "pipelines": [pipeline.pk, other.pk],
            "title": "{{ lead.title }}",
            "always_new": True,
        },
    )
    form = RobotForm(pipeline=leads, robot=robot)

    response = admin_client.post(
        reverse("automation:robot_update", args=[robot.pk]), _as_post(form)
    )

    assert response.status_code == 204, response.context and response.context["form"].errors
    assert Robot.objects.get(pk=robot.pk).params == robot.params


def test_the_dialog_offers_card_fields_and_deal_pipelines(admin_client, first_stage, pipeline):
    url = reverse("automation:robot_create", args=[first_stage.pk])

    webhook = admin_client.get(url + "?action=call_webhook").content.decode()
    linked = admin_client.get(url + "?action=create_linked_deal").content.decode()
    reminder = admin_client.get(url + "?action=repeat_reminder").content.decode()

    assert 'name="p_fields"' in webhook and 'value="amount"' in webhook
    assert 'name="p_pipeline"' in linked and f'value="{pipeline.pk}"' in linked
    assert 'name="p_field"' in reminder and 'value="closes_on"' in reminder
