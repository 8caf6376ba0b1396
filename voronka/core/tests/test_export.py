import datetime
import io
from decimal import Decimal

import pytest
from django.http import QueryDict
from django.utils import translation
from openpyxl import load_workbook

from voronka.core.export import BOM, csv_lines, csv_response, csv_text, xlsx_write
from voronka.core.lists import (
    Column,
    Cursor,
    ListSpec,
    Sorting,
    capped_count,
    format_value,
    parse_cursor,
    parse_ids,
    parse_sort,
    query_string,
    sort_links,
)


def test_csv_starts_with_a_bom_and_separates_with_semicolons():
    text = "".join(csv_lines(["Title", "Amount"], [["Поставка; срочно", Decimal("12500.5")]]))

    assert text.startswith(BOM)
    lines = text.removeprefix(BOM).split("\r\n")
    assert lines[0] == "Title;Amount"
    # A value holding the separator is quoted, so Excel keeps it in one cell.
    assert lines[1] == '"Поставка; срочно";12500.5'


def test_csv_values_read_the_russian_way_in_russian():
    moment = datetime.datetime(2026, 11, 23, 9, 30, tzinfo=datetime.UTC)
    with translation.override("ru"):
        assert csv_text(Decimal("12500.50")) == "12500,50"
        assert csv_text(datetime.date(2026, 11, 23)) == "23.11.2026"
        # Times are shown in the current zone (Moscow by default).
        assert csv_text(moment) == "23.11.2026 12:30"
    assert csv_text(None) == ""
    assert csv_text(True) == "1"
    assert csv_text(["a", "b"]) == "a, b"


def test_csv_response_streams_an_attachment_in_the_request_language():
    with translation.override("ru"):
        response = csv_response("deals-2026-11-23.csv", ["Сумма"], iter([[Decimal("1.5")]]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="deals-2026-11-23.csv"'
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body == BOM + "Сумма\r\n1,5\r\n"


def test_xlsx_keeps_numbers_and_dates_as_such():
    buffer = io.BytesIO()
    moment = datetime.datetime(2026, 11, 23, 9, 30, tzinfo=datetime.UTC)
    rows = iter(
        [
            ["Поставка", Decimal("12500.50"), datetime.date(2026, 11, 23), moment, None],
            ["Монтаж", 7, None, None, ["a", "b"]],
        ]
    )

    xlsx_write(buffer, ["Title", "Amount", "Closes", "Created", "Tags"], rows, "Deals")

    sheet = load_workbook(io.BytesIO(buffer.getvalue())).active
    values = list(sheet.iter_rows(values_only=True))
    assert sheet.title == "Deals"
    assert values[0] == ("Title", "Amount", "Closes", "Created", "Tags")
    assert values[1][0] == "Поставка"
    assert values[1][1] == pytest.approx(12500.5)
    assert values[1][2].isoformat() == "2026-11-23T00:00:00"
    # Local (Moscow) time without a zone: what the reader of the sheet expects.
    assert values[1][3].isoformat() == "2026-11-23T12:30:00"
    assert values[2] == ("Монтаж", 7, None, None, "a, b")


SPEC = ListSpec(
    key="things",
    columns=[
        Column(key="title", label="Title", value=lambda row: row, sort=("title",)),
        Column(key="amount", label="Amount", value=lambda row: row, sort=("amount",)),
        Column(key="note", label="Note", value=lambda row: row, default=False),
    ],
    default_sort="-amount",
    fixed=("title",),
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("title", Sorting("title", False)),
        ("-title", Sorting("title", True)),
        (None, Sorting("amount", True)),
        ("note", Sorting("amount", True)),  # not sortable
        ("password", Sorting("amount", True)),  # not a column
        ("--title", Sorting("amount", True)),
    ],
)
def test_sorting_accepts_only_sortable_columns(raw, expected):
    assert parse_sort(SPEC, raw) == expected


def test_a_click_on_the_sorted_column_flips_the_direction():
    params = QueryDict("q=abc&after=abc&sort=title")
    links = sort_links(SPEC.columns, Sorting("title", False), params)
    assert links == {"title": "q=abc&sort=-title", "amount": "q=abc&sort=amount"}


def test_visible_columns_keep_fixed_ones_and_ignore_unknown_keys():
    assert [c.key for c in SPEC.visible(None)] == ["title", "amount"]
    assert [c.key for c in SPEC.visible(["note", "nope"])] == ["title", "note"]
    assert SPEC.clean_keys(["note", "nope", "note"]) == ["note"]


@pytest.mark.parametrize("raw", [None, "", "abc", "e30", "!!!", "x" * 3000, "W10", "bnVsbA"])
def test_a_bad_cursor_means_the_first_page(raw):
    assert parse_cursor(raw, Sorting("title", False)) is None


def test_a_cursor_reads_back_only_for_its_own_sort():
    moment = datetime.datetime(2026, 11, 23, 9, 30, 0, 123456, tzinfo=datetime.UTC)
    token = Cursor(sort="-created", values=(moment, Decimal("1.50"), None, 7), start=50).encode()

    cursor = parse_cursor(token, Sorting("created", True))

    # Full microseconds: a timestamp cut to milliseconds would skip or repeat rows.
    assert cursor.values == ("2026-11-23T09:30:00.123456+00:00", "1.50", None, 7)
    assert cursor.start == 50
    assert parse_cursor(token, Sorting("created", False)) is None


def test_ids_from_a_form_are_positive_unique_and_bounded():
    assert parse_ids(["3", "x", "3", "-1", "7", ""]) == [3, 7]
    assert len(parse_ids([str(n) for n in range(1, 2000)])) == 500


def test_query_string_replaces_and_drops_keys():
    params = QueryDict("q=a&stage=1&stage=2&page=4")
    assert query_string(params, page=None, sort="-amount") == "q=a&stage=1&stage=2&sort=-amount"


def test_values_read_as_people_write_them():
    with translation.override("ru"):
        assert format_value(Decimal("12500.5")) == "12\xa0500,50"
        assert format_value(datetime.date(2026, 1, 2)) == "02.01.2026"
        assert format_value(True) == "Да"
    assert format_value(None) == ""
    assert format_value(["a", None, "b"]) == "a, b"


@pytest.mark.django_db
def test_count_stops_at_the_cap(django_assert_num_queries):
    from voronka.staff.models import Department

    Department.objects.bulk_create(Department(name=f"Отдел {n}") for n in range(7))
    with django_assert_num_queries(1):
        assert capped_count(Department.objects.all(), cap=5) == (5, True)
    assert capped_count(Department.objects.all(), cap=10) == (7, False)


@pytest.mark.django_db
@pytest.mark.parametrize("sort", ["name", "-name", "parent", "-parent", "created", "-created"])
def test_keyset_pages_walk_every_row_once_with_ties_and_empty_values(sort):
    from voronka.core.lists import paginate
    from voronka.staff.models import Department

    root = Department.objects.create(name="Б")
    Department.objects.bulk_create(
        Department(name=name, parent=parent)
        for name, parent in [("А", None), ("Б", root), ("А", root), ("В", None), ("А", None)] * 2
    )
    spec = ListSpec(
        key="departments",
        columns=[
            Column(key="name", label="Name", value=str, sort=("name",)),
            Column(key="parent", label="Parent", value=str, sort=("parent__name",)),
            Column(key="created", label="Created", value=str, sort=("created_at",)),
        ],
        default_sort="name",
    )
    sorting = parse_sort(spec, sort)
    seen, after, starts = [], None, []
    while True:
        page = paginate(Department.objects.all(), spec, sorting, after=after, size=3)
        seen += [row.pk for row in page.rows]
        starts.append(page.first)
        if not page.has_next:
            break
        after = page.next_cursor

    assert sorted(seen) == sorted(Department.objects.values_list("pk", flat=True))
    assert len(seen) == len(set(seen)) == 11
    assert starts == [1, 4, 7, 10]
