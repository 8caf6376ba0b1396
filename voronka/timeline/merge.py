"""A merged card's feed and planned activities move to the surviving card."""

from voronka.contacts.merging import MergePlan, register_merge_mover
from voronka.timeline.models import Activity, TimelineEntry


def move_timeline_rows(plan: MergePlan) -> None:
    plan.repoint_generic(TimelineEntry)
    plan.repoint_generic(Activity)


register_merge_mover("timeline", move_timeline_rows)
