"""The OpenAPI description: every operation lists its error responses too, so a client (and
the conformance test) knows each answer it may get."""

from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

ERROR_DESCRIPTIONS = {
    "400": "The values sent are not valid; `errors` names each field and its problems.",
    "401": "No credentials, or a token that is not valid.",
    "403": "The employee (or the token's scopes) may not do this.",
    "404": "No such record, or one the employee may not see.",
    "409": "The record changed since it was read (a stale `version`); or, asked with "
    "`on_duplicate: ask`, it looks like existing records (code `duplicates`, see `matches`).",
    "422": "The idempotency key was already used for another request.",
    "429": "Too many requests; `Retry-After` says how many seconds to wait.",
}


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )
    current_version = serializers.IntegerField(required=False, allow_null=True)
    matches = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        help_text="Existing records the write looks like (duplicate control): entity, id, "
        "title, rule, score, message; `visible: false` ones carry only their responsible.",
    )


class AutoSchema(BaseAutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        codes = ["400", "401", "403", "404", "429"]
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            codes += ["409"]
        if self.method == "POST":
            codes += ["422"]
        for code in codes:
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code]),
                    code,
                    direction=direction,
                )
        return responses

    def _get_response_headers_for_code(self, status_code, direction="response") -> dict:
        headers = super()._get_response_headers_for_code(status_code, direction)
        if str(status_code) == "429":
            headers["Retry-After"] = {
                "schema": {"type": "integer"},
                "description": "Seconds to wait before the next request.",
            }
        return headers
