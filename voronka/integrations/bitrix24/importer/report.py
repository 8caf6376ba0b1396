"""What an import did, entity by entity: fetched, created, updated, unchanged, failed."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import pgettext


@dataclass
class Failure:
    external_id: str
    reason: str


@dataclass
class EntityStats:
    entity: str
    label: str
    fetched: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    failures: list[Failure] = field(default_factory=list)
    # Imported, but not quite as on the portal (a dropped phone, another responsible).
    notes: list[Failure] = field(default_factory=list)
    # The entity stopped early (an error of the portal): what it says.
    stopped: str = ""

    def fail(self, external_id, reason: str, *, count: int = 1) -> None:
        self.failed += count
        self.failures.append(Failure(str(external_id), reason))

    def note(self, external_id, text: str) -> None:
        self.notes.append(Failure(str(external_id), text))


@dataclass
class Report:
    portal: str
    dry_run: bool = False
    entities: dict[str, EntityStats] = field(default_factory=dict)
    fatal: str = ""

    def stats(self, entity: str, label: str) -> EntityStats:
        if entity not in self.entities:
            self.entities[entity] = EntityStats(entity, label)
        return self.entities[entity]

    @property
    def total_failed(self) -> int:
        return sum(stats.failed for stats in self.entities.values())

    @property
    def ok(self) -> bool:
        return not self.fatal and not any(s.stopped for s in self.entities.values())

    def table(self) -> str:
        headers = [
            pgettext("import report", "Entity"),
            pgettext("import report", "fetched"),
            pgettext("import report", "created"),
            pgettext("import report", "updated"),
            pgettext("import report", "unchanged"),
            pgettext("import report", "failed"),
        ]
        rows = [
            [
                stats.label,
                str(stats.fetched),
                str(stats.created),
                str(stats.updated),
                str(stats.unchanged),
                str(stats.failed),
            ]
            for stats in self.entities.values()
        ]
        widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]

        def line(cells: list[str]) -> str:
            first = cells[0].ljust(widths[0])
            rest = [cell.rjust(widths[i + 1]) for i, cell in enumerate(cells[1:])]
            return "  ".join([first, *rest])

        out = [line(headers), "  ".join("-" * w for w in widths)]
        out += [line(row) for row in rows]
        return "\n".join(out)

    def failures_text(self, limit: int, *, notes: bool = False) -> str:
        lines: list[str] = []
        for stats in self.entities.values():
            if notes and stats.notes:
                lines.append(
                    _("%(entity)s — %(count)d imported with notes:")
                    % {"entity": stats.label, "count": len(stats.notes)}
                )
                lines += [f"  #{n.external_id}: {n.reason}" for n in stats.notes[:limit]]
                if len(stats.notes) > limit:
                    lines.append(
                        "  " + _("… and %(count)d more") % {"count": len(stats.notes) - limit}
                    )
            if stats.stopped:
                lines.append(
                    _("%(entity)s: stopped — %(reason)s")
                    % {"entity": stats.label, "reason": stats.stopped}
                )
            if not stats.failures:
                continue
            lines.append(
                _("%(entity)s — %(count)d failed:") % {"entity": stats.label, "count": stats.failed}
            )
            for failure in stats.failures[:limit]:
                lines.append(f"  #{failure.external_id}: {failure.reason}")
            hidden = len(stats.failures) - limit
            if hidden > 0:
                lines.append("  " + _("… and %(count)d more") % {"count": hidden})
        return "\n".join(lines)
