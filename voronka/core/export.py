"""Files a list is exported to: CSV that Excel in Russia opens as is, and XLSX.

Both take a header and an iterable of rows of plain values and never hold the whole export in
memory: CSV is streamed to the client line by line, XLSX is written by openpyxl's write-only
mode to a temporary file that is then streamed.
"""

import csv
import datetime
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.http import FileResponse, StreamingHttpResponse
from django.utils import formats, timezone, translation
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff"
# Excel in a Russian locale splits columns on ";" (the comma is the decimal separator).
CSV_DELIMITER = ";"
XLSX_DATE_FORMAT = "DD.MM.YYYY"
XLSX_DATETIME_FORMAT = "DD.MM.YYYY HH:MM"


class _Echo:
    """A file-like object whose write returns what it was given (for csv.writer)."""

    def write(self, value: str) -> str:
        return value


def csv_text(value: Any) -> str:
    """A value as a cell of the CSV: numbers with the locale's decimal separator, dates in
    the locale's short form, times in the current time zone."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal | float | int):
        return formats.number_format(value, use_l10n=True)
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return formats.date_format(value, "SHORT_DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, list | tuple):
        return ", ".join(csv_text(item) for item in value)
    return str(value)


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The BOM, the header and each row as one ``;``-separated line."""
    writer = csv.writer(_Echo(), delimiter=CSV_DELIMITER, lineterminator="\r\n")
    yield BOM + writer.writerow([str(title) for title in header])
    for row in rows:
        yield writer.writerow([csv_text(value) for value in row])


def _in_context(lines: Iterator[str], language: str | None, zone) -> Iterator[str]:
    # The response is consumed after the view returns: keep the request's language and zone.
    with translation.override(language), timezone.override(zone):
        yield from lines


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]):
    response = StreamingHttpResponse(
        _in_context(
            csv_lines(header, rows), translation.get_language(), timezone.get_current_timezone()
        ),
        content_type=CSV_CONTENT_TYPE,
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_value(value: Any) -> Any:
    """A value openpyxl stores natively: numbers stay numbers, times become local and naive."""
    if value is None or isinstance(value, bool | int | float | Decimal | str):
        return value
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None)
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, list | tuple):
        return ", ".join(str(xlsx_value(item)) for item in value)
    return str(value)


def xlsx_write(target, header: Sequence[str], rows: Iterable[Sequence[Any]], title: str) -> None:
    """Write the sheet row by row (openpyxl's write-only mode keeps memory flat)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "Sheet")
    bold = Font(bold=True)
    header_cells = []
    for text in header:
        cell = WriteOnlyCell(sheet, value=str(text))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    sheet.freeze_panes = "A2"
    for row in rows:
        cells = []
        for value in row:
            value = xlsx_value(value)
            if isinstance(value, datetime.datetime):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = XLSX_DATETIME_FORMAT
                cells.append(cell)
            elif isinstance(value, datetime.date):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = XLSX_DATE_FORMAT
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    workbook.save(target)


def xlsx_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str = ""
):
    # FileResponse closes (and so removes) the file once it is sent.
    target = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115
    xlsx_write(target, header, rows, title or filename.rsplit(".", 1)[0])
    target.seek(0)
    return FileResponse(
        target, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE
    )
