import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from voronka.access.models import Role


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def importer(head):
    """The head of the sales department with the default Head role (imports its cards)."""
    Role.objects.get(code="head").members.add(head)
    return head


def csv_upload(rows, *, name="clients.csv", encoding="utf-8-sig", delimiter=";"):
    text = "\r\n".join(delimiter.join(row) for row in rows) + "\r\n"
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def xlsx_upload(rows, *, name="clients.xlsx"):
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())
