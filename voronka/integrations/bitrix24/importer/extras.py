"""Product rows of leads and deals, and the comments of every card's timeline."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils.translation import gettext as _

from voronka.contacts.models import Company, Contact
from voronka.integrations.bitrix24.importer import mapping as M
from voronka.integrations.bitrix24.importer.base import Importer, describe
from voronka.integrations.bitrix24.importer.client import MAX_BATCH, PortalError, unwrap
from voronka.integrations.bitrix24.importer.idmap import record_hash
from voronka.integrations.bitrix24.importer.mapping import text
from voronka.sales.models import Deal, Lead
from voronka.sales.services.products import product_rows_set
from voronka.timeline.models import EntryKind, TimelineEntry
from voronka.timeline.services import comment_add

CARD_MODELS = {"lead": Lead, "deal": Deal, "contact": Contact, "company": Company}


def _mapped_cards(imp: Importer, entity: str) -> list[tuple[str, int]]:
    """(id on the portal, our id) of the imported cards of ``entity`` still alive here."""
    rows = imp.idmap.rows(entity)
    alive = set(
        CARD_MODELS[entity]
        .objects.filter(pk__in=[r.object_id for r in rows.values()])
        .values_list("pk", flat=True)
    )
    pairs = [(external_id, row.object_id) for external_id, row in rows.items()]
    return sorted(
        [(e, pk) for e, pk in pairs if pk in alive], key=lambda pair: M.to_int(pair[0]) or 0
    )


def _chunks(items: list, size: int = MAX_BATCH):
    for offset in range(0, len(items), size):
        yield items[offset : offset + size]


# --- product rows -------------------------------------------------------------------------


def import_product_rows(imp: Importer) -> None:
    stats = imp.report.stats("productrows", _("Product rows"))
    for entity in ("lead", "deal"):
        model = CARD_MODELS[entity]
        key = f"{entity}_rows"
        for chunk in _chunks(_mapped_cards(imp, entity)):
            answers = imp.client.call_many(
                f"crm.{entity}.productrows.get", [{"id": external_id} for external_id, _pk in chunk]
            )
            fetched = list(answers)
            with transaction.atomic():
                for index, result, error in fetched:
                    external_id, pk = chunk[index]
                    if error:
                        if str(error.get("error")) == "ERROR_METHOD_NOT_FOUND":
                            raise PortalError(
                                "ERROR_METHOD_NOT_FOUND", error.get("error_description", "")
                            )
                        stats.fail(f"{entity} {external_id}", str(error.get("error_description")))
                        continue
                    rows = [r for r in unwrap(result) if isinstance(r, dict)]
                    _write_rows(imp, stats, model, key, entity, external_id, pk, rows)


def _write_rows(imp, stats, model, key, entity, external_id, pk, rows) -> None:
    mapped = [M.product_row(row, position) for position, row in enumerate(rows)]
    before = imp.idmap.get(key, external_id)
    if not mapped and before is None:
        return  # no rows there, never any here
    stats.fetched += len(rows)
    digest = record_hash(mapped)
    if before is not None and before.source_hash == digest:
        stats.unchanged += len(rows)
        return
    try:
        with transaction.atomic():
            card = model.objects.get(pk=pk)
            product_rows_set(actor=None, card=card, rows=mapped)
            imp.idmap.remember(key, external_id, pk, digest)
    except Exception as error:  # noqa: BLE001 - one bad card must never stop the run
        stats.fail(f"{entity} {external_id}", describe(error), count=max(len(rows), 1))
        return
    if before is None:
        stats.created += len(rows)
    else:
        stats.updated += len(rows)


# --- timeline comments --------------------------------------------------------------------


def _comment_pages(imp: Importer, entity: str, chunk: list[tuple[str, int]]):
    """Every comment of the cards of ``chunk``: (card's portal id, our card id, comment)."""
    params = [
        {"filter": {"ENTITY_ID": external_id, "ENTITY_TYPE": entity}, "order": {"ID": "ASC"}}
        for external_id, _pk in chunk
    ]
    commands = {f"c{i}": ("crm.timeline.comment.list", p) for i, p in enumerate(params)}
    answer = imp.client.batch(commands)
    for i, (external_id, pk) in enumerate(chunk):
        key = f"c{i}"
        if key in answer.errors:
            error = answer.errors[key] or {}
            if str(error.get("error")) == "ERROR_METHOD_NOT_FOUND":
                raise PortalError("ERROR_METHOD_NOT_FOUND", str(error.get("error_description")))
            continue
        comments = unwrap(answer.result.get(key))
        following = answer.next.get(key)
        while following:
            # A card with more than one page of comments: the rest one page at a time.
            body = imp.client.call_raw(
                "crm.timeline.comment.list", {**params[i], "start": following}
            )
            comments += unwrap(body.get("result"))
            following = body.get("next")
        for comment in comments:
            if isinstance(comment, dict):
                yield external_id, pk, comment


def import_comments(imp: Importer) -> None:
    stats = imp.report.stats("comments", _("Timeline comments"))
    for entity in ("lead", "deal", "contact", "company"):
        model = CARD_MODELS[entity]
        card_type = ContentType.objects.get_for_model(model)
        for chunk in _chunks(_mapped_cards(imp, entity)):
            found = list(_comment_pages(imp, entity, chunk))
            with transaction.atomic():
                for _card_external_id, pk, comment in found:
                    stats.fetched += 1
                    _comment(imp, stats, model, card_type, pk, comment)


def _comment(imp: Importer, stats, model, card_type, pk: int, comment: dict) -> None:
    def build() -> dict:
        body = text(comment.get("COMMENT"))
        if not body:
            raise M.Problem(_("the comment is empty"))
        return {
            "card": [card_type.pk, pk],
            "text": body,
            "author": imp.mapped("user", comment.get("AUTHOR_ID")),
            "created_at": M.when(comment.get("CREATED")),
        }

    def stamp(entry: TimelineEntry, payload: dict) -> TimelineEntry:
        # The comment service writes as the acting employee at the current time; the import
        # acts as the system, so the author and the time of the portal are set right after.
        values = {"author_id": payload["author"], "text": payload["text"]}
        if payload["created_at"]:
            values["created_at"] = payload["created_at"]
        TimelineEntry.objects.filter(pk=entry.pk).update(**values)
        return entry

    def create(payload: dict) -> TimelineEntry:
        card = model.objects.get(pk=pk)
        return stamp(comment_add(actor=None, card=card, text=payload["text"]), payload)

    imp.upsert(
        stats,
        "comment",
        comment.get("ID"),
        build=build,
        load=lambda entry_pk: TimelineEntry.objects.filter(
            pk=entry_pk, kind=EntryKind.COMMENT
        ).first(),
        create=create,
        update=stamp,
    )
