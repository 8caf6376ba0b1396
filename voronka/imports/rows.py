"""Turning a row of cell texts into what the card services take.

Names in the file — employees, sources, pipelines, stages, company types, currencies, list
options of custom fields — are looked up in tables read once per job; a name that matches
nothing (or several employees) is a problem of that row. Values themselves (dates, amounts,
phones, e-mails, required fields) are checked by the services, so a row is held to the same
rules as a card entered by hand.
"""

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from voronka.access.predicates import visible_to
from voronka.contacts.models import (
    AddressKind,
    CommunicationKind,
    CommunicationValueType,
    Company,
    CompanyType,
)
from voronka.core.money import Currency
from voronka.core.normalization import company_name_key
from voronka.customization.models import CustomField, FieldType, Source
from voronka.imports.mapping import CUSTOM_ENTITY, CUSTOM_PREFIX, normalize_header
from voronka.imports.models import ImportEntity
from voronka.sales.models import Pipeline, PipelineEntity, Stage

COMMUNICATION_CODES = {
    "phone": (CommunicationKind.PHONE, CommunicationValueType.WORK),
    "phone_mobile": (CommunicationKind.PHONE, CommunicationValueType.MOBILE),
    "phone_home": (CommunicationKind.PHONE, CommunicationValueType.HOME),
    "email": (CommunicationKind.EMAIL, CommunicationValueType.WORK),
    "web": (CommunicationKind.WEB, CommunicationValueType.WORK),
}
# Company addresses: the whole address goes into the street line of its kind.
ADDRESS_CODES = {"legal_address": AddressKind.LEGAL, "actual_address": AddressKind.ACTUAL}
# Several phones or e-mails in one cell: "+7 900 000-00-01, +7 900 000-00-02".
_SEPARATORS = (",", ";", "\n")
_CURRENCY_NAMES = {
    "руб": Currency.RUB,
    "р": Currency.RUB,
    "рубль": Currency.RUB,
    "рублей": Currency.RUB,
    "российский рубль": Currency.RUB,
    "rur": Currency.RUB,
    "доллар": Currency.USD,
    "долл": Currency.USD,
    "евро": Currency.EUR,
    "юань": Currency.CNY,
    "тенге": Currency.KZT,
}
_CURRENCY_SIGNS = {"₽": Currency.RUB, "$": Currency.USD, "€": Currency.EUR, "¥": Currency.CNY}


@dataclass
class RowInput:
    """One row ready for a service: ``data`` and ``communications`` as the service takes them,
    the company named in it, and the problems found while reading it."""

    number: int
    values: list[str]
    data: dict[str, Any] = field(default_factory=dict)
    communications: list[dict[str, Any]] = field(default_factory=list)
    company_title: str = ""
    addresses: list[dict[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def duplicate_data(self) -> dict[str, Any]:
        """What duplicate search compares the row by."""
        keys = ("last_name", "first_name", "middle_name", "title", "company_title", "inn", "kpp")
        found = {key: self.data[key] for key in keys if self.data.get(key)}
        found["communications"] = self.communications
        return found


def _split(text: str) -> list[str]:
    parts = [text]
    for separator in _SEPARATORS:
        parts = [piece for part in parts for piece in part.split(separator)]
    return [part.strip() for part in parts if part.strip()]


def _key(text: str) -> str:
    return " ".join((text or "").lower().replace("ё", "е").split())


def split_full_name(text: str) -> dict[str, str]:
    """«Иванов Пётр Сергеевич» → last, first and middle name; one word is the last name."""
    words = text.split()
    if not words:
        return {}
    if len(words) == 1:
        return {"last_name": words[0]}
    parts = {"last_name": words[0], "first_name": words[1]}
    if len(words) > 2:
        parts["middle_name"] = " ".join(words[2:])
    return parts


class Lookups:
    """Reference tables of one job, each read once."""

    def __init__(self, entity: str) -> None:
        self.entity = entity
        self._users: dict[str, list[Any]] | None = None
        self._sources: dict[str, Source] | None = None
        self._pipelines: dict[str, Pipeline] | None = None
        self._stages: dict[tuple[int, str], Stage] | None = None
        self._default_pipeline: Pipeline | None = None
        self._custom: dict[str, CustomField] | None = None

    # Employees by login, e-mail and name in either order (with or without the patronymic).
    def users(self) -> dict[str, list[Any]]:
        if self._users is None:
            found: dict[str, list[Any]] = {}
            for user in get_user_model().objects.all():
                names = {
                    user.get_username(),
                    user.email,
                    f"{user.last_name} {user.first_name}",
                    f"{user.first_name} {user.last_name}",
                    f"{user.last_name} {user.first_name} {user.middle_name}",
                    f"{user.first_name} {user.middle_name} {user.last_name}",
                }
                for name in names:
                    key = _key(name)
                    if key and user not in found.setdefault(key, []):
                        found[key].append(user)
            self._users = found
        return self._users

    def user(self, text: str) -> Any:
        """The employee named ``text``; ValueError with the problem when none or several."""
        matches = self.users().get(_key(text), [])
        if not matches:
            raise ValueError(_("There is no employee “%(name)s”.") % {"name": text})
        if len(matches) > 1:
            raise ValueError(
                _("Several employees are called “%(name)s”; give the login or e-mail.")
                % {"name": text}
            )
        return matches[0]

    def source(self, text: str) -> Source:
        if self._sources is None:
            self._sources = {}
            for source in Source.objects.all():
                self._sources.setdefault(_key(source.name), source)
                self._sources.setdefault(_key(source.code), source)
        found = self._sources.get(_key(text))
        if found is None:
            raise ValueError(_("There is no source “%(name)s”.") % {"name": text})
        return found

    def _load_pipelines(self) -> None:
        if self._pipelines is not None:
            return
        entity = PipelineEntity.LEAD if self.entity == ImportEntity.LEAD else PipelineEntity.DEAL
        pipelines = list(Pipeline.objects.filter(entity=entity).order_by("sort", "pk"))
        self._pipelines = {}
        for pipeline in pipelines:
            self._pipelines.setdefault(_key(pipeline.name), pipeline)
            if pipeline.is_default and self._default_pipeline is None:
                self._default_pipeline = pipeline
        if self._default_pipeline is None and pipelines:
            self._default_pipeline = pipelines[0]
        self._stages = {}
        for stage in Stage.objects.filter(pipeline__in=pipelines).select_related("pipeline"):
            self._stages.setdefault((stage.pipeline_id, _key(stage.name)), stage)

    def pipeline(self, text: str) -> Pipeline:
        self._load_pipelines()
        assert self._pipelines is not None
        found = self._pipelines.get(_key(text))
        if found is None:
            raise ValueError(_("There is no pipeline “%(name)s”.") % {"name": text})
        return found

    def stage(self, text: str, pipeline: Pipeline | None) -> Stage:
        self._load_pipelines()
        assert self._stages is not None
        pipeline = pipeline or self._default_pipeline
        found = self._stages.get((pipeline.pk, _key(text))) if pipeline else None
        if found is None:
            raise ValueError(
                _("There is no stage “%(stage)s” in the pipeline “%(pipeline)s”.")
                % {"stage": text, "pipeline": pipeline.name if pipeline else "—"}
            )
        return found

    def custom_fields(self) -> dict[str, CustomField]:
        if self._custom is None:
            self._custom = {
                definition.code: definition
                for definition in CustomField.objects.filter(
                    entity=CUSTOM_ENTITY[self.entity], is_active=True
                )
            }
        return self._custom


def _currency(text: str) -> str:
    stripped = text.strip()
    if stripped.upper() in Currency.values:
        return stripped.upper()
    if stripped in _CURRENCY_SIGNS:
        return _CURRENCY_SIGNS[stripped]
    key = normalize_header(stripped)
    if key in _CURRENCY_NAMES:
        return _CURRENCY_NAMES[key]
    for code, label in Currency.choices:
        if key == normalize_header(str(label)):
            return code
    raise ValueError(_("Unknown currency “%(currency)s”.") % {"currency": text})


def _company_type(text: str) -> str:
    key = normalize_header(text)
    for code, label in CompanyType.choices:
        if key in (normalize_header(code), normalize_header(str(label))):
            return code
    aliases = {
        "юридическое лицо": CompanyType.LEGAL_ENTITY,
        "юрлицо": CompanyType.LEGAL_ENTITY,
        "ип": CompanyType.SOLE_PROPRIETOR,
        "индивидуальный предприниматель": CompanyType.SOLE_PROPRIETOR,
        "семья": CompanyType.FAMILY,
        "физическое лицо": CompanyType.INDIVIDUAL,
        "физлицо": CompanyType.INDIVIDUAL,
    }
    if key in aliases:
        return aliases[key]
    raise ValueError(_("Unknown company type “%(type)s”.") % {"type": text})


class RowReader:
    """Reads the rows of one job with its mapping; ``read(number, values)`` → RowInput."""

    def __init__(self, entity: str, mapping: list[str]) -> None:
        self.entity = entity
        self.mapping = mapping
        self.lookups = Lookups(entity)

    def read(self, number: int, values: list[str]) -> RowInput:
        row = RowInput(number=number, values=values)
        pipeline_text = stage_text = ""
        custom: dict[str, Any] = {}
        for code, value in zip(self.mapping, values, strict=False):
            value = (value or "").strip()
            if not code or not value:
                continue
            try:
                if code in COMMUNICATION_CODES:
                    kind, value_type = COMMUNICATION_CODES[code]
                    row.communications.extend(
                        {"kind": kind, "value": item, "value_type": value_type}
                        for item in _split(value)
                    )
                elif code in ADDRESS_CODES:
                    row.addresses.append({"kind": ADDRESS_CODES[code], "street_address": value})
                elif code == "full_name":
                    for key, part in split_full_name(value).items():
                        row.data.setdefault(key, part)
                elif code == "responsible":
                    row.data["responsible"] = self.lookups.user(value)
                elif code == "source":
                    row.data["source"] = self.lookups.source(value)
                elif code == "pipeline":
                    pipeline_text = value
                elif code == "stage":
                    stage_text = value
                elif code == "currency":
                    row.data["currency"] = _currency(value)
                elif code == "company_type":
                    row.data["company_type"] = _company_type(value)
                elif code == "company" and self.entity in (ImportEntity.CONTACT, ImportEntity.DEAL):
                    row.company_title = value
                elif code == "inn" or code == "kpp" or code == "ogrn":
                    row.data[code] = value.replace(" ", "")
                elif code.startswith(CUSTOM_PREFIX):
                    custom[code.removeprefix(CUSTOM_PREFIX)] = self._custom_value(
                        code.removeprefix(CUSTOM_PREFIX), value
                    )
                else:
                    row.data[code] = value
            except ValueError as error:
                row.errors.append(str(error))
        if custom:
            row.data["custom_fields"] = custom
        try:
            pipeline = self.lookups.pipeline(pipeline_text) if pipeline_text else None
            if pipeline is not None:
                row.data["pipeline"] = pipeline
            if stage_text:
                row.data["stage"] = self.lookups.stage(stage_text, pipeline)
        except ValueError as error:
            row.errors.append(str(error))
        if self.entity == ImportEntity.DEAL and not row.data.get("title"):
            row.data["title"] = row.company_title
        return row

    def _custom_value(self, code: str, text: str) -> Any:
        definition = self.lookups.custom_fields().get(code)
        if definition is None:
            return text
        items = _split(text) if definition.multiple else [text]
        if definition.field_type == FieldType.LIST:
            by_label = {
                _key(str(option["label"])): str(option["id"]) for option in definition.options
            }
            items = [by_label.get(_key(item), item) for item in items]
        elif definition.field_type == FieldType.EMPLOYEE:
            items = [self.lookups.user(item).pk for item in items]
        return items if definition.multiple else items[0]


class CompanyFinder:
    """Companies named in contact and deal rows: one the importer sees with that title, or a
    new one created through ``company_create``. Each title is looked up once per job."""

    def __init__(self, actor) -> None:
        self.actor = actor
        self._found: dict[str, Company] = {}

    def forget(self) -> None:
        """After a rolled-back batch: companies created in it are gone."""
        self._found.clear()

    def get(self, title: str) -> Company:
        from voronka.contacts.services import company_create

        key = company_name_key(title)[:255] or _key(title)
        company = self._found.get(key)
        if company is not None:
            return company
        existing = visible_to(self.actor, Company.objects.filter(title=title.strip()))
        company = existing.order_by("pk").first()
        if company is None and key:
            company = (
                visible_to(self.actor, Company.objects.filter(title_key=key)).order_by("pk").first()
            )
        if company is None:
            try:
                company = company_create(actor=self.actor, data={"title": title.strip()})
            except PermissionDenied:
                raise ValueError(
                    _("There is no company “%(title)s” and you may not create companies.")
                    % {"title": title}
                ) from None
            except ValidationError as error:
                raise ValueError(
                    _("The company “%(title)s” cannot be created: %(problem)s")
                    % {"title": title, "problem": " ".join(error.messages)}
                ) from None
        self._found[key] = company
        return company
