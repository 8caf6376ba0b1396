"""The API's documentation page: how to authenticate and page, then every operation of the
OpenAPI schema with its parameters, body fields and answers — rendered on the server, no
scripts from elsewhere."""

from functools import lru_cache
from typing import Any

from django.urls import reverse
from django.views.generic import TemplateView
from drf_spectacular.generators import SchemaGenerator

METHODS = ("get", "post", "put", "patch", "delete")


@lru_cache(maxsize=1)
def api_schema() -> dict[str, Any]:
    """The OpenAPI document, built once per process (it changes only with the code)."""
    return SchemaGenerator().get_schema(request=None, public=True)


def _resolve(schema: dict[str, Any], node: dict[str, Any] | None) -> dict[str, Any]:
    if not node:
        return {}
    reference = node.get("$ref")
    if reference:
        name = reference.rsplit("/", 1)[-1]
        return schema["components"]["schemas"].get(name, {})
    return node


def _type_of(schema: dict[str, Any], node: dict[str, Any]) -> str:
    if "$ref" in node:
        target = _resolve(schema, node)
        if "enum" in target:
            return " | ".join(str(value) for value in target["enum"])
        return node["$ref"].rsplit("/", 1)[-1]
    if "allOf" in node:
        return " ".join(_type_of(schema, part) for part in node["allOf"])
    if "oneOf" in node:
        return " | ".join(_type_of(schema, part) for part in node["oneOf"])
    if node.get("type") == "array":
        return f"[{_type_of(schema, node.get('items', {}))}]"
    if "enum" in node:
        return " | ".join(str(value) for value in node["enum"] if value is not None)
    kind = node.get("type", "object")
    return f"{kind} ({node['format']})" if "format" in node else kind


def _fields(schema: dict[str, Any], node: dict[str, Any] | None) -> list[dict[str, Any]]:
    target = _resolve(schema, node)
    required = set(target.get("required", []))
    return [
        {
            "name": name,
            "type": _type_of(schema, prop),
            "required": name in required,
            "description": prop.get("description", ""),
        }
        for name, prop in target.get("properties", {}).items()
        if not prop.get("readOnly")
    ]


def operations_by_tag(schema: dict[str, Any]) -> list[tuple[str, list[dict[str, Any]]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            groups.setdefault((operation.get("tags") or ["api"])[0], []).append(
                {
                    "method": method.upper(),
                    "path": path,
                    "description": operation.get("description", ""),
                    "parameters": [
                        {
                            "name": parameter["name"],
                            "where": parameter["in"],
                            "type": _type_of(schema, parameter.get("schema", {})),
                            "description": parameter.get("description", ""),
                        }
                        for parameter in operation.get("parameters", [])
                    ],
                    "body": _fields(schema, body.get("schema")),
                    "responses": sorted(operation.get("responses", {})),
                }
            )
    return sorted(groups.items())


class ApiDocsView(TemplateView):
    template_name = "api/docs.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        schema = api_schema()
        context["info"] = schema.get("info", {})
        context["groups"] = operations_by_tag(schema)
        context["tokens_url"] = reverse("access:api_tokens")
        return context
