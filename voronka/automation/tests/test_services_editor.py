"""Setting robots up needs the rights to change the settings; deleting and reordering."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from voronka.access.models import Action, Entity, Scope
from voronka.access.tests.factories import role_with
from voronka.automation.models import Robot
from voronka.automation.services import robot_create, robot_delete, robot_reorder, robot_update
from voronka.automation.tests.factories import RobotFactory

pytestmark = pytest.mark.django_db


def _data(stage):
    return {"stage": stage, "name": "Позвонить", "action": "comment", "params": {"text": "Hi"}}


def test_a_manager_may_not_add_change_or_delete_robots(manager, first_stage):
    robot = RobotFactory(stage=first_stage)

    with pytest.raises(PermissionDenied):
        robot_create(actor=manager, data=_data(first_stage))
    with pytest.raises(PermissionDenied):
        robot_update(actor=manager, robot=robot, data={"name": "Другое"})
    with pytest.raises(PermissionDenied):
        robot_delete(actor=manager, robot=robot)
    with pytest.raises(PermissionDenied):
        robot_reorder(actor=manager, stage_id=first_stage.pk, robot_ids=[robot.pk])

    robot.refresh_from_db()
    assert (Robot.objects.count(), robot.name) == (1, robot.name)


def test_the_settings_rights_let_an_employee_set_robots_up(manager, first_stage):
    role_with(
        (Entity.SETTINGS, Action.ADD, Scope.ALL),
        (Entity.SETTINGS, Action.UPDATE, Scope.ALL),
        (Entity.SETTINGS, Action.DELETE, Scope.ALL),
        members=[manager],
    )

    robot = robot_create(actor=manager, data=_data(first_stage))
    robot_update(actor=manager, robot=robot, data={"name": "Другое"})
    robot.refresh_from_db()
    assert robot.name == "Другое"

    robot_delete(actor=manager, robot=robot)
    assert not Robot.objects.exists()


def test_reorder_puts_the_robots_of_a_stage_in_the_given_order(first_stage):
    first, second, third = (RobotFactory(stage=first_stage) for _ in range(3))

    robot_reorder(actor=None, stage_id=first_stage.pk, robot_ids=[third.pk, first.pk, second.pk])

    order = list(Robot.objects.filter(stage=first_stage).order_by("sort", "pk"))
    assert order == [third, first, second]


@pytest.mark.parametrize("shape", ["missing", "foreign", "twice"])
def test_reorder_refuses_a_list_that_is_not_the_stage_s_robots(first_stage, second_stage, shape):
    first, second = RobotFactory(stage=first_stage), RobotFactory(stage=first_stage)
    other = RobotFactory(stage=second_stage)
    ids = {
        "missing": [first.pk],
        "foreign": [first.pk, second.pk, other.pk],
        "twice": [first.pk, first.pk, second.pk],
    }[shape]
    sorts = list(Robot.objects.order_by("pk").values_list("sort", flat=True))

    with pytest.raises(ValidationError):
        robot_reorder(actor=None, stage_id=first_stage.pk, robot_ids=ids)

    assert list(Robot.objects.order_by("pk").values_list("sort", flat=True)) == sorts
