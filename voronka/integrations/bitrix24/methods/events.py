"""``event.bind`` / ``event.get`` / ``event.unbind`` (allowed through webhooks too)."""

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from voronka.integrations.bitrix24.delivery import SUPPORTED_EVENTS
from voronka.integrations.bitrix24.models import EventBinding
from voronka.integrations.bitrix24.params import is_empty, to_int
from voronka.integrations.bitrix24.registry import BASIC, OTHER, method
from voronka.integrations.bitrix24.responses import B24Error
from voronka.integrations.bitrix24.services import event_bind, event_unbind


def _event(params) -> str:
    name = str(params.get("event") or "").strip().upper()
    if name not in SUPPORTED_EVENTS:
        raise B24Error("ERROR_EVENT_NOT_FOUND", "Event not found", 400)
    return name


def _auth_type(ctx, params) -> None:
    auth_type = to_int(params.get("auth_type"))
    if auth_type and auth_type != ctx.user.pk and not ctx.user.is_superuser:
        raise B24Error("ACCESS_DENIED", "Access denied", 403)
    if str(params.get("event_type") or "online").lower() == "offline":
        raise B24Error("ACCESS_DENIED", "Offline events are not supported", 403)


@method("event.bind", scope=BASIC, family=OTHER)
def bind(ctx, params):
    event = _event(params)
    handler = str(params.get("handler") or "").strip()
    try:
        URLValidator(schemes=["http", "https"])(handler)
    except ValidationError:
        raise B24Error("INVALID_ARGUMENT", "Handler URL is invalid", 400) from None
    _auth_type(ctx, params)
    event_bind(
        user=ctx.user,
        token=ctx.token,
        event=event,
        handler=handler,
        client_endpoint=ctx.base_url,
    )
    return True


@method("event.get", scope=BASIC, family=OTHER)
def get(ctx, params):
    return [
        {
            "event": binding.event,
            "handler": binding.handler,
            "auth_type": str(binding.user_id),
            "offline": 0,
            "application_token": binding.application_token,
        }
        for binding in EventBinding.objects.filter(user=ctx.user).order_by("pk")
    ]


@method("event.unbind", scope=BASIC, family=OTHER)
def unbind(ctx, params):
    event = _event(params)
    handler = "" if is_empty(params.get("handler")) else str(params.get("handler"))
    return {"count": event_unbind(user=ctx.user, event=event, handler=handler)}
