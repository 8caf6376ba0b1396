"""A robot worker process for the fault test: a real Celery worker (``celery``) consuming one
queue of the Redis broker, or the ``run_automation`` command (``command``) where the Redis
client library is not installed.

    python -m voronka.automation.tests.fault_worker celery <queue>
    python -m voronka.automation.tests.fault_worker command

The database comes from ``DATABASE_URL``, the broker from ``REDIS_URL`` and the lease from
``AUTOMATION_LEASE_SECONDS``, as for any worker; ``FAULT_BATCH`` claims fewer runs at a time
than the default so a short lease is not outlived by the batch itself.
"""

import os
import sys
import threading
import time


def _exit_with_parent() -> None:
    parent = int(os.environ.get("FAULT_PARENT_PID") or 0)
    if not parent:
        return

    def watch() -> None:
        while True:
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                os._exit(0)
            time.sleep(1)

    threading.Thread(target=watch, daemon=True).start()


def main(argv: list[str]) -> None:
    _exit_with_parent()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.conf import settings

    django.setup()
    batch = int(os.environ.get("FAULT_BATCH", "10"))
    settings.AUTOMATION_BATCH_SIZE = batch
    mode = argv[0] if argv else "celery"
    if mode == "celery":
        from config.celery import app

        queue = argv[1]
        app.worker_main(
            [
                "worker",
                "--pool=solo",
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--prefetch-multiplier=1",
                f"--queues={queue}",
                f"--hostname=fault-{os.getpid()}@%h",
            ]
        )
    else:
        from django.core.management import call_command

        call_command("run_automation", batch=batch, interval=0.2)


if __name__ == "__main__":
    main(sys.argv[1:])
