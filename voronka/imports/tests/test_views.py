"""The import pages: rights, the steps, the progress page, the report."""

import pytest
from django.urls import reverse

from voronka.contacts.models import Contact
from voronka.contacts.services import contact_create
from voronka.imports import tasks
from voronka.imports.models import ImportJob, ImportStatus
from voronka.imports.services import import_job_create, import_job_set_mapping, import_run
from voronka.imports.tests.conftest import csv_upload

pytestmark = pytest.mark.django_db

ROWS = [
    ["Фамилия", "Имя", "Телефон"],
    ["Иванов", "Пётр", "+7 916 000-00-01"],
    ["", "", "плохой"],
]


def _job(user, rows=ROWS, *, mapped=True) -> ImportJob:
    job = import_job_create(actor=user, entity="contact", upload=csv_upload(rows), name="a.csv")
    if mapped:
        import_job_set_mapping(actor=user, job=job, mapping=job.mapping, duplicate_action="skip")
    return job


def _job_urls(job):
    return [
        reverse("imports:mapping", args=[job.pk]),
        reverse("imports:preview", args=[job.pk]),
        reverse("imports:progress", args=[job.pk]),
        reverse("imports:report", args=[job.pk, "csv"]),
    ]


def test_pages_need_the_import_right(client, manager):
    client.force_login(manager)
    assert client.get(reverse("imports:list")).status_code == 403
    assert client.get(reverse("imports:upload", args=["contact"])).status_code == 403
    response = client.post(reverse("imports:upload", args=["contact"]), {"file": csv_upload(ROWS)})
    assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_unknown_entity_is_404(client, importer):
    client.force_login(importer)
    assert client.get(reverse("imports:upload", args=["invoice"])).status_code == 404


def test_someone_elses_job_is_404_on_every_url(client, importer, admin_user, other_manager):
    from voronka.access.models import Role

    Role.objects.get(code="head").members.add(other_manager)
    job = _job(importer)
    client.force_login(other_manager)
    for url in _job_urls(job):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("imports:start", args=[job.pk])).status_code == 404
    client.force_login(admin_user)
    assert client.get(reverse("imports:progress", args=[job.pk])).status_code == 200


def test_bad_file_answers_422_and_stores_nothing(client, importer, settings):
    client.force_login(importer)
    broken = csv_upload([["x"]], name="broken.xlsx")
    response = client.post(reverse("imports:upload", args=["contact"]), {"file": broken})
    assert response.status_code == 422
    assert "damaged" in response.content.decode()
    assert not ImportJob.objects.exists()
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(media.rglob("*.*"))


def test_upload_mapping_preview_start_and_progress(client, importer, monkeypatch):
    client.force_login(importer)
    response = client.post(reverse("imports:upload", args=["contact"]), {"file": csv_upload(ROWS)})
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("imports:mapping", args=[job.pk])

    page = client.get(response.url)
    assert page.status_code == 200
    assert 'value="last_name" selected' in page.content.decode()

    response = client.post(
        reverse("imports:mapping", args=[job.pk]),
        {
            "column_0": "last_name",
            "column_1": "first_name",
            "column_2": "phone",
            "duplicate_action": "skip",
            "template_name": "",
        },
    )
    assert response.url == reverse("imports:preview", args=[job.pk])

    preview = client.get(response.url)
    text = preview.content.decode()
    assert preview.status_code == 200
    assert "will be created" in text and "“плохой” is not a phone number." in text
    assert not Contact.objects.exists()

    ran = []
    monkeypatch.setattr(tasks.import_run_task, "delay", lambda pk: ran.append(pk))
    response = client.post(reverse("imports:start", args=[job.pk]))
    assert response.url == reverse("imports:progress", args=[job.pk])
    job.refresh_from_db()
    assert job.status == ImportStatus.QUEUED

    page = client.get(response.url)
    assert 'hx-trigger="every 1s"' in page.content.decode()
    import_run(job)
    partial = client.get(response.url, headers={"HX-Request": "true"})
    text = partial.content.decode()
    assert "every 1s" not in text
    assert reverse("imports:report", args=[job.pk, "xlsx"]) in text
    assert "created_after=" in text
    assert Contact.objects.get().last_name == "Иванов"


def test_mapping_errors_rerender_with_422(client, importer):
    job = _job(importer, mapped=False)
    client.force_login(importer)
    response = client.post(
        reverse("imports:mapping", args=[job.pk]),
        {"column_0": "last_name", "column_1": "last_name", "duplicate_action": "skip"},
    )
    assert response.status_code == 422
    assert "choose it for one" in response.content.decode()


def test_progress_page_query_count_is_fixed(client, importer, django_assert_num_queries):
    job = _job(importer)
    import_run(job)
    client.force_login(importer)
    url = reverse("imports:progress", args=[job.pk])
    client.get(url, headers={"HX-Request": "true"})
    # Session and user, the rights matrix, the job.
    with django_assert_num_queries(4):
        response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200


def test_report_lists_rejected_rows_with_the_reason(client, importer):
    contact_create(
        actor=importer,
        data={"last_name": "Иванов"},
        communications=[{"kind": "phone", "value": "+7 916 000-00-01"}],
    )
    job = _job(importer)
    import_run(job)
    client.force_login(importer)
    response = client.get(reverse("imports:report", args=[job.pk, "csv"]))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0] == "Row;Фамилия;Имя;Телефон;Reason"
    assert lines[1].startswith("2;Иванов;Пётр;+7 916 000-00-01;A duplicate of")
    assert lines[2].startswith("3;;;плохой;")
    response = client.get(reverse("imports:report", args=[job.pk, "xlsx"]))
    assert response.status_code == 200


def test_list_shows_own_jobs(client, importer):
    job = _job(importer)
    client.force_login(importer)
    response = client.get(reverse("imports:list"))
    assert response.status_code == 200
    assert reverse("imports:preview", args=[job.pk]) in response.content.decode()


def test_columns_of_a_started_job_cannot_be_changed(client, importer, monkeypatch):
    job = _job(importer)
    monkeypatch.setattr(tasks.import_run_task, "delay", lambda pk: None)
    client.force_login(importer)
    client.post(reverse("imports:start", args=[job.pk]))
    progress = reverse("imports:progress", args=[job.pk])
    assert client.get(reverse("imports:mapping", args=[job.pk])).url == progress
    response = client.post(
        reverse("imports:mapping", args=[job.pk]),
        {"column_0": "first_name", "duplicate_action": "update"},
    )
    assert response.url == progress
    again = client.post(reverse("imports:start", args=[job.pk]))
    assert again.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.mapping[0], job.duplicate_action) == ("queued", "last_name", "skip")
