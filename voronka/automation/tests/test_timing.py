"""Immediate, delayed, at a date field with an offset, and shifted into working hours."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from voronka.automation.timing import due_at, next_working_moment, validate_timing
from voronka.customization.models import CustomField, EntityType, FieldType
from voronka.sales.models import Deal
from voronka.sales.tests.factories import DealFactory

pytestmark = pytest.mark.django_db

MSK = ZoneInfo("Europe/Moscow")
MONDAY_NOON = datetime.datetime(2026, 11, 23, 12, 0, tzinfo=MSK)


@pytest.fixture(autouse=True)
def moscow(settings):
    settings.TIME_ZONE = "Europe/Moscow"
    settings.AUTOMATION_WORK_HOURS = ("09:00", "18:00")
    settings.AUTOMATION_WORK_DAYS = (1, 2, 3, 4, 5)


def at(*args):
    return datetime.datetime(*args, tzinfo=MSK)


def test_immediate_is_now():
    assert due_at(None, {}, now=MONDAY_NOON) == (MONDAY_NOON, "At once.")
    assert due_at(None, {"type": "immediate"}, now=MONDAY_NOON)[0] == MONDAY_NOON


@pytest.mark.parametrize(
    ("amount", "unit", "expected"),
    [
        (30, "minutes", at(2026, 11, 23, 12, 30)),
        (5, "hours", at(2026, 11, 23, 17)),
        (2, "days", at(2026, 11, 25, 12)),
    ],
)
def test_after_a_delay(amount, unit, expected):
    moment, note = due_at(None, {"type": "after", "amount": amount, "unit": unit}, now=MONDAY_NOON)

    assert moment == expected
    assert (
        note
        == {
            "minutes": "30 minutes after entering the stage.",
            "hours": "5 hours after entering the stage.",
            "days": "2 days after entering the stage.",
        }[unit]
    )


def test_at_a_date_field_with_an_offset_and_time():
    deal = DealFactory(closes_on=datetime.date(2026, 12, 1))

    moment, note = due_at(
        deal,
        {"type": "at_field", "field": "closes_on", "offset": -1, "unit": "days", "time": "10:00"},
        now=MONDAY_NOON,
    )

    assert moment == at(2026, 11, 30, 10)
    assert note == "-1 day from “expected close date” (01.12.2026 10:00)."


def test_at_a_custom_datetime_field():
    CustomField.objects.create(
        entity=EntityType.DEAL, code="meeting", label="Meeting", field_type=FieldType.DATETIME
    )
    deal = DealFactory(custom_fields={"meeting": "2026-11-24T15:00:00+03:00"})

    moment, _note = due_at(
        deal,
        {"type": "at_field", "field": "meeting", "offset": -2, "unit": "hours"},
        now=MONDAY_NOON,
    )

    assert moment == at(2026, 11, 24, 13)


def test_a_moment_already_past_is_now():
    deal = DealFactory(closes_on=datetime.date(2026, 11, 1))

    moment, _note = due_at(deal, {"type": "at_field", "field": "closes_on"}, now=MONDAY_NOON)

    assert moment == MONDAY_NOON


def test_an_empty_date_field_runs_at_once_and_says_so():
    deal = DealFactory(closes_on=None)

    moment, note = due_at(deal, {"type": "at_field", "field": "closes_on"}, now=MONDAY_NOON)

    assert (moment, note) == (MONDAY_NOON, "“expected close date” is empty: at once.")


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(2026, 11, 23, 12, 0), at(2026, 11, 23, 12, 0)),  # Monday noon: as is
        (at(2026, 11, 23, 7, 30), at(2026, 11, 23, 9, 0)),  # before the day starts
        (at(2026, 11, 23, 18, 0), at(2026, 11, 24, 9, 0)),  # the day is over
        (at(2026, 11, 27, 20, 0), at(2026, 11, 30, 9, 0)),  # Friday evening → Monday
        (at(2026, 11, 28, 11, 0), at(2026, 11, 30, 9, 0)),  # Saturday → Monday
    ],
)
def test_working_hours_move_into_the_next_window(moment, expected):
    assert next_working_moment(moment) == expected


def test_working_hours_follow_the_settings(settings):
    settings.AUTOMATION_WORK_HOURS = ("10:00", "19:00")
    settings.AUTOMATION_WORK_DAYS = (1, 2, 3, 4, 5, 6)

    assert next_working_moment(at(2026, 11, 27, 20, 0)) == at(2026, 11, 28, 10, 0)


def test_working_hours_apply_after_the_delay():
    friday_afternoon = at(2026, 11, 27, 16, 0)

    moment, note = due_at(
        None,
        {"type": "after", "amount": 3, "unit": "hours", "working_hours": True},
        now=friday_afternoon,
    )

    assert moment == at(2026, 11, 30, 9, 0)
    assert note == "3 hours after entering the stage. Moved to working hours: 30.11.2026 09:00."


def test_validation():
    validate_timing(Deal, {"type": "after", "amount": 3, "unit": "hours"})
    validate_timing(Deal, {"type": "at_field", "field": "closes_on", "time": "10:00"})
    with pytest.raises(ValidationError) as error:
        validate_timing(Deal, {"type": "after", "amount": -1, "unit": "weeks"})
    assert error.value.messages == [
        "Count time in minutes, hours or days.",
        "The delay cannot be negative.",
    ]
    with pytest.raises(ValidationError) as error:
        validate_timing(Deal, {"type": "at_field", "field": "title", "time": "25"})
    assert error.value.messages == ["Choose a date field to run at.", "Give the time as HH:MM."]
