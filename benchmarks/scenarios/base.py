"""What every scenario gets: sizes, the dataset's ids, the database, a signed-in client."""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from django.urls import NoReverseMatch, reverse

from benchmarks.data import Dataset
from benchmarks.measure import Result
from benchmarks.sizes import Sizes


@dataclass
class Context:
    sizes: Sizes
    dataset: Dataset
    database: str
    log: Callable[[str], None] = print
    # The smoke test measures in-process only: a server process would not see the data of a
    # test transaction.
    http: bool = True

    @cached_property
    def user(self):
        from voronka.staff.models import User

        return User.objects.get(pk=self.dataset.user_id)

    @cached_property
    def client(self):
        """A signed-in test client: a request through middleware, view and template."""
        from django.test import Client

        client = Client(HTTP_HOST="127.0.0.1", raise_request_exception=True)
        client.force_login(self.user)
        return client

    def working_view(
        self, name: str, *candidates: dict, params: dict | None = None, headers: dict | None = None
    ):
        """(URL, None) when view ``name`` exists and answers 200; (None, why not) otherwise.

        The web interface is being built: a view may be in the URL conf before it works.
        """
        url = url_or_none(name, *candidates)
        if url is None:
            return None, "no view yet"
        try:
            response = self.client.get(url, params or {}, headers=headers)
        except Exception as error:  # noqa: BLE001 — any failure means: measure the selectors
            return None, f"view {name} fails: {type(error).__name__}"
        if response.status_code != 200:
            return None, f"view {name} answers {response.status_code}"
        return url, None

    def failure(self, scenario, error: BaseException) -> Result:
        return Result(
            scenario=f"{scenario.number} {scenario.name}",
            operation="(failed)",
            database=self.database,
            size="",
            path="",
            error=f"{type(error).__name__}: {error}",
        )


def url_or_none(name: str, *candidates: dict) -> str | None:
    """The URL of view ``name`` when the URL conf has it, trying each set of kwargs."""
    for kwargs in candidates or ({},):
        try:
            return reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            continue
    return None


def number(value: int) -> str:
    return f"{value:,}"
