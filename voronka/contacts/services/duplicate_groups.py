"""Writes of the duplicate finder's groups; the scan is ``voronka.contacts.duplicate_scan``."""

from django.db import transaction
from django.utils import timezone

from voronka.contacts.models import DuplicateGroup


def duplicate_group_dismiss(*, actor, group: DuplicateGroup) -> DuplicateGroup:
    """Mark a group as "not duplicates": the finder hides it and the scan keeps it hidden
    until its members change. The caller checks that the actor sees the group's cards."""
    with transaction.atomic():
        group = DuplicateGroup.objects.select_for_update().get(pk=group.pk)
        if group.dismissed_at is None:
            group.dismissed_at = timezone.now()
            group.dismissed_by = actor
            group.save(update_fields=["dismissed_at", "dismissed_by"])
    return group
