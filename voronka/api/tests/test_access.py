"""The permission matrix through the API: what each role sees (404 for a card it may not
see, on the card and on every command URL), what it may change (403), hidden fields left out
of answers, read-only fields refused."""

import pytest

from voronka.access.models import Action, Entity, FieldAccess, FieldRule, Role, Scope
from voronka.access.tests.factories import role_with
from voronka.api.tests.conftest import client_for, errors_of, stage
from voronka.contacts.tests.factories import BankAccountFactory, CompanyFactory, ContactFactory
from voronka.sales.tests.factories import DealFactory, LeadFactory
from voronka.staff.tests.factories import DepartmentFactory, UserFactory
from voronka.tasks.tests.factories import TaskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def stranger(db):
    return UserFactory(username="stranger", department=DepartmentFactory(name="Закупки"))


def system_role(code: str, *members) -> Role:
    role = Role.objects.get(code=code)
    role.members.add(*members)
    return role


def ids(response) -> set[int]:
    assert response.status_code == 200, response.json()
    return {row["id"] for row in response.json()["results"]}


class TestWhoSeesWhat:
    def test_manager_sees_own_cards_only(self, manager, other_manager, stranger, deal_pipeline):
        own = DealFactory(responsible=manager, pipeline=deal_pipeline)
        colleague = DealFactory(responsible=other_manager, pipeline=deal_pipeline)
        foreign = DealFactory(responsible=stranger, pipeline=deal_pipeline)
        api = client_for(manager)
        assert ids(api.get("/api/v1/deals/")) == {own.pk}
        assert api.get(f"/api/v1/deals/{own.pk}/").status_code == 200
        assert api.get(f"/api/v1/deals/{colleague.pk}/").status_code == 404
        assert api.get(f"/api/v1/deals/{foreign.pk}/").status_code == 404

    def test_head_sees_the_department(self, head, manager, stranger, lead_pipeline):
        system_role("head", head)
        new = stage(lead_pipeline, "new")
        theirs = LeadFactory(responsible=manager, stage=new)
        foreign = LeadFactory(responsible=stranger, stage=new)
        api = client_for(head)
        assert ids(api.get("/api/v1/leads/")) == {theirs.pk}
        assert api.get(f"/api/v1/leads/{theirs.pk}/").status_code == 200
        assert api.get(f"/api/v1/leads/{foreign.pk}/").status_code == 404

    def test_administrator_sees_everything(self, admin_user, manager, stranger):
        ContactFactory(responsible=manager)
        ContactFactory(responsible=stranger)
        assert len(ids(client_for(admin_user).get("/api/v1/contacts/"))) == 2

    def test_contacts_companies_and_tasks_follow_the_same_rule(self, manager, stranger):
        api = client_for(manager)
        for factory, path in (
            (ContactFactory, "contacts"),
            (CompanyFactory, "companies"),
        ):
            own = factory(responsible=manager, created_by=manager)
            foreign = factory(responsible=stranger, created_by=stranger)
            assert ids(api.get(f"/api/v1/{path}/")) == {own.pk}
            assert api.get(f"/api/v1/{path}/{foreign.pk}/").status_code == 404
        own_task = TaskFactory(responsible=manager)
        foreign_task = TaskFactory(responsible=stranger)
        assert ids(api.get("/api/v1/tasks/")) == {own_task.pk}
        assert api.get(f"/api/v1/tasks/{foreign_task.pk}/").status_code == 404


HIDDEN_CARD_URLS = [
    ("deals", "get", ""),
    ("deals", "patch", ""),
    ("deals", "delete", ""),
    ("deals", "post", "move/"),
    ("deals", "post", "win/"),
    ("deals", "post", "lose/"),
    ("deals", "get", "product-rows/"),
    ("deals", "put", "product-rows/"),
    ("deals", "get", "timeline/"),
    ("deals", "post", "comments/"),
    ("deals", "get", "activities/"),
    ("deals", "post", "activities/"),
    ("leads", "get", ""),
    ("leads", "patch", ""),
    ("leads", "delete", ""),
    ("leads", "post", "move/"),
    ("leads", "post", "convert/"),
    ("leads", "get", "product-rows/"),
    ("leads", "get", "timeline/"),
    ("leads", "post", "comments/"),
    ("contacts", "get", ""),
    ("contacts", "patch", ""),
    ("contacts", "delete", ""),
    ("contacts", "post", "link-company/"),
    ("contacts", "post", "unlink-company/"),
    ("contacts", "get", "timeline/"),
    ("companies", "get", ""),
    ("companies", "patch", ""),
    ("companies", "delete", ""),
    ("companies", "post", "comments/"),
    ("tasks", "get", ""),
    ("tasks", "patch", ""),
    ("tasks", "delete", ""),
    ("tasks", "post", "status/"),
    ("tasks", "post", "deadline/"),
    ("tasks", "post", "comments/"),
]


@pytest.mark.parametrize(("collection", "method", "suffix"), HIDDEN_CARD_URLS)
def test_a_card_of_another_department_is_404_everywhere(
    collection, method, suffix, manager, stranger, lead_pipeline, deal_pipeline
):
    cards = {
        "deals": lambda: DealFactory(responsible=stranger, pipeline=deal_pipeline),
        "leads": lambda: LeadFactory(responsible=stranger, stage=stage(lead_pipeline, "new")),
        "contacts": lambda: ContactFactory(responsible=stranger, created_by=stranger),
        "companies": lambda: CompanyFactory(responsible=stranger, created_by=stranger),
        "tasks": lambda: TaskFactory(responsible=stranger),
    }
    card = cards[collection]()
    response = getattr(client_for(manager), method)(
        f"/api/v1/{collection}/{card.pk}/{suffix}", {}, format="json"
    )
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


class TestWhoChangesWhat:
    def test_a_visible_card_without_the_right_to_change_it_is_403(
        self, manager, other_manager, deal_pipeline
    ):
        role_with(
            (Entity.DEAL, Action.READ, Scope.DEPARTMENT),
            (Entity.DEAL, Action.UPDATE, Scope.OWN),
            members=[manager],
        )
        deal = DealFactory(responsible=other_manager, pipeline=deal_pipeline, title="Чужая")
        api = client_for(manager)
        assert api.get(f"/api/v1/deals/{deal.pk}/").status_code == 200
        response = api.patch(f"/api/v1/deals/{deal.pk}/", {"title": "Моя"}, format="json")
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"
        assert api.post(f"/api/v1/deals/{deal.pk}/win/", {}, format="json").status_code == 403
        comment = api.post(f"/api/v1/deals/{deal.pk}/comments/", {"text": "!"}, format="json")
        assert comment.status_code == 403
        assert api.delete(f"/api/v1/deals/{deal.pk}/").status_code == 403
        deal.refresh_from_db()
        assert deal.title == "Чужая" and not deal.is_deleted

    def test_creating_without_the_right_to_add_is_403(self, manager, deal_pipeline):
        role_with((Entity.DEAL, Action.READ, Scope.OWN), members=[manager])
        response = client_for(manager).post("/api/v1/deals/", {"title": "x"}, format="json")
        assert response.status_code == 403

    def test_linking_a_company_the_caller_cannot_see_reads_as_missing(
        self, manager, stranger, deal_pipeline
    ):
        hidden = CompanyFactory(responsible=stranger, created_by=stranger)
        response = client_for(manager).post(
            "/api/v1/deals/", {"title": "x", "company": hidden.pk}, format="json"
        )
        assert response.status_code == 400
        assert "company" in errors_of(response)


class TestFieldRules:
    def test_a_hidden_field_is_left_out(self, manager, deal_pipeline):
        role = Role.objects.get(code="manager")
        FieldRule.objects.create(
            role=role, entity=Entity.DEAL, field="amount", access=FieldAccess.HIDDEN
        )
        deal = DealFactory(responsible=manager, pipeline=deal_pipeline, amount=1000)
        api = client_for(manager)
        assert "amount" not in api.get(f"/api/v1/deals/{deal.pk}/").json()
        assert "amount" not in api.get("/api/v1/deals/").json()["results"][0]
        assert "amount" not in api.get("/api/v1/deals/?fields=amount,title").json()["results"][0]

    def test_a_hidden_custom_field_is_left_out(self, manager, deal_pipeline):
        FieldRule.objects.create(
            role=Role.objects.get(code="manager"),
            entity=Entity.DEAL,
            field="margin",
            access=FieldAccess.HIDDEN,
        )
        deal = DealFactory(
            responsible=manager,
            pipeline=deal_pipeline,
            custom_fields={"margin": 30, "region": "Урал"},
        )
        body = client_for(manager).get(f"/api/v1/deals/{deal.pk}/").json()
        assert body["custom_fields"] == {"region": "Урал"}

    def test_a_read_only_field_is_refused(self, manager, deal_pipeline):
        FieldRule.objects.create(
            role=Role.objects.get(code="manager"),
            entity=Entity.DEAL,
            field="amount",
            access=FieldAccess.READ_ONLY,
        )
        deal = DealFactory(responsible=manager, pipeline=deal_pipeline, amount=1000)
        api = client_for(manager)
        assert api.get(f"/api/v1/deals/{deal.pk}/").json()["amount"] == "1000.00"
        refused = api.patch(f"/api/v1/deals/{deal.pk}/", {"amount": "1"}, format="json")
        assert refused.status_code == 403
        allowed = api.patch(f"/api/v1/deals/{deal.pk}/", {"title": "Новое"}, format="json")
        assert allowed.status_code == 200
        deal.refresh_from_db()
        assert deal.amount == 1000

    def test_operators_see_no_bank_accounts(self, manager):
        system_role("operator", manager)
        company = CompanyFactory(responsible=manager, created_by=manager)
        BankAccountFactory(company=company)
        body = client_for(manager).get(f"/api/v1/companies/{company.pk}/")
        assert body.status_code == 200
        assert "bank_accounts" not in body.json()


def test_changes_of_a_hidden_field_stay_out_of_the_feed(manager, deal_pipeline):
    from voronka.sales.services import deal_update

    deal = DealFactory(responsible=manager, pipeline=deal_pipeline, amount=1000)
    deal_update(actor=None, deal=deal, data={"amount": "2000", "title": "Новое"})
    FieldRule.objects.create(
        role=Role.objects.get(code="manager"),
        entity=Entity.DEAL,
        field="amount",
        access=FieldAccess.HIDDEN,
    )
    feed = client_for(manager).get(f"/api/v1/deals/{deal.pk}/timeline/").json()["results"]
    fields = [entry["payload"].get("field") for entry in feed if entry["kind"] == "field_changed"]
    assert fields == ["title"]


def test_a_hidden_field_cannot_order_the_list(manager, deal_pipeline):
    FieldRule.objects.create(
        role=Role.objects.get(code="manager"),
        entity=Entity.DEAL,
        field="amount",
        access=FieldAccess.HIDDEN,
    )
    rich = DealFactory(responsible=manager, pipeline=deal_pipeline, amount=500)
    poor = DealFactory(responsible=manager, pipeline=deal_pipeline, amount=100)
    rows = client_for(manager).get("/api/v1/deals/?ordering=-amount").json()["results"]
    assert [row["id"] for row in rows] == [poor.pk, rich.pk]
