"""Leads and deals through the API: CRUD, commands (move, win, lose, convert), product rows,
the shared filters, ordering, cursor pages and the shape of each error."""

import pytest

from voronka.api.tests.conftest import errors_of, stage
from voronka.contacts.tests.factories import ContactFactory
from voronka.sales.models import Deal, Lead, StageKind
from voronka.sales.tests.factories import (
    DealFactory,
    LeadFactory,
    LossReasonFactory,
    ProductFactory,
)
from voronka.timeline.models import EntryKind, TimelineEntry

pytestmark = pytest.mark.django_db


def test_lead_created_through_the_service_with_its_phone(api, manager, lead_pipeline):
    response = api.post(
        "/api/v1/leads/",
        {
            "last_name": "Петров",
            "first_name": "Иван",
            "amount": "1500",
            "communications": [{"kind": "phone", "value": "8 (912) 345-67-89"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    lead = Lead.objects.get(pk=body["id"])
    assert body["title"] == "Петров Иван" == lead.title
    assert body["amount"] == "1500.00"
    assert body["responsible"] == manager.pk
    assert body["stage"] == stage(lead_pipeline, "new").pk
    assert body["communications"][0]["kind"] == "phone"
    assert TimelineEntry.objects.filter(card_id=lead.pk, kind=EntryKind.CREATED).exists()


def test_invalid_values_are_named_by_field(api, lead_pipeline):
    response = api.post(
        "/api/v1/leads/",
        {"title": "Заявка", "amount": "-5", "communications": [{"kind": "fax", "value": "1"}]},
        format="json",
    )
    assert response.status_code == 400
    errors = errors_of(response)
    assert "communications.0.kind" in errors


def test_errors_come_back_in_the_callers_language(api, manager, lead_pipeline):
    lead = LeadFactory(responsible=manager, stage=stage(lead_pipeline, "new"))
    url = f"/api/v1/leads/{lead.pk}/move/"
    lost = {"stage": stage(lead_pipeline, "lost").pk}
    response = api.post(url, lost, format="json", HTTP_ACCEPT_LANGUAGE="ru")
    assert errors_of(response)["loss_reason"][0].startswith("Чтобы перевести")
    response = api.post(url, {}, format="json", HTTP_ACCEPT_LANGUAGE="ru")
    assert errors_of(response)["stage"] == ["Обязательное поле."]
    # Without the header, the employee's own language.
    manager.language = "ru"
    manager.save(update_fields=["language"])
    response = api.post(url, lost, format="json")
    assert errors_of(response)["loss_reason"][0].startswith("Чтобы перевести")


def test_lead_list_uses_the_ui_filters_and_orders(api, manager, lead_pipeline):
    first = LeadFactory(
        responsible=manager, title="Окна", amount=100, stage=stage(lead_pipeline, "new")
    )
    LeadFactory(responsible=manager, title="Двери", amount=500, stage=stage(lead_pipeline, "new"))
    response = api.get("/api/v1/leads/", {"q": "Окна"})
    assert [row["id"] for row in response.json()["results"]] == [first.pk]
    response = api.get("/api/v1/leads/", {"ordering": "-amount", "fields": "title"})
    rows = response.json()["results"]
    assert [row["title"] for row in rows] == ["Двери", "Окна"]
    assert set(rows[0]) == {"id", "title"}
    response = api.get("/api/v1/leads/", {"amount_min": "abc"})
    assert response.status_code == 400
    assert errors_of(response)


def test_cursor_pages_walk_every_lead_once(api, manager, lead_pipeline):
    ids = {LeadFactory(responsible=manager, stage=stage(lead_pipeline, "new")).pk for _ in range(5)}
    seen: list[int] = []
    url = "/api/v1/leads/?limit=2"
    while url:
        body = api.get(url).json()
        assert "count" not in body
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert sorted(seen) == sorted(ids)


def test_lead_update_and_stale_version(api, manager, lead_pipeline):
    lead = LeadFactory(responsible=manager, stage=stage(lead_pipeline, "new"))
    response = api.patch(
        f"/api/v1/leads/{lead.pk}/", {"title": "Новое", "version": lead.version}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["title"] == "Новое"
    assert response.json()["version"] == lead.version + 1
    stale = api.patch(
        f"/api/v1/leads/{lead.pk}/", {"title": "Старое", "version": lead.version}, format="json"
    )
    assert stale.status_code == 409
    assert stale.json()["code"] == "conflict"
    assert stale.json()["current_version"] == lead.version + 1
    refused = api.patch(f"/api/v1/leads/{lead.pk}/", {"stage": lead.stage_id + 1}, format="json")
    assert refused.status_code == 400
    assert "stage" in errors_of(refused)


def test_lead_moves_and_a_lost_stage_needs_a_reason(api, manager, lead_pipeline):
    lead = LeadFactory(responsible=manager, stage=stage(lead_pipeline, "new"))
    lost = stage(lead_pipeline, "lost")
    response = api.post(f"/api/v1/leads/{lead.pk}/move/", {"stage": lost.pk}, format="json")
    assert response.status_code == 400
    assert "loss_reason" in errors_of(response)
    reason = LossReasonFactory()
    response = api.post(
        f"/api/v1/leads/{lead.pk}/move/",
        {"stage": lost.pk, "loss_reason": reason.pk, "loss_comment": "Дорого"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["stage"] == lost.pk
    assert response.json()["loss_reason"] == reason.pk


def test_lead_converted_into_contact_and_deal(api, manager, lead_pipeline, deal_pipeline):
    lead = LeadFactory(responsible=manager, stage=stage(lead_pipeline, "new"), amount=900)
    response = api.post(
        f"/api/v1/leads/{lead.pk}/convert/", {"pipelines": [deal_pipeline.pk]}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    deal = Deal.objects.get(pk=body["deals"][0])
    assert deal.lead_id == lead.pk
    assert deal.amount == 900
    assert body["contact"] is not None
    lead.refresh_from_db()
    assert lead.converted_at is not None
    again = api.post(f"/api/v1/leads/{lead.pk}/convert/", {}, format="json")
    assert again.status_code == 400


def test_deal_created_with_contacts_and_product_rows(api, manager, deal_pipeline):
    contact = ContactFactory(responsible=manager)
    product = ProductFactory(price=100, vat_rate=20, vat_included=True)
    response = api.post(
        "/api/v1/deals/",
        {
            "title": "Поставка",
            "contacts": [{"contact": contact.pk}],
            "product_rows": [{"product": product.pk, "quantity": "3"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["pipeline"] == deal_pipeline.pk
    assert body["contacts"] == [{"contact": contact.pk, "is_primary": True}]
    assert body["amount"] == "300.00"
    rows = api.get(f"/api/v1/deals/{body['id']}/product-rows/").json()
    assert rows[0]["quantity"] == "3.000"


def test_deal_product_rows_replaced(api, manager, deal_pipeline):
    deal = DealFactory(responsible=manager, pipeline=deal_pipeline)
    response = api.put(
        f"/api/v1/deals/{deal.pk}/product-rows/",
        {"rows": [{"name": "Монтаж", "price": "2500", "quantity": "2"}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()[0]["subtotal"] == "5000.00"
    deal.refresh_from_db()
    assert deal.amount == 5000


def test_deal_won_and_lost(api, manager, deal_pipeline):
    won = DealFactory(responsible=manager, pipeline=deal_pipeline)
    response = api.post(f"/api/v1/deals/{won.pk}/win/", {}, format="json")
    assert response.status_code == 200
    assert response.json()["stage"] == deal_pipeline.stages.get(kind=StageKind.WON).pk
    assert response.json()["closed_at"] is not None
    lost = DealFactory(responsible=manager, pipeline=deal_pipeline)
    assert api.post(f"/api/v1/deals/{lost.pk}/lose/", {}, format="json").status_code == 400
    reason = LossReasonFactory()
    response = api.post(f"/api/v1/deals/{lost.pk}/lose/", {"loss_reason": reason.pk}, format="json")
    assert response.status_code == 200
    assert response.json()["loss_reason"] == reason.pk


def test_deal_moved_to_another_pipeline(api, manager, deal_pipeline):
    from voronka.sales.tests.factories import PipelineFactory

    other = PipelineFactory.with_stages()
    deal = DealFactory(responsible=manager, pipeline=deal_pipeline)
    response = api.post(
        f"/api/v1/deals/{deal.pk}/move/",
        {"pipeline": other.pk, "stage": stage(other, "in_progress").pk},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["pipeline"] == other.pk
    wrong = api.post(
        f"/api/v1/deals/{deal.pk}/move/", {"stage": stage(deal_pipeline, "new").pk}, format="json"
    )
    assert wrong.status_code == 400
    assert "stage" in errors_of(wrong)


def test_deleted_deal_goes_to_the_recycle_bin(api, manager, deal_pipeline):
    deal = DealFactory(responsible=manager, pipeline=deal_pipeline)
    assert api.delete(f"/api/v1/deals/{deal.pk}/").status_code == 204
    assert Deal.all_objects.get(pk=deal.pk).is_deleted
    assert api.get(f"/api/v1/deals/{deal.pk}/").status_code == 404


def test_comments_and_activities_on_a_deal(api, manager, deal_pipeline):
    deal = DealFactory(responsible=manager, pipeline=deal_pipeline)
    response = api.post(f"/api/v1/deals/{deal.pk}/comments/", {"text": "Позвонил"}, format="json")
    assert response.status_code == 201
    assert response.json()["kind"] == EntryKind.COMMENT
    assert (
        api.post(f"/api/v1/deals/{deal.pk}/comments/", {"text": " "}, format="json").status_code
        == 400
    )
    response = api.post(
        f"/api/v1/deals/{deal.pk}/activities/",
        {"kind": "call", "subject": "Перезвонить"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    activity_id = response.json()["id"]
    assert response.json()["responsible"] == manager.pk
    done = api.post(
        f"/api/v1/deals/{deal.pk}/activities/{activity_id}/complete/",
        {"result": "Договорились"},
        format="json",
    )
    assert done.status_code == 200
    assert done.json()["completed_at"] is not None
    feed = api.get(f"/api/v1/deals/{deal.pk}/timeline/").json()["results"]
    assert [entry["kind"] for entry in feed][:3] == ["activity_done", "activity", "comment"]


def test_reference_lists(api, deal_pipeline):
    LossReasonFactory(name="Дорого")
    pipelines = api.get("/api/v1/pipelines/").json()["results"]
    assert [len(p["stages"]) for p in pipelines if p["id"] == deal_pipeline.pk] == [4]
    assert api.get("/api/v1/loss-reasons/").json()["results"][0]["name"] == "Дорого"
    assert api.get("/api/v1/stages/").status_code == 200
    for name in ("users", "departments", "sources", "custom-fields", "products"):
        assert api.get(f"/api/v1/{name}/").status_code == 200


def test_a_move_fills_required_contacts_in_the_same_step(
    api, manager, deal_pipeline, stranger_contact
):
    target = stage(deal_pipeline, "in_progress")
    target.required_fields = ["contacts"]
    target.save(update_fields=["required_fields"])
    deal = DealFactory(responsible=manager, pipeline=deal_pipeline)
    url = f"/api/v1/deals/{deal.pk}/move/"
    missing = api.post(url, {"stage": target.pk}, format="json")
    assert "contacts" in errors_of(missing)
    hidden = api.post(
        url, {"stage": target.pk, "data": {"contacts": [stranger_contact.pk]}}, format="json"
    )
    assert "data.contacts" in errors_of(hidden)
    contact = ContactFactory(responsible=manager)
    moved = api.post(url, {"stage": target.pk, "data": {"contacts": [contact.pk]}}, format="json")
    assert moved.status_code == 200, moved.json()
    assert moved.json()["contacts"] == [{"contact": contact.pk, "is_primary": True}]


@pytest.fixture
def stranger_contact(db):
    from voronka.staff.tests.factories import DepartmentFactory, UserFactory

    stranger = UserFactory(username="stranger", department=DepartmentFactory(name="Закупки"))
    return ContactFactory(responsible=stranger, created_by=stranger)
