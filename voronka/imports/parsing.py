"""Reading the uploaded tables: CSV (UTF-8 with or without a BOM, or Windows-1251; ``;``,
``,`` or tab between columns) and XLSX (the first sheet, through openpyxl's read-only mode).

A file is checked completely when it is uploaded — encoding, structure, size, number of rows —
so a job never starts on a file it cannot read. Both readers stream: neither holds the whole
file in memory, whatever its size.
"""

import codecs
import csv
import datetime
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any
from xml.etree.ElementTree import ParseError

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from voronka.imports.models import FileFormat

DEFAULT_MAX_FILE_SIZE = 20 * 1024 * 1024
DEFAULT_MAX_ROWS = 200_000
CHUNK = 1 << 20
ENCODINGS = ("utf-8-sig", "cp1251")
DELIMITERS = (";", ",", "\t")
ZIP_SIGNATURE = b"PK\x03\x04"
# Control characters a text table never has (tab, line feed and carriage return are fine).
_CONTROL = {chr(code) for code in range(32) if chr(code) not in "\t\n\r"}
# csv refuses longer cells (a sign of garbage or a missing closing quote).
FIELD_SIZE_LIMIT = 1 << 20


class ImportFileError(Exception):
    """The file cannot be imported; the message says why, for the person who uploaded it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class TableInfo:
    file_format: str
    encoding: str
    delimiter: str
    headers: list[str]
    total: int


def max_file_size() -> int:
    return int(getattr(settings, "IMPORT_MAX_FILE_SIZE", DEFAULT_MAX_FILE_SIZE))


def max_rows() -> int:
    return int(getattr(settings, "IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS))


def inspect_table(stream: IO[bytes], name: str, size: int | None = None) -> TableInfo:
    """Check an uploaded file through and describe it; ImportFileError names the problem."""
    if size is not None and size > max_file_size():
        raise ImportFileError(
            _("The file is larger than %(limit)s; split it into smaller files.")
            % {"limit": filesizeformat(max_file_size())}
        )
    stream.seek(0)
    head = stream.read(4)
    stream.seek(0)
    if not head:
        raise ImportFileError(_("The file is empty."))
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension == "xlsx" or head == ZIP_SIGNATURE:
        if extension not in ("xlsx", "xlsm"):
            raise ImportFileError(
                _("This is not a CSV file. Save the table as CSV or XLSX and upload it again.")
            )
        info = _inspect_xlsx(stream)
    elif extension in ("csv", "txt", ""):
        info = _inspect_csv(stream)
    else:
        raise ImportFileError(_("Upload a CSV or XLSX file (Excel 97–2003 .xls is not read)."))
    if not info.total:
        raise ImportFileError(_("The file has column titles but no rows to import."))
    if info.total > max_rows():
        raise ImportFileError(
            _("The file has %(rows)s rows; at most %(limit)s can be imported at once.")
            % {"rows": info.total, "limit": max_rows()}
        )
    return info


def iter_rows(stream: IO[bytes], info: TableInfo) -> Iterator[tuple[int, list[str]]]:
    """``(row number in the file, cell texts)`` of every non-empty data row, in file order;
    the header is row 1. Rows are cut or padded to the number of columns."""
    width = len(info.headers)
    if info.file_format == FileFormat.XLSX:
        rows: Iterator[tuple[int, list[str]]] = _xlsx_rows(stream)
    else:
        rows = _csv_rows(stream, info.encoding, info.delimiter)
    header_seen = False
    for number, values in rows:
        if not header_seen:
            header_seen = any(values)
            continue
        if not any(values):
            continue
        if len(values) < width:
            values = values + [""] * (width - len(values))
        yield number, values[:width]


# CSV ---------------------------------------------------------------------------------------


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise ImportFileError(
            _("The file holds binary data, not a table. Save the table as CSV or XLSX.")
        )
    controls = sum(1 for char in text[:4096] if char in _CONTROL)
    if controls > 8:
        raise ImportFileError(
            _("The file holds binary data, not a table. Save the table as CSV or XLSX.")
        )


def _detect_encoding(stream: IO[bytes]) -> str:
    """The first of UTF-8 and Windows-1251 that decodes the whole file cleanly."""
    stream.seek(0)
    if b"\x00" in stream.read(CHUNK):
        # No text table holds zero bytes: an image, an archive, a UTF-16 file.
        _check_text("\x00")
    for encoding in ENCODINGS:
        stream.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        try:
            for chunk in iter(lambda: stream.read(CHUNK), b""):
                _check_text(decoder.decode(chunk))
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise ImportFileError(
        _(
            "The file's encoding is neither UTF-8 nor Windows-1251. Save it as “CSV UTF-8” "
            "and upload it again."
        )
    )


def _text_stream(stream: IO[bytes], encoding: str) -> io.TextIOWrapper:
    stream.seek(0)
    return io.TextIOWrapper(io.BufferedReader(_Unclosable(stream)), encoding=encoding, newline="")


class _Unclosable(io.RawIOBase):
    """Lets a TextIOWrapper read a file it must not close when it is collected."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _detect_delimiter(first_line: str) -> str:
    counts = {delimiter: first_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ";"


def _csv_reader(text: io.TextIOWrapper, delimiter: str):
    csv.field_size_limit(FIELD_SIZE_LIMIT)
    return csv.reader(text, delimiter=delimiter, quotechar='"', skipinitialspace=False)


def _csv_rows(stream: IO[bytes], encoding: str, delimiter: str):
    text = _text_stream(stream, encoding)
    reader = _csv_reader(text, delimiter)
    try:
        for values in reader:
            yield reader.line_num, [value.strip() for value in values]
    except csv.Error as error:
        raise ImportFileError(
            _("Line %(line)s of the file cannot be read: %(error)s.")
            % {"line": reader.line_num, "error": error}
        ) from error


def _inspect_csv(stream: IO[bytes]) -> TableInfo:
    encoding = _detect_encoding(stream)
    text = _text_stream(stream, encoding)
    first_line = ""
    for line in text:
        if line.strip():
            first_line = line
            break
    if not first_line:
        raise ImportFileError(_("The file is empty."))
    delimiter = _detect_delimiter(first_line)
    headers: list[str] | None = None
    total = 0
    for _number, values in _csv_rows(stream, encoding, delimiter):
        if headers is None:
            if not any(values):
                continue
            headers = _headers(values)
            continue
        if any(values):
            total += 1
    return TableInfo(FileFormat.CSV, encoding.removesuffix("-sig"), delimiter, headers or [], total)


def _headers(values: list[Any]) -> list[str]:
    headers = [str(value or "").strip() for value in values]
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise ImportFileError(_("The file's first row holds no column titles."))
    return [
        title or _("Column %(number)s") % {"number": index + 1}
        for index, title in enumerate(headers)
    ]


# XLSX --------------------------------------------------------------------------------------

_BROKEN_XLSX = (
    zipfile.BadZipFile,
    InvalidFileException,
    KeyError,
    OSError,
    ValueError,
    TypeError,
    IndexError,
    EOFError,
    ParseError,
)


def _broken_xlsx(error: Exception) -> ImportFileError:
    return ImportFileError(
        _("The XLSX file is damaged and cannot be read. Open it in Excel, save it again and retry.")
    )


def cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a person sees: whole numbers without “.0”, dates as
    23.11.2026."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0):
            return value.strftime("%d.%m.%Y")
        return value.strftime("%d.%m.%Y %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%d.%m.%Y")
    return str(value).strip()


def _xlsx_rows(stream: IO[bytes]):
    stream.seek(0)
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except _BROKEN_XLSX as error:
        raise _broken_xlsx(error) from error
    try:
        if not workbook.worksheets:
            raise ImportFileError(_("The XLSX file has no sheets."))
        sheet = workbook.worksheets[0]
        try:
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield number, [cell_text(value) for value in row]
        except _BROKEN_XLSX as error:
            raise _broken_xlsx(error) from error
    finally:
        workbook.close()


def _inspect_xlsx(stream: IO[bytes]) -> TableInfo:
    headers: list[str] | None = None
    total = 0
    for _number, values in _xlsx_rows(stream):
        if headers is None:
            if not any(values):
                continue
            headers = _headers(values)
            continue
        if any(values):
            total += 1
            if total > max_rows():
                break
    if headers is None:
        raise ImportFileError(_("The file is empty."))
    return TableInfo(FileFormat.XLSX, "", "", headers, total)
