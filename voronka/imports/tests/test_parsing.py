"""Reading uploaded tables: encodings, delimiters, XLSX, and the files that are refused."""

import datetime
import io
import os

import pytest
from openpyxl import Workbook

from voronka.imports.parsing import (
    ImportFileError,
    cell_text,
    inspect_table,
    iter_rows,
)

HEADER = ["Фамилия", "Имя", "Телефон"]
ROWS = [["Иванов", "Пётр", "+7 916 000-00-01"], ["Петрова", "Анна", "8 (916) 000-00-02"]]


def _bytes(rows, encoding="utf-8", delimiter=";"):
    return ("\r\n".join(delimiter.join(row) for row in rows) + "\r\n").encode(encoding)


def _read(data: bytes, name="file.csv"):
    stream = io.BytesIO(data)
    info = inspect_table(stream, name, len(data))
    return info, list(iter_rows(stream, info))


@pytest.mark.parametrize(
    ("encoding", "delimiter", "expected_encoding"),
    [
        ("utf-8", ";", "utf-8"),
        ("utf-8-sig", ";", "utf-8"),
        ("cp1251", ",", "cp1251"),
        ("utf-8", "\t", "utf-8"),
    ],
)
def test_csv_encodings_and_delimiters_are_detected(encoding, delimiter, expected_encoding):
    info, rows = _read(_bytes([HEADER, *ROWS], encoding, delimiter))
    assert info.encoding == expected_encoding
    assert info.delimiter == delimiter
    assert info.headers == HEADER
    assert info.total == 2
    assert rows == [(2, ROWS[0]), (3, ROWS[1])]


def test_quoted_cells_keep_delimiters_and_line_breaks():
    data = 'Название;Адрес\r\n"ООО ""Ромашка""";"Москва; ул. Ленина, 1\r\nофис 5"\r\n'
    info, rows = _read(data.encode())
    assert info.total == 1
    assert rows[0][1] == ['ООО "Ромашка"', "Москва; ул. Ленина, 1\r\nофис 5"]


def test_empty_rows_are_skipped_and_short_rows_padded():
    info, rows = _read(_bytes([HEADER, ["Иванов"], ["", "", ""], ROWS[1]]))
    assert info.total == 2
    assert rows == [(2, ["Иванов", "", ""]), (4, ROWS[1])]


def test_xlsx_first_sheet_is_read_with_numbers_and_dates_as_text():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Фамилия", "Телефон", "Дата рождения", "Сумма"])
    birthday = datetime.datetime(1990, 5, 17)  # noqa: DTZ001 - spreadsheet cells are naive
    sheet.append(["Иванов", 79160000001, birthday, 1500.5])
    workbook.create_sheet("Другой").append(["ignored"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    info, rows = _read(buffer.getvalue(), "clients.xlsx")
    assert info.file_format == "xlsx"
    assert info.headers == ["Фамилия", "Телефон", "Дата рождения", "Сумма"]
    assert rows == [(2, ["Иванов", "79160000001", "17.05.1990", "1500.5"])]


def test_cell_text():
    assert cell_text(None) == ""
    assert cell_text(12.0) == "12"
    assert cell_text(datetime.date(2026, 11, 23)) == "23.11.2026"
    assert cell_text(" x ") == "x"


def _error(data: bytes, name="file.csv") -> str:
    with pytest.raises(ImportFileError) as caught:
        inspect_table(io.BytesIO(data), name, len(data))
    return caught.value.message


def test_empty_file_is_refused():
    assert _error(b"") == "The file is empty."
    assert _error(b"\r\n\r\n") == "The file is empty."


def test_header_without_rows_is_refused():
    assert "no rows" in _error(_bytes([HEADER]))


def test_broken_xlsx_is_refused():
    workbook = Workbook()
    workbook.active.append(HEADER)
    buffer = io.BytesIO()
    workbook.save(buffer)
    damaged = buffer.getvalue()[: len(buffer.getvalue()) // 2]
    assert "damaged" in _error(damaged, "clients.xlsx")
    assert "damaged" in _error(b"this is no spreadsheet at all", "clients.xlsx")


def test_random_bytes_are_refused(settings):
    settings.IMPORT_MAX_FILE_SIZE = 20 * 1024 * 1024
    data = os.urandom(10 * 1024 * 1024)
    message = _error(data)
    assert "binary" in message or "encoding" in message


def test_binary_disguised_as_csv_is_refused():
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(2000)
    assert "binary" in _error(png)
    workbook = Workbook()
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert "not a CSV" in _error(buffer.getvalue(), "clients.csv")


def test_text_in_neither_encoding_is_refused():
    # Valid in no UTF-8 and holding the one byte Windows-1251 leaves undefined.
    assert "neither UTF-8 nor Windows-1251" in _error("Имя\r\n".encode("cp1251") + b"\x98\r\n")


def test_other_formats_are_refused():
    assert "CSV or XLSX" in _error(b"\xd0\xcf\x11\xe0 old excel", "clients.xls")


def test_file_size_and_rows_are_capped(settings):
    settings.IMPORT_MAX_FILE_SIZE = 100
    assert "larger than" in _error(_bytes([HEADER, *ROWS * 10]))
    settings.IMPORT_MAX_FILE_SIZE = 10**6
    settings.IMPORT_MAX_ROWS = 3
    assert "at most 3" in _error(_bytes([HEADER, *ROWS * 2]))


def test_unclosed_quote_with_huge_cell_is_refused():
    data = b'Name;Phone\r\n"' + b"x" * (2 * 1024 * 1024)
    assert "cannot be read" in _error(data)
