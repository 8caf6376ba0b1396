"""What happens to tasks, for automation, webhooks and notifications.

Every event carries ``task_id``; ``card_type`` (``lead``, ``deal``, ``contact``, ``company``)
and ``card_id`` name the CRM card the task is linked to, or are None. ``robot_run_id`` is the
automation run that created the task, if any. Events are published when the transaction that
produced them commits (``voronka.core.events.publish``).
"""

from dataclasses import dataclass
from datetime import datetime

from voronka.core.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class TaskEvent(DomainEvent):
    """Base class: subscribe to it to hear every task event."""

    task_id: int


@dataclass(frozen=True, kw_only=True)
class TaskCreated(TaskEvent):
    responsible_id: int
    created_by_id: int | None
    card_type: str | None
    card_id: int | None
    robot_run_id: str | None


@dataclass(frozen=True, kw_only=True)
class TaskUpdated(TaskEvent):
    fields: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class TaskStatusChanged(TaskEvent):
    from_status: str
    to_status: str


@dataclass(frozen=True, kw_only=True)
class TaskCompleted(TaskEvent):
    """The task is done (accepted by the creator when it required control) — a trigger for
    robots: ``card_type``/``card_id`` say which card may move on."""

    responsible_id: int
    card_type: str | None
    card_id: int | None
    robot_run_id: str | None


@dataclass(frozen=True, kw_only=True)
class TaskDeadlineChanged(TaskEvent):
    old_deadline: datetime | None
    new_deadline: datetime | None


@dataclass(frozen=True, kw_only=True)
class TaskCommented(TaskEvent):
    entry_id: int


@dataclass(frozen=True, kw_only=True)
class TaskDeleted(TaskEvent):
    card_type: str | None
    card_id: int | None
