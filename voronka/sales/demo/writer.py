"""Batched inserts that keep memory flat however many rows a phase makes.

Rows are written with ``executemany``, not ``bulk_create``: preparing every value of every
instance through the query compiler costs several times more than the insert itself. Values
still pass through each model field's own ``get_db_prep_save``, so dates, decimals and JSON are
stored exactly as the ORM stores them, on SQLite and PostgreSQL alike.

Cards that other rows refer to (``save_now``) get their primary keys allocated here, after the
table's current maximum; ``flush`` then resets the database sequences past them, as
``loaddata`` does. The many rows nobody refers to — history, stage transitions,
communications, links — are plain column values (``insert``), never model instances.
"""

from collections import Counter
from collections.abc import Callable, Iterable
from enum import Enum
from typing import Any

from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models import Max
from django.utils import timezone

BATCH_SIZE = 2000

# A row to insert: the model and its values by field name (relations as objects or ``<name>_id``).
Row = tuple[type[models.Model], dict[str, Any]]


def new_row(model: type[models.Model], **values: Any) -> Row:
    return model, values


# Columns whose Python values the drivers take as they are; every other field (dates,
# decimals, JSON, files…) is prepared by the field itself.
_PLAIN_TYPES = (models.CharField, models.TextField, models.IntegerField, models.BooleanField)


def _plain_choice(value: Any) -> Any:
    # Database drivers may adapt an Enum member by its name; the column stores its value.
    return value.value if isinstance(value, Enum) else value


class _Table:
    """The INSERT statement of one model and how to turn a row of values into parameters."""

    def __init__(self, model: type[models.Model], *, with_primary_key: bool) -> None:
        fields = [
            f
            for f in model._meta.concrete_fields
            if with_primary_key or not isinstance(f, models.AutoField)
        ]
        quote = connection.ops.quote_name
        self.label = model._meta.label
        self.relations = [(f.name, f.attname) for f in fields if f.is_relation]
        self.attnames = [f.attname for f in fields]
        # Without an explicit default a field gets what Django would give it: None or "".
        self.defaults = {f.attname: f.get_default() for f in fields}
        # What pre_save would set: auto_now and auto_now_add fields get the time of the run.
        now = timezone.now()
        for f in fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                self.defaults[f.attname] = now
        self.auto_now = {
            f.attname
            for f in fields
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        }
        self.converters: list[Callable[[Any], Any] | None] = [self._converter(f) for f in fields]
        self.sql = "INSERT INTO {} ({}) VALUES ({})".format(
            quote(model._meta.db_table),
            ", ".join(quote(f.column) for f in fields),
            ", ".join(["%s"] * len(fields)),
        )
        self.rows: list[tuple] = []

    @staticmethod
    def _converter(field: models.Field) -> Callable[[Any], Any] | None:
        if field.choices:
            return _plain_choice
        if isinstance(field, _PLAIN_TYPES) or field.is_relation:
            return None
        # The connection itself, not the thread-local proxy: this runs for every value.
        database = connections[DEFAULT_DB_ALIAS]
        if isinstance(field, models.DateTimeField):
            # All generated times are aware; this is what DateTimeField ends up calling.
            return database.ops.adapt_datetimefield_value
        return lambda value: field.get_db_prep_save(value, database)

    def add(self, values: dict[str, Any]) -> None:
        for name, attname in self.relations:
            if name in values:
                related = values.pop(name)
                values[attname] = related.pk if related is not None else None
        row = []
        for attname, convert in zip(self.attnames, self.converters, strict=True):
            value = values[attname] if attname in values else self.defaults[attname]
            if value is None and attname in self.auto_now:
                value = self.defaults[attname]
            row.append(value if convert is None or value is None else convert(value))
        self.rows.append(tuple(row))


class BulkWriter:
    def __init__(self, flush_at: int = BATCH_SIZE) -> None:
        self.flush_at = flush_at
        self.counts: Counter[str] = Counter()
        self._tables: dict[tuple[type[models.Model], bool], _Table] = {}
        self._next_ids: dict[type[models.Model], int] = {}

    def _table(self, model: type[models.Model], *, with_primary_key: bool = False) -> _Table:
        key = (model, with_primary_key)
        table = self._tables.get(key)
        if table is None:
            table = self._tables[key] = _Table(model, with_primary_key=with_primary_key)
        return table

    def insert(self, model: type[models.Model], **values: Any) -> None:
        """Queue one row of ``model``; missing fields take their defaults."""
        table = self._table(model)
        table.add(values)
        if len(table.rows) >= self.flush_at:
            self._write(table)

    def add(self, row: Row | models.Model) -> None:
        if isinstance(row, models.Model):
            self.insert_instance(row)
        else:
            model, values = row
            self.insert(model, **values)

    def add_all(self, rows: Iterable[Row | models.Model]) -> None:
        for row in rows:
            self.add(row)

    def insert_instance(self, instance: models.Model) -> None:
        """Queue an unsaved instance (built for its computed properties) as a row."""
        self.insert(type(instance), **self._values(instance, with_primary_key=False))

    @staticmethod
    def _values(instance: models.Model, *, with_primary_key: bool) -> dict[str, Any]:
        return {
            f.attname: getattr(instance, f.attname)
            for f in instance._meta.concrete_fields
            if with_primary_key or not isinstance(f, models.AutoField)
        }

    def save_now(self, rows: list[models.Model]) -> list[models.Model]:
        """Insert ``rows`` at once, giving each its primary key, for rows others refer to."""
        if not rows:
            return rows
        model = type(rows[0])
        if model not in self._next_ids:
            current = model._base_manager.aggregate(highest=Max("pk"))["highest"]
            self._next_ids[model] = (current or 0) + 1
        table = self._table(model, with_primary_key=True)
        for row in rows:
            row.pk = self._next_ids[model]
            self._next_ids[model] += 1
            row._state.adding = False
            table.add(self._values(row, with_primary_key=True))
        self._write(table)
        return rows

    def flush(self) -> None:
        """Write what is queued and move the id sequences past the ids given out here."""
        for table in self._tables.values():
            self._write(table)
        statements = connection.ops.sequence_reset_sql(no_style(), list(self._next_ids))
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)

    def _write(self, table: _Table) -> None:
        if not table.rows:
            return
        with connection.cursor() as cursor:
            cursor.executemany(table.sql, table.rows)
        self.counts[table.label] += len(table.rows)
        table.rows = []
