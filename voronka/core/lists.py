"""What every card list shares: columns, sorting through the query string, pages without an
exact count, the visible columns kept per employee, bulk action reports.

A list is described by a ``ListSpec`` (its columns); the entity's view picks the queryset
(a selector plus a FilterSet) and this module does the rest the same way for leads, deals,
contacts and companies.
"""

import base64
import binascii
import datetime
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import NoReverseMatch, reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from voronka.core.exceptions import ConflictError
from voronka.core.preferences import preference_get

PAGE_SIZE = 50
# Counting stops here: "10 000+" is as useful to a manager as the exact number and never
# scans a table of millions.
COUNT_CAP = 10_000
# At most this many ids in one bulk action (a page is 50; a crafted request gets no further).
BULK_LIMIT = 500
# Custom field columns are keyed "cf_<code>".
CUSTOM_PREFIX = "cf_"


@dataclass(frozen=True)
class Column:
    """One column of a list.

    ``value(row)`` is the plain value (for export and, formatted, for the page);
    ``display(row)`` may give richer HTML for the page. ``sort`` lists the model fields the
    column sorts by (empty: not sortable).
    """

    key: str
    label: Any
    value: Callable[[Any], Any]
    display: Callable[[Any], Any] | None = None
    sort: tuple[str, ...] = ()
    numeric: bool = False
    default: bool = True
    # Called once per page (or export chunk) with its rows, before any value is read:
    # lets a column fetch what its rows refer to in one query.
    prepare: Callable[[list], None] | None = None
    # Columns an export adds right after this one even when hidden (the currency of an
    # amount: a file has no sign to show it).
    export_with: tuple[str, ...] = ()
    # The field codes the column shows (access field rules name them); the key when empty.
    fields: tuple[str, ...] = ()

    @property
    def field_codes(self) -> frozenset[str]:
        codes = set(self.fields or (self.key,))
        if self.key.startswith(CUSTOM_PREFIX):
            codes.add(self.key.removeprefix(CUSTOM_PREFIX))
        return frozenset(codes)

    @property
    def sortable(self) -> bool:
        return bool(self.sort)

    def html(self, row) -> Any:
        if self.display is not None:
            return self.display(row)
        return format_value(self.value(row))


@dataclass
class ListSpec:
    """The columns of an entity's list; ``fixed`` columns are always shown (the title)."""

    key: str
    columns: list[Column]
    default_sort: str
    fixed: tuple[str, ...] = ()

    def column(self, key: str) -> Column | None:
        return next((column for column in self.columns if column.key == key), None)

    @property
    def default_keys(self) -> list[str]:
        return [column.key for column in self.columns if column.default or column.key in self.fixed]

    @property
    def preference_key(self) -> str:
        return f"list_columns:{self.key}"

    def visible(self, keys: Iterable[str] | None) -> list[Column]:
        """Columns to show, in the spec's order; unknown keys are ignored."""
        wanted = set(self.default_keys if keys is None else keys) | set(self.fixed)
        columns = [column for column in self.columns if column.key in wanted]
        return columns or [column for column in self.columns if column.key in self.default_keys]

    def visible_for(self, user) -> list[Column]:
        keys = preference_get(user=user, key=self.preference_key)
        return self.visible(keys if isinstance(keys, list) else None)

    def export_columns(self, visible: list[Column]) -> list[Column]:
        """The visible columns plus those they bring into an export."""
        shown = {column.key for column in visible}
        columns = []
        for column in visible:
            columns.append(column)
            for key in column.export_with:
                extra = self.column(key)
                if extra is not None and key not in shown:
                    columns.append(extra)
                    shown.add(key)
        return columns

    def without_fields(self, hidden: Iterable[str]) -> "ListSpec":
        """The spec without the columns showing any of the ``hidden`` field codes: they vanish
        from the column chooser, the table, sorting and the export alike."""
        hidden = frozenset(hidden)
        if not hidden:
            return self
        columns = [column for column in self.columns if not column.field_codes & hidden]
        keys = {column.key for column in columns}
        default_sort = self.default_sort
        if default_sort.removeprefix("-") not in keys:
            default_sort = next(
                (column.key for column in columns if column.sortable), self.default_sort
            )
        return ListSpec(
            key=self.key,
            columns=columns,
            default_sort=default_sort,
            fixed=tuple(key for key in self.fixed if key in keys),
        )

    def clean_keys(self, keys: Iterable[str]) -> list[str]:
        known = {column.key for column in self.columns}
        return [key for key in dict.fromkeys(keys) if key in known]


# Values: how a plain value reads on the page and in CSV.


def format_value(value: Any) -> str:
    """A value as a person reads it, in the active language and time zone."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, Decimal | float):
        return formats.number_format(value, decimal_pos=2, use_l10n=True, force_grouping=True)
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return formats.date_format(value, "SHORT_DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, list | tuple):
        return ", ".join(text for text in (format_value(item) for item in value) if text)
    return str(value)


def link(url: str, text: Any):
    return format_html('<a href="{}">{}</a>', url, text or "—")


def detail_url(url_name: str, fallback: str, pk: int) -> str:
    """The card page's address; ``fallback`` (``/deals/{}/``) until the card page exists."""
    try:
        return reverse(url_name, args=[pk])
    except NoReverseMatch:
        return fallback.format(pk)


# Sorting


@dataclass(frozen=True)
class Sorting:
    key: str
    descending: bool

    @property
    def param(self) -> str:
        return f"-{self.key}" if self.descending else self.key


def parse_sort(spec: ListSpec, raw: str | None) -> Sorting:
    """``?sort=amount`` / ``?sort=-amount``; anything not in the spec falls back to its default."""
    for candidate in (raw or "", spec.default_sort):
        key = candidate.removeprefix("-")
        column = spec.column(key)
        if column is not None and column.sortable:
            return Sorting(key=key, descending=candidate.startswith("-"))
    raise ValueError(f"The default sort of {spec.key} is not a sortable column.")


SORT_ALIAS = "list_sort_{}"


def order_by(queryset: models.QuerySet, spec: ListSpec, sorting: Sorting) -> models.QuerySet:
    """Order by the column's fields, empty values last, then by id in the same direction so
    rows never swap places between pages. The sort values are annotated on each row
    (``list_sort_0``…) so the next page can start right after the last row (keyset)."""
    column = spec.column(sorting.key)
    assert column is not None
    names = [*column.sort, "pk"]
    queryset = queryset.annotate(
        **{SORT_ALIAS.format(index): F(name) for index, name in enumerate(names)}
    )
    expressions = []
    for name in names:
        # "Empty last" only where a value can be empty: a plain order can use an index.
        nulls_last = True if nullable(queryset.model, name) else None
        expression = F(name)
        expressions.append(
            expression.desc(nulls_last=nulls_last)
            if sorting.descending
            else expression.asc(nulls_last=nulls_last)
        )
    return queryset.order_by(*expressions)


def nullable(model: type[models.Model], path: str) -> bool:
    """Whether ``path`` (``responsible__last_name``) can read as empty (NULL) for a row."""
    if path == "pk":
        return False
    for part in path.split("__"):
        field = model._meta.get_field(part)
        if field.null:
            return True
        if not field.is_relation:
            return False
        model = field.related_model
    return False


# Pages: keyset ("after this row"), so page 2 000 costs what page 1 costs; no exact count.


def _json_value(value: Any) -> Any:
    # Full precision: a timestamp cut to milliseconds would skip or repeat rows.
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: the sort it belongs to, the last row's sort values, and how many
    rows came before (only to show "51–100")."""

    sort: str
    values: tuple
    start: int

    def encode(self) -> str:
        data = json.dumps(
            {"s": self.sort, "v": list(self.values), "n": self.start},
            default=_json_value,
            separators=(",", ":"),
        )
        return base64.urlsafe_b64encode(data.encode()).decode().rstrip("=")


def parse_cursor(raw: str | None, sorting: Sorting) -> Cursor | None:
    """The cursor of ``?after=``; None when missing, malformed or made for another sort."""
    if not raw or len(raw) > 2000:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        cursor = Cursor(sort=str(data["s"]), values=tuple(data["v"]), start=int(data["n"]))
    except (ValueError, TypeError, KeyError, binascii.Error):
        return None
    if cursor.sort != sorting.param or cursor.start < 0:
        return None
    if any(isinstance(value, dict | list) for value in cursor.values):
        return None
    return cursor


def _after(values: tuple, descending: bool, nullables: list[bool]) -> Q:
    """Rows after the one with ``values`` in an order with empty values last."""
    condition = Q(pk__in=[])
    equal = Q()
    for index, value in enumerate(values):
        alias = SORT_ALIAS.format(index)
        if value is not None:
            beyond = Q(**{f"{alias}__{'lt' if descending else 'gt'}": value})
            if nullables[index]:
                beyond |= Q(**{f"{alias}__isnull": True})
            condition |= equal & beyond
            equal &= Q(**{alias: value})
        else:
            equal &= Q(**{f"{alias}__isnull": True})
    return condition


@dataclass
class Page:
    rows: list
    start: int
    next_cursor: str | None
    total: int
    total_capped: bool

    @property
    def first(self) -> int:
        return self.start + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.start + len(self.rows)

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_previous(self) -> bool:
        return self.start > 0


def capped_count(queryset: models.QuerySet, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """How many rows, counting no further than ``cap`` (one bounded query)."""
    bare = queryset.select_related(None).prefetch_related(None).order_by()
    count = bare.values("pk")[: cap + 1].count()
    return min(count, cap), count > cap


def paginate(
    queryset: models.QuerySet,
    spec: ListSpec,
    sorting: Sorting,
    after: str | None = None,
    size: int = PAGE_SIZE,
) -> Page:
    """One page of ``queryset`` in the column's order, starting after the cursor's row: the
    rows (one extra is read to know whether a next page exists) and a capped total. Never an
    OFFSET or an exact ``COUNT(*)`` over the whole table."""
    total, capped = capped_count(queryset)
    ordered = order_by(queryset, spec, sorting)
    column = spec.column(sorting.key)
    cursor = parse_cursor(after, sorting)
    if cursor is not None and column is not None and len(cursor.values) == len(column.sort) + 1:
        nullables = [nullable(queryset.model, name) for name in (*column.sort, "pk")]
        ordered = ordered.filter(_after(cursor.values, sorting.descending, nullables))
    else:
        cursor = None
    rows = list(ordered[: size + 1])
    start = cursor.start if cursor is not None else 0
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        count = len(column.sort) + 1 if column is not None else 1
        values = tuple(getattr(last, SORT_ALIAS.format(index)) for index in range(count))
        next_cursor = Cursor(sort=sorting.param, values=values, start=start + size).encode()
    return Page(rows=rows, start=start, next_cursor=next_cursor, total=total, total_capped=capped)


def prepare_columns(columns: Iterable[Column], rows: list) -> None:
    for column in columns:
        if column.prepare is not None:
            column.prepare(rows)


def table_rows(columns: list[Column], rows: list) -> list[tuple[Any, list[tuple[Column, Any]]]]:
    """``[(row, [(column, html), …]), …]`` for the template."""
    prepare_columns(columns, rows)
    return [(row, [(column, column.html(row)) for column in columns]) for row in rows]


def chunks(iterable: Iterable, size: int) -> Iterator[list]:
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


def query_string(params, **changes) -> str:
    """The current query string with some keys replaced (None drops a key)."""
    data = {key: params.getlist(key) for key in params}
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = [str(value)]
    return urlencode([(key, value) for key, values in data.items() for value in values])


def sort_links(columns: list[Column], sorting: Sorting, params) -> dict[str, str]:
    """For each sortable column the query string that sorts by it: a click on the current
    column flips the direction, on another column sorts ascending."""
    links = {}
    for column in columns:
        if not column.sortable:
            continue
        descending = column.key == sorting.key and not sorting.descending
        value = f"-{column.key}" if descending else column.key
        links[column.key] = query_string(params, sort=value, after=None)
    return links


def parse_ids(values: Iterable[str]) -> list[int]:
    ids = []
    for value in values:
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if number > 0:
            ids.append(number)
    return list(dict.fromkeys(ids))[:BULK_LIMIT]


# Bulk actions: card by card, each through its service in its own transaction.


@dataclass
class BulkReport:
    done: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    def run(
        self, cards: Iterable, operation: Callable[[Any], Any], denied: Any = None
    ) -> "BulkReport":
        """Do ``operation`` on each card; a card refused by access rights is reported with
        ``denied`` (the reason read by the person) instead of failing the whole action."""
        for card in cards:
            try:
                operation(card)
            except PermissionDenied:
                self.failed.append((str(card), str(denied or _("no rights"))))
            except ValidationError as error:
                self.failed.append((str(card), error_text(error)))
            except ConflictError as error:
                self.failed.append((str(card), str(error) or _("changed by someone else")))
            else:
                self.done.append(str(card))
        return self

    def summary(self, verb: str) -> str:
        """ "Moved: 12, not moved: 2." with ``verb`` naming the action."""
        text = ngettext("%(verb)s: %(count)d card.", "%(verb)s: %(count)d cards.", len(self.done))
        text = text % {"verb": verb, "count": len(self.done)}
        if self.failed:
            text += " " + ngettext(
                "Not done: %(count)d.", "Not done: %(count)d.", len(self.failed)
            ) % {"count": len(self.failed)}
        return text


def error_text(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return " ".join(message for messages in error.message_dict.values() for message in messages)
    return " ".join(error.messages)


# Custom fields as columns (definitions are read by the entity's list, never here).


def _custom_value(definition, value: Any, names: dict[int, str]) -> Any:
    kind = definition.field_type
    if kind == "list":
        labels = {str(option.get("id")): option.get("label") for option in definition.options}
        return labels.get(str(value), value)
    if kind == "employee":
        return names.get(value, value) if isinstance(value, int) else value
    if kind == "money" and isinstance(value, dict):
        return f"{value.get('amount', '')} {value.get('currency', '')}".strip()
    if kind == "crm_link" and isinstance(value, dict):
        return f"{value.get('entity', '')} #{value.get('id', '')}"
    if kind == "decimal" and isinstance(value, str):
        try:
            return Decimal(value)
        except ArithmeticError:
            return value
    if kind == "date" and isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            return value
    if kind == "datetime" and isinstance(value, str):
        try:
            return datetime.datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def custom_field_columns(definitions: Iterable) -> list[Column]:
    """One column per custom field definition (hidden until chosen). Employee fields read
    the names of all employees a page refers to in one query."""
    from django.contrib.auth import get_user_model

    columns = []
    for definition in definitions:
        names: dict[int, str] = {}

        def value(row, definition=definition, names=names):
            raw = (row.custom_fields or {}).get(definition.code)
            if raw is None:
                return None
            if isinstance(raw, list):
                return [_custom_value(definition, item, names) for item in raw]
            return _custom_value(definition, raw, names)

        prepare = None
        if definition.field_type == "employee":

            def prepare(rows, definition=definition, names=names):
                ids: set[int] = set()
                for row in rows:
                    raw = (row.custom_fields or {}).get(definition.code)
                    for item in raw if isinstance(raw, list) else [raw]:
                        if isinstance(item, int):
                            ids.add(item)
                names.clear()
                if ids:
                    people = get_user_model().objects.filter(pk__in=ids)
                    names.update({person.pk: person_name(person) for person in people})

        columns.append(
            Column(
                key=f"{CUSTOM_PREFIX}{definition.code}",
                label=definition.label,
                value=value,
                numeric=definition.field_type in ("integer", "decimal", "money"),
                default=False,
                prepare=prepare,
            )
        )
    return columns


def person_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def prefetched(row, name: str) -> list:
    """A prefetched relation of ``row`` read straight from the prefetch cache (building the
    related manager for every row of a large export costs more than the rows themselves);
    falls back to the manager when nothing was prefetched."""
    cache = getattr(row, "_prefetched_objects_cache", {})
    if name in cache:
        return list(cache[name])
    return list(getattr(row, name).all())
