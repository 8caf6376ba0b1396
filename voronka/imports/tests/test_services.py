"""Imports from the upload to the finished job: good, mixed and broken files, duplicates,
rights, resuming, and the cards as the services write them."""

import datetime
import os
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from voronka.access.models import AuditEvent, Scope
from voronka.access.tests.factories import role_with
from voronka.contacts.models import (
    Communication,
    CommunicationValueType,
    Company,
    Contact,
    DuplicateMode,
    DuplicatePolicy,
)
from voronka.contacts.services import contact_create
from voronka.contacts.tests.factories import make_inn, make_kpp
from voronka.customization.models import CustomField, FieldType, Source
from voronka.imports import services, tasks
from voronka.imports.models import ImportJob, ImportRejection, ImportStatus, ImportTemplate
from voronka.imports.parsing import ImportFileError
from voronka.imports.services import (
    import_job_create,
    import_job_set_mapping,
    import_preview,
    import_run,
    import_start,
    rejection_rows,
)
from voronka.imports.tests.conftest import csv_upload, xlsx_upload
from voronka.sales.models import Deal, Lead, Pipeline, PipelineEntity
from voronka.sales.services import pipelines_ensure_defaults
from voronka.timeline.models import EntryKind, TimelineEntry

pytestmark = pytest.mark.django_db

CONTACT_HEADER = [
    "Фамилия",
    "Имя",
    "Отчество",
    "Телефон",
    "Моб. телефон",
    "E-mail",
    "Дата рождения",
    "Комментарий",
]


def run(actor, upload, *, entity="contact", action="skip", mapping=None, batch_size=500):
    job = import_job_create(actor=actor, entity=entity, upload=upload, name=upload.name)
    import_job_set_mapping(
        actor=actor, job=job, mapping=mapping or job.mapping, duplicate_action=action
    )
    return import_run(job, batch_size=batch_size)


def phones_of(card):
    return sorted(
        Communication.objects.filter(
            card_type=ContentType.objects.get_for_model(card), card_id=card.pk, kind="phone"
        ).values_list("value_normalized", "value_type")
    )


def test_utf8_semicolon_csv_imports_contacts_through_the_service(importer):
    upload = csv_upload(
        [
            CONTACT_HEADER,
            [
                "Иванов",
                "Пётр",
                "Сергеевич",
                "+7 916 000-00-01",
                "8 (926) 000-00-02",
                "ivanov@example.com",
                "17.05.1990",
                "Из выставки",
            ],
            ["Петрова", "Анна", "", "+7 916 000-00-03", "", "", "", ""],
        ]
    )
    job = run(importer, upload)

    assert job.status == ImportStatus.DONE
    assert (job.total, job.processed, job.created, job.rejected) == (2, 2, 2, 0)
    ivanov = Contact.objects.get(last_name="Иванов")
    assert (ivanov.first_name, ivanov.middle_name) == ("Пётр", "Сергеевич")
    assert ivanov.birthday == datetime.date(1990, 5, 17)
    assert ivanov.comment == "Из выставки"
    assert ivanov.responsible == importer
    assert ivanov.created_by == importer
    assert ivanov.name_key
    assert phones_of(ivanov) == [
        ("+79160000001", CommunicationValueType.WORK),
        ("+79260000002", CommunicationValueType.MOBILE),
    ]
    assert TimelineEntry.objects.filter(
        card_id=ivanov.pk, kind=EntryKind.CREATED, author=importer
    ).exists()


def test_windows_1251_comma_csv_imports(importer):
    upload = csv_upload(
        [["Фамилия", "Имя", "Эл. почта"], ["Сидоров", "Олег", "sidorov@example.com"]],
        encoding="cp1251",
        delimiter=",",
    )
    job = run(importer, upload)
    assert (job.encoding, job.delimiter, job.created) == ("cp1251", ",", 1)
    assert Contact.objects.get().last_name == "Сидоров"


def test_xlsx_imports(importer):
    upload = xlsx_upload(
        [
            ["Last name", "First name", "Phone"],
            ["Smith", "John", 79160000009],
            ["Doe", "Jane", None],
        ]
    )
    job = run(importer, upload)
    assert (job.file_format, job.created) == ("xlsx", 2)
    assert phones_of(Contact.objects.get(last_name="Smith")) == [
        ("+79160000009", CommunicationValueType.WORK)
    ]


def test_mixed_file_imports_good_rows_and_reports_the_rest(importer):
    upload = csv_upload(
        [
            ["Фамилия", "Имя", "Телефон", "Ответственный"],
            ["Хороший", "Один", "+7 916 000-00-01", ""],
            ["Плохой", "Телефон", "12", ""],
            ["", "", "+7 916 000-00-04", ""],
            ["Хороший", "Два", "", "head"],
            ["Чужой", "Ответственный", "", "Nobody Here"],
        ]
    )
    job = run(importer, upload, batch_size=2)

    assert (job.processed, job.created, job.rejected, job.skipped) == (5, 2, 3, 0)
    assert sorted(Contact.objects.values_list("first_name", flat=True)) == ["Два", "Один"]
    report = list(rejection_rows(job))
    assert [row[0] for row in report] == [3, 4, 6]
    assert report[0][1:4] == ["Плохой", "Телефон", "12"]
    assert "“12” is not a phone number." in report[0][-1]
    assert "first name or last name" in report[1][-1]
    assert "There is no employee “Nobody Here”." in report[2][-1]


def test_leads_with_unknown_stage_are_rejected(importer):
    pipelines_ensure_defaults()
    stage = Pipeline.objects.get(entity=PipelineEntity.LEAD, is_default=True).stages.first()
    upload = csv_upload(
        [
            ["Название", "Фамилия", "Телефон", "Стадия", "Сумма", "Валюта"],
            ["Заявка с сайта", "Иванов", "+7 916 000-00-01", stage.name, "12 500,50", "руб"],
            ["Звонок", "Петров", "", "Нет такой", "", ""],
        ]
    )
    job = run(importer, upload, entity="lead")
    assert (job.created, job.rejected) == (1, 1)
    lead = Lead.objects.get()
    assert (lead.title, lead.stage, lead.amount, lead.currency) == (
        "Заявка с сайта",
        stage,
        Decimal("12500.50"),
        "RUB",
    )
    assert "There is no stage “Нет такой”" in next(iter(rejection_rows(job)))[-1]


def test_deals_find_pipeline_stage_and_company(importer):
    pipelines_ensure_defaults()
    pipeline = Pipeline.objects.get(entity=PipelineEntity.DEAL, is_default=True)
    stage = pipeline.stages.order_by("sort").last()
    open_stage = pipeline.stages.filter(kind="open").order_by("sort")[1]
    known = Company.objects.create(title="Ромашка", responsible=importer)
    upload = csv_upload(
        [
            ["Название сделки", "Воронка", "Стадия", "Сумма", "Компания"],
            ["Поставка", pipeline.name, open_stage.name, "1000", "Ромашка"],
            ["Монтаж", pipeline.name, open_stage.name, "2000", "Новая компания"],
            ["Нет стадии", pipeline.name, "???", "", ""],
        ]
    )
    job = run(importer, upload, entity="deal")
    assert (job.created, job.rejected) == (2, 1), list(rejection_rows(job))
    supply = Deal.objects.get(title="Поставка")
    assert (supply.pipeline, supply.stage, supply.company) == (pipeline, open_stage, known)
    assert Deal.objects.get(title="Монтаж").company.title == "Новая компания"
    assert stage is not None


def test_companies_with_requisites_and_duplicates_by_inn(importer):
    inn = make_inn(1)
    Company.objects.create(title="Старая", inn=inn, kpp=make_kpp(inn), responsible=importer)
    upload = csv_upload(
        [
            ["Название", "ИНН", "КПП", "Телефон", "Юридический адрес"],
            [
                "Вектор",
                make_inn(2),
                make_kpp(make_inn(2)),
                "+7 495 000-00-01",
                "Москва, Тверская, 1",
            ],
            ["Старая копия", inn, make_kpp(inn), "", ""],
        ]
    )
    job = run(importer, upload, entity="company")
    assert (job.created, job.skipped) == (1, 1)
    vector = Company.objects.get(title="Вектор")
    assert vector.inn == make_inn(2)
    assert [(a.kind, a.street_address) for a in vector.addresses.all()] == [
        ("legal", "Москва, Тверская, 1")
    ]
    rejection = ImportRejection.objects.get(job=job)
    assert rejection.skipped and "INN" in rejection.reasons[0]


def test_duplicates_skip(importer):
    contact_create(
        actor=importer,
        data={"last_name": "Иванов"},
        communications=[{"kind": "phone", "value": "+7 916 000-00-01"}],
    )
    upload = csv_upload(
        [
            ["Фамилия", "Телефон"],
            ["Иванов", "+7 916 000-00-01"],
            ["Новый", "+7 916 000-00-02"],
            ["Тот же", "8 916 000-00-02"],
        ]
    )
    job = run(importer, upload)
    assert (job.created, job.skipped, job.rejected) == (1, 2, 0)
    assert Contact.objects.count() == 2
    reasons = [row[-1] for row in rejection_rows(job)]
    assert "A duplicate of “Иванов”" in reasons[0]
    assert "A duplicate of “Новый”" in reasons[1]


def test_duplicates_update_the_match_through_the_update_service(importer):
    existing = contact_create(
        actor=importer,
        data={"last_name": "Иванов", "position": "Менеджер"},
        communications=[{"kind": "phone", "value": "+7 916 000-00-01"}],
    )
    upload = csv_upload(
        [
            ["Фамилия", "Должность", "Телефон", "E-mail"],
            ["Иванов", "Директор", "+7 916 000-00-01", "ivanov@example.com"],
            ["Петров", "", "+7 916 000-00-02", ""],
            ["Петров", "Инженер", "+7 916 000-00-02", "petrov@example.com"],
        ]
    )
    job = run(importer, upload, action="update")
    assert (job.created, job.updated, job.skipped) == (1, 2, 0)
    existing.refresh_from_db()
    assert existing.position == "Директор"
    assert existing.version > 1
    emails = Communication.objects.filter(card_id=existing.pk, kind="email")
    assert [email.value for email in emails] == ["ivanov@example.com"]
    assert len(phones_of(existing)) == 1
    assert TimelineEntry.objects.filter(
        card_id=existing.pk, kind=EntryKind.FIELD_CHANGED, payload__field="position"
    ).exists()
    petrov = Contact.objects.get(last_name="Петров")
    assert petrov.position == "Инженер"


def test_duplicates_create_anyway_unless_the_policy_blocks(importer):
    contact_create(
        actor=importer,
        data={"last_name": "Иванов"},
        communications=[{"kind": "phone", "value": "+7 916 000-00-01"}],
    )
    rows = [["Фамилия", "Телефон"], ["Иванов-2", "+7 916 000-00-01"]]
    job = run(importer, csv_upload(rows), action="create")
    assert (job.created, job.skipped) == (1, 0)
    assert Contact.objects.count() == 2

    DuplicatePolicy.objects.update_or_create(
        entity="contact", defaults={"mode": DuplicateMode.BLOCK}
    )
    job = run(importer, csv_upload(rows), action="create")
    assert (job.created, job.rejected) == (0, 1)
    assert "forbid" in next(iter(rejection_rows(job)))[-1]


def test_import_needs_the_import_right(manager):
    with pytest.raises(PermissionDenied):
        import_job_create(
            actor=manager,
            entity="contact",
            upload=csv_upload([["Фамилия"], ["Иванов"]]),
            name="a.csv",
        )
    assert not ImportJob.objects.exists()


def test_rows_the_importer_may_not_add_are_rejected(manager):
    role_with(("contact", "import", Scope.ALL), ("contact", "read", Scope.OWN), members=[manager])
    job = run(manager, csv_upload([["Фамилия"], ["Иванов"], ["Петров"]]))
    assert (job.created, job.rejected) == (0, 2)
    assert not Contact.objects.exists()
    assert "access rights" in next(iter(rejection_rows(job)))[-1]


def test_the_job_resumes_after_an_interruption(importer, monkeypatch):
    rows = [["Фамилия", "Телефон"]] + [[f"Контакт{i}", f"+7 916 000-00-{i:02d}"] for i in range(7)]
    job = import_job_create(actor=importer, entity="contact", upload=csv_upload(rows), name="a.csv")
    import_job_set_mapping(actor=importer, job=job, mapping=job.mapping, duplicate_action="skip")
    original = services._run_batch
    calls = []

    def dies_on_the_second_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise SystemExit("worker killed")
        return original(*args, **kwargs)

    monkeypatch.setattr(services, "_run_batch", dies_on_the_second_batch)
    with pytest.raises(SystemExit):
        import_run(job, batch_size=3)
    job.refresh_from_db()
    assert (job.status, job.processed, job.created) == (ImportStatus.RUNNING, 3, 3)

    monkeypatch.setattr(services, "_run_batch", original)
    job = import_run(job, batch_size=3)
    assert (job.status, job.processed, job.created, job.skipped) == (ImportStatus.DONE, 7, 7, 0)
    assert Contact.objects.count() == 7


def test_a_second_worker_on_the_same_job_stops(importer):
    rows = [["Фамилия"], ["А"], ["Б"]]
    job = import_job_create(actor=importer, entity="contact", upload=csv_upload(rows), name="a.csv")
    import_job_set_mapping(actor=importer, job=job, mapping=job.mapping, duplicate_action="skip")
    stale = ImportJob.objects.get(pk=job.pk)
    stale.status = ImportStatus.RUNNING
    ImportJob.objects.filter(pk=job.pk).update(processed=1, status=ImportStatus.RUNNING)
    importer_object = services.Importer(stale)
    with pytest.raises(services.ImportTakenOver):
        services._run_batch(stale, importer_object, [(2, ["А"])])
    assert not Contact.objects.exists()


def test_an_unexpected_error_marks_the_job_failed(importer, monkeypatch):
    def broken(self, number, values):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("voronka.imports.rows.RowReader.read", broken)
    job = run(importer, csv_upload([["Фамилия"], ["Иванов"]]))
    assert job.status == ImportStatus.FAILED
    assert "disk on fire" in job.error
    assert not Contact.objects.exists()


def test_bad_files_write_nothing(importer):
    for upload in (
        csv_upload([["Фамилия"]]),
        xlsx_upload([["Фамилия"], ["Иванов"]], name="broken.xlsx").__class__(
            "broken.xlsx", b"PK\x03\x04 truncated"
        ),
    ):
        with pytest.raises(ImportFileError):
            import_job_create(actor=importer, entity="contact", upload=upload, name=upload.name)
    assert not ImportJob.objects.exists()


def test_preview_shows_what_would_happen_and_writes_nothing(importer):
    contact_create(
        actor=importer,
        data={"last_name": "Иванов"},
        communications=[{"kind": "phone", "value": "+7 916 000-00-01"}],
    )
    upload = csv_upload(
        [
            ["Фамилия", "Телефон"],
            ["Иванов", "+7 916 000-00-01"],
            ["Новый", "+7 916 000-00-02"],
            ["", "плохой"],
        ]
    )
    job = import_job_create(actor=importer, entity="contact", upload=upload, name="a.csv")
    import_job_set_mapping(actor=importer, job=job, mapping=job.mapping, duplicate_action="skip")
    results = import_preview(job)
    assert [result.outcome for result in results] == ["skipped", "created", "rejected"]
    assert Contact.objects.count() == 1
    assert not ImportRejection.objects.exists()


def test_start_records_the_import_in_the_audit_log(importer, django_capture_on_commit_callbacks):
    job = import_job_create(
        actor=importer,
        entity="contact",
        upload=csv_upload([["Фамилия"], ["Иванов"]]),
        name="clients.csv",
    )
    with pytest.raises(ValidationError):
        import_start(actor=importer, job=job)
    import_job_set_mapping(actor=importer, job=job, mapping=job.mapping, duplicate_action="skip")
    with django_capture_on_commit_callbacks() as callbacks:
        import_start(actor=importer, job=job)
    assert len(callbacks) == 1
    event = AuditEvent.objects.get(action="import")
    assert event.actor == importer
    assert event.details["rows"] == 1


def test_mapping_template_is_saved_and_applied_to_the_same_columns(importer):
    rows = [["Колонка А", "Колонка Б"], ["Иванов", "+7 916 000-00-01"]]
    job = import_job_create(actor=importer, entity="contact", upload=csv_upload(rows), name="a.csv")
    assert job.mapping == ["", ""]
    import_job_set_mapping(
        actor=importer,
        job=job,
        mapping=["last_name", "phone"],
        duplicate_action="skip",
        template_name="Выгрузка из 1С",
    )
    assert ImportTemplate.objects.get().name == "Выгрузка из 1С"
    again = import_job_create(
        actor=importer, entity="contact", upload=csv_upload(rows), name="b.csv"
    )
    assert again.mapping == ["last_name", "phone"]


def test_mapping_errors(importer):
    job = import_job_create(
        actor=importer,
        entity="contact",
        upload=csv_upload([["A", "B"], ["1", "2"]]),
        name="a.csv",
    )
    for mapping in (["", ""], ["last_name", "last_name"], ["nonsense", ""]):
        with pytest.raises(ValidationError):
            import_job_set_mapping(
                actor=importer, job=job, mapping=mapping, duplicate_action="skip"
            )
    import_job_set_mapping(
        actor=importer, job=job, mapping=["phone", "phone"], duplicate_action="skip"
    )


def test_custom_fields_sources_and_employees_by_name(importer, manager):
    CustomField.objects.create(
        entity="contact",
        code="segment",
        label="Сегмент",
        field_type=FieldType.LIST,
        options=[{"id": "1", "label": "Опт"}, {"id": "2", "label": "Розница"}],
    )
    source = Source.objects.create(code="expo", name="Выставка")
    manager.first_name, manager.last_name = "Мария", "Смирнова"
    manager.save()
    upload = csv_upload(
        [
            ["Фамилия", "Сегмент", "Источник", "Ответственный"],
            ["Иванов", "Розница", "выставка", "Смирнова Мария"],
        ]
    )
    job = run(importer, upload)
    assert job.created == 1, list(rejection_rows(job))
    contact = Contact.objects.get()
    assert contact.custom_fields == {"segment": "2"}
    assert (contact.source, contact.responsible) == (source, manager)


def test_contacts_name_their_company(importer):
    known = Company.objects.create(title="Ромашка", responsible=importer)
    upload = csv_upload(
        [["ФИО", "Компания"], ["Иванов Пётр", "Ромашка"], ["Петров Иван Ильич", "Лютик"]]
    )
    job = run(importer, upload)
    assert job.created == 2
    ivanov = Contact.objects.get(last_name="Иванов")
    assert ivanov.first_name == "Пётр"
    assert ivanov.primary_company == known
    petrov = Contact.objects.get(last_name="Петров")
    assert petrov.middle_name == "Ильич"
    assert petrov.primary_company.title == "Лютик"


def test_the_uploaded_file_is_removed_when_the_job_is_done(importer):
    job = import_job_create(
        actor=importer, entity="contact", upload=csv_upload([["Фамилия"], ["А"]]), name="a.csv"
    )
    path = job.file.path
    assert os.path.basename(job.file.name) != "a.csv" and job.file.name.endswith(".csv")
    import_job_set_mapping(actor=importer, job=job, mapping=job.mapping, duplicate_action="skip")
    import_run(job)
    assert not os.path.exists(path)


def test_abandoned_uploads_are_forgotten(importer):
    old = import_job_create(
        actor=importer, entity="contact", upload=csv_upload([["Фамилия"], ["А"]]), name="a.csv"
    )
    fresh = import_job_create(
        actor=importer, entity="contact", upload=csv_upload([["Фамилия"], ["Б"]]), name="b.csv"
    )
    ImportJob.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=3)
    )
    assert tasks.import_forget_abandoned() == 1
    assert list(ImportJob.objects.values_list("pk", flat=True)) == [fresh.pk]
    assert not os.path.exists(old.file.path)


def test_stalled_jobs_are_queued_again(importer, monkeypatch):
    job = import_job_create(
        actor=importer, entity="contact", upload=csv_upload([["Фамилия"], ["А"]]), name="a.csv"
    )
    import_job_set_mapping(actor=importer, job=job, mapping=job.mapping, duplicate_action="skip")
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, heartbeat_at=timezone.now() - datetime.timedelta(hours=1)
    )
    monkeypatch.setattr(tasks.import_run_task, "delay", tasks.import_run_task)
    assert tasks.import_resume_stalled() == 1
    job.refresh_from_db()
    assert (job.status, job.created) == (ImportStatus.DONE, 1)
    assert tasks.import_resume_stalled() == 0
