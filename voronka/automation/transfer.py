"""A pipeline's whole automation — robots, triggers, monitoring rules — as one JSON document, to
keep it under version control and to move it between installations.

The format (version 1)::

    {
      "format": "voronka.automation",
      "version": 1,
      "pipeline": {"entity": "deal", "name": "Sales",
                   "stages": [{"code": "new", "name": "New", "kind": "open"}, …]},
      "robots": [{"stage": "new", "name": "Greet", "sort": 10, "action": "comment",
                  "params": {…}, "condition": {…}, "timing": {…}, "is_active": true}, …],
      "triggers": [{"stage": "won", "name": "…", "sort": 10, "kind": "task_completed",
                    "params": {…}, "condition": {…}, "allow_backwards": false,
                    "is_active": true}, …],
      "monitoring": [{"kind": "…", "name": "…", "params": {…}, "is_active": false}, …]
    }

No database id is ever written. Whatever a robot refers to is named the way it is named in
every installation:

* a stage by its **code** — a stage of another pipeline as ``{"pipeline": "<name>", "code":
  "<code>"}``;
* an employee by **username**, a department, a pipeline, a loss reason and a source by
  **name**; custom fields are already referred to by their code.

Which parameter holds which kind of reference is read from the parameter schemas of the
actions (and of trigger kinds and monitoring checks): one table, ``PARAM_REFERENCES``, maps a
parameter type to the kind of object it refers to. Values of conditions and of "change
fields" rows are mapped by the field they compare or set (the responsible, the source, an
employee custom field…).

``import_pipeline`` validates everything first — each robot through ``robot_clean``, each
trigger through ``trigger_clean``, each monitoring rule through ``rule_clean`` — and writes in
one transaction only when nothing is wrong. Each problem comes back with its place in the
document: ``robots[3].params.responsible: no employee with the username “petrov”``.

``mode="replace"`` makes the pipeline's automation exactly the document's: robots and
triggers are matched by stage and name, monitoring rules by check and name; those matched are
updated in place (their run log stays), the others are created, and what the document does not
name is deleted. ``mode="merge"`` updates and creates, and deletes nothing. An inbound
webhook trigger gets a new secret where it is created: secrets are not exported.
"""

import importlib
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from voronka.access.models import Action as Right
from voronka.access.models import Entity
from voronka.access.predicates import require
from voronka.automation.actions import get_action
from voronka.automation.fields import entity_of_model, field_spec
from voronka.automation.models import MonitoringRule, Robot, Trigger
from voronka.automation.services import robot_clean, robot_create, robot_delete, robot_update
from voronka.customization.models import FieldType, Source
from voronka.customization.validation import definitions_for
from voronka.sales.models import Deal, Lead, LossReason, Pipeline, Stage
from voronka.staff.models import Department

FORMAT = "voronka.automation"
VERSION = 1
MODES = ("replace", "merge")

# The kinds of object a value may refer to, and what names them in the document.
EMPLOYEE, DEPARTMENT, PIPELINE, STAGE, LOSS_REASON, SOURCE = (
    "employee",
    "department",
    "pipeline",
    "stage",
    "loss_reason",
    "source",
)

# Parameter type of a schema → (kind of reference, a list of them?). Types not listed hold no
# database id (texts, templates, numbers, choices, field codes).
PARAM_REFERENCES: dict[str, tuple[str, bool]] = {
    "stage": (STAGE, False),
    "stages": (STAGE, True),
    "employee": (EMPLOYEE, False),
    "employees": (EMPLOYEE, True),
    "department": (DEPARTMENT, False),
    "departments": (DEPARTMENT, True),
    "pipeline": (PIPELINE, False),
    "pipelines": (PIPELINE, True),
    "loss_reason": (LOSS_REASON, False),
    "loss_reasons": (LOSS_REASON, True),
    "source": (SOURCE, False),
    "sources": (SOURCE, True),
}
# Parameters typed as a plain integer that hold an id all the same; a schema entry may also say
# so itself with ``"reference": "<kind>"``.
INTEGER_REFERENCES = {"responsible": EMPLOYEE, "loss_reason": LOSS_REASON}
# Parameter types whose value is a condition or a list of "change fields" rows.
CONDITION_TYPES = ("condition",)
FIELD_VALUE_TYPES = ("field_values",)


def _model_references() -> dict[type[models.Model], str]:
    return {
        get_user_model(): EMPLOYEE,
        Department: DEPARTMENT,
        Pipeline: PIPELINE,
        Stage: STAGE,
        LossReason: LOSS_REASON,
        Source: SOURCE,
    }


def _labels() -> dict[str, str]:
    return {
        EMPLOYEE: _("employee with the username"),
        DEPARTMENT: _("department named"),
        PIPELINE: _("pipeline named"),
        STAGE: _("stage with the code"),
        LOSS_REASON: _("loss reason named"),
        SOURCE: _("source named"),
    }


def param_reference(name: str, spec: dict[str, Any]) -> tuple[str, bool] | None:
    """What parameter ``name`` of a schema refers to: (kind, many), or None."""
    if spec.get("reference"):
        return spec["reference"], spec.get("type") in ("employees", "departments", "pipelines")
    found = PARAM_REFERENCES.get(spec.get("type", ""))
    if found is not None:
        return found
    if spec.get("type") == "integer" and name in INTEGER_REFERENCES:
        return INTEGER_REFERENCES[name], False
    return None


# ---- Sections: robots, triggers, monitoring rules ----------------------------------------------


@dataclass(frozen=True)
class Section:
    """One list of the document: its model, the fields written as they are, whether its items
    sit on a stage, the registry giving each item's parameter schema and the clean function."""

    key: str
    model: type[models.Model]
    type_field: str  # "action" / "kind"
    plain_fields: tuple[str, ...]
    on_stage: bool
    has_condition: bool
    schema_of: Callable[[str], dict | None]
    clean: Callable[[models.Model], None]
    create: Callable[..., models.Model]
    update: Callable[..., models.Model]
    delete: Callable[..., None]

    def match_key(self, item: models.Model) -> tuple:
        first = item.stage_id if self.on_stage else getattr(item, self.type_field)
        return (first, item.name)


def _robot_schema(code: str) -> dict | None:
    action = get_action(code)
    return None if action is None else action.params_schema


def _robot_section() -> Section:
    return Section(
        key="robots",
        model=Robot,
        type_field="action",
        plain_fields=("timing",),
        on_stage=True,
        has_condition=True,
        schema_of=_robot_schema,
        clean=robot_clean,
        create=lambda *, actor, data: robot_create(actor=actor, data=data),
        update=lambda *, actor, item, data: robot_update(actor=actor, robot=item, data=data),
        delete=lambda *, actor, item: robot_delete(actor=actor, robot=item),
    )


def _optional(module: str):
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def _trigger_section() -> Section | None:
    services = _optional("voronka.automation.triggers.services")
    registry = _optional("voronka.automation.triggers.base")
    get_kind = getattr(registry, "get_kind", None)
    if services is None or get_kind is None or not hasattr(services, "trigger_clean"):
        return None

    def schema_of(code: str) -> dict | None:
        kind = get_kind(code)
        return None if kind is None else getattr(kind, "params_schema", {})

    return Section(
        key="triggers",
        model=Trigger,
        type_field="kind",
        plain_fields=("allow_backwards",),
        on_stage=True,
        has_condition=True,
        schema_of=schema_of,
        clean=services.trigger_clean,
        create=lambda *, actor, data: services.trigger_create(actor=actor, data=data),
        update=lambda *, actor, item, data: services.trigger_update(
            actor=actor, trigger=item, data=data
        ),
        delete=lambda *, actor, item: services.trigger_delete(actor=actor, trigger=item),
    )


def _monitoring_section() -> Section | None:
    services = _optional("voronka.automation.monitoring.services")
    registry = _optional("voronka.automation.monitoring.registry")
    get_check = getattr(registry, "get_kind", None)
    if services is None or get_check is None or not hasattr(services, "rule_clean"):
        return None

    def schema_of(code: str) -> dict | None:
        check = get_check(code)
        return None if check is None else getattr(check, "params_schema", {})

    return Section(
        key="monitoring",
        model=MonitoringRule,
        type_field="kind",
        plain_fields=(),
        on_stage=False,
        has_condition=False,
        schema_of=schema_of,
        clean=services.rule_clean,
        create=lambda *, actor, data: services.rule_create(actor=actor, data=data),
        update=lambda *, actor, item, data: services.rule_update(actor=actor, rule=item, data=data),
        delete=lambda *, actor, item: services.rule_delete(actor=actor, rule=item),
    )


def sections() -> list[Section]:
    """The sections this installation can read and write: robots always, triggers and
    monitoring rules when their apps are there."""
    found = [_robot_section(), _trigger_section(), _monitoring_section()]
    return [section for section in found if section is not None]


# ---- Names ↔ ids ------------------------------------------------------------------------------


class Missing(Exception):
    """A referenced object that does not exist (or is ambiguous) here."""


class Names:
    """Database ids ↔ the names the document uses, each kind read once (a few hundred rows)."""

    def __init__(self, pipeline: Pipeline):
        self.pipeline = pipeline
        self._loaded: dict[str, list[tuple[int, Any]]] = {}

    def _rows(self, kind: str) -> list[tuple[int, Any]]:
        if kind not in self._loaded:
            if kind == EMPLOYEE:
                rows = get_user_model().objects.values_list("pk", "username")
            elif kind == STAGE:
                rows = [
                    (pk, (pipeline_id, pipeline_name, code))
                    for pk, pipeline_id, pipeline_name, code in Stage.objects.values_list(
                        "pk", "pipeline_id", "pipeline__name", "code"
                    )
                ]
            else:
                model = {
                    DEPARTMENT: Department,
                    PIPELINE: Pipeline,
                    LOSS_REASON: LossReason,
                    SOURCE: Source,
                }[kind]
                rows = model.objects.values_list("pk", "name")
            self._loaded[kind] = list(rows)
        return self._loaded[kind]

    def to_name(self, kind: str, value: Any) -> Any:
        """The document's name of the object with id ``value``."""
        try:
            pk = int(value)
        except (TypeError, ValueError):
            raise Missing(str(value)) from None
        for row_pk, name in self._rows(kind):
            if row_pk == pk:
                if kind == STAGE:
                    pipeline_id, pipeline_name, code = name
                    if pipeline_id == self.pipeline.pk:
                        return code
                    return {"pipeline": pipeline_name, "code": code}
                return name
        raise Missing(str(value))

    def to_id(self, kind: str, name: Any) -> int:
        """The id here of the object the document names ``name``."""
        if kind == STAGE:
            if isinstance(name, str):
                pipeline_id, pipeline_name, code = self.pipeline.pk, self.pipeline.name, name
            elif isinstance(name, dict) and isinstance(name.get("code"), str):
                pipeline_name, code = name.get("pipeline"), name["code"]
                try:
                    pipeline_id = self.to_id(PIPELINE, pipeline_name)
                except Missing:
                    raise Missing(f"{code} ({pipeline_name})") from None
            else:
                raise Missing(json.dumps(name, ensure_ascii=False))
            found = [
                pk for pk, key in self._rows(STAGE) if key[0] == pipeline_id and key[2] == code
            ]
            if not found:
                raise Missing(f"{code} ({pipeline_name})")
            return found[0]
        if not isinstance(name, str):
            raise Missing(json.dumps(name, ensure_ascii=False))
        found = [pk for pk, key in self._rows(kind) if key == name]
        if len(found) != 1:
            raise Missing(
                name
                if not found
                else _("%(name)s (%(n)s of them)")
                % {
                    "name": name,
                    "n": len(found),
                }
            )
        return found[0]


# ---- Mapping values in both directions ---------------------------------------------------------


class Mapper:
    """Turns ids into names (``export``) or names into ids (``import``) inside parameters,
    conditions and "change fields" rows, collecting each problem with its path."""

    def __init__(self, pipeline: Pipeline, direction: str):
        self.pipeline = pipeline
        self.names = Names(pipeline)
        self.exporting = direction == "export"
        self.errors: list[str] = []
        self.card_model = Lead if pipeline.entity == "lead" else Deal
        self._definitions = None

    @property
    def definitions(self):
        if self._definitions is None:
            self._definitions = definitions_for(entity_of_model(self.card_model))
        return self._definitions

    def error(self, path: str, message: str) -> None:
        self.errors.append(f"{path}: {message}")

    def one(self, kind: str, value: Any, path: str) -> Any:
        if value in (None, "", []):
            return value
        try:
            if self.exporting:
                return self.names.to_name(kind, value)
            return self.names.to_id(kind, value)
        except Missing as missing:
            if self.exporting:
                # Written as it is: the import then names what is missing.
                return value
            self.error(
                path,
                _("no %(what)s “%(name)s” here.")
                % {
                    "what": _labels()[kind],
                    "name": missing,
                },
            )
            return None

    def reference(self, kind: str, many: bool, value: Any, path: str) -> Any:
        if value in (None, "", []):
            return value
        if many:
            if not isinstance(value, list):
                self.error(path, _("a list is expected."))
                return value
            return [self.one(kind, item, f"{path}[{index}]") for index, item in enumerate(value)]
        return self.one(kind, value, path)

    def params(self, schema: dict[str, dict], params: Any, path: str) -> Any:
        if not isinstance(params, dict):
            return params
        mapped = dict(params)
        for name, value in params.items():
            spec = schema.get(name)
            if spec is None:
                continue  # unknown parameters are reported by the validation
            where = f"{path}.{name}"
            found = param_reference(name, spec)
            if found is not None:
                mapped[name] = self.reference(found[0], found[1], value, where)
            elif spec.get("type") in CONDITION_TYPES:
                mapped[name] = self.condition(value, where)
            elif spec.get("type") in FIELD_VALUE_TYPES:
                mapped[name] = self.field_values(value, where)
        return mapped

    def field_reference(self, code: Any) -> tuple[str, bool] | None:
        """What the card field ``code`` refers to (responsible → employee…), or None."""
        spec = field_spec(self.card_model, str(code), self.definitions)
        if spec is None:
            return None
        if spec.model_field is not None and spec.model_field.is_relation:
            kind = _model_references().get(spec.model_field.related_model)
            return (kind, False) if kind else None
        if spec.custom is not None and spec.custom.field_type == FieldType.EMPLOYEE:
            return EMPLOYEE, spec.multiple
        return None

    def _field_value(self, code: Any, value: Any, path: str) -> Any:
        found = self.field_reference(code)
        if found is None or value in (None, "", []):
            return value
        if isinstance(value, list):
            return [self.one(found[0], item, f"{path}[{n}]") for n, item in enumerate(value)]
        return self.one(found[0], value, path)

    def condition(self, condition: Any, path: str) -> Any:
        if not isinstance(condition, dict) or not isinstance(condition.get("rules"), list):
            return condition
        rules = []
        for index, rule in enumerate(condition["rules"]):
            if isinstance(rule, dict) and "value" in rule:
                rule = {
                    **rule,
                    "value": self._field_value(
                        rule.get("field"), rule["value"], f"{path}.rules[{index}].value"
                    ),
                }
            rules.append(rule)
        return {**condition, "rules": rules}

    def field_values(self, rows: Any, path: str) -> Any:
        if not isinstance(rows, list):
            return rows
        mapped = []
        for index, row in enumerate(rows):
            if isinstance(row, dict) and "value" in row:
                row = {
                    **row,
                    "value": self._field_value(
                        row.get("field"), row["value"], f"{path}[{index}].value"
                    ),
                }
            mapped.append(row)
        return mapped


# ---- Export ----------------------------------------------------------------------------------


def _items(section: Section, pipeline: Pipeline) -> list[models.Model]:
    queryset = section.model.objects.filter(pipeline=pipeline)
    if section.on_stage:
        return list(
            queryset.select_related("stage").order_by("stage__sort", "stage__pk", "sort", "pk")
        )
    return list(queryset.order_by(section.type_field, "name", "pk"))


def export_pipeline(pipeline: Pipeline) -> dict[str, Any]:
    """The pipeline's automation as the document described in the module's docstring."""
    mapper = Mapper(pipeline, "export")
    document: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "pipeline": {
            "entity": pipeline.entity,
            "name": pipeline.name,
            "stages": [
                {"code": stage.code, "name": stage.name, "kind": stage.kind}
                for stage in pipeline.stages.order_by("sort", "pk")
            ],
        },
        "robots": [],
        "triggers": [],
        "monitoring": [],
    }
    for section in sections():
        for index, item in enumerate(_items(section, pipeline)):
            path = f"{section.key}[{index}]"
            code = getattr(item, section.type_field)
            entry: dict[str, Any] = {}
            if section.on_stage:
                entry["stage"] = item.stage.code
            entry["name"] = item.name
            if section.on_stage:
                entry["sort"] = item.sort
            entry[section.type_field] = code
            entry["params"] = mapper.params(
                section.schema_of(code) or {}, item.params, f"{path}.params"
            )
            if section.has_condition:
                entry["condition"] = mapper.condition(item.condition, f"{path}.condition")
            for name in section.plain_fields:
                entry[name] = getattr(item, name)
            entry["is_active"] = item.is_active
            document[section.key].append(entry)
    return document


def export_json(pipeline: Pipeline) -> str:
    return json.dumps(export_pipeline(pipeline), ensure_ascii=False, indent=2) + "\n"


# ---- Import ----------------------------------------------------------------------------------


@dataclass
class Change:
    section: str  # robots / triggers / monitoring
    name: str
    stage: str = ""  # the stage's name, for sections on stages
    type: str = ""  # the action, trigger kind or check

    @property
    def kind_label(self) -> str:
        return {
            "robots": _("Robot"),
            "triggers": _("Trigger"),
            "monitoring": _("Monitoring rule"),
        }.get(self.section, self.section)


@dataclass
class ImportReport:
    """What an import did (or, with ``dry_run``, would do), or why it did nothing."""

    errors: list[str] = field(default_factory=list)
    created: list[Change] = field(default_factory=list)
    updated: list[Change] = field(default_factory=list)
    deleted: list[Change] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Planned:
    section: Section
    data: dict[str, Any]
    existing: models.Model | None = None


def parse_document(raw: bytes | str) -> tuple[Any, list[str]]:
    """The JSON document in ``raw``, or the reason it is not one."""
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        return None, [_("The file is not UTF-8 text.")]
    try:
        return json.loads(text), []
    except RecursionError:
        return None, [_("The file is nested too deeply.")]
    except json.JSONDecodeError as error:
        return None, [
            _("The file is not valid JSON: %(error)s (line %(line)s, column %(column)s).")
            % {"error": error.msg, "line": error.lineno, "column": error.colno}
        ]


def _check_header(data: Any, pipeline: Pipeline) -> list[str]:
    if not isinstance(data, dict):
        return [_("The document is a JSON object.")]
    if data.get("format") != FORMAT:
        return [
            _("format: this is not a Voronka automation file (“%(format)s” expected).")
            % {"format": FORMAT}
        ]
    if data.get("version") != VERSION:
        return [
            _("version: version %(version)s is not supported (this installation reads %(ours)s).")
            % {"version": data.get("version"), "ours": VERSION}
        ]
    errors = []
    described = data.get("pipeline")
    if not isinstance(described, dict):
        errors.append(_("pipeline: an object with “entity”, “name” and “stages” is expected."))
    elif described.get("entity") != pipeline.entity:
        errors.append(
            _("pipeline.entity: the file is for “%(theirs)s”, “%(name)s” for “%(ours)s”.")
            % {"theirs": described.get("entity"), "name": pipeline.name, "ours": pipeline.entity}
        )
    for key in ("robots", "triggers", "monitoring"):
        if not isinstance(data.get(key, []), list):
            errors.append(_("%(key)s: a list is expected.") % {"key": key})
    return errors


def _messages(error: ValidationError) -> list[tuple[str, str]]:
    """(field, message) pairs of a service's ValidationError; “params” messages are already
    “name: message” and become “params.name: message”."""
    if not hasattr(error, "error_dict"):
        return [("", message) for message in error.messages]
    pairs = []
    for name, messages in error.message_dict.items():
        for message in messages:
            if name == "params" and ": " in message:
                param, text = message.split(": ", 1)
                pairs.append((f"params.{param}", text))
            else:
                pairs.append(("" if name == "__all__" else name, message))
    return pairs


def _plan(
    section: Section, items: list, pipeline: Pipeline, stages: dict[str, Stage], mapper: Mapper
) -> list[_Planned]:
    planned = []
    for index, item in enumerate(items):
        path = f"{section.key}[{index}]"
        if not isinstance(item, dict):
            mapper.error(path, _("an object is expected."))
            continue
        errors_before = len(mapper.errors)
        code = item.get(section.type_field)
        schema = section.schema_of(code) if isinstance(code, str) else None
        if schema is None:
            mapper.error(f"{path}.{section.type_field}", _("unknown “%(code)s”.") % {"code": code})
        data: dict[str, Any] = {
            "pipeline": pipeline,
            "name": item.get("name", ""),
            section.type_field: code,
            "is_active": item.get("is_active", True),
        }
        if not isinstance(data["name"], str):
            mapper.error(f"{path}.name", _("a text is expected."))
        if not isinstance(data["is_active"], bool):
            mapper.error(f"{path}.is_active", _("true or false is expected."))
        if section.on_stage:
            stage = stages.get(item.get("stage")) if isinstance(item.get("stage"), str) else None
            if stage is None:
                mapper.error(
                    f"{path}.stage",
                    _("no stage with the code “%(code)s” in “%(pipeline)s”.")
                    % {"code": item.get("stage"), "pipeline": pipeline.name},
                )
            data["stage"] = stage
            sort = item.get("sort", 100)
            if isinstance(sort, bool) or not isinstance(sort, int) or sort < 0:
                mapper.error(f"{path}.sort", _("a whole number is expected."))
            data["sort"] = sort
        params = item.get("params", {})
        if not isinstance(params, dict):
            mapper.error(f"{path}.params", _("an object is expected."))
        data["params"] = mapper.params(schema or {}, params, f"{path}.params")
        if section.has_condition:
            data["condition"] = mapper.condition(item.get("condition", {}), f"{path}.condition")
        for name in section.plain_fields:
            if name in item:
                data[name] = item[name]
        if len(mapper.errors) == errors_before:
            candidate = section.model(
                **{
                    key: value
                    for key, value in data.items()
                    if key in {f.name for f in section.model._meta.fields}
                }
            )
            try:
                section.clean(candidate)
            except ValidationError as error:
                for name, message in _messages(error):
                    mapper.error(f"{path}.{name}" if name else path, message)
        planned.append(_Planned(section, data))
    return planned


def _change(planned_or_item, section: Section) -> Change:
    if isinstance(planned_or_item, _Planned):
        data = planned_or_item.data
        stage = data.get("stage")
        return Change(
            section.key, data["name"], stage.name if stage else "", data[section.type_field]
        )
    item = planned_or_item
    return Change(
        section.key,
        item.name,
        item.stage.name if section.on_stage else "",
        getattr(item, section.type_field),
    )


def import_pipeline(
    *, actor, pipeline: Pipeline, data: Any, mode: str = "replace", dry_run: bool = False
) -> ImportReport:
    """Validate the document ``data`` against ``pipeline`` and, when nothing is wrong and not
    ``dry_run``, write it in one transaction. The report lists what is (or would be) created,
    updated and deleted, or every problem with its path; with problems nothing is written."""
    require(actor, Right.UPDATE, Entity.SETTINGS)
    if mode not in MODES:
        raise ValueError(mode)
    report = ImportReport(errors=_check_header(data, pipeline))
    if report.errors:
        return report
    mapper = Mapper(pipeline, "import")
    stages = {stage.code: stage for stage in pipeline.stages.all()}
    available = {section.key: section for section in sections()}
    plans: list[tuple[Section, list[_Planned]]] = []
    for key in ("robots", "triggers", "monitoring"):
        items = data.get(key) or []
        if key not in available:
            if items:
                mapper.error(
                    key, _("this installation has no %(key)s to import into.") % {"key": key}
                )
            continue
        plans.append((available[key], _plan(available[key], items, pipeline, stages, mapper)))
    if mapper.errors:
        report.errors = mapper.errors
        return report

    leftovers: list[tuple[Section, models.Model]] = []
    for section, planned in plans:
        waiting: dict[tuple, list[models.Model]] = defaultdict(list)
        for item in _items(section, pipeline):
            waiting[section.match_key(item)].append(item)
        for entry in planned:
            first = entry.data["stage"].pk if section.on_stage else entry.data[section.type_field]
            matches = waiting.get((first, entry.data["name"]))
            if matches:
                entry.existing = matches.pop(0)
                report.updated.append(_change(entry, section))
            else:
                report.created.append(_change(entry, section))
        if mode == "replace":
            for items in waiting.values():
                for item in items:
                    leftovers.append((section, item))
                    report.deleted.append(_change(item, section))
    if dry_run:
        return report

    with transaction.atomic():
        for section, item in leftovers:
            section.delete(actor=actor, item=item)
        for section, planned in plans:
            for entry in planned:
                if entry.existing is not None:
                    section.update(actor=actor, item=entry.existing, data=entry.data)
                else:
                    section.create(actor=actor, data=entry.data)
    report.written = True
    return report
