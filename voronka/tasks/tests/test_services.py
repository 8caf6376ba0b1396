"""Task services: creating (idempotent per robot run), editing, each status transition, the
control flow, the deadline policy, the checklist, comments, deleting, rights and conflicts."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from voronka.access.models import Action, Entity, Role, Scope
from voronka.access.tests.factories import role_with
from voronka.core.exceptions import ConflictError
from voronka.sales.tests.factories import DealFactory
from voronka.staff.tests.factories import DepartmentFactory, UserFactory
from voronka.tasks import events
from voronka.tasks.models import ChecklistItem, DeadlineChange, Task, TaskEntryKind, TaskStatus
from voronka.tasks.services import (
    available_actions,
    checklist_add,
    checklist_remove,
    checklist_toggle,
    task_change_deadline,
    task_change_status,
    task_comment,
    task_create,
    task_delete,
    task_update,
)
from voronka.timeline.models import EntryKind, TimelineEntry

IN_A_DAY = timezone.now() + datetime.timedelta(days=1)


@pytest.fixture
def head_role(head):
    Role.objects.get(code="head").members.add(head)
    return head


def make(actor, responsible=None, **kwargs):
    return task_create(
        actor=actor, title="Позвонить клиенту", responsible=responsible or actor, **kwargs
    )


def status_of(task):
    return Task.objects.get(pk=task.pk).status


# --- create ------------------------------------------------------------------------------------
def test_create_with_people_checklist_and_card(
    manager, other_manager, head, published, django_capture_on_commit_callbacks
):
    deal = DealFactory(responsible=manager)
    with django_capture_on_commit_callbacks(execute=True):
        task = task_create(
            actor=manager,
            title="  Отправить КП  ",
            responsible=other_manager,
            deadline=IN_A_DAY,
            co_executors=[head.pk],
            observers=[manager],
            checklist=["Цены", "", "Сроки"],
            card=deal,
        )
    task.refresh_from_db()
    assert task.title == "Отправить КП"
    assert task.created_by == manager and task.status == TaskStatus.NEW
    assert list(task.co_executors.all()) == [head]
    assert list(task.observers.all()) == [manager]
    assert [item.text for item in task.checklist.all()] == ["Цены", "Сроки"]
    assert task.card == deal
    assert task.entries.filter(kind=TaskEntryKind.CREATED).count() == 1
    feed = TimelineEntry.objects.get(card_id=deal.pk, kind=EntryKind.TASK)
    assert feed.payload["task_id"] == task.pk and feed.payload["event"] == "created"
    assert [type(event) for event in published] == [events.TaskCreated]
    assert published[0].card_type == "deal" and published[0].card_id == deal.pk


def test_create_refuses_empty_title_and_saves_nothing(manager):
    with pytest.raises(ValidationError) as error:
        task_create(actor=manager, title="  ", responsible=manager)
    assert "title" in error.value.message_dict
    assert not Task.objects.exists()


def test_create_refuses_inactive_people(manager):
    gone = UserFactory(is_active=False)
    with pytest.raises(ValidationError) as error:
        make(manager, observers=[gone])
    assert "observers" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        make(manager, responsible=gone)
    assert "responsible" in error.value.message_dict
    assert not Task.objects.exists()


def test_robot_run_id_makes_create_idempotent(
    manager, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = task_create(actor=None, title="Перезвонить", responsible=manager, robot_run_id=77)
        again = task_create(actor=None, title="Другое", responsible=manager, robot_run_id="77")
    assert again.pk == first.pk and again.title == "Перезвонить"
    assert Task.objects.count() == 1
    assert len(published) == 1 and published[0].robot_run_id == "77"
    other = task_create(actor=None, title="Ещё", responsible=manager, robot_run_id=78)
    assert other.pk != first.pk


def test_create_needs_the_add_right(manager, other_manager):
    Role.objects.update(is_default=False)
    with pytest.raises(PermissionDenied):
        make(manager)
    assert not Task.objects.exists()


def test_create_refuses_a_card_the_actor_cannot_see(manager, other_manager):
    hidden = DealFactory(responsible=UserFactory(department=DepartmentFactory()))
    from voronka.tasks.services import resolve_card

    with pytest.raises(ValidationError):
        resolve_card(actor=manager, card_type="deal", card_id=hidden.pk)
    assert resolve_card(actor=None, card_type="deal", card_id=hidden.pk) == hidden


# --- update ------------------------------------------------------------------------------------
def test_update_records_each_change_and_bumps_version(
    manager, other_manager, head, published, django_capture_on_commit_callbacks
):
    task = make(manager)
    with django_capture_on_commit_callbacks(execute=True):
        task = task_update(
            actor=manager,
            task=task,
            data={"title": "Новое", "responsible": other_manager},
            observers=[head],
            expected_version=1,
        )
    assert task.version == 2
    task.refresh_from_db()
    assert task.title == "Новое" and task.responsible == other_manager
    changed = {entry.payload["field"] for entry in task.entries.filter(kind="field_changed")}
    assert changed == {"title", "responsible", "observers"}
    assert isinstance(published[-1], events.TaskUpdated)


def test_update_with_stale_version_is_a_conflict(manager):
    task = make(manager)
    task_update(actor=manager, task=task, data={"title": "Раз"})
    with pytest.raises(ConflictError):
        task_update(actor=manager, task=task, data={"title": "Два"}, expected_version=1)
    assert Task.objects.get().title == "Раз"


def test_observer_may_not_edit_but_may_comment(manager, other_manager):
    task = make(manager, observers=[other_manager])
    with pytest.raises(PermissionDenied):
        task_update(actor=other_manager, task=task, data={"title": "Моё"})
    with pytest.raises(PermissionDenied):
        task_change_status(actor=other_manager, task=task, action="start")
    entry = task_comment(actor=other_manager, task=task, text="Слежу")
    assert entry.kind == TaskEntryKind.COMMENT


def test_stranger_may_not_touch_the_task(manager, other_manager):
    task = make(manager)
    for call in (
        lambda: task_update(actor=other_manager, task=task, data={"title": "x"}),
        lambda: task_change_status(actor=other_manager, task=task, action="start"),
        lambda: task_comment(actor=other_manager, task=task, text="x"),
        lambda: checklist_add(actor=other_manager, task=task, text="x"),
        lambda: task_change_deadline(actor=other_manager, task=task, deadline=IN_A_DAY),
        lambda: task_delete(actor=other_manager, task=task),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert Task.objects.get().version == 1


# --- statuses ------------------------------------------------------------------------------------
def test_each_transition(manager, published, django_capture_on_commit_callbacks):
    task = make(manager)
    steps = [
        ("start", TaskStatus.IN_PROGRESS),
        ("defer", TaskStatus.DEFERRED),
        ("start", TaskStatus.IN_PROGRESS),
        ("defer", TaskStatus.DEFERRED),
        ("resume", TaskStatus.IN_PROGRESS),
        ("complete", TaskStatus.DONE),
        ("resume", TaskStatus.IN_PROGRESS),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        for action, expected in steps:
            task = task_change_status(actor=manager, task=task, action=action)
            assert status_of(task) == expected, action
    assert task.started_at is not None and task.completed_at is None
    kinds = [type(event).__name__ for event in published]
    assert kinds.count("TaskCompleted") == 1
    assert kinds.count("TaskStatusChanged") == len(steps)


def test_complete_keeps_the_result_and_tells_the_card(
    manager, published, django_capture_on_commit_callbacks
):
    deal = DealFactory(responsible=manager)
    task = make(manager, card=deal)
    with django_capture_on_commit_callbacks(execute=True):
        task = task_change_status(actor=manager, task=task, action="complete", result=" Готово ")
    assert task.result == "Готово" and task.completed_at is not None
    completed = [event for event in published if isinstance(event, events.TaskCompleted)]
    assert completed[0].card_type == "deal" and completed[0].card_id == deal.pk
    assert TimelineEntry.objects.filter(card_id=deal.pk, payload__event="completed").exists()


def test_a_transition_from_the_wrong_status_is_refused(manager):
    task = make(manager)
    with pytest.raises(ValidationError) as error:
        task_change_status(actor=manager, task=task, action="accept")
    assert "status" in error.value.message_dict
    with pytest.raises(ValidationError):
        task_change_status(actor=manager, task=task, action="resume")
    with pytest.raises(ValidationError):
        task_change_status(actor=manager, task=task, action="fly")
    assert status_of(task) == TaskStatus.NEW


def test_control_flow_accept(manager, other_manager, published, django_capture_on_commit_callbacks):
    task = make(manager, responsible=other_manager, requires_control=True)
    assert available_actions(other_manager, task) == ["start", "complete", "defer"]
    with django_capture_on_commit_callbacks(execute=True):
        task = task_change_status(actor=other_manager, task=task, action="complete", result="Да")
        assert task.status == TaskStatus.AWAITING_CONTROL
        assert not any(isinstance(event, events.TaskCompleted) for event in published)
        with pytest.raises(PermissionDenied):
            task_change_status(actor=other_manager, task=task, action="accept")
        assert available_actions(manager, task) == ["accept", "return"]
        task = task_change_status(actor=manager, task=task, action="accept")
    assert task.status == TaskStatus.DONE
    assert [type(event) for event in published].count(events.TaskCompleted) == 1


def test_control_flow_return_to_work(manager, other_manager):
    task = make(manager, responsible=other_manager, requires_control=True)
    task = task_change_status(actor=other_manager, task=task, action="complete", result="Да")
    task = task_change_status(actor=manager, task=task, action="return", comment="Переделать")
    assert task.status == TaskStatus.IN_PROGRESS and task.completed_at is None
    assert task.entries.filter(kind="status", text="Переделать").exists()


def test_creator_completing_a_controlled_task_closes_it(manager, other_manager):
    task = make(manager, responsible=other_manager, requires_control=True)
    task = task_change_status(actor=manager, task=task, action="complete")
    assert task.status == TaskStatus.DONE


def test_co_executor_works_the_task(manager, other_manager):
    task = make(manager, co_executors=[other_manager])
    task = task_change_status(actor=other_manager, task=task, action="start")
    assert task.status == TaskStatus.IN_PROGRESS
    item = checklist_add(actor=other_manager, task=task, text="Шаг")
    assert checklist_toggle(actor=other_manager, task=task, item=item).done


def test_status_change_with_stale_version_is_a_conflict(manager):
    task = make(manager)
    task_change_status(actor=manager, task=task, action="start", expected_version=1)
    with pytest.raises(ConflictError):
        task_change_status(actor=manager, task=task, action="defer", expected_version=1)
    assert status_of(task) == TaskStatus.IN_PROGRESS


def test_head_of_department_supervises(head_role, manager, other_manager):
    task = make(manager, responsible=other_manager, requires_control=True)
    task = task_change_status(actor=other_manager, task=task, action="complete")
    task = task_change_status(actor=head_role, task=task, action="accept")
    assert task.status == TaskStatus.DONE


# --- deadline ------------------------------------------------------------------------------------
def test_responsible_needs_a_comment_to_move_the_deadline(
    manager, other_manager, published, django_capture_on_commit_callbacks
):
    task = make(manager, responsible=other_manager, deadline=IN_A_DAY)
    later = IN_A_DAY + datetime.timedelta(days=2)
    with pytest.raises(ValidationError) as error:
        task_change_deadline(actor=other_manager, task=task, deadline=later)
    assert "comment" in error.value.message_dict
    assert not DeadlineChange.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        task = task_change_deadline(
            actor=other_manager, task=task, deadline=later, comment="Клиент в отпуске"
        )
    change = DeadlineChange.objects.get()
    assert (change.old_deadline, change.new_deadline) == (IN_A_DAY, later)
    assert change.changed_by == other_manager and change.comment == "Клиент в отпуске"
    assert task.entries.filter(kind=TaskEntryKind.DEADLINE).count() == 1
    assert isinstance(published[-1], events.TaskDeadlineChanged)


def test_creator_moves_the_deadline_without_a_comment(manager, other_manager):
    task = make(manager, responsible=other_manager)
    task = task_change_deadline(actor=manager, task=task, deadline=IN_A_DAY)
    task = task_change_deadline(actor=manager, task=task, deadline=None)
    assert task.deadline is None
    assert DeadlineChange.objects.count() == 2


def test_deadline_policy_can_be_switched_off(manager, other_manager, settings):
    settings.TASKS_DEADLINE_CHANGE_NEEDS_COMMENT = False
    task = make(manager, responsible=other_manager)
    task = task_change_deadline(actor=other_manager, task=task, deadline=IN_A_DAY)
    assert task.deadline == IN_A_DAY
    assert DeadlineChange.objects.get().comment == ""


def test_observer_may_not_move_the_deadline(manager, other_manager):
    task = make(manager, observers=[other_manager])
    with pytest.raises(PermissionDenied):
        task_change_deadline(actor=other_manager, task=task, deadline=IN_A_DAY, comment="Хочу")


def test_same_deadline_writes_nothing(manager):
    task = make(manager, deadline=IN_A_DAY)
    task_change_deadline(actor=manager, task=task, deadline=IN_A_DAY)
    assert not DeadlineChange.objects.exists() and Task.objects.get().version == 1


# --- checklist, comments, delete ------------------------------------------------------------------
def test_checklist_add_toggle_remove(manager):
    task = make(manager, checklist=["Первый"])
    item = checklist_add(actor=manager, task=task, text="Второй")
    assert [i.text for i in task.checklist.all()] == ["Первый", "Второй"]
    assert checklist_toggle(actor=manager, task=task, item=item).done
    assert not checklist_toggle(actor=manager, task=task, item=item).done
    checklist_remove(actor=manager, task=task, item=item)
    assert list(ChecklistItem.objects.values_list("text", flat=True)) == ["Первый"]
    actions = [e.payload["action"] for e in task.entries.filter(kind="checklist")]
    assert sorted(actions) == ["added", "done", "removed", "undone"]
    with pytest.raises(ValidationError):
        checklist_add(actor=manager, task=task, text=" ")


def test_comment_needs_text(manager, published, django_capture_on_commit_callbacks):
    task = make(manager)
    with pytest.raises(ValidationError):
        task_comment(actor=manager, task=task, text="  ")
    with django_capture_on_commit_callbacks(execute=True):
        task_comment(actor=manager, task=task, text="Готовлю")
    assert isinstance(published[-1], events.TaskCommented)


def test_delete_by_creator(manager, published, django_capture_on_commit_callbacks):
    task = make(manager, checklist=["a"])
    with django_capture_on_commit_callbacks(execute=True):
        task_delete(actor=manager, task=task)
    assert not Task.objects.exists() and not ChecklistItem.objects.exists()
    assert isinstance(published[-1], events.TaskDeleted)


def test_responsible_may_not_delete_someone_elses_task(manager, other_manager):
    task = make(manager, responsible=other_manager)
    with pytest.raises(PermissionDenied):
        task_delete(actor=other_manager, task=task)


def test_delete_needs_the_delete_right(manager):
    role_with(
        (Entity.TASK, Action.READ, Scope.OWN),
        (Entity.TASK, Action.ADD, Scope.OWN),
        (Entity.TASK, Action.UPDATE, Scope.OWN),
        members=[manager],
    )
    task = make(manager)
    with pytest.raises(PermissionDenied):
        task_delete(actor=manager, task=task)


def test_a_head_doing_the_task_still_explains_a_deadline_move(head_role, manager):
    task = make(manager, responsible=head_role, requires_control=True)
    with pytest.raises(ValidationError):
        task_change_deadline(actor=head_role, task=task, deadline=IN_A_DAY)
    task = task_change_status(actor=head_role, task=task, action="complete")
    assert task.status == TaskStatus.AWAITING_CONTROL
    with pytest.raises(PermissionDenied):
        task_change_status(actor=head_role, task=task, action="accept")


def test_a_head_moves_a_subordinates_deadline_without_a_comment(head_role, manager):
    task = make(manager)
    task = task_change_deadline(actor=head_role, task=task, deadline=IN_A_DAY)
    assert task.deadline == IN_A_DAY


def test_a_concurrent_create_of_the_same_run_returns_the_winners_task(manager, monkeypatch):
    from voronka.tasks import services

    winner = task_create(actor=None, title="Первый", responsible=manager, robot_run_id="r-1")
    monkeypatch.setattr(services, "task_of_run", lambda run_id: None)  # the check came too early
    again = task_create(actor=None, title="Второй", responsible=manager, robot_run_id="r-1")
    assert again.pk == winner.pk and Task.objects.count() == 1
