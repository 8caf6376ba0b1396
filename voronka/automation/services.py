"""Robots and their runs: setting robots up, creating runs when a card enters a stage and
cancelling them when it leaves, claiming due runs under a lease and executing them.

Runs are created by in-transaction event handlers, so a stage change and its runs commit
together. A worker claims due runs (``claim_due_runs``) and executes each in one transaction
(``execute_run``): the card and the run are locked in that order — the order a stage move takes
them — so a worker and a person moving the card never deadlock. An action that talks to another
server (a webhook, an e-mail) is sent with no transaction open and recorded in a short one
afterwards (``_execute_external``): a slow server never holds the database.
"""

import contextvars
import datetime
import logging
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from voronka.access.models import Action as Right
from voronka.access.models import Entity
from voronka.access.predicates import require
from voronka.automation import conditions, timing
from voronka.automation.actions import (
    ActionFailed,
    ActionSkipped,
    ActionWaiting,
    Outcome,
    effect_once,
    get_action,
    validate_params,
)
from voronka.automation.actions.base import reset_action_now, set_action_now
from voronka.automation.conf import setting
from voronka.automation.fields import cached_definitions, definitions_of, entity_of_model
from voronka.automation.models import OPEN_STATUSES, Robot, RobotRun, RunEffect, RunStatus
from voronka.customization.validation import definitions_for
from voronka.sales.models import Deal, Lead, Pipeline
from voronka.timeline.models import EntryKind
from voronka.timeline.services import entry_add

logger = logging.getLogger(__name__)

# The run being executed in this thread: runs created by its action are one step deeper, and a
# stage move made by its action does not cancel it.
_current_run: contextvars.ContextVar[RobotRun | None] = contextvars.ContextVar(
    "automation_current_run", default=None
)
# Set while a worker drains runs: it picks new immediate runs up itself, no need to kick one.
_draining: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "automation_draining", default=False
)

ROBOT_FIELDS = (
    "pipeline",
    "stage",
    "sort",
    "name",
    "action",
    "params",
    "condition",
    "timing",
    "is_active",
)


# --- Robots ------------------------------------------------------------------------------------


def _card_model(pipeline: Pipeline) -> type[models.Model]:
    return Lead if pipeline.entity == "lead" else Deal


def robot_clean(robot: Robot) -> None:
    """Every problem of a robot in one ValidationError: the stage of another pipeline, an
    unknown action, bad parameters, condition or timing."""
    errors: dict[str, list[str]] = {}
    try:
        robot.full_clean(exclude=["params", "condition", "timing", "state"])
    except ValidationError as error:
        errors.update(error.message_dict)
    if robot.pipeline_id and robot.stage_id and robot.stage.pipeline_id != robot.pipeline_id:
        errors.setdefault("stage", []).append(_("Choose a stage of the robot's pipeline."))
    if robot.pipeline_id:
        model = _card_model(robot.pipeline)
        definitions = definitions_for(entity_of_model(model))
        action = get_action(robot.action)
        if action is None:
            errors.setdefault("action", []).append(_("Unknown action."))
        else:
            try:
                validate_params(action, robot, robot.params)
            except ValidationError as error:
                errors.setdefault("params", []).extend(_flatten(error))
        for name, check in (
            ("condition", conditions.validate_condition),
            ("timing", timing.validate_timing),
        ):
            try:
                check(model, getattr(robot, name), definitions)
            except ValidationError as error:
                errors.setdefault(name, []).extend(error.messages)
    if errors:
        raise ValidationError(errors)


def _flatten(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [
            f"{name}: {message}"
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    return list(error.messages)


@transaction.atomic
def robot_create(*, actor, data: dict[str, Any]) -> Robot:
    require(actor, Right.ADD, Entity.SETTINGS)
    robot = Robot(**{key: value for key, value in data.items() if key in ROBOT_FIELDS})
    if robot.stage_id and not robot.pipeline_id:
        robot.pipeline = robot.stage.pipeline
    robot_clean(robot)
    robot.save()
    return robot


@transaction.atomic
def robot_update(*, actor, robot: Robot, data: dict[str, Any]) -> Robot:
    """Change a robot. Moved to another stage or switched off, its open runs are cancelled."""
    require(actor, Right.UPDATE, Entity.SETTINGS)
    robot = Robot.objects.select_for_update().get(pk=robot.pk)
    old_stage_id = robot.stage_id
    for key, value in data.items():
        if key in ROBOT_FIELDS:
            setattr(robot, key, value)
    robot_clean(robot)
    robot.save()
    if robot.stage_id != old_stage_id or not robot.is_active:
        _cancel(
            RobotRun.objects.filter(robot=robot, status__in=OPEN_STATUSES),
            _("The robot was changed or switched off."),
        )
    return robot


@transaction.atomic
def robot_delete(*, actor, robot: Robot) -> None:
    """Delete a robot with its runs: planned runs die with it, the log of what it did too."""
    require(actor, Right.DELETE, Entity.SETTINGS)
    Robot.objects.filter(pk=robot.pk).delete()


@transaction.atomic
def robot_reorder(*, actor, stage_id: int, robot_ids: list[int]) -> None:
    """Put the robots of a stage in the order of ``robot_ids``: every robot of the stage, once."""
    require(actor, Right.UPDATE, Entity.SETTINGS)
    robots = {
        robot.pk: robot
        for robot in Robot.objects.select_for_update().filter(stage_id=stage_id).order_by("pk")
    }
    if sorted(robot_ids) != sorted(robots) or len(set(robot_ids)) != len(robot_ids):
        raise ValidationError(
            _("The list of robots has changed meanwhile; the page shows it as it is now.")
        )
    for position, pk in enumerate(robot_ids, start=1):
        robots[pk].sort = position * 10
    Robot.objects.bulk_update(robots.values(), ["sort"])


# --- Runs: created on entering a stage, cancelled on leaving -----------------------------------


def _cancel(runs: models.QuerySet, reason: str, *, exclude: int | None = None) -> int:
    if exclude is not None:
        runs = runs.exclude(pk=exclude)
    now = timezone.now()
    return runs.update(
        status=RunStatus.CANCELLED,
        finished_at=now,
        lease_owner="",
        lease_until=None,
        outcome=reason,
        trace={"cancelled": reason},
    )


def runs_create(
    *,
    model: type[models.Model],
    card_id: int,
    stage_id: int,
    robots: list[Robot] | None = None,
    depth: int | None = None,
) -> list[RobotRun]:
    """The runs of the active robots of ``stage_id`` for a card that has just entered it.

    A robot whose action holds the robots after it (a "wait") is the last one planned: the
    robots of the stage with a greater sort get their runs when its run has finished
    (``_release_followers``), and their timing counts from then."""
    if robots is None:
        robots = list(Robot.objects.filter(stage_id=stage_id, is_active=True))
    robots = sorted(
        (robot for robot in robots if robot.stage_id == stage_id and robot.is_active),
        key=lambda robot: (robot.sort, robot.pk),
    )
    if not robots:
        return []
    robots, held = _split_held(robots)
    now = timezone.now()
    card = None
    definitions = None
    if any((robot.timing or {}).get("type") == "at_field" for robot in robots):
        card = model.all_objects.get(pk=card_id)
        definitions = definitions_for(entity_of_model(model))
    if depth is None:
        parent = _current_run.get()
        depth = parent.depth + 1 if parent is not None else 0
    card_type = ContentType.objects.get_for_model(model)
    runs = []
    for robot in robots:
        due, note = timing.due_at(card, robot.timing, now=now, definitions=definitions)
        run = RobotRun(
            robot=robot,
            card_type=card_type,
            card_id=card_id,
            stage_id=stage_id,
            due_at=due,
            depth=depth,
            created_at=now,
            trace={"timing": note},
        )
        if held and _holds(robot):
            run.trace["holds"] = [other.pk for other in held]
        if depth > setting("AUTOMATION_MAX_CHAIN_DEPTH"):
            reason = _("Stopped: %(n)s robots in a row moved this card; is there a loop?") % {
                "n": depth
            }
            run.status = RunStatus.SKIPPED
            run.finished_at = now
            run.outcome = reason
            run.trace = {**run.trace, "skipped": reason}
        runs.append(run)
    RobotRun.objects.bulk_create(runs)
    if any(run.status == RunStatus.PLANNED and run.due_at <= now for run in runs):
        _kick_workers()
    return runs


def _holds(robot: Robot) -> bool:
    action = get_action(robot.action)
    return bool(action is not None and action.holds_following)


def _split_held(robots: list[Robot]) -> tuple[list[Robot], list[Robot]]:
    """Robots (in order) to plan now, and those a holding robot among them keeps back: every
    robot with a greater sort than the first holding one."""
    for robot in robots:
        if _holds(robot):
            return (
                [other for other in robots if other.sort <= robot.sort],
                [other for other in robots if other.sort > robot.sort],
            )
    return robots, []


def _release_followers(run: RobotRun, card) -> list[RobotRun]:
    """A holding robot's run has finished with the card still in its stage: plan the robots
    after it, as if the card had entered the stage now."""
    if card is None or getattr(card, "is_deleted", False) or card.stage_id != run.stage_id:
        return []
    if not _holds(run.robot):
        return []
    followers = list(
        Robot.objects.filter(stage_id=run.stage_id, is_active=True, sort__gt=run.robot.sort)
    )
    if not followers:
        return []
    return runs_create(
        model=type(card),
        card_id=card.pk,
        stage_id=run.stage_id,
        robots=followers,
        depth=run.depth,
    )


def runs_follow_move(
    *, model: type[models.Model], card_id: int, from_stage_id: int | None, to_stage_id: int
) -> list[RobotRun]:
    """A card moved: cancel the open runs of the stage it left, create those of the stage it
    entered. One query when neither stage has robots — the usual case."""
    stage_ids = [stage_id for stage_id in (from_stage_id, to_stage_id) if stage_id is not None]
    robots = list(Robot.objects.filter(stage_id__in=stage_ids))
    # Runs belong to a robot of their stage (a robot moved to another stage cancels its runs),
    # so a stage without robots has no runs to cancel.
    if from_stage_id is not None and any(robot.stage_id == from_stage_id for robot in robots):
        runs_cancel_on_leave(model=model, card_id=card_id, stage_id=from_stage_id)
    return runs_create(model=model, card_id=card_id, stage_id=to_stage_id, robots=robots)


def _kick_workers() -> None:
    """Ask a worker to drain due runs as soon as the transaction commits."""
    if _draining.get():
        return

    def kick() -> None:
        from voronka.automation.tasks import run_due

        try:
            run_due.delay()
        except Exception:  # a broker hiccup must not fail the change; beat catches up
            logger.warning("Could not enqueue automation.run_due; beat picks it up", exc_info=True)

    transaction.on_commit(kick)


def runs_cancel_on_leave(*, model: type[models.Model], card_id: int, stage_id: int) -> int:
    """Cancel the runs not yet done for the stage a card has left."""
    current = _current_run.get()
    return _cancel(
        RobotRun.objects.filter(
            card_type=ContentType.objects.get_for_model(model),
            card_id=card_id,
            stage_id=stage_id,
            status__in=OPEN_STATUSES,
        ),
        _("The card left the stage."),
        exclude=current.pk if current is not None else None,
    )


# --- Claiming and executing ---------------------------------------------------------------------


def _skip_locked() -> dict[str, bool]:
    # SQLite has one writer at a time; the claim's transaction is that writer, so no lock hints.
    if connection.features.has_select_for_update_skip_locked:
        return {"skip_locked": True}
    return {}


def claim_due_runs(
    *,
    worker_id: str,
    limit: int | None = None,
    lease_seconds: int | None = None,
    now: datetime.datetime | None = None,
) -> list[int]:
    """Claim up to ``limit`` runs for ``worker_id``: planned runs that are due and running runs
    whose lease has expired (their worker stopped). Rows another worker is claiming at the same
    moment are skipped, never waited for or taken twice. Returns the claimed run ids."""
    limit = limit or setting("AUTOMATION_BATCH_SIZE")
    lease_seconds = lease_seconds or setting("AUTOMATION_LEASE_SECONDS")
    now = now or timezone.now()
    with transaction.atomic():
        expired = list(
            RobotRun.objects.select_for_update(**_skip_locked())
            .filter(status=RunStatus.RUNNING, lease_until__lt=now)
            .order_by("lease_until", "pk")
            .values_list("pk", "attempts")[:limit]
        )
        worn_out = [
            pk for pk, attempts in expired if attempts >= setting("AUTOMATION_MAX_ATTEMPTS")
        ]
        if worn_out:
            reason = _("Failed: the worker stopped during each of %(n)s attempts.") % {
                "n": setting("AUTOMATION_MAX_ATTEMPTS")
            }
            RobotRun.objects.filter(pk__in=worn_out).update(
                status=RunStatus.FAILED,
                finished_at=now,
                lease_owner="",
                lease_until=None,
                outcome=reason,
                trace={"error": reason},
            )
        ids = [pk for pk, _attempts in expired if pk not in worn_out]
        if len(ids) < limit:
            ids += list(
                RobotRun.objects.select_for_update(**_skip_locked())
                .filter(status=RunStatus.PLANNED, due_at__lte=now)
                .order_by("due_at", "pk")
                .values_list("pk", flat=True)[: limit - len(ids)]
            )
        if ids:
            RobotRun.objects.filter(pk__in=ids).update(
                status=RunStatus.RUNNING,
                lease_owner=worker_id,
                lease_until=now + datetime.timedelta(seconds=lease_seconds),
                started_at=now,
                attempts=F("attempts") + 1,
            )
    return ids


@dataclass
class Result:
    run_id: int
    status: str
    outcome: str = ""


def execute_run(
    run_id: int, worker_id: str, *, now: datetime.datetime | None = None
) -> Result | None:
    """Execute a run claimed by ``worker_id``; None when it is no longer this worker's (another
    worker took it over after the lease expired, or the card left the stage)."""
    peek = _peek([run_id]).get(run_id)
    if peek is None or peek["status"] != RunStatus.RUNNING or peek["lease_owner"] != worker_id:
        return None
    return _execute(run_id, worker_id, peek, now=now)


def _peek(run_ids: list[int]) -> dict[int, dict[str, Any]]:
    rows = RobotRun.objects.filter(pk__in=run_ids).values(
        "pk", "card_type_id", "card_id", "status", "lease_owner", "robot__action"
    )
    return {row["pk"]: row for row in rows}


def _execute(
    run_id: int, worker_id: str, peek: dict[str, Any], *, now: datetime.datetime | None = None
) -> Result | None:
    model = ContentType.objects.get_for_id(peek["card_type_id"]).model_class()
    now = now or timezone.now()
    try:
        action = get_action(peek["robot__action"])
        if action is None or not action.external:
            try:
                with transaction.atomic():
                    card, run = _lock(model, peek["card_id"], run_id, worker_id)
                    if run is None:
                        return None
                    return _execute_locked(run, card, now=now)
            except _SendOutside:  # the robot's action was changed to one that sends
                pass
        return _execute_external(run_id, worker_id, model, peek["card_id"], now=now)
    except Exception as error:  # the runner's boundary: no failure may lose a run
        logger.exception("Robot run %s failed", run_id)
        return _retry_or_fail(run_id, worker_id, error, now=now)


def _lock(model: type[models.Model], card_id: int, run_id: int, worker_id: str | None):
    """The card and the run, locked in this order — the order a stage move takes them in. The
    run only while it is running for ``worker_id`` (any status when None)."""
    card = model.all_objects.select_for_update().filter(pk=card_id).first()
    runs = RobotRun.objects.filter(pk=run_id)
    if worker_id is not None:
        runs = runs.filter(status=RunStatus.RUNNING, lease_owner=worker_id)
    run = (
        # Only the run's row: locking the joined robot, pipeline and stage too would make
        # people's stage moves (their foreign-key checks) wait on the workers.
        runs.select_for_update(of=("self",))
        .select_related("robot", "robot__pipeline", "stage")
        .first()
    )
    return card, run


def _verdict(run: RobotRun, card, trace: dict[str, Any]) -> tuple[str, str, Any] | None:
    """Why the run ends without its action — (status, outcome, the card for the feed) — or None
    when the action is to be performed. Writes nothing; fills ``trace["condition"]``."""
    robot = run.robot
    if card is None or getattr(card, "is_deleted", False):
        return RunStatus.SKIPPED, _("The card was deleted."), None
    if card.stage_id != run.stage_id:
        return RunStatus.SKIPPED, _("The card is no longer in the stage."), card
    if not robot.is_active:
        return RunStatus.SKIPPED, _("The robot is switched off."), card
    action = get_action(robot.action)
    if action is None:
        return RunStatus.FAILED, _("Unknown action “%(code)s”.") % {"code": robot.action}, card
    definitions = definitions_of(card)
    held, condition_trace = conditions.evaluate(card, robot.condition, definitions)
    trace["condition"] = condition_trace
    # A waiting action reads the condition as what it waits for, not as a reason to skip.
    if not held and not action.waits_for_condition:
        return (
            RunStatus.SKIPPED,
            _("Condition not met: %(why)s") % {"why": condition_trace["text"]},
            card,
        )
    return None


def _refusal(error: Exception, trace: dict[str, Any]) -> tuple[str, str]:
    """The status and outcome of an action that refused: skipped, failed, or refused by the
    card or the parameters (a required field is empty…) — trying again would fail the same
    way."""
    if isinstance(error, ActionSkipped):
        return RunStatus.SKIPPED, str(error)
    if isinstance(error, ActionFailed):
        trace["error"] = [str(error)]
        return RunStatus.FAILED, str(error)
    trace["error"] = _flatten(error)
    return RunStatus.FAILED, _("Refused: %(why)s") % {"why": "; ".join(trace["error"])}


class _SendOutside(Exception):
    """The run's action talks to another server: it is executed by ``_execute_external``."""


def _execute_locked(run: RobotRun, card, *, now) -> Result:
    trace: dict[str, Any] = dict(run.trace or {})
    verdict = _verdict(run, card, trace)
    if verdict is not None:
        status, outcome, card = verdict
        return _finish(run, card, status, outcome, trace, now)
    action = get_action(run.robot.action)
    if action.external:
        raise _SendOutside(action.code)
    token = _current_run.set(run)
    clock = set_action_now(now)
    waiting: ActionWaiting | None = None
    try:
        with transaction.atomic():
            try:
                outcome = action.perform(run, card, run.robot.params or {})
            except ActionWaiting as signal:
                # Not an error: the effects of this round stay, the run waits for the next.
                waiting = signal
    except (ActionSkipped, ActionFailed, ValidationError) as error:
        status, text = _refusal(error, trace)
        return _finish(run, card, status, text, trace, now)
    finally:
        reset_action_now(clock)
        _current_run.reset(token)
    if waiting is not None:
        return _wait(run, card, waiting, trace, now)
    trace["action"] = outcome.details
    return _finish(run, card, RunStatus.DONE, outcome.text, trace, now)


# The finishing transaction of a sent action needs this long after the send, inside the lease.
FINISH_SECONDS = 30


def _execute_external(
    run_id: int, worker_id: str, model: type[models.Model], card_id: int, *, now
) -> Result | None:
    """An action that talks to another server, in three steps so that no transaction is open
    while that server answers (on SQLite every write transaction holds the database's one write
    lock, on PostgreSQL the card's row would stay locked):

    1. read the run and the card with no transaction, check them as ``_execute_locked`` does
       and prepare the request;
    2. extend the run's lease to cover the send if needed, and send;
    3. lock the card and the run; if the run is no longer this worker's (its lease expired and
       another worker took it over), do nothing; otherwise record the effect and finish it.

    A worker dying between 2 and 3 leaves the run to be taken over and sent again, with the
    same idempotency mark (``ExternalAction``). A card that left the stage meanwhile cancelled
    the run, but the request was sent: the run is done, with a note saying so."""
    run = (
        RobotRun.objects.select_related("robot", "robot__pipeline", "stage")
        .filter(pk=run_id, status=RunStatus.RUNNING, lease_owner=worker_id)
        .first()
    )
    if run is None:
        return None
    action = get_action(run.robot.action)
    if action is None or not action.external:  # the robot's action was changed meanwhile
        with transaction.atomic():
            card, run = _lock(model, card_id, run_id, worker_id)
            return None if run is None else _execute_locked(run, card, now=now)
    card = model.all_objects.filter(pk=card_id).first()
    trace: dict[str, Any] = dict(run.trace or {})
    verdict = _verdict(run, card, trace)
    if verdict is None and RunEffect.objects.filter(run=run, key=action.effect_key).exists():
        # A run done before (executed again after its worker was thought dead): not sent again.
        verdict = RunStatus.DONE, str(action.already_done), card
    if verdict is None:
        token = _current_run.set(run)
        clock = set_action_now(now)
        try:
            request = action.prepare(run, card, run.robot.params or {})
        except (ActionSkipped, ActionFailed, ValidationError) as error:
            verdict = (*_refusal(error, trace), card)
        finally:
            reset_action_now(clock)
            _current_run.reset(token)
    if verdict is not None:
        status, outcome, shown = verdict
        with transaction.atomic():
            card, run = _lock(model, card_id, run_id, worker_id)
            if run is None:
                return None
            return _finish(run, card if shown is not None else None, status, outcome, trace, now)

    lease_until = _hold_lease(run, worker_id, action.send_seconds(request))
    if lease_until is None:
        return None
    clock = set_action_now(now)
    try:
        sent: Outcome | ActionFailed = action.send(run, request)
    except ActionFailed as refused:
        sent = refused
    finally:
        reset_action_now(clock)

    with transaction.atomic():
        card, run = _lock(model, card_id, run_id, None)
        if run is None:
            return None  # the robot was deleted meanwhile, its runs with it
        mine = run.status == RunStatus.RUNNING and run.lease_owner == worker_id
        if isinstance(sent, ActionFailed):
            if not mine:
                return None
            status, text = _refusal(sent, trace)
            return _finish(run, card, status, text, trace, now)
        # Cancelled while this worker still held the lease — by a stage move or a change of the
        # robot — while the request was on its way: it was sent all the same.
        cancelled = run.status == RunStatus.CANCELLED and timezone.now() <= lease_until
        if not (mine or cancelled):
            return None  # taken over by another worker after the lease expired: it finishes
        if card is not None and getattr(card, "is_deleted", False):
            card = None
        if not effect_once(run, action.effect_key, action.effect_details(request)):
            if cancelled:
                return None
            return _finish(run, card, RunStatus.DONE, str(action.already_done), trace, now)
        token = _current_run.set(run)
        try:
            action.record(run, card, request, sent)
        finally:
            _current_run.reset(token)
        text = sent.text
        if cancelled or card is None or card.stage_id != run.stage_id:
            reason = (run.trace or {}).get("cancelled") if cancelled else None
            reason = reason or _("The card left the stage.")
            trace["stopped"] = reason
            text = _("%(outcome)s It was sent before the run was stopped: %(reason)s") % {
                "outcome": text,
                "reason": reason,
            }
        trace["action"] = sent.details
        return _finish(run, card, RunStatus.DONE, text, trace, now)


def _hold_lease(run: RobotRun, worker_id: str, seconds: float) -> datetime.datetime | None:
    """Make the run's lease last through a send of ``seconds`` and the finishing transaction;
    the lease's end, or None when the run is no longer this worker's."""
    needed = timezone.now() + datetime.timedelta(seconds=seconds + FINISH_SECONDS)
    if run.lease_until is not None and run.lease_until >= needed:
        return run.lease_until
    extended = RobotRun.objects.filter(
        pk=run.pk, status=RunStatus.RUNNING, lease_owner=worker_id
    ).update(lease_until=needed)
    return needed if extended else None


# A waiting run is due again at least this long after it waited: an action answering "wait
# until now" must not spin a worker.
MIN_WAIT = datetime.timedelta(seconds=60)
# The trace keeps the latest rounds of a waiting run, not all of them.
WAITS_KEPT = 10


def _wait(run: RobotRun, card, waiting: ActionWaiting, trace: dict, now) -> Result:
    """Put the run back to planned, due at ``waiting.until``: same id, attempts start over,
    one more iteration. The card's feed hears of the first wait only; the panel of planned
    runs shows the reason of the latest."""
    rounds = int(trace.get("iteration", 0)) + 1
    until = max(waiting.until, now + MIN_WAIT)
    reason = str(waiting.reason)
    outcome = _("Waiting: %(reason)s") % {"reason": reason}
    trace["iteration"] = rounds
    trace.setdefault("waiting_since", now.isoformat())
    # The panel of planned runs shows ``timing``: the latest wait, while the run waits.
    trace.setdefault("first_timing", trace.get("timing", ""))
    trace["timing"] = outcome
    trace["waits"] = [
        *trace.get("waits", []),
        {"at": now.isoformat(), "until": until.isoformat(), "reason": reason},
    ][-WAITS_KEPT:]
    trace.pop("errors", None)
    run.status = RunStatus.PLANNED
    run.due_at = until
    run.attempts = 0
    run.outcome = outcome
    run.trace = trace
    run.lease_owner = ""
    run.lease_until = None
    run.save(
        update_fields=[
            "status",
            "due_at",
            "attempts",
            "outcome",
            "trace",
            "lease_owner",
            "lease_until",
        ]
    )
    if rounds == 1:
        entry_add(
            actor=None,
            card=card,
            kind=EntryKind.ROBOT,
            text=f"{run.robot.name}: {outcome}",
            payload={
                "robot_run_id": run.pk,
                "robot_id": run.robot_id,
                "robot": run.robot.name,
                "status": RunStatus.PLANNED,
                "why": "",
            },
        )
    return Result(run.pk, RunStatus.PLANNED, outcome)


def _finish(run: RobotRun, card, status: str, outcome: str, trace: dict, now) -> Result:
    if "first_timing" in trace:
        # A run that waited: its log shows when it was first due, not its last wait.
        trace = {**trace, "timing": trace["first_timing"]}
        del trace["first_timing"]
    run.status = status
    run.outcome = outcome
    run.trace = trace
    run.finished_at = now
    run.lease_owner = ""
    run.lease_until = None
    run.save(
        update_fields=["status", "outcome", "trace", "finished_at", "lease_owner", "lease_until"]
    )
    if card is not None:
        entry_add(
            actor=None,
            card=card,
            kind=EntryKind.ROBOT,
            text=f"{run.robot.name}: {outcome}",
            payload={
                "robot_run_id": run.pk,
                "robot_id": run.robot_id,
                "robot": run.robot.name,
                "status": status,
                "why": (trace.get("condition") or {}).get("text", ""),
            },
        )
    if status in (RunStatus.DONE, RunStatus.SKIPPED):
        _release_followers(run, card)
    return Result(run.pk, status, outcome)


def _retry_or_fail(run_id: int, worker_id: str, error: Exception, *, now) -> Result | None:
    with transaction.atomic():
        run = (
            RobotRun.objects.select_for_update(of=("self",))
            .select_related("robot")
            .filter(pk=run_id, status=RunStatus.RUNNING, lease_owner=worker_id)
            .first()
        )
        if run is None:
            return None
        message = f"{type(error).__name__}: {error}"
        errors = [*(run.trace or {}).get("errors", []), {"attempt": run.attempts, "error": message}]
        trace = {**(run.trace or {}), "errors": errors}
        if run.attempts >= setting("AUTOMATION_MAX_ATTEMPTS"):
            card = run.card_type.model_class().all_objects.filter(pk=run.card_id).first()
            outcome = _("Failed after %(n)s attempts: %(error)s") % {
                "n": run.attempts,
                "error": message,
            }
            return _finish(run, card, RunStatus.FAILED, outcome, trace, now)
        delays = setting("AUTOMATION_RETRY_DELAYS")
        delay = delays[min(run.attempts, len(delays)) - 1]
        RobotRun.objects.filter(pk=run.pk).update(
            status=RunStatus.PLANNED,
            due_at=now + datetime.timedelta(seconds=delay),
            lease_owner="",
            lease_until=None,
            outcome=_("Attempt %(n)s failed, trying again in %(s)s s: %(error)s")
            % {"n": run.attempts, "s": delay, "error": message},
            trace=trace,
        )
        return Result(run.pk, RunStatus.PLANNED, message)


def run_due_runs(
    *,
    worker_id: str,
    batch: int | None = None,
    lease_seconds: int | None = None,
    max_seconds: float | None = None,
    should_stop=None,
) -> int:
    """Claim and execute due runs batch after batch until none is due, ``max_seconds`` pass or
    ``should_stop()`` answers yes (checked between runs; runs claimed but left are taken over
    by another worker when their lease expires). Returns how many runs were executed."""
    started = timezone.now()
    done = 0
    token = _draining.set(True)
    try:
        while True:
            ids = claim_due_runs(worker_id=worker_id, limit=batch, lease_seconds=lease_seconds)
            if not ids:
                return done
            peeks = _peek(ids)
            # Custom field definitions are read once per batch, not once per run.
            with cached_definitions():
                for run_id in ids:
                    if should_stop is not None and should_stop():
                        return done
                    if run_id in peeks and _execute(run_id, worker_id, peeks[run_id]) is not None:
                        done += 1
            if max_seconds is not None and (timezone.now() - started).total_seconds() > max_seconds:
                return done
    finally:
        _draining.reset(token)
