import signal
import threading
import time

from django.core.management.base import BaseCommand

from voronka.automation.services import run_due_runs
from voronka.automation.tasks import worker_name


class Command(BaseCommand):
    help = "Execute due robot runs without Celery: once, or in a loop until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Drain the due runs and exit.")
        parser.add_argument("--worker-id", default="", help="Name of this worker in run leases.")
        parser.add_argument("--batch", type=int, default=None, help="Runs claimed at a time.")
        parser.add_argument("--lease", type=int, default=None, help="Lease length in seconds.")
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds to wait when nothing is due."
        )

    def handle(self, *args, once=False, worker_id="", batch=None, lease=None, interval=1.0, **kw):
        worker_id = worker_id or worker_name("command")
        stop = threading.Event()
        # SIGTERM finishes the run in hand and exits; runs claimed but not started return to
        # the pool when their lease expires.
        previous = signal.signal(signal.SIGTERM, lambda *_args: stop.set())
        total = 0
        started = time.perf_counter()
        try:
            while not stop.is_set():
                done = run_due_runs(
                    worker_id=worker_id, batch=batch, lease_seconds=lease, should_stop=stop.is_set
                )
                total += done
                if once:
                    break
                if not done:
                    stop.wait(interval)
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
        elapsed = time.perf_counter() - started
        rate = total / elapsed if elapsed else 0
        self.stdout.write(f"{total} runs in {elapsed:.2f} s ({rate:.0f} runs/s)")
