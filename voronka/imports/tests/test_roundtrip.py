"""What the contact list exports comes back through the import unchanged."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from voronka.contacts.models import Company, Contact
from voronka.contacts.services import contact_create, contact_delete
from voronka.imports.services import import_job_create, import_job_set_mapping, import_run
from voronka.imports.tests.test_services import phones_of

pytestmark = pytest.mark.django_db


def _state(contact: Contact) -> tuple:
    company = contact.primary_company
    return (
        contact.last_name,
        contact.first_name,
        contact.middle_name,
        contact.position,
        company.pk if company else None,
        contact.responsible_id,
        phones_of(contact),
    )


def test_exported_contacts_import_back(client, importer, manager):
    company = Company.objects.create(title="Ромашка", responsible=importer)
    originals = [
        contact_create(
            actor=importer,
            data={
                "last_name": "Иванов",
                "first_name": "Пётр",
                "middle_name": "Сергеевич",
                "position": "Директор",
                "responsible": manager,
            },
            communications=[
                {"kind": "phone", "value": "+7 916 000-00-01"},
                {"kind": "phone", "value": "+7 916 000-00-02"},
                {"kind": "email", "value": "ivanov@example.com"},
            ],
            company_links=[{"company": company}],
        ),
        contact_create(actor=importer, data={"last_name": "Петрова", "first_name": "Анна"}),
    ]
    expected = sorted(_state(contact) for contact in originals)
    client.force_login(importer)
    response = client.get(reverse("contacts:contact_export", args=["csv"]))
    assert response.status_code == 200
    exported = b"".join(response.streaming_content)
    for contact in originals:
        contact_delete(actor=importer, contact=contact)

    upload = SimpleUploadedFile("contacts.csv", exported)
    job = import_job_create(actor=importer, entity="contact", upload=upload, name=upload.name)
    assert "" in job.mapping  # the dates are not imported
    assert {"full_name", "company", "position", "phone", "email", "responsible"} <= set(job.mapping)
    import_job_set_mapping(actor=importer, job=job, mapping=job.mapping, duplicate_action="skip")
    job = import_run(job)
    assert (job.created, job.rejected, job.skipped) == (2, 0, 0)
    assert sorted(_state(contact) for contact in Contact.objects.all()) == expected
    emails = Contact.objects.get(last_name="Иванов")
    assert emails.communications.filter(kind="email").get().value == "ivanov@example.com"
