"""The lead conversion dialog: deals in chosen pipelines, a new or matched contact and company."""

import pytest
from django.urls import reverse

from voronka.contacts.tests.factories import ContactFactory, PhoneFactory
from voronka.sales.models import Deal, Lead
from voronka.sales.services import lead_create, product_rows_set
from voronka.sales.tests.factories import PipelineFactory
from voronka.timeline.models import EntryKind, TimelineEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(manager, lead_pipeline, deal_pipeline):
    return lead_create(
        actor=manager,
        data={
            "last_name": "Орлова",
            "first_name": "Мария",
            "company_title": "ООО «Север»",
            "amount": "50000",
        },
        communications=[{"kind": "phone", "value": "+7 913 111-22-33"}],
    )


def url(lead):
    return reverse("sales:lead_convert", args=[lead.pk])


def test_dialog_offers_pipelines_and_suggests_the_contact_with_the_same_phone(
    client, manager, lead, deal_pipeline
):
    known = ContactFactory(last_name="Орлова", first_name="Мария", responsible=manager)
    PhoneFactory(card=known, value="8 (913) 111-22-33", value_normalized="+79131112233")
    client.force_login(manager)
    response = client.get(url(lead), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="modal"' in html and str(deal_pipeline) in html
    assert f'name="contact" value="{known.pk}"' in html
    assert "Create a new company" in html and "ООО «Север»" in html
    assert 'name="amount" value="50 000"' in html


@pytest.mark.parametrize(
    ("language", "amount", "typed"),
    [("ru", "48500.50", "48 500,50"), ("en", "48500.50", "48 500.50")],
)
def test_the_prefilled_amount_reads_as_typed_and_is_accepted_as_shown(
    client, manager, lead_pipeline, deal_pipeline, language, amount, typed
):
    lead = lead_create(actor=manager, data={"last_name": "Орлова", "amount": amount})
    client.force_login(manager)
    client.cookies["django_language"] = language
    html = client.get(url(lead), HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE=language)
    assert f'name="amount" value="{typed}"' in html.content.decode()

    response = client.post(
        url(lead),
        {
            "version": lead.version,
            "pipelines": [deal_pipeline.pk],
            "title": "Орлова",
            "amount": typed,
            "contact": "none",
            "company": "none",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200, response.content.decode()[:500]
    assert str(Deal.objects.get().amount) == amount


def test_direct_visit_is_a_page(client, manager, lead):
    client.force_login(manager)
    html = client.get(url(lead)).content.decode()
    assert "<html" in html and "Back to the lead" in html


def test_conversion_into_two_pipelines_creates_contact_and_company(
    client, manager, lead, deal_pipeline
):
    support = PipelineFactory.with_stages(name="Сопровождение")
    client.force_login(manager)
    response = client.post(
        url(lead),
        {
            "pipelines": [deal_pipeline.pk, support.pk],
            "title": "Север — поставка",
            "amount": "60 000",
            "contact": "new",
            "company": "new",
            "version": lead.version,
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200, response.content.decode()
    deals = list(Deal.objects.filter(lead=lead).order_by("pk"))
    assert {deal.pipeline_id for deal in deals} == {deal_pipeline.pk, support.pk}
    assert all(deal.title == "Север — поставка" and deal.amount == 60000 for deal in deals)
    assert response["HX-Redirect"] == reverse("sales:deal_detail", args=[deals[0].pk])
    lead.refresh_from_db()
    assert lead.converted_at is not None
    assert lead.contact.last_name == "Орлова" and lead.company.title == "ООО «Север»"
    assert all(lead.contact in deal.contacts.all() for deal in deals)
    assert TimelineEntry.objects.filter(kind=EntryKind.CONVERTED, card_id=lead.pk).exists()


def test_conversion_matches_an_existing_contact(client, manager, lead, deal_pipeline):
    known = ContactFactory(last_name="Орлова", responsible=manager)
    client.force_login(manager)
    response = client.post(
        url(lead),
        {
            "pipelines": [deal_pipeline.pk],
            "contact": "other",
            "contact_other": known.pk,
            "company": "none",
            "version": lead.version,
        },
    )
    assert response.status_code == 302
    deal = Deal.objects.get(lead=lead)
    assert list(deal.contacts.all()) == [known]
    assert deal.company is None
    assert Lead.objects.get(pk=lead.pk).contact == known
    assert deal.amount == 50000 and deal.title == lead.title


def test_no_pipeline_is_422_and_nothing_converted(client, manager, lead):
    client.force_login(manager)
    response = client.post(url(lead), {"contact": "new", "company": "new"})
    assert response.status_code == 422
    assert "Choose at least one pipeline." in response.content.decode()
    assert not Deal.objects.exists()
    assert Lead.objects.get(pk=lead.pk).converted_at is None


def test_service_errors_are_shown_in_the_dialog(client, manager, lead, deal_pipeline):
    product_rows_set(actor=manager, card=lead, rows=[{"name": "Работа", "price": "100"}])
    lead = Lead.objects.get(pk=lead.pk)
    client.force_login(manager)
    first = client.post(
        url(lead),
        {"pipelines": [deal_pipeline.pk], "contact": "none", "company": "none"},
    )
    assert first.status_code == 302
    again = client.post(
        url(lead),
        {"pipelines": [deal_pipeline.pk], "contact": "none", "company": "none"},
        HTTP_HX_REQUEST="true",
    )
    assert again.status_code == 422
    assert "This lead is already converted." in again.content.decode()
    assert Deal.objects.count() == 1


def test_stale_version_is_refused(client, manager, lead, deal_pipeline):
    client.force_login(manager)
    response = client.post(
        url(lead),
        {
            "pipelines": [deal_pipeline.pk],
            "contact": "none",
            "company": "none",
            "version": lead.version - 1,
        },
    )
    assert response.status_code == 422
    assert "changed by someone else" in response.content.decode()
    assert not Deal.objects.exists()


def test_missing_lead_is_404_and_anonymous_goes_to_login(client, manager, lead):
    response = client.get(url(lead))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(manager)
    assert client.get(reverse("sales:lead_convert", args=[999999])).status_code == 404
