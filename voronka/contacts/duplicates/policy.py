"""Per-entity duplicate policies, read once per request (or per ``policies_cached`` block)."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from voronka.contacts.models import DuplicateMode, DuplicatePolicy

_cache: ContextVar[dict[str, DuplicatePolicy] | None] = ContextVar(
    "duplicate_policies", default=None
)


def policy_for(entity: str) -> DuplicatePolicy:
    """The policy of ``entity`` (lead, contact, company); "warn on every rule" when none is
    stored. Inside a request or a ``policies_cached()`` block it is read once; elsewhere (a
    task, a test calling a service) every call reads the current row."""
    cache = _cache.get()
    if cache is not None and entity in cache:
        return cache[entity]
    policy = DuplicatePolicy.objects.filter(entity=entity).first()
    if policy is None:
        policy = DuplicatePolicy(entity=entity, mode=DuplicateMode.WARN, rules=[])
    if cache is not None:
        cache[entity] = policy
    return policy


@contextmanager
def policies_cached() -> Iterator[None]:
    """Read each policy at most once inside the block (an import of many rows, say)."""
    token = _cache.set({})
    try:
        yield
    finally:
        _cache.reset(token)


def start_request_cache(**kwargs) -> None:
    """``request_started`` receiver: a fresh cache for each request."""
    _cache.set({})


def end_request_cache(**kwargs) -> None:
    """``request_finished`` receiver: outside requests every call reads the row again."""
    _cache.set(None)


def forget_policies(**kwargs) -> None:
    """``DuplicatePolicy`` saved or deleted: the next check reads the new rows."""
    cache = _cache.get()
    if cache is not None:
        cache.clear()


def connect() -> None:
    """Receivers of this module: a cache per request, forgotten when a policy is saved.
    Idempotent (``dispatch_uid``), called from the app's ``ready()``."""
    from django.core.signals import request_finished, request_started
    from django.db.models.signals import post_delete, post_save

    request_started.connect(start_request_cache, dispatch_uid="duplicate_policies_start")
    request_finished.connect(end_request_cache, dispatch_uid="duplicate_policies_end")
    for signal in (post_save, post_delete):
        signal.connect(
            forget_policies, sender=DuplicatePolicy, dispatch_uid=f"duplicate_policies_{signal}"
        )
