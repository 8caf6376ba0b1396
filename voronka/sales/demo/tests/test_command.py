"""``manage.py demo``: what it prints, and --if-empty keeping existing data."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from voronka.contacts.models import Company, Contact
from voronka.sales.models import Deal, Lead

SMALL = ["--leads=12", "--deals=15", "--contacts=30", "--seed=5"]


def _run(*arguments: str) -> str:
    out = StringIO()
    call_command("demo", *arguments, stdout=out)
    return out.getvalue()


def _counts() -> tuple[int, ...]:
    return tuple(m.all_objects.count() for m in (Lead, Deal, Contact, Company))


@pytest.mark.django_db
def test_demo_prints_each_phase_and_the_total_time():
    output = _run(*SMALL)
    assert "Leads: Lead 12" in output
    assert "Deals: Deal 15" in output
    assert "Demo data ready in" in output and "peak memory" in output
    # Companies default to a third of the contacts.
    assert _counts() == (12, 15, 30, 10)


@pytest.mark.django_db
def test_if_empty_twice_keeps_the_first_data():
    _run("--if-empty", *SMALL)
    first = _counts()
    output = _run("--if-empty", "--leads=50")
    assert "skipped" in output
    assert _counts() == first


@pytest.mark.django_db
def test_without_if_empty_a_filled_database_is_refused():
    _run(*SMALL)
    with pytest.raises(CommandError, match="already has pipelines or leads"):
        _run(*SMALL)


@pytest.mark.django_db
def test_negative_counts_are_refused():
    with pytest.raises(CommandError):
        _run("--leads=-1")
