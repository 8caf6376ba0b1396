import datetime

import pytest

from voronka.sales.demo.context import DemoOptions
from voronka.sales.demo.runner import generate_demo

# A fixed clock: with the same seed the data is the same, row for row.
NOW = datetime.datetime(2026, 3, 16, 12, 30, tzinfo=datetime.UTC)
SMALL = DemoOptions(leads=80, deals=90, contacts=120, companies=45, seed=3)


@pytest.fixture
def demo(db):
    return generate_demo(SMALL, now=NOW)
