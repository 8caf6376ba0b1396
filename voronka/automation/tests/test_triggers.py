"""Triggers: each kind moves a card when its event happens — only forward, never out of a
closed stage, the first trigger in stage order wins — and writes on the card's feed why it moved
it or why not. Setting triggers up: validation and rights."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from voronka.automation.models import Trigger, TriggerHit
from voronka.automation.triggers.services import (
    fire,
    trigger_clean,
    trigger_create,
    trigger_delete,
    trigger_toggle,
    trigger_update,
)
from voronka.automation.triggers.services import triggers_due as check_due
from voronka.automation.triggers.tasks import triggers_due
from voronka.customization.models import CustomField, EntityType, FieldType
from voronka.sales.models import Deal, Lead, PipelineEntity, Stage
from voronka.sales.services import (
    deal_move_to_stage,
    deal_update,
    lead_create,
)
from voronka.sales.tests.factories import (
    LossReasonFactory,
    PipelineFactory,
    SourceFactory,
    stage_of,
)
from voronka.tasks.services import task_change_status, task_create
from voronka.timeline.models import EntryKind, TimelineEntry
from voronka.timeline.services import activity_complete, activity_create

pytestmark = pytest.mark.django_db


def make_trigger(stage, kind, **fields):
    fields.setdefault("name", f"Когда {kind}")
    return Trigger.objects.create(
        pipeline=stage.pipeline, stage=stage, kind=kind, secret="s" * 43, **fields
    )


def stage_now(card) -> str:
    return type(card).all_objects.select_related("stage").get(pk=card.pk).stage.code


def trigger_entries(card):
    return list(
        TimelineEntry.objects.filter(card_id=card.pk, kind=EntryKind.ROBOT)
        .exclude(payload__trigger_id=None)
        .order_by("pk")
    )


# ---- Each kind fires and moves -------------------------------------------------------------------


def test_a_completed_task_of_the_card_moves_it(make_deal, second_stage, manager):
    trigger = make_trigger(second_stage, "task_completed", name="Задача сделана")
    deal = make_deal()
    task = task_create(actor=manager, title="Позвонить", responsible=manager, card=deal)

    task_change_status(actor=manager, task=task, action="complete", result="Готово")

    assert stage_now(deal) == "in_progress"
    (entry,) = trigger_entries(deal)
    assert entry.payload["trigger_id"] == trigger.pk
    assert entry.payload["status"] == "moved"
    assert "Позвонить" in entry.text and "Задача сделана" in entry.text


def test_only_tasks_set_by_robots_when_the_trigger_says_so(make_deal, second_stage, manager):
    make_trigger(second_stage, "task_completed", params={"robot_tasks_only": True})
    deal = make_deal()
    task = task_create(actor=manager, title="Позвонить", responsible=manager, card=deal)

    task_change_status(actor=manager, task=task, action="complete")

    assert stage_now(deal) == "new"
    assert trigger_entries(deal) == []


def test_a_changed_field_moves_the_card_and_others_do_not(make_deal, second_stage, manager):
    make_trigger(second_stage, "field_changed", params={"fields": ["amount"]})
    deal = make_deal()

    deal = deal_update(actor=manager, deal=deal, data={"title": "Новое название"})
    assert stage_now(deal) == "new"

    deal_update(actor=manager, deal=Deal.objects.get(pk=deal.pk), data={"amount": "5000"})
    assert stage_now(deal) == "in_progress"
    assert "Amount" in trigger_entries(deal)[0].text


def test_a_condition_on_the_new_values_not_met_leaves_a_trace(make_deal, second_stage, manager):
    make_trigger(
        second_stage,
        "field_changed",
        params={"fields": ["amount"]},
        condition={"join": "and", "rules": [{"field": "amount", "op": "gte", "value": "1000"}]},
    )
    deal = make_deal()

    deal_update(actor=manager, deal=deal, data={"amount": "500"})

    assert stage_now(deal) == "new"
    (entry,) = trigger_entries(deal)
    assert entry.payload["status"] == "not_moved"
    assert "Condition not met" in entry.text and "500" in entry.text

    deal_update(actor=manager, deal=Deal.objects.get(pk=deal.pk), data={"amount": "1500"})
    assert stage_now(deal) == "in_progress"


def test_a_custom_field_change_counts(make_deal, second_stage, manager):
    CustomField.objects.create(
        entity=EntityType.DEAL, code="region", label="Region", field_type=FieldType.STRING
    )
    make_trigger(second_stage, "field_changed", params={"fields": ["region"]})
    deal = make_deal()

    deal_update(actor=manager, deal=deal, data={"custom_fields": {"region": "Казань"}})

    assert stage_now(deal) == "in_progress"


@pytest.mark.parametrize(
    ("kind", "params", "moves"),
    [
        ("call", {}, True),
        ("email", {"activity": "email"}, True),
        ("call", {"activity": "email"}, False),
        ("meeting", {}, False),
        ("call", {"moment": "completed"}, False),
    ],
)
def test_a_call_or_email_logged_on_the_card(make_deal, second_stage, manager, kind, params, moves):
    make_trigger(second_stage, "client_activity", params=params)
    deal = make_deal()

    activity_create(
        actor=manager, card=deal, kind=kind, subject="Клиент звонил", responsible=manager
    )

    assert stage_now(deal) == ("in_progress" if moves else "new")


def test_a_completed_call_moves_the_card(make_deal, second_stage, manager):
    make_trigger(second_stage, "client_activity", params={"moment": "completed"})
    deal = make_deal()
    activity = activity_create(
        actor=manager, card=deal, kind="call", subject="Перезвонить", responsible=manager
    )
    assert stage_now(deal) == "new"

    activity_complete(actor=manager, activity=activity, result="Договорились")

    assert stage_now(deal) == "in_progress"
    assert "Перезвонить" in trigger_entries(deal)[0].text


@pytest.fixture
def lead_pipeline(db):
    return PipelineFactory.with_stages(entity=PipelineEntity.LEAD)


def test_a_lead_from_a_chosen_source_moves_on(lead_pipeline, manager):
    web, phone = SourceFactory(code="web"), SourceFactory(code="phone")
    make_trigger(
        stage_of(lead_pipeline, "in_progress"), "lead_from_source", params={"sources": [web.pk]}
    )
    first = stage_of(lead_pipeline, "new")

    from_web = lead_create(actor=manager, data={"title": "С сайта", "stage": first, "source": web})
    by_phone = lead_create(actor=manager, data={"title": "Звонок", "stage": first, "source": phone})

    assert stage_now(from_web) == "in_progress"
    assert stage_now(by_phone) == "new"
    assert "web" in trigger_entries(from_web)[0].text.lower() or trigger_entries(from_web)


def test_a_reached_date_moves_the_card_once_per_date(make_deal, second_stage, manager):
    make_trigger(second_stage, "date_reached", params={"field": "closes_on", "offset": 1})
    today = timezone.localdate()
    due = make_deal(closes_on=today - datetime.timedelta(days=1))
    later = make_deal(closes_on=today)
    empty = make_deal()

    assert triggers_due() == 1

    assert (stage_now(due), stage_now(later), stage_now(empty)) == ("in_progress", "new", "new")
    assert check_due() == 0
    # Moved back by a person, the card is not moved again for the same date…
    deal_move_to_stage(actor=manager, deal=Deal.objects.get(pk=due.pk), stage=due.stage)
    assert check_due() == 0 and stage_now(due) == "new"
    # …but a new date is a new occasion.
    deal_update(
        actor=manager,
        deal=Deal.objects.get(pk=due.pk),
        data={"closes_on": today - datetime.timedelta(days=2)},
    )
    assert check_due() == 1 and stage_now(due) == "in_progress"


def test_a_custom_date_field_and_a_negative_offset(make_deal, second_stage, manager):
    CustomField.objects.create(
        entity=EntityType.DEAL, code="signed", label="Signed", field_type=FieldType.DATE
    )
    make_trigger(second_stage, "date_reached", params={"field": "signed", "offset": -3})
    today = timezone.localdate()
    soon = make_deal(custom_fields={"signed": (today + datetime.timedelta(days=2)).isoformat()})
    far = make_deal(custom_fields={"signed": (today + datetime.timedelta(days=10)).isoformat()})

    assert check_due() == 1

    assert (stage_now(soon), stage_now(far)) == ("in_progress", "new")
    assert TriggerHit.objects.get().key == (today + datetime.timedelta(days=2)).isoformat()


def test_a_date_whose_condition_fails_is_noted_once(make_deal, second_stage):
    make_trigger(
        second_stage,
        "date_reached",
        params={"field": "closes_on"},
        condition={"join": "and", "rules": [{"field": "amount", "op": "gt", "value": "0"}]},
    )
    deal = make_deal(closes_on=timezone.localdate())

    check_due()
    check_due()

    assert stage_now(deal) == "new"
    assert [entry.payload["status"] for entry in trigger_entries(deal)] == ["not_moved"]


# ---- Direction, closed stages, order, switches ---------------------------------------------------


def test_a_card_is_not_moved_backwards(make_deal, pipeline, first_stage, second_stage, manager):
    make_trigger(first_stage, "field_changed", params={"fields": ["amount"]})
    deal = make_deal()
    deal = deal_move_to_stage(actor=manager, deal=deal, stage=second_stage)

    result_deal = deal_update(actor=manager, deal=deal, data={"amount": "100"})

    assert stage_now(result_deal) == "in_progress"
    assert trigger_entries(deal) == []


def test_a_trigger_may_move_back_when_allowed(make_deal, first_stage, second_stage, manager):
    make_trigger(first_stage, "field_changed", params={"fields": ["amount"]}, allow_backwards=True)
    deal = deal_move_to_stage(actor=manager, deal=make_deal(), stage=second_stage)

    deal_update(actor=manager, deal=deal, data={"amount": "100"})

    assert stage_now(deal) == "new"


def test_a_closed_card_never_moves(make_deal, pipeline, second_stage, manager):
    make_trigger(second_stage, "field_changed", params={"fields": ["amount"]}, allow_backwards=True)
    deal = deal_move_to_stage(actor=manager, deal=make_deal(), stage=stage_of(pipeline, "won"))

    deal_update(actor=manager, deal=deal, data={"amount": "100"})

    assert stage_now(deal) == "won"


def test_the_first_trigger_in_stage_order_wins(make_deal, pipeline, second_stage, manager):
    won = stage_of(pipeline, "won")
    make_trigger(won, "field_changed", params={"fields": ["amount"]}, name="В успех")
    make_trigger(second_stage, "field_changed", params={"fields": ["amount"]}, name="В работу")
    deal = make_deal()

    deal_update(actor=manager, deal=deal, data={"amount": "100"})

    assert stage_now(deal) == "in_progress"
    assert [entry.payload["trigger"] for entry in trigger_entries(deal)] == ["В работу"]


def test_inactive_triggers_and_other_pipelines_are_ignored(make_deal, second_stage, manager):
    make_trigger(second_stage, "field_changed", params={"fields": ["amount"]}, is_active=False)
    other = PipelineFactory.with_stages()
    make_trigger(stage_of(other, "in_progress"), "field_changed", params={"fields": ["amount"]})
    deal = make_deal()

    deal_update(actor=manager, deal=deal, data={"amount": "100"})

    assert stage_now(deal) == "new"
    assert trigger_entries(deal) == []


def test_a_lost_stage_takes_the_loss_reason_of_the_trigger(make_deal, pipeline, manager):
    reason = LossReasonFactory()
    make_trigger(
        stage_of(pipeline, "lost"),
        "field_changed",
        params={"fields": ["amount"], "loss_reason": reason.pk},
    )
    deal = make_deal()

    deal_update(actor=manager, deal=deal, data={"amount": "0.5"})

    deal = Deal.objects.get(pk=deal.pk)
    assert deal.stage.code == "lost" and deal.loss_reason == reason


def test_a_refused_move_is_recorded_and_the_change_still_commits(
    make_deal, second_stage, manager, django_capture_on_commit_callbacks
):
    Stage.objects.filter(pk=second_stage.pk).update(required_fields=["comment"])
    make_trigger(second_stage, "field_changed", params={"fields": ["amount"]})
    deal = make_deal()

    with django_capture_on_commit_callbacks(execute=True):
        deal_update(actor=manager, deal=deal, data={"amount": "777"})

    deal = Deal.objects.get(pk=deal.pk)
    assert deal.amount == 777 and deal.stage.code == "new"
    (entry,) = trigger_entries(deal)
    assert entry.payload["status"] == "refused"
    assert "Refused" in entry.text and entry.payload["error"]


def test_triggers_moving_a_card_back_and_forth_do_not_loop(
    make_deal, first_stage, second_stage, manager
):
    """A stage move changes no watched field, so two triggers pointing at each other stop."""
    for stage in (first_stage, second_stage):
        make_trigger(
            stage,
            "field_changed",
            params={"fields": ["loss_comment", "amount"]},
            allow_backwards=True,
        )
    deal = make_deal()

    deal_update(actor=manager, deal=deal, data={"amount": "1"})

    assert stage_now(deal) == "in_progress"


def test_fire_ignores_a_card_in_the_recycle_bin_and_unknown_kinds(make_deal, second_stage):
    make_trigger(second_stage, "inbound_webhook")
    deal = make_deal()

    assert fire("no_such_kind", deal).moved is None
    assert fire("inbound_webhook", deal).moved is not None
    assert stage_now(deal) == "in_progress"


# ---- The inbound webhook ------------------------------------------------------------------------


@pytest.fixture
def hook(second_stage, admin_user):
    return trigger_create(
        actor=admin_user,
        data={"stage": second_stage, "name": "Оплата с сайта", "kind": "inbound_webhook"},
    )


def hook_url(trigger, secret=None):
    return reverse("automation:trigger_hook", args=[trigger.pk, secret or trigger.secret])


def test_the_webhook_moves_the_card_with_a_json_body(client, hook, make_deal):
    deal = make_deal()

    response = client.post(hook_url(hook), {"card_id": deal.pk}, content_type="application/json")

    assert response.status_code == 200
    assert response.json()["moved"] is True
    assert stage_now(deal) == "in_progress"


def test_the_webhook_takes_a_form_body_with_id(client, hook, make_deal):
    deal = make_deal()

    response = client.post(hook_url(hook), {"id": str(deal.pk)})

    assert response.status_code == 200 and response.json()["moved"] is True


def test_a_wrong_secret_is_404_and_moves_nothing(client, hook, make_deal):
    deal = make_deal()

    response = client.post(hook_url(hook, "wrong"), {"card_id": deal.pk})

    assert response.status_code == 404
    assert response.json()["moved"] is False
    assert stage_now(deal) == "new"


def test_a_trigger_of_another_kind_has_no_webhook(client, second_stage, admin_user, make_deal):
    other = trigger_create(
        actor=admin_user,
        data={"stage": second_stage, "name": "x", "kind": "task_completed"},
    )

    response = client.post(hook_url(other), {"card_id": make_deal().pk})

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{not json", "application/json"),
        ("[1, 2]", "application/json"),
        ('{"card_id": "abc"}', "application/json"),
        ('{"card_id": true}', "application/json"),
        ("{}", "application/json"),
        ("card_id=", "application/x-www-form-urlencoded"),
    ],
)
def test_a_bad_body_is_400(client, hook, body, content_type):
    response = client.post(hook_url(hook), body, content_type=content_type)

    assert response.status_code == 400
    assert response.json()["moved"] is False and response.json()["reason"]


def test_a_card_of_another_pipeline_is_404(client, hook, manager):
    from voronka.sales.services import deal_create

    other = deal_create(
        actor=manager, data={"title": "Чужая", "pipeline": PipelineFactory.with_stages()}
    )

    response = client.post(hook_url(hook), {"card_id": other.pk})

    assert response.status_code == 404


def test_a_card_already_further_is_not_moved(client, hook, make_deal, pipeline, manager):
    deal = deal_move_to_stage(actor=manager, deal=make_deal(), stage=stage_of(pipeline, "won"))

    response = client.post(hook_url(hook), {"card_id": deal.pk})

    assert response.status_code == 200
    assert response.json()["moved"] is False and response.json()["reason"]


def test_a_switched_off_webhook_moves_nothing(client, hook, make_deal, admin_user):
    trigger_toggle(actor=admin_user, trigger=hook)
    deal = make_deal()

    response = client.post(hook_url(hook), {"card_id": deal.pk})

    assert response.status_code == 200 and response.json()["moved"] is False
    assert stage_now(deal) == "new"


def test_get_is_not_served(client, hook):
    assert client.get(hook_url(hook)).status_code == 405


# ---- Setting triggers up -------------------------------------------------------------------------


def test_create_generates_a_secret_and_cleans(admin_user, second_stage):
    trigger = trigger_create(
        actor=admin_user,
        data={
            "stage": second_stage,
            "name": "Поле",
            "kind": "field_changed",
            "params": {"fields": ["amount"]},
        },
    )

    assert trigger.pipeline == second_stage.pipeline
    assert len(trigger.secret) >= 40


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"kind": "nope"}, "kind"),
        ({"kind": "lead_from_source", "params": {"sources": [1]}}, "kind"),
        ({"kind": "field_changed", "params": {}}, "params"),
        ({"kind": "field_changed", "params": {"fields": ["no_such"]}}, "params"),
        ({"kind": "date_reached", "params": {"field": "title"}}, "params"),
        ({"kind": "task_completed", "params": {"extra": 1}}, "params"),
        (
            {"kind": "task_completed", "condition": {"rules": [{"field": "x", "op": "eq"}]}},
            "condition",
        ),
        ({"kind": "task_completed", "name": ""}, "name"),
    ],
)
def test_clean_names_the_problem(admin_user, second_stage, data, key):
    with pytest.raises(ValidationError) as error:
        trigger_create(actor=admin_user, data={"stage": second_stage, "name": "x", **data})

    assert key in error.value.message_dict
    assert not Trigger.objects.exists()


def test_clean_refuses_a_stage_of_another_pipeline(pipeline):
    other = PipelineFactory.with_stages()
    trigger = Trigger(
        pipeline=pipeline, stage=stage_of(other, "new"), name="x", kind="task_completed"
    )

    with pytest.raises(ValidationError) as error:
        trigger_clean(trigger)

    assert "stage" in error.value.message_dict


def test_a_lost_stage_needs_a_loss_reason(admin_user, pipeline):
    with pytest.raises(ValidationError) as error:
        trigger_create(
            actor=admin_user,
            data={"stage": stage_of(pipeline, "lost"), "name": "x", "kind": "task_completed"},
        )

    assert "loss_reason" in " ".join(error.value.message_dict["params"])


def test_a_manager_may_not_set_triggers_up(manager, admin_user, second_stage):
    data = {"stage": second_stage, "name": "x", "kind": "task_completed"}
    with pytest.raises(PermissionDenied):
        trigger_create(actor=manager, data=data)
    trigger = trigger_create(actor=admin_user, data=data)

    for call in (
        lambda: trigger_update(actor=manager, trigger=trigger, data={"name": "y"}),
        lambda: trigger_toggle(actor=manager, trigger=trigger),
        lambda: trigger_delete(actor=manager, trigger=trigger),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert Trigger.objects.get().name == "x"


def test_update_toggle_delete(admin_user, second_stage, make_deal):
    trigger = make_trigger(second_stage, "date_reached", params={"field": "closes_on"})
    deal = make_deal(closes_on=timezone.localdate())
    check_due()
    assert TriggerHit.objects.count() == 1

    trigger = trigger_update(
        actor=admin_user, trigger=trigger, data={"params": {"field": "closes_on", "offset": 2}}
    )
    assert TriggerHit.objects.count() == 0
    assert trigger_toggle(actor=admin_user, trigger=trigger).is_active is False
    trigger_delete(actor=admin_user, trigger=trigger)
    assert not Trigger.objects.exists()
    assert Lead.objects.count() == 0 and deal.pk


def test_the_command_checks_the_dates_once(make_deal, second_stage):
    from io import StringIO

    from django.core.management import call_command

    make_trigger(second_stage, "date_reached", params={"field": "closes_on"})
    deal = make_deal(closes_on=timezone.localdate())
    out = StringIO()

    call_command("check_trigger_dates", stdout=out)

    assert "Cards handled: 1" in out.getvalue()
    assert stage_now(deal) == "in_progress"


def test_a_lead_moves_on_a_completed_task_and_a_logged_email(lead_pipeline, manager):
    make_trigger(stage_of(lead_pipeline, "in_progress"), "client_activity")
    make_trigger(stage_of(lead_pipeline, "won"), "task_completed")
    lead = lead_create(
        actor=manager, data={"title": "Заявка", "stage": stage_of(lead_pipeline, "new")}
    )

    activity_create(actor=manager, card=lead, kind="email", subject="Письмо", responsible=manager)
    assert stage_now(lead) == "in_progress"

    task = task_create(actor=manager, title="Перезвонить", responsible=manager, card=lead)
    task_change_status(actor=manager, task=task, action="complete")
    assert stage_now(lead) == "won"
    assert [e.payload["status"] for e in trigger_entries(lead)] == ["moved", "moved"]
