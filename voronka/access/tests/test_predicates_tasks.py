"""The task entity: the responsible and the creator own a task; co-executors and observers
(many-to-many participants) see it as their own too — one EXISTS each, never duplicate rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from voronka.access.models import Action, Entity, Role, Scope
from voronka.access.predicates import can, entity_of, visible_to
from voronka.access.tests.factories import role_with
from voronka.staff.tests.factories import DepartmentFactory, UserFactory
from voronka.tasks.models import Task
from voronka.tasks.tests.factories import TaskFactory


@pytest.fixture
def stranger(db):
    return UserFactory(department=DepartmentFactory())


def test_task_is_an_entity_with_an_access_rule(db):
    assert entity_of(Task) == Entity.TASK


def test_responsible_and_creator_see_the_task(manager, other_manager, stranger):
    task = TaskFactory(responsible=manager, created_by=other_manager)
    assert list(visible_to(manager, Task.objects.all())) == [task]
    assert list(visible_to(other_manager, Task.objects.all())) == [task]
    assert not visible_to(stranger, Task.objects.all()).exists()


def test_participants_see_the_task_as_their_own(manager, other_manager, stranger):
    task = TaskFactory(responsible=stranger)
    task.co_executors.add(manager)
    task.observers.add(other_manager)
    assert list(visible_to(manager, Task.objects.all())) == [task]
    assert list(visible_to(other_manager, Task.objects.all())) == [task]
    assert can(manager, Action.READ, task) and can(other_manager, Action.UPDATE, task)


def test_others_do_not_see_it(manager, other_manager, stranger):
    task = TaskFactory(responsible=stranger)
    task.observers.add(UserFactory())
    assert not visible_to(manager, Task.objects.all()).exists()
    assert not can(manager, Action.READ, task)
    assert not can(other_manager, Action.UPDATE, task)


def test_being_in_both_relations_gives_no_duplicate_rows(manager, other_manager):
    task = TaskFactory(responsible=manager, created_by=manager)
    task.co_executors.add(manager, other_manager)
    task.observers.add(manager, other_manager)
    other = TaskFactory(responsible=other_manager)
    other.observers.add(manager)
    visible = list(visible_to(manager, Task.objects.all()).order_by("pk"))
    assert visible == [task, other]
    assert visible_to(manager, Task.objects.all()).count() == 2


def test_the_condition_is_one_query_with_exists(manager):
    TaskFactory(responsible=manager)
    visible_to(manager, Task.objects.all()).exists()  # rights resolved and cached
    with CaptureQueriesContext(connection) as queries:
        list(visible_to(manager, Task.objects.all()))
    assert len(queries) == 1
    sql = queries[0]["sql"].upper()
    assert "EXISTS" in sql and "JOIN" not in sql.split("WHERE")[1].split("EXISTS")[0]


def test_participant_check_uses_prefetched_rows(manager, stranger, django_assert_num_queries):
    task = TaskFactory(responsible=stranger)
    task.observers.add(manager)
    loaded = Task.objects.prefetch_related("co_executors", "observers").get(pk=task.pk)
    can(manager, Action.READ, Task)  # rights cached
    with django_assert_num_queries(0):
        assert can(manager, Action.READ, loaded)


def test_participation_does_not_outrank_a_closed_scope(manager, stranger):
    Role.objects.update(is_default=False)
    role_with((Entity.TASK, Action.READ, Scope.NONE), members=[manager])
    task = TaskFactory(responsible=stranger)
    task.observers.add(manager)
    assert not visible_to(manager, Task.objects.all()).exists()
    assert not can(manager, Action.READ, task)


def test_head_sees_the_department_tasks(head, manager, stranger):
    Role.objects.get(code="head").members.add(head)
    own = TaskFactory(responsible=manager, created_by=manager)
    TaskFactory(responsible=stranger)
    assert list(visible_to(head, Task.objects.all())) == [own]
    assert can(head, Action.UPDATE, own)


def test_department_scope_still_counts_participants(manager, stranger):
    role_with((Entity.TASK, Action.READ, Scope.DEPARTMENT), members=[manager])
    task = TaskFactory(responsible=stranger)
    task.co_executors.add(manager)
    assert list(visible_to(manager, Task.objects.all())) == [task]
    assert can(manager, Action.READ, task)


def test_other_entities_are_untouched(manager):
    # Rules without participants build no subquery.
    from voronka.sales.models import Deal

    sql = str(visible_to(manager, Deal.objects.all()).query).upper()
    assert "EXISTS" not in sql
