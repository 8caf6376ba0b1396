"""The id map: which object a portal's record became, and a hash of what was written from it."""

from __future__ import annotations

import datetime
import hashlib
import json
from decimal import Decimal
from typing import Any

from voronka.integrations.bitrix24.models import ImportedRecord


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return str(value)


def record_hash(payload: Any) -> str:
    """A stable hash of a payload of plain values (keys sorted)."""
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=_default)
    return hashlib.sha256(text.encode()).hexdigest()


class IdMap:
    """Rows of one portal, read per entity once and kept in memory for the run."""

    def __init__(self, portal: str):
        self.portal = portal
        self._rows: dict[str, dict[str, ImportedRecord]] = {}

    def rows(self, entity: str) -> dict[str, ImportedRecord]:
        if entity not in self._rows:
            self._rows[entity] = {
                row.external_id: row
                for row in ImportedRecord.objects.filter(portal=self.portal, entity=entity)
            }
        return self._rows[entity]

    def get(self, entity: str, external_id: Any) -> ImportedRecord | None:
        if external_id is None:
            return None
        return self.rows(entity).get(str(external_id))

    def object_id(self, entity: str, external_id: Any) -> int | None:
        """Our id of a reference; 0 and empty mean "none" in Bitrix24 links."""
        if external_id in (None, "", 0, "0"):
            return None
        row = self.get(entity, external_id)
        return row.object_id if row is not None else None

    def remember(self, entity: str, external_id: Any, object_id: int, source_hash: str) -> None:
        """Create or update the row (inside the caller's transaction)."""
        rows = self.rows(entity)
        row = rows.get(str(external_id))
        if row is None:
            row = ImportedRecord.objects.create(
                portal=self.portal,
                entity=entity,
                external_id=str(external_id),
                object_id=object_id,
                source_hash=source_hash,
            )
            rows[str(external_id)] = row
        elif row.object_id != object_id or row.source_hash != source_hash:
            row.object_id = object_id
            row.source_hash = source_hash
            row.save(update_fields=["object_id", "source_hash", "updated_at"])

    def forget_cache(self) -> None:
        """Drop what was read (after a rolled-back page the rows in memory may be wrong)."""
        self._rows.clear()
