"""A page of any list costs the same number of queries for 5 rows or 25: the token, the
rights, the filters' catalogues and one query per prefetched relation — never one per row."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from voronka.api.tests.conftest import stage
from voronka.contacts.tests.factories import (
    BankAccountFactory,
    CompanyFactory,
    ContactCompanyFactory,
    ContactFactory,
    PhoneFactory,
)
from voronka.sales.models import DealContact
from voronka.sales.tests.factories import DealFactory, LeadFactory
from voronka.tasks.tests.factories import TaskFactory

pytestmark = pytest.mark.django_db

# Per list, the queries of a page: the token, the rights (+ field rules), the filterset's
# custom field definitions, the rows, and one per prefetched relation (communications,
# contact links, companies, bank accounts, addresses, co-executors, observers).
QUERIES = {"leads": 6, "deals": 8, "contacts": 8, "companies": 8, "tasks": 6}


def _add(collection: str, user, count: int, lead_pipeline, deal_pipeline) -> None:
    for _ in range(count):
        if collection == "leads":
            lead = LeadFactory(responsible=user, stage=stage(lead_pipeline, "new"))
            PhoneFactory(card=lead)
        elif collection == "deals":
            deal = DealFactory(responsible=user, pipeline=deal_pipeline)
            DealContact.objects.create(
                deal=deal, contact=ContactFactory(responsible=user), is_primary=True
            )
        elif collection == "contacts":
            contact = ContactFactory(responsible=user)
            ContactCompanyFactory(contact=contact, company=CompanyFactory(responsible=user))
            PhoneFactory(card=contact)
        elif collection == "companies":
            company = CompanyFactory(responsible=user)
            BankAccountFactory(company=company)
            PhoneFactory(card=company)
        else:
            TaskFactory(responsible=user)


def _queries(api, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = api.get(url)
    assert response.status_code == 200, response.json()
    return len(queries)


@pytest.mark.parametrize("collection", sorted(QUERIES))
def test_a_list_page_costs_the_same_for_5_and_25_rows(
    collection, api, manager, lead_pipeline, deal_pipeline
):
    url = f"/api/v1/{collection}/?limit=25"
    _add(collection, manager, 5, lead_pipeline, deal_pipeline)
    api.get(url)  # the token's "last used" mark and cached content types
    few = _queries(api, url)
    _add(collection, manager, 20, lead_pipeline, deal_pipeline)
    many = _queries(api, url)
    assert len(api.get(url).json()["results"]) == 25
    assert few == many
    assert many == QUERIES[collection]
