"""Raw SQL for the references: the same reads and writes without the ORM."""

from django.db import connection, models


def table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def placeholders(values) -> str:
    return ", ".join(["%s"] * len(values))


def fetch(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
