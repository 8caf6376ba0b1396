"""How much data a run builds and how many times each operation is timed."""

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Sizes:
    name: str
    # Data built once per database and reused while these numbers stay the same.
    contacts: int  # the demo generator adds a third as many companies
    demo_leads: int
    demo_deals: int  # deals of the demo agency, spread over its three pipelines
    board_deals: int  # open deals bulk-inserted into one pipeline of their own
    timeline_entries: int  # entries on the one deal whose card is measured
    # Timing.
    warmup: int
    runs: int
    service_creates: int
    http_clients: int
    http_requests: int  # per client

    def data_key(self) -> dict:
        """What decides whether data already built can be reused."""
        data = asdict(self)
        for name in ("name", "warmup", "runs", "service_creates", "http_clients", "http_requests"):
            data.pop(name)
        return data


FULL = Sizes(
    name="full",
    contacts=1_000_000,
    demo_leads=3_000,
    demo_deals=10_000,
    board_deals=100_000,
    timeline_entries=200,
    warmup=3,
    runs=30,
    service_creates=300,
    http_clients=4,
    http_requests=200,
)

QUICK = Sizes(
    name="quick",
    contacts=50_000,
    demo_leads=500,
    demo_deals=1_000,
    board_deals=10_000,
    timeline_entries=200,
    warmup=2,
    runs=15,
    service_creates=100,
    http_clients=4,
    http_requests=40,
)

# The smoke run of the test suite: every scenario once on a few hundred rows.
TINY = Sizes(
    name="tiny",
    contacts=150,
    demo_leads=10,
    demo_deals=10,
    board_deals=120,
    timeline_entries=200,
    warmup=0,
    runs=1,
    service_creates=2,
    http_clients=1,
    http_requests=2,
)

PROFILES = {sizes.name: sizes for sizes in (FULL, QUICK, TINY)}
