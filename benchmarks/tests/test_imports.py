"""Scenario 8, the import: the generated file holds what it says (good rows, duplicates, bad
rows), the job imports exactly the good rows, and the run leaves the data as it found it."""

import pytest

from benchmarks import data
from benchmarks.scenarios import imports
from benchmarks.scenarios.base import Context
from benchmarks.sizes import TINY
from voronka.contacts.models import Communication, Company, Contact
from voronka.imports.models import ImportJob
from voronka.timeline.models import TimelineEntry


def test_the_file_has_a_duplicate_in_twenty_rows_and_a_bad_one_in_a_hundred():
    content, holds = imports.generate(1000, ["+79123456789"])
    lines = content.decode("utf-8-sig").splitlines()
    assert lines[0] == ";".join(imports.HEADERS)
    assert len(lines) == 1001
    assert holds["duplicates"] == 1000 // imports.DUPLICATE_EVERY
    assert holds["bad"] == 1000 // imports.BAD_EVERY
    assert len(holds["good"]) == 1000 - holds["duplicates"] - holds["bad"]
    assert len({row[3] for row in holds["good"]}) == len(holds["good"])  # phones are new


@pytest.mark.django_db
def test_the_job_imports_the_good_rows_skips_duplicates_rejects_bad_ones_and_is_undone(
    settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    dataset = data.build(TINY, log=lambda _message: None)
    context = Context(sizes=TINY, dataset=dataset, database="test", log=lambda _m: None)
    before = (
        Contact.all_objects.count(),
        Company.all_objects.count(),
        Communication.objects.count(),
        TimelineEntry.objects.count(),
    )
    [row] = imports.run(context)
    assert not row.error
    assert row.extra["bad rows"] == imports.TINY_ROWS // imports.BAD_EVERY
    assert row.extra["skipped"] == row.extra["duplicate rows"] > 0
    assert row.extra["rejected"] == row.extra["bad rows"]
    assert row.extra["created"] == imports.TINY_ROWS - row.extra["skipped"] - row.extra["rejected"]
    assert row.queries > 0 and row.reference_median_ms > 0
    after = (
        Contact.all_objects.count(),
        Company.all_objects.count(),
        Communication.objects.count(),
        TimelineEntry.objects.count(),
    )
    assert after == before
    assert not ImportJob.objects.exists()
    assert not list(tmp_path.rglob("*.csv"))
