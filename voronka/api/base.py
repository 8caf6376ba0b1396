"""What every endpoint shares: the caller's language, idempotent POSTs, field rules and
``fields=`` selection on responses."""

from django.utils import translation
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers, viewsets

from voronka.access.predicates import hidden_fields
from voronka.api import idempotency

FIELDS_PARAMETER = OpenApiParameter(
    "fields",
    str,
    description="Comma-separated field names to return (the id always comes back).",
    required=False,
)


class ApiViewMixin:
    """For every API view: language, idempotency keys."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self._activate_language(request)

    @staticmethod
    def _activate_language(request) -> None:
        """The language asked for with ``Accept-Language``, otherwise the employee's own."""
        if request.META.get("HTTP_ACCEPT_LANGUAGE"):
            language = translation.get_language_from_request(request._request)
        else:
            language = getattr(request.user, "language", "") or translation.get_language()
        translation.activate(language)
        request._request.LANGUAGE_CODE = language

    def dispatch(self, request, *args, **kwargs):
        self.args = args
        self.kwargs = kwargs
        django_request = request
        request = self.initialize_request(request, *args, **kwargs)
        self.request = request
        self.headers = self.default_response_headers
        key = None
        try:
            # The digest reads the body before anything else consumes it.
            digest = idempotency.request_digest(django_request)
            self.initial(request, *args, **kwargs)
            key = idempotency.request_key(request) if digest else None
            response = idempotency.replay(request, key, digest) if key else None
            if response is None:
                handler = getattr(self, request.method.lower(), None)
                if request.method.lower() not in self.http_method_names or handler is None:
                    handler = self.http_method_not_allowed
                response = handler(request, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - DRF's own dispatch turns these into answers
            response = self.handle_exception(exc)
        if key and response.get("Idempotent-Replayed") is None:
            idempotency.remember(request, key, digest, response)
        self.response = self.finalize_response(request, response, *args, **kwargs)
        return self.response


class ApiGenericViewSet(ApiViewMixin, viewsets.GenericViewSet):
    """A viewset whose responses follow field rules (``hidden_entity``) and ``fields=``."""

    hidden_entity: str | None = None

    def get_serializer_context(self):
        context = super().get_serializer_context()
        user = self.request.user if self.request is not None else None
        context["hidden"] = (
            hidden_fields(user, self.hidden_entity)
            if self.hidden_entity and user is not None
            else frozenset()
        )
        wanted = self.request.query_params.get("fields", "") if self.request is not None else ""
        context["fields"] = {name.strip() for name in wanted.split(",") if name.strip()} or None
        return context


class ShapedSerializer(serializers.Serializer):
    """Drops hidden fields (field rules; custom fields by code) and, when ``fields=`` is
    given, every field not named (the id stays)."""

    def to_representation(self, instance):
        data = super().to_representation(instance)
        hidden = self.context.get("hidden") or frozenset()
        wanted = self.context.get("fields")
        for name in list(data):
            if name == "id":
                continue
            if name in hidden or (wanted is not None and name not in wanted):
                del data[name]
        custom = data.get("custom_fields")
        if isinstance(custom, dict) and hidden:
            data["custom_fields"] = {k: v for k, v in custom.items() if k not in hidden}
        return data


class ShapedModelSerializer(ShapedSerializer, serializers.ModelSerializer):
    pass
