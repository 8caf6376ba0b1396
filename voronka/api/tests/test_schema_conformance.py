"""Schemathesis against our own OpenAPI schema: every operation with generated requests, zero
server errors and every answer (status, headers, body) as the schema describes it.

Runs against a real server process (gunicorn) on the test database, with a few records of
every kind; half the examples address an existing record, so commands really run. Bounded:
``MAX_EXAMPLES`` per operation.
"""

import time
from collections import defaultdict

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from voronka.api.tests.conftest import token_for
from voronka.contacts.tests.factories import CompanyFactory, ContactFactory
from voronka.core.testing.server import server_fixture
from voronka.customization.models import CustomField, EntityType, FieldType
from voronka.sales.models import PipelineEntity
from voronka.sales.tests.factories import (
    DealFactory,
    LeadFactory,
    LossReasonFactory,
    PipelineFactory,
    ProductFactory,
    SourceFactory,
)
from voronka.tasks.tests.factories import TaskFactory

MAX_EXAMPLES = 4
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _records(user) -> dict[str, int]:
    """A few records of every kind; the id of one of each by its collection's name."""
    lead_pipeline = PipelineFactory.with_stages(entity=PipelineEntity.LEAD, is_default=True)
    deal_pipeline = PipelineFactory.with_stages(is_default=True)
    cards = {}
    for _ in range(3):
        cards["leads"] = LeadFactory(responsible=user, stage=lead_pipeline.stages.first()).pk
        cards["deals"] = DealFactory(responsible=user, pipeline=deal_pipeline).pk
        cards["contacts"] = ContactFactory(responsible=user).pk
        cards["companies"] = CompanyFactory(responsible=user).pk
        cards["tasks"] = TaskFactory(responsible=user, created_by=user).pk
    field = CustomField.objects.create(
        entity=EntityType.DEAL, code="region", label="Region", field_type=FieldType.STRING
    )
    return {
        **cards,
        "pipelines": deal_pipeline.pk,
        "stages": deal_pipeline.stages.first().pk,
        "loss-reasons": LossReasonFactory().pk,
        "products": ProductFactory().pk,
        "users": user.pk,
        "departments": user.department_id,
        "sources": SourceFactory().pk,
        "custom-fields": field.pk,
    }


server = server_fixture()


@pytest.mark.usefixtures("transactional_db")
def test_every_operation_answers_as_the_schema_says(server, manager):
    known = _records(manager)
    headers = {"Authorization": f"Bearer {token_for(manager)}"}
    schema = schemathesis.openapi.from_url(f"{server.url}/api/v1/schema/?format=json")
    # Deleting comes last, so the other operations still find the records.
    operations = sorted(
        (result.ok() for result in schema.get_all_operations()),
        key=lambda operation: (operation.method.upper() == "DELETE", operation.label),
    )
    failures: list[str] = []
    timings: list[tuple[float, str]] = []
    answered: dict[str, set[int]] = defaultdict(set)
    for operation in operations:

        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(), real_id=st.booleans())
        def run(case, real_id):
            # Half the examples address an existing record, so commands really run.
            if real_id and "id" in (case.path_parameters or {}):
                collection = case.operation.path.split("/")[3]
                case.path_parameters["id"] = known.get(collection, 1)
            response = case.call(base_url=server.url, headers=headers)
            answered[case.operation.label].add(response.status_code)
            case.validate_response(response, checks=CHECKS)

        started = time.monotonic()
        try:
            run()
        except (Exception, BaseExceptionGroup) as error:  # noqa: BLE001 - collect them all
            failures.append(f"{operation.label}: {str(error)[:1500]}")
        timings.append((time.monotonic() - started, operation.label))
    for seconds, label in sorted(timings, reverse=True)[:10]:
        print(f"{seconds:6.2f} s {label}")
    succeeded = sorted(label for label, codes in answered.items() if any(c < 300 for c in codes))
    print(f"schemathesis: {len(operations)} operations × up to {MAX_EXAMPLES} examples")
    print(f"operations answered with success at least once: {len(succeeded)}")
    assert not failures, "\n\n".join(failures)
    # Generated data does reach the services, not only the validation of the input.
    assert len(succeeded) >= len(operations) // 3, sorted(set(answered) - set(succeeded))
