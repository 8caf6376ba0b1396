from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse

from voronka.core.services import heartbeat_status


@login_not_required
def health(request):
    """Liveness for scripts and load balancers: the web process, the database and the worker.

    The web process answers 200 whenever it and the database work; a stopped background worker
    shows as ``"worker": {"alive": false}`` without failing the check, since pages still work.
    """
    return JsonResponse({"status": "ok", "worker": heartbeat_status(name="worker")})
