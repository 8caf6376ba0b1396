"""Settings of outbound webhooks, with defaults; override them in ``config/settings.py``."""

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Seconds a receiver has to answer one delivery.
    "WEBHOOKS_TIMEOUT": 10,
    # A failed delivery is tried again after 1, 2, 4 … minutes, never waiting longer than the
    # cap, until it has been tried this many times.
    "WEBHOOKS_RETRY_BASE_SECONDS": 60,
    "WEBHOOKS_RETRY_MAX_DELAY": 3600,
    "WEBHOOKS_MAX_ATTEMPTS": 10,
    # After this many deliveries in a row failed for good, the subscription is switched off.
    "WEBHOOKS_DISABLE_AFTER_FAILURES": 10,
    # How long a worker owns a claimed batch; rows outliving it are claimed again.
    "WEBHOOKS_LEASE_SECONDS": 300,
    "WEBHOOKS_BATCH_SIZE": 20,
    # Addresses on loopback, private, link-local or reserved networks are refused unless
    # this is on (a receiver in the same private network, tests).
    "WEBHOOKS_ALLOW_PRIVATE_TARGETS": False,
    # Delivered and failed deliveries older than this many days leave the log.
    "WEBHOOKS_KEEP_DAYS": 30,
    # How much of a receiver's answer the delivery log keeps.
    "WEBHOOKS_RESPONSE_EXCERPT": 1000,
}


def setting(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])
