"""8. Import of 100,000 rows: a CSV of contacts through the import job (issue 7).

A file is generated the way clients' files look — last name, first name, patronymic, a phone
in one of several spellings, an e-mail, a position and, for one row in five, a company from a
short list — with about 5 % duplicates (half of them the phone of a contact already in the
CRM, half a repeat of an earlier row of the file) and about 1 % bad rows (no name, a broken
e-mail, a phone too short). The whole job is timed as an employee starts it: the upload
checked and kept (``import_job_create``), the columns mapped (the guessed mapping,
duplicates skipped), and ``import_run`` — what the background task does — writing the rows
through the contact services in batches. Rows per second and seconds in all; the job's
counters (created, skipped, rejected) are checked against the file.

Reference: a raw bulk INSERT of the same good rows with their phones and e-mails, 500 rows per
transaction.

What a run adds is removed afterwards (the imported contacts with their communications,
history and links, the companies it created, the job and its file), so the data stays the
size the other scenarios expect.
"""

import io
import random
import time

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction

from benchmarks.measure import Timing, result
from benchmarks.scenarios.base import number
from benchmarks.sql import table
from voronka.contacts.models import Communication, CommunicationKind, Company, Contact
from voronka.imports.models import DuplicateAction, ImportStatus
from voronka.imports.services import import_job_create, import_job_set_mapping, import_run

SCENARIO = "8 import"
ROWS = {"full": 100_000, "quick": 5_000}
TINY_ROWS = 200
BATCH = 500
HEADERS = ("Фамилия", "Имя", "Отчество", "Телефон", "E-mail", "Должность", "Компания")
LAST_NAMES = ("Иванов", "Смирнова", "Кузнецов", "Попова", "Васильев", "Петрова", "Соколов")
FIRST_NAMES = ("Алексей", "Мария", "Дмитрий", "Елена", "Сергей", "Ольга", "Андрей", "Анна")
MIDDLE_NAMES = ("Викторович", "Сергеевна", "Андреевич", "Игоревна", "Павлович", "")
POSITIONS = ("Директор", "Менеджер по закупкам", "Главный инженер", "Бухгалтер", "")
COMPANIES = tuple(f"ООО «Импорт {n}»" for n in range(1, 31))
DUPLICATE_EVERY = 20  # one row in 20 is a duplicate
BAD_EVERY = 100  # one row in 100 is bad


def _spell(e164: str, style: int) -> str:
    national = e164[2:]
    code, a, b, c = national[:3], national[3:6], national[6:8], national[8:]
    return (
        f"+7 ({code}) {a}-{b}-{c}",
        f"8 {code} {a} {b} {c}",
        f"8{national}",
        f"+7{national}",
    )[style % 4]


def generate(rows: int, existing_phones: list[str], seed: int = 3) -> tuple[bytes, dict]:
    """The CSV (UTF-8 with BOM, ";"-separated, as spreadsheets save it) and what it holds:
    the good rows (last, first, middle name, phone E.164, e-mail) and the counts of duplicates
    and bad rows."""
    rng = random.Random(seed)
    base = random.SystemRandom().randrange(10**7)  # new phones on every run
    lines = [";".join(HEADERS)]
    good: list[tuple[str, str, str, str, str]] = []
    duplicates = bad = 0
    for index in range(rows):
        serial = base + index
        last, first = rng.choice(LAST_NAMES), rng.choice(FIRST_NAMES)
        middle = rng.choice(MIDDLE_NAMES)
        phone = f"+7804{serial % 10**7:07d}"  # toll-free: never a demo contact's phone
        email = f"client{serial}@example.ru"
        company = rng.choice(COMPANIES) if rng.random() < 0.2 else ""
        position = rng.choice(POSITIONS)
        if index % BAD_EVERY == BAD_EVERY // 2 + 5:  # never a duplicate's place
            bad += 1
            flaw = (index // BAD_EVERY) % 3
            if flaw == 0:  # no name, no phone, no e-mail (but not a blank line)
                last = first = middle = ""
                phone_text, email, position = "", "", POSITIONS[0]
            elif flaw == 1:
                phone_text, email = _spell(phone, index), f"client{serial}@@example"
            else:
                phone_text, email = "12-34", f"client{serial}@example.ru"
            lines.append(";".join((last, first, middle, phone_text, email, position, company)))
            continue
        if index % DUPLICATE_EVERY == DUPLICATE_EVERY // 2 and (existing_phones or good):
            duplicates += 1
            if index % (2 * DUPLICATE_EVERY) < DUPLICATE_EVERY and existing_phones:
                phone = rng.choice(existing_phones)  # a contact the CRM has
            elif good:
                phone = good[rng.randrange(len(good))][3]  # an earlier row of the file
            email = f"other{serial}@example.ru"
            lines.append(
                ";".join((last, first, middle, _spell(phone, index), email, position, company))
            )
            continue
        good.append((last, first, middle, phone, email))
        lines.append(
            ";".join((last, first, middle, _spell(phone, index), email, position, company))
        )
    text = "\r\n".join(lines) + "\r\n"
    return ("\ufeff" + text).encode(), {"good": good, "duplicates": duplicates, "bad": bad}


class _Counter:
    """Counts the queries of a long job without keeping them (Django's log keeps 9,000)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def run(context) -> list:
    sizes = context.sizes
    rows = ROWS.get(sizes.name, TINY_ROWS)
    user = context.user
    contact_type = ContentType.objects.get_for_model(Contact)
    existing = list(
        Communication.objects.filter(kind=CommunicationKind.PHONE, card_type=contact_type)
        .order_by("-pk")
        .values_list("value_normalized", flat=True)[:500]
    )
    existing = [phone for phone in existing if phone.startswith("+79") and len(phone) == 12]
    content, holds = generate(rows, existing)
    context.log(
        f"    file: {number(rows)} rows, {len(content) / 1e6:.1f} MB; {holds['duplicates']} "
        f"duplicates, {holds['bad']} bad rows"
    )
    marks = _marks()
    counter = _Counter()
    began, cpu_began = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(counter):
        upload = io.BytesIO(content)
        upload.size = len(content)
        job = import_job_create(actor=user, entity="contact", upload=upload, name="clients.csv")
        job = import_job_set_mapping(
            actor=user, job=job, mapping=job.mapping, duplicate_action=DuplicateAction.SKIP
        )
        job = import_run(job)
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    try:
        if job.status != ImportStatus.DONE:
            raise AssertionError(f"the import ended {job.status}: {job.error}")
        expected = len(holds["good"])
        # A few generated rows may meet a contact by chance (a phone or e-mail already there).
        if not (expected * 0.98 <= job.created <= expected):
            raise AssertionError(f"{job.created} created, {expected} expected")
        context.log(
            f"    job: created {job.created}, skipped {job.skipped}, rejected {job.rejected}, "
            f"{seconds:.1f} s"
        )
        counts = {
            "created": job.created,
            "skipped": job.skipped,
            "rejected": job.rejected,
            "duplicate rows": holds["duplicates"],
            "bad rows": holds["bad"],
        }
    finally:
        _clean_up(context, marks, job)

    reference_seconds, reference_cpu = raw_insert(holds["good"], user.pk)
    ours = Timing([seconds], counter.count, [cpu])
    reference = Timing([reference_seconds], None, [reference_cpu])
    return [
        result(
            scenario=SCENARIO,
            operation=f"{number(rows)} contacts from CSV, the whole job",
            database=context.database,
            size=f"{number(context.dataset.contacts)} contacts",
            path="import_job_create + import_job_set_mapping + import_run (duplicates skipped)",
            ours=ours,
            reference=reference,
            extra={
                "rows/s": f"{rows / seconds:.0f}",
                "raw rows/s": f"{len(holds['good']) / reference_seconds:.0f}",
                "queries per 1,000 rows": f"{counter.count * 1000 / rows:.0f}",
                **counts,
            },
        )
    ]


# --- the reference ---------------------------------------------------------------------------


def raw_insert(good: list[tuple], user_id: int) -> tuple[float, float]:
    """The good rows as contacts with a phone and an e-mail each, in raw multi-row INSERTs of
    ``BATCH`` rows per transaction (ids given, so no read-back); removed afterwards."""
    template = Contact.all_objects.order_by("pk").values_list("pk", flat=True)[:1]
    first_id = (Contact.all_objects.order_by("-pk").values_list("pk", flat=True)[:1] or [0])[0]
    first_id += 1
    columns = [
        field.column
        for field in Contact._meta.concrete_fields
        if field.column
        not in ("id", "last_name", "first_name", "middle_name", "name_key", "responsible_id")
    ]
    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    contact_sql = (
        f"INSERT INTO {table(Contact)} (id, last_name, first_name, middle_name, name_key, "
        f"responsible_id, {quoted}) SELECT %s, %s, %s, %s, %s, %s, {quoted} "
        f"FROM {table(Contact)} WHERE id = %s"
    )
    communication_sql = (
        f"INSERT INTO {table(Communication)} "
        "(card_type_id, card_id, kind, value_type, value, value_normalized, sort) "
        "VALUES (%s, %s, %s, 'work', %s, %s, 0)"
    )
    contact_type = ContentType.objects.get_for_model(Contact).pk
    template_id = template[0]
    began, cpu_began = time.perf_counter(), time.process_time()
    for start in range(0, len(good), BATCH):
        chunk = good[start : start + BATCH]
        contacts, communications = [], []
        for offset, (last, first, middle, phone, email) in enumerate(chunk):
            pk = first_id + start + offset
            key = f"{last} {first} {middle}".lower().strip()
            contacts.append((pk, last, first, middle, key, user_id, template_id))
            communications.append((contact_type, pk, CommunicationKind.PHONE, phone, phone))
            communications.append((contact_type, pk, CommunicationKind.EMAIL, email, email))
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(contact_sql, contacts)
            cursor.executemany(communication_sql, communications)
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table(Communication)} WHERE card_type_id = %s AND card_id >= %s",
            [contact_type, first_id],
        )
        cursor.execute(f"DELETE FROM {table(Contact)} WHERE id >= %s", [first_id])
    return elapsed, cpu


# --- cleaning up -----------------------------------------------------------------------------


def _marks() -> dict:
    def highest(model) -> int:
        return (model.all_objects.order_by("-pk").values_list("pk", flat=True)[:1] or [0])[0]

    return {"contact": highest(Contact), "company": highest(Company)}


def _clean_up(context, marks: dict, job) -> None:
    """Remove what the import wrote: rows pointing at the new cards by (card type, card id) —
    communications, history, activities… — then the cards (their links go with them)."""
    began = time.perf_counter()
    generic = [
        model
        for model in apps.get_models()
        if {"card_type", "card_id"} <= {field.name for field in model._meta.concrete_fields}
    ]
    with transaction.atomic():
        for model, mark in ((Contact, marks["contact"]), (Company, marks["company"])):
            card_type = ContentType.objects.get_for_model(model).pk
            with connection.cursor() as cursor:
                for holder in generic:
                    cursor.execute(
                        f"DELETE FROM {table(holder)} WHERE card_type_id = %s AND card_id > %s",
                        [card_type, mark],
                    )
        Contact.all_objects.filter(pk__gt=marks["contact"]).delete()
        Company.all_objects.filter(pk__gt=marks["company"]).delete()
    if job is not None and job.pk:
        job.file.delete(save=False)
        job.delete()
    context.log(f"    imported cards removed in {time.perf_counter() - began:.1f} s")
