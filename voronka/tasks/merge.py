"""Tasks bound to a merged card are bound to the surviving card."""

from voronka.contacts.merging import MergePlan, register_merge_mover
from voronka.tasks.models import Task


def move_tasks(plan: MergePlan) -> None:
    plan.repoint_generic(Task)


register_merge_mover("tasks", move_tasks)
