"""A linked deal in another pipeline (at the stage named after the loss reason) and the
conversion of a lead, each made once per run however often the run is executed."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from voronka.automation.actions import get_action
from voronka.automation.models import RobotRun, RunStatus
from voronka.automation.services import claim_due_runs, execute_run, robot_create, run_due_runs
from voronka.automation.tests.factories import RobotFactory
from voronka.contacts.models import Company, Contact
from voronka.contacts.services import company_create, contact_create
from voronka.sales.models import Deal, Lead, StageKind
from voronka.sales.services import deal_move_to_stage, lead_convert, lead_create
from voronka.sales.tests.factories import LossReasonFactory, PipelineFactory, stage_of
from voronka.timeline.models import EntryKind, TimelineEntry

pytestmark = pytest.mark.django_db


def execute_twice(run: RobotRun):
    """Execute the run, then once more as if its worker had been thought dead after the
    commit (back to running under the same lease): both results."""
    claim_due_runs(worker_id="test")
    first = execute_run(run.pk, "test")
    RobotRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING,
        lease_owner="test",
        lease_until=timezone.now() + datetime.timedelta(minutes=1),
    )
    return first, execute_run(run.pk, "test")


def linked(card):
    return TimelineEntry.objects.filter(
        card_id=card.pk, card_type__model=card._meta.model_name, kind=EntryKind.LINKED
    )


@pytest.fixture
def rewarming():
    return PipelineFactory.with_stages(
        name="Re-warming",
        stages=[
            ("new", StageKind.OPEN),
            ("too_expensive", StageKind.OPEN),
            ("chose_a_competitor", StageKind.OPEN),
            ("won", StageKind.WON),
            ("lost", StageKind.LOST),
        ],
    )


@pytest.fixture
def lost_deal(make_deal, pipeline, rewarming, manager):
    """A deal with a contact and a company, lost because it was “TOO expensive”; the lost
    stage's robot creates a linked deal in Re-warming by the loss reason."""
    lost = pipeline.stages.get(kind=StageKind.LOST)
    robot = RobotFactory(
        stage=lost,
        action="create_linked_deal",
        params={
            "pipeline": rewarming.pk,
            "by_loss_reason": True,
            "stage": stage_of(rewarming, "new").pk,
            "title": "Re-warm: {{ deal.title }}",
        },
    )
    contact = contact_create(actor=manager, data={"first_name": "Анна", "last_name": "Котова"})
    company = company_create(actor=manager, data={"title": "ООО Ромашка"})
    deal = make_deal(amount="25000", company=company)
    deal.contact_links.create(contact=contact, is_primary=True)

    def lose(reason_name="TOO expensive"):
        reason = LossReasonFactory(name=reason_name)
        deal_move_to_stage(
            actor=manager, deal=Deal.objects.get(pk=deal.pk), stage=lost, loss_reason=reason
        )
        return RobotRun.objects.get(robot=robot, card_id=deal.pk)

    return deal, lose


def test_a_lost_deal_starts_a_linked_deal_at_the_stage_of_its_loss_reason(
    lost_deal, rewarming, manager
):
    deal, lose = lost_deal
    run = lose()

    first, again = execute_twice(run)

    assert first.status == RunStatus.DONE, first.outcome
    new = Deal.objects.exclude(pk=deal.pk).get()
    assert (new.pipeline, new.stage.code, new.title) == (
        rewarming,
        "too_expensive",
        "Re-warm: Поставка станков",
    )
    assert (new.amount, new.company, new.responsible) == (deal.amount, deal.company, manager)
    assert [link.contact.last_name for link in new.contact_links.all()] == ["Котова"]
    assert first.outcome == (
        "Deal “Re-warm: Поставка станков” created in “Re-warming”, stage “Too Expensive”. "
        "Stage: the stage of the loss reason “TOO expensive”."
    )
    # Linked both ways in the feeds.
    assert linked(deal).get().payload["links"] == [
        {"entity": "deal", "id": new.pk, "title": new.title}
    ]
    assert linked(new).get().payload["links"][0]["id"] == deal.pk
    # Executed again: no second deal.
    assert again.outcome == "The linked deal was already created."
    assert Deal.objects.count() == 2
    assert linked(deal).count() == 1


def test_without_a_stage_of_that_name_the_fallback_stage_is_taken(lost_deal, rewarming):
    _deal, lose = lost_deal
    run = lose("Не вышли на связь")

    claim_due_runs(worker_id="test")
    result = execute_run(run.pk, "test")

    new = Deal.objects.get(pipeline=rewarming)
    assert new.stage.code == "new"
    assert result.outcome.endswith("Stage: no stage is named “Не вышли на связь”.")


def test_the_new_deal_s_own_robots_run_one_step_deeper(lost_deal, rewarming):
    _deal, lose = lost_deal
    RobotFactory(stage=stage_of(rewarming, "too_expensive"), params={"text": "Warm again"})
    run = lose()

    run_due_runs(worker_id="test")

    new = Deal.objects.get(pipeline=rewarming)
    assert RobotRun.objects.get(card_id=new.pk).depth == run.depth + 1


def test_a_linked_deal_needs_a_deal_pipeline_and_one_of_its_stages(first_stage, rewarming):
    lead_pipeline = PipelineFactory.with_stages(entity="lead")
    with pytest.raises(ValidationError) as error:
        robot_create(
            actor=None,
            data={
                "stage": first_stage,
                "name": "Linked",
                "action": "create_linked_deal",
                "params": {"pipeline": lead_pipeline.pk},
            },
        )
    assert error.value.message_dict["params"] == ["pipeline: Choose a deal pipeline."]

    with pytest.raises(ValidationError) as error:
        robot_create(
            actor=None,
            data={
                "stage": first_stage,
                "name": "Linked",
                "action": "create_linked_deal",
                "params": {"pipeline": rewarming.pk, "stage": first_stage.pk},
            },
        )
    assert error.value.message_dict["params"] == ["stage: Choose a stage of the chosen pipeline."]


# ---- Lead conversion ---------------------------------------------------------------------------


@pytest.fixture
def lead_pipeline(db):
    return PipelineFactory.with_stages(entity="lead", is_default=True)


def new_lead(manager, **data):
    return lead_create(
        actor=manager,
        data={
            "title": "Заявка с сайта",
            "last_name": "Котова",
            "first_name": "Анна",
            "company_title": "ООО Ромашка",
            "amount": "900",
            **data,
        },
        communications=[{"kind": "email", "value": "anna@client.ru"}],
    )


def test_a_lead_is_converted_into_deals_reusing_the_matching_contact(
    lead_pipeline, pipeline, manager
):
    other = PipelineFactory.with_stages(name="Сервис")
    existing = contact_create(
        actor=manager,
        data={"first_name": "Анна", "last_name": "Котова"},
        communications=[{"kind": "email", "value": "ANNA@client.ru"}],
    )
    robot = RobotFactory(
        stage=stage_of(lead_pipeline, "new"),
        action="convert_lead",
        params={"pipelines": [pipeline.pk, other.pk], "title": "{{ lead.title }} ({{ lead.id }})"},
    )
    lead = new_lead(manager)
    run = RobotRun.objects.get(robot=robot)

    first, again = execute_twice(run)

    assert first.status == RunStatus.DONE, first.outcome
    lead = Lead.objects.get(pk=lead.pk)
    assert lead.converted_at is not None
    assert lead.contact == existing
    assert Contact.objects.count() == 1
    company = Company.objects.get()
    assert company.title == "ООО Ромашка"
    deals = list(Deal.objects.order_by("pipeline__sort", "pipeline_id"))
    assert {deal.pipeline for deal in deals} == {pipeline, other}
    assert {deal.title for deal in deals} == {f"Заявка с сайта ({lead.pk})"}
    assert all(deal.lead == lead and deal.company == company for deal in deals)
    assert "Contact found: Котова Анна." in first.outcome
    assert "Company created: ООО Ромашка." in first.outcome
    # Executed again, the lead has left the stage; performed again, it finds its work.
    assert again.status == RunStatus.SKIPPED
    repeat = get_action("convert_lead").perform(run, lead, robot.params)
    assert repeat.text == "The lead was already converted by this robot."
    assert Deal.objects.count() == 2


def test_always_new_creates_a_contact_even_when_one_matches(lead_pipeline, pipeline, manager):
    contact_create(
        actor=manager,
        data={"first_name": "Анна", "last_name": "Котова"},
        communications=[{"kind": "email", "value": "anna@client.ru"}],
    )
    RobotFactory(
        stage=stage_of(lead_pipeline, "new"),
        action="convert_lead",
        params={"always_new": True},
    )
    new_lead(manager)

    run_due_runs(worker_id="test")

    assert Contact.objects.count() == 2
    # No pipelines chosen: the default deal pipeline.
    assert Deal.objects.get().pipeline.is_default


def test_a_lead_already_converted_is_skipped_with_the_reason(lead_pipeline, pipeline, manager):
    won = lead_pipeline.stages.get(kind=StageKind.WON)
    RobotFactory(stage=won, action="convert_lead", params={"pipelines": [pipeline.pk]})
    lead = new_lead(manager)

    lead_convert(actor=manager, lead=lead, pipelines=[pipeline])
    run_due_runs(worker_id="test")

    run = RobotRun.objects.get(card_id=lead.pk, stage=won)
    assert (run.status, run.outcome) == (RunStatus.SKIPPED, "The lead is already converted.")
    assert Deal.objects.count() == 1


def test_only_a_lead_robot_converts(first_stage, pipeline):
    with pytest.raises(ValidationError) as error:
        robot_create(
            actor=None,
            data={
                "stage": first_stage,
                "name": "Convert",
                "action": "convert_lead",
                "params": {"pipelines": [pipeline.pk]},
            },
        )

    assert error.value.message_dict["params"] == ["pipelines: Only a lead's robot converts a lead."]
