"""The data the scenarios run on: the demo agency at scale plus the shapes some scenarios need.

* the demo generator (``generate_demo``) makes the contacts, companies, leads and deals;
* a pipeline of its own with ``board_deals`` **open** deals (bulk insert, each with a primary
  contact and its "created" history entry) for the board and the list;
* one deal of that pipeline with ``timeline_entries`` entries and a few open activities, for
  the card.

What was built is written to a small table (``bench_dataset``) so the next run reuses it when
the sizes match instead of building a million contacts again.
"""

import datetime
import json
import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone

from benchmarks.sizes import Sizes
from voronka.contacts.models import Company, Contact
from voronka.sales.demo.context import DemoOptions
from voronka.sales.demo.runner import generate_demo
from voronka.sales.demo.writer import BATCH_SIZE, BulkWriter
from voronka.sales.models import Deal, DealContact, Pipeline, PipelineEntity, Stage, StageKind
from voronka.staff.models import User
from voronka.timeline.models import Activity, ActivityKind, EntryKind, TimelineEntry

# Bump when the shape of the built data changes, so older databases are rebuilt.
DATA_VERSION = 1
META_TABLE = "bench_dataset"
BOARD_PIPELINE_NAME = "Бенчмарк: 100 000 открытых сделок"
BOARD_STAGES = (
    # (code, name, share of the open deals)
    ("new", "Новая", 30),
    ("qualified", "Квалификация", 20),
    ("proposal", "Коммерческое предложение", 15),
    ("negotiation", "Переговоры", 12),
    ("contract", "Договор", 10),
    ("invoice", "Счёт выставлен", 8),
    ("prepaid", "Аванс получен", 5),
)
USD_SHARE = 0.05
CARD_DEAL_TITLE = "Карточка с длинной историей"


@dataclass(frozen=True)
class Dataset:
    """Ids the scenarios start from."""

    sizes_key: dict
    user_id: int
    pipeline_id: int
    stage_ids: list[int]
    card_deal_id: int
    contacts: int
    board_deals: int

    def to_json(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Dataset":
        return cls(**json.loads(text))


def stored_dataset() -> Dataset | None:
    """What an earlier run built in this database, if it finished."""
    if META_TABLE not in connection.introspection.table_names():
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {META_TABLE} WHERE name = %s", ["dataset"])
        row = cursor.fetchone()
    if row is None:
        return None
    try:
        return Dataset.from_json(row[0])
    except (TypeError, ValueError):
        return None


def _store(dataset: Dataset) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {META_TABLE} (name varchar(50) PRIMARY KEY, value text)"
        )
        cursor.execute(f"DELETE FROM {META_TABLE} WHERE name = %s", ["dataset"])
        cursor.execute(
            f"INSERT INTO {META_TABLE} (name, value) VALUES (%s, %s)",
            ["dataset", dataset.to_json()],
        )


def sizes_key(sizes: Sizes) -> dict:
    return {"version": DATA_VERSION, **sizes.data_key()}


def build(sizes: Sizes, *, log=print, seed: int = 1) -> Dataset:
    """Fill an empty database (migrated) with the data of ``sizes``."""
    options = DemoOptions(
        leads=sizes.demo_leads, deals=sizes.demo_deals, contacts=sizes.contacts, seed=seed
    )

    def on_phase(report) -> None:
        made = ", ".join(f"{label.split('.')[1]} {n}" for label, n in report.counts.items())
        log(f"    {report.name}: {made} — {report.seconds:.1f} s")

    generate_demo(options, on_phase=on_phase)
    rng = random.Random(seed)
    with transaction.atomic():
        pipeline, stages = _board_pipeline()
        writer = BulkWriter()
        deal_ids = _board_deals(writer, rng, stages, sizes.board_deals, log=log)
        card_deal_id = _long_card(writer, rng, deal_ids[0] if deal_ids else None, stages, sizes)
        writer.flush()
    open_stage_ids = [stage.pk for stage in stages if stage.kind == StageKind.OPEN]
    dataset = Dataset(
        sizes_key=sizes_key(sizes),
        user_id=_bench_user().pk,
        pipeline_id=pipeline.pk,
        stage_ids=open_stage_ids,
        card_deal_id=card_deal_id,
        contacts=sizes.contacts,
        board_deals=sizes.board_deals,
    )
    _store(dataset)
    return dataset


def _bench_user() -> User:
    """The head of sales of the demo agency: the employee every scenario acts as."""
    return User.objects.filter(is_active=True).order_by("pk").first()


def _board_pipeline() -> tuple[Pipeline, list[Stage]]:
    now = timezone.now()
    pipeline = Pipeline.objects.create(
        entity=PipelineEntity.DEAL, name=BOARD_PIPELINE_NAME, sort=1000, created_at=now
    )
    specs = [(code, name, StageKind.OPEN) for code, name, _share in BOARD_STAGES]
    specs += [("won", "Успешно", StageKind.WON), ("lost", "Провалена", StageKind.LOST)]
    stages = Stage.objects.bulk_create(
        Stage(pipeline=pipeline, code=code, name=name, kind=kind, sort=index * 10, created_at=now)
        for index, (code, name, kind) in enumerate(specs, start=1)
    )
    return pipeline, stages


def _board_deals(
    writer: BulkWriter, rng: random.Random, stages: list[Stage], count: int, *, log
) -> list[int]:
    """``count`` open deals spread over the open stages, newest first in the returned ids."""
    open_stages = [stage for stage in stages if stage.kind == StageKind.OPEN]
    weights = [share for _code, _name, share in BOARD_STAGES]
    user_ids = list(User.objects.filter(is_active=True).values_list("pk", flat=True))
    company_ids = list(Company.objects.values_list("pk", flat=True))
    contact_ids = list(Contact.objects.values_list("pk", flat=True))
    deal_type = ContentType.objects.get_for_model(Deal)
    now = timezone.now()
    made: list[tuple[int, datetime.datetime]] = []
    for start in range(0, count, BATCH_SIZE):
        drafts = []
        for _ in range(min(BATCH_SIZE, count - start)):
            stage = rng.choices(open_stages, weights)[0]
            created_at = now - datetime.timedelta(seconds=rng.uniform(60, 730 * 86400))
            responsible_id = rng.choice(user_ids)
            usd = rng.random() < USD_SHARE
            amount = Decimal(rng.randrange(10, 5000) * (100 if usd else 1000))
            drafts.append(
                Deal(
                    pipeline_id=stage.pipeline_id,
                    stage=stage,
                    stage_changed_at=created_at,
                    title=f"Сделка №{start + len(drafts) + 1}",
                    company_id=rng.choice(company_ids) if company_ids else None,
                    responsible_id=responsible_id,
                    created_by_id=responsible_id,
                    created_at=created_at,
                    updated_at=created_at,
                    amount=amount,
                    currency="USD" if usd else "RUB",
                    probability=None,
                    custom_fields={},
                )
            )
        for deal in writer.save_now(drafts):
            made.append((deal.pk, deal.created_at))
            if contact_ids:
                writer.insert(
                    DealContact,
                    deal_id=deal.pk,
                    contact_id=rng.choice(contact_ids),
                    is_primary=True,
                    sort=0,
                )
            writer.insert(
                TimelineEntry,
                card_type=deal_type,
                card_id=deal.pk,
                kind=EntryKind.CREATED,
                author_id=deal.responsible_id,
                created_at=deal.created_at,
                payload={},
            )
        if (start // BATCH_SIZE) % 10 == 9:
            log(f"    board deals: {start + len(drafts)} of {count}")
    made.sort(key=lambda pair: pair[1], reverse=True)
    return [pk for pk, _at in made]


def _long_card(
    writer: BulkWriter, rng: random.Random, deal_id: int | None, stages, sizes: Sizes
) -> int:
    """Give one deal (the newest of the board) a long history and a few open activities."""
    if deal_id is None:
        return 0
    deal = Deal.objects.get(pk=deal_id)
    deal_type = ContentType.objects.get_for_model(Deal)
    user_ids = list(User.objects.filter(is_active=True).values_list("pk", flat=True))
    now = timezone.now()
    open_stages = [stage for stage in stages if stage.kind == StageKind.OPEN]
    kinds = (EntryKind.COMMENT, EntryKind.FIELD_CHANGED, EntryKind.STAGE_CHANGED)
    for index in range(sizes.timeline_entries - 1):  # the "created" entry is already there
        kind = kinds[index % len(kinds)]
        at = now - datetime.timedelta(minutes=10 * (index + 1))
        payload: dict = {}
        text = ""
        if kind == EntryKind.COMMENT:
            text = f"Созвонились с клиентом, обсудили этап {index}."
        elif kind == EntryKind.FIELD_CHANGED:
            payload = {"changes": [{"field": "amount", "old": str(index), "new": str(index + 1)}]}
        else:
            first, second = rng.sample(open_stages, 2)
            payload = {"from": first.pk, "to": second.pk}
        writer.insert(
            TimelineEntry,
            card_type=deal_type,
            card_id=deal.pk,
            kind=kind,
            author_id=rng.choice(user_ids),
            created_at=at,
            text=text,
            payload=payload,
        )
    for index in range(5):
        writer.insert(
            Activity,
            card_type=deal_type,
            card_id=deal.pk,
            kind=ActivityKind.CALL,
            subject=f"Позвонить клиенту ({index + 1})",
            deadline=now + datetime.timedelta(days=index + 1),
            responsible_id=deal.responsible_id,
            created_by_id=deal.responsible_id,
            created_at=now,
        )
    # The benchmark's employee opens it: their own card, whatever their role lets them see.
    Deal.all_objects.filter(pk=deal.pk).update(
        title=CARD_DEAL_TITLE, responsible_id=_bench_user().pk
    )
    return deal.pk
