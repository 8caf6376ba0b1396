"""What a column of an imported file can fill, and the guess of each column's field from its
title in Russian or English.

A mapping is a list as long as the file's columns: the code of the field each column fills,
or "" for a column left out. One column fills one field; phones, e-mails and websites may
come from several columns. Custom fields are ``cf:<code>`` and are recognised by their label.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from voronka.customization.models import CustomField
from voronka.imports.models import ImportEntity

CUSTOM_PREFIX = "cf:"


@dataclass(frozen=True)
class Target:
    code: str
    label: str | Promise
    aliases: tuple[str, ...] = ()
    multiple: bool = False  # may be filled from several columns


def normalize_header(title: str) -> str:
    """Case, «ё», punctuation and extra spaces do not count: «Моб. телефон» → "моб телефон"."""
    text = (title or "").lower().replace("ё", "е").replace("\ufeff", "")
    return " ".join(re.sub(r"[^0-9a-zа-я]+", " ", text).split())


_PERSON = (
    Target("full_name", _("Full name"), ("фио", "ф и о", "full name", "имя и фамилия", "name")),
    Target("last_name", _("Last name"), ("фамилия", "last name", "surname", "family name")),
    Target("first_name", _("First name"), ("имя", "first name", "given name")),
    Target("middle_name", _("Patronymic"), ("отчество", "middle name", "patronymic")),
)
_COMMUNICATIONS = (
    Target(
        "phone",
        _("Phone (work)"),
        (
            "телефон",
            "телефоны",
            "рабочий телефон",
            "тел",
            "номер телефона",
            "phone",
            "phones",
            "work phone",
            "phone number",
            "telephone",
        ),
        multiple=True,
    ),
    Target(
        "phone_mobile",
        _("Phone (mobile)"),
        (
            "моб телефон",
            "мобильный телефон",
            "мобильный",
            "сотовый",
            "сотовый телефон",
            "mobile",
            "mobile phone",
            "cell phone",
        ),
        multiple=True,
    ),
    Target(
        "phone_home",
        _("Phone (home)"),
        ("домашний телефон", "home phone"),
        multiple=True,
    ),
    Target(
        "email",
        _("E-mail"),
        (
            "e mail",
            "e mails",
            "email",
            "emails",
            "эл почта",
            "электронная почта",
            "почта",
            "email address",
            "рабочий e mail",
            "e mail address",
        ),
        multiple=True,
    ),
    Target("web", _("Website"), ("сайт", "веб сайт", "website", "web", "site", "url"), True),
)
_RESPONSIBLE = Target(
    "responsible",
    _("Responsible"),
    ("ответственный", "ответственный менеджер", "менеджер", "responsible", "owner", "assigned to"),
)
_SOURCE = (
    Target("source", _("Source"), ("источник", "source")),
    Target(
        "source_description",
        _("Source details"),
        ("описание источника", "дополнительно об источнике", "source details", "source info"),
    ),
)
_COMMENT = Target(
    "comment", _("Comment"), ("комментарий", "комментарии", "примечание", "comment", "comments")
)
_ADDRESS = Target("address", _("Address"), ("адрес", "address"))
_POSITION = Target("position", _("Position"), ("должность", "position", "job title"))
_MONEY = (
    Target("amount", _("Amount"), ("сумма", "бюджет", "amount", "sum", "opportunity")),
    Target("currency", _("Currency"), ("валюта", "currency")),
)
_UTM = tuple(
    Target(f"utm_{part}", f"UTM {part}", (f"utm {part}", f"utm_{part}"))
    for part in ("source", "medium", "campaign", "content", "term")
)

TARGETS: dict[str, tuple[Target, ...]] = {
    ImportEntity.CONTACT: (
        *_PERSON,
        Target("honorific", _("Honorific"), ("обращение", "honorific", "salutation")),
        _POSITION,
        Target(
            "company",
            _("Company"),
            ("компания", "название компании", "организация", "company", "company name"),
        ),
        *_COMMUNICATIONS,
        Target(
            "birthday",
            _("Birthday"),
            ("дата рождения", "день рождения", "birthday", "date of birth", "birth date"),
        ),
        _ADDRESS,
        *_SOURCE,
        _RESPONSIBLE,
        _COMMENT,
    ),
    ImportEntity.COMPANY: (
        Target(
            "title",
            _("Title"),
            (
                "название",
                "название компании",
                "компания",
                "наименование",
                "организация",
                "title",
                "company",
                "company name",
                "name",
            ),
        ),
        Target("company_type", _("Type"), ("тип", "тип компании", "type", "company type")),
        Target("full_name", _("Full legal name"), ("полное наименование", "full legal name")),
        Target("short_name", _("Short legal name"), ("краткое наименование", "short legal name")),
        Target("inn", _("INN"), ("инн", "inn", "tax id")),
        Target("kpp", _("KPP"), ("кпп", "kpp")),
        Target(
            "ogrn", _("OGRN / OGRNIP"), ("огрн", "огрнип", "ogrn", "ogrn ogrnip", "огрн огрнип")
        ),
        Target("director", _("Director"), ("директор", "руководитель", "director", "ceo")),
        Target("industry", _("Industry"), ("отрасль", "сфера деятельности", "industry")),
        Target(
            "employees_count",
            _("Number of employees"),
            ("сотрудников", "количество сотрудников", "число сотрудников", "employees"),
        ),
        *_COMMUNICATIONS,
        Target(
            "legal_address",
            _("Legal address"),
            ("юридический адрес", "юр адрес", "legal address", "registered address"),
        ),
        Target(
            "actual_address",
            _("Actual address"),
            ("адрес", "фактический адрес", "почтовый адрес", "address", "actual address"),
        ),
        *_SOURCE,
        _RESPONSIBLE,
        _COMMENT,
    ),
    ImportEntity.LEAD: (
        Target("title", _("Lead title"), ("название лида", "название", "лид", "title", "lead")),
        *_PERSON,
        Target(
            "company_title",
            _("Company name"),
            ("компания", "название компании", "организация", "company", "company name"),
        ),
        _POSITION,
        *_COMMUNICATIONS,
        _ADDRESS,
        Target("stage", _("Stage"), ("стадия", "статус", "stage", "status")),
        *_MONEY,
        *_SOURCE,
        _RESPONSIBLE,
        _COMMENT,
        *_UTM,
    ),
    ImportEntity.DEAL: (
        Target(
            "title", _("Deal title"), ("название сделки", "название", "сделка", "title", "deal")
        ),
        Target("pipeline", _("Pipeline"), ("воронка", "направление", "pipeline", "funnel")),
        Target("stage", _("Stage"), ("стадия", "стадия сделки", "stage", "status")),
        *_MONEY,
        Target(
            "company",
            _("Company"),
            ("компания", "название компании", "организация", "company", "company name"),
        ),
        Target("begins_on", _("Start date"), ("дата начала", "начало", "start date")),
        Target(
            "closes_on",
            _("Expected close date"),
            (
                "дата завершения",
                "предполагаемая дата закрытия",
                "дата закрытия",
                "expected close date",
                "close date",
            ),
        ),
        Target("probability", _("Probability, %"), ("вероятность", "probability")),
        *_SOURCE,
        _RESPONSIBLE,
        _COMMENT,
        *_UTM,
    ),
}
# The entity of custom field definitions for each kind of import.
CUSTOM_ENTITY = {
    ImportEntity.CONTACT: "contact",
    ImportEntity.COMPANY: "company",
    ImportEntity.LEAD: "lead",
    ImportEntity.DEAL: "deal",
}


def custom_targets(entity: str) -> list[Target]:
    """The active custom fields of ``entity`` (one query)."""
    definitions = CustomField.objects.filter(entity=CUSTOM_ENTITY[entity], is_active=True)
    return [
        Target(
            f"{CUSTOM_PREFIX}{definition.code}",
            definition.label,
            (normalize_header(definition.label), normalize_header(definition.code)),
            multiple=False,
        )
        for definition in definitions.order_by("sort", "pk")
    ]


def targets_for(entity: str, custom: Iterable[Target] | None = None) -> list[Target]:
    return [*TARGETS[entity], *(custom_targets(entity) if custom is None else custom)]


def guess_mapping(
    entity: str, headers: list[str], targets: list[Target] | None = None
) -> list[str]:
    """For each column, the field its title names, or ""; a field that takes one column is
    given to the first column naming it. Custom field labels win over standard aliases."""
    targets = targets if targets is not None else targets_for(entity)
    by_alias: dict[str, Target] = {}
    for target in targets:
        for alias in target.aliases:
            by_alias.setdefault(alias, target)
    for target in targets:
        if target.code.startswith(CUSTOM_PREFIX):
            for alias in target.aliases:
                by_alias[alias] = target
        by_alias.setdefault(normalize_header(str(target.label)), target)
    mapping: list[str] = []
    taken: set[str] = set()
    for header in headers:
        target = by_alias.get(normalize_header(header))
        if target is None or (target.code in taken and not target.multiple):
            mapping.append("")
            continue
        taken.add(target.code)
        mapping.append(target.code)
    # A lone «Имя» beside no last name is the whole name (the Russian export of the contact
    # list titles the full name so).
    lone_first_name = "first_name" in mapping and not {"last_name", "full_name"} & set(mapping)
    if lone_first_name and any(target.code == "full_name" for target in targets):
        mapping[mapping.index("first_name")] = "full_name"
    return mapping


def mapping_errors(entity: str, mapping: list[str], targets: list[Target]) -> list[str]:
    """What is wrong with a mapping: unknown fields, one field from several columns, nothing
    that names the card."""
    known = {target.code: target for target in targets}
    errors: list[str] = []
    seen: set[str] = set()
    for code in mapping:
        if not code:
            continue
        target = known.get(code)
        if target is None:
            errors.append(str(_("Unknown field “%(code)s”.")) % {"code": code})
            continue
        if code in seen and not target.multiple:
            errors.append(
                str(_("“%(field)s” is chosen for several columns; choose it for one."))
                % {"field": target.label}
            )
        seen.add(code)
    if not any(mapping):
        errors.append(str(_("Choose the field of at least one column.")))
    return errors
