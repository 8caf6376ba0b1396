"""A leaky bucket per webhook (or token) and client address, as Bitrix24 limits requests:
each request adds one, the bucket drains ``rate`` per second, and above ``burst`` the
request is refused with 503 QUERY_LIMIT_EXCEEDED. Off unless ``BITRIX24_RATE_LIMIT`` is set,
e.g. ``{"rate": 2, "burst": 50}``. State lives in the cache (Redis in production; the
in-memory default counts per process)."""

import threading
import time

from django.conf import settings
from django.core.cache import cache

from voronka.integrations.bitrix24.responses import B24Error

_lock = threading.Lock()


def limit_settings() -> dict | None:
    config = getattr(settings, "BITRIX24_RATE_LIMIT", None)
    if not config:
        return None
    return {"rate": float(config.get("rate", 2)), "burst": float(config.get("burst", 50))}


def check(key: str) -> None:
    """Count one request for ``key``; raise the 503 envelope when the bucket overflows."""
    config = limit_settings()
    if config is None:
        return
    cache_key = f"b24-bucket:{key}"
    with _lock:
        now = time.monotonic() if cache.__class__.__name__ == "LocMemCache" else time.time()
        level, stamp = cache.get(cache_key) or (0.0, now)
        level = max(0.0, level - (now - stamp) * config["rate"])
        if level + 1 > config["burst"]:
            cache.set(cache_key, (level, now), timeout=3600)
            raise B24Error("QUERY_LIMIT_EXCEEDED", "Too many requests", 503)
        cache.set(cache_key, (level + 1, now), timeout=3600)
