"""Access rights on every lead and deal URL that takes a card id, per-pipeline rights, field
rules (hidden and read-only amounts), services refusing writes and lead conversion."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from voronka.access.models import Action, Entity, FieldAccess, FieldRule, Role, Scope
from voronka.access.predicates import forget_rights
from voronka.access.tests.factories import role_with
from voronka.contacts.tests.factories import CompanyFactory, ContactFactory
from voronka.sales.models import Deal, Lead, PipelineEntity
from voronka.sales.selectors.boards import deal_board, pipelines_summary
from voronka.sales.selectors.lists import deals_by_ids
from voronka.sales.services import (
    deal_change_pipeline,
    deal_create,
    deal_delete,
    deal_move_to_stage,
    deal_restore,
    deal_update,
    lead_convert,
    lead_create,
    lead_delete,
    lead_update,
    product_rows_set,
)
from voronka.sales.tests.factories import PipelineFactory, stage_of
from voronka.staff.tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def stranger(db):
    """An employee of another department (a Manager: own cards only)."""
    return UserFactory(username="stranger", department=DepartmentFactory(name="Закупки"))


@pytest.fixture
def foreign_deal(stranger, deal_pipeline):
    return deal_create(actor=stranger, data={"title": "Чужая сделка", "amount": "5000"})


@pytest.fixture
def foreign_lead(stranger, lead_pipeline):
    return lead_create(actor=stranger, data={"title": "Чужой лид", "amount": "700"})


def card_urls(entity: str, card) -> list[tuple[str, str, dict]]:
    """Every URL taking the card's id: (method, url, data)."""
    pk = card.pk
    urls = [
        ("get", reverse(f"sales:{entity}_detail", args=[pk]), {}),
        ("post", reverse(f"sales:{entity}_move", args=[pk]), {"stage": card.stage_id}),
        ("post", reverse(f"sales:{entity}_delete", args=[pk]), {}),
    ]
    for section in ("title", "main", "products", "utm", "related", "custom-additional"):
        url = reverse(f"sales:{entity}_section", args=[pk, section])
        urls += [("get", url, {}), ("get", url + "?edit=1", {}), ("post", url, {"title": "x"})]
    client_section = "client" if entity == "deal" else "person"
    url = reverse(f"sales:{entity}_section", args=[pk, client_section])
    urls += [("get", url, {}), ("post", url, {})]
    if entity == "lead":
        convert = reverse("sales:lead_convert", args=[pk])
        urls += [("get", convert, {}), ("post", convert, {})]
    return urls


@pytest.mark.parametrize("entity", ["deal", "lead"])
def test_a_card_of_another_department_is_404_on_every_url_taking_its_id(
    client, manager, entity, foreign_deal, foreign_lead
):
    card = foreign_deal if entity == "deal" else foreign_lead
    version = card.version
    client.force_login(manager)
    for method, url, data in card_urls(entity, card):
        response = getattr(client, method)(url, data, headers=HTMX)
        assert response.status_code == 404, (method, url, response.status_code)
    model = Deal if entity == "deal" else Lead
    assert model.objects.get(pk=card.pk).version == version


@pytest.mark.parametrize("entity", ["deal", "lead"])
def test_a_card_seen_but_not_changeable_answers_403_to_writes_and_shows_no_controls(
    client, manager, entity, foreign_deal, foreign_lead
):
    role_with((entity, Action.READ, Scope.ALL), members=[manager])
    card = foreign_deal if entity == "deal" else foreign_lead
    client.force_login(manager)
    page = client.get(reverse(f"sales:{entity}_detail", args=[card.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "section-edit" not in html and "✎" not in html
    assert "hx-post" not in html.split('id="timeline"')[0]  # no stage moves, no delete
    assert page.context["card_editable"] is False and page.context["delete_url"] is None
    for method, url, data in card_urls(entity, card):
        if method == "post":
            response = client.post(url, data, headers=HTMX)
            assert response.status_code in (403, 404), (url, response.status_code)
            if "sections/utm" not in url and "sections/related" not in url:
                assert response.status_code == 403, (url, response.status_code)
    edit = client.get(reverse(f"sales:{entity}_section", args=[card.pk, "main"]) + "?edit=1")
    assert "<form" not in edit.content.decode()


def test_a_head_with_the_head_role_sees_and_changes_the_departments_cards(
    client, head, manager, deal_pipeline
):
    Role.objects.get(code="head").members.add(head)
    deal = deal_create(actor=manager, data={"title": "Сделка менеджера", "amount": "300"})
    client.force_login(head)
    assert client.get(reverse("sales:deal_detail", args=[deal.pk])).status_code == 200
    board = client.get(reverse("sales:deal_board", args=[deal_pipeline.pk]))
    assert f'id="deal-card-{deal.pk}"' in board.content.decode()
    target = deal_pipeline.stages.exclude(pk=deal.stage_id).filter(kind="open").first()
    moved = client.post(reverse("sales:deal_move", args=[deal.pk]), {"stage": target.pk})
    assert moved.status_code == 200


def test_lists_boards_totals_and_home_leave_out_other_departments_cards(
    client, manager, foreign_deal, foreign_lead, deal_pipeline, lead_pipeline
):
    own = deal_create(actor=manager, data={"title": "Своя сделка", "amount": "100"})
    client.force_login(manager)
    listing = client.get(reverse("sales:deal_list")).content.decode()
    assert "Своя сделка" in listing and "Чужая сделка" not in listing
    assert "Чужой лид" not in client.get(reverse("sales:lead_list")).content.decode()
    board = client.get(reverse("sales:deal_board", args=[deal_pipeline.pk]))
    column = next(c for c in board.context["open_columns"] if c.stage.pk == own.stage_id)
    assert (column.count, column.sums) == (1, {"RUB": Decimal("100.00")})
    summary = {s.pipeline.pk: s for s in pipelines_summary(user=manager)}
    assert sum(c.count for c in summary[deal_pipeline.pk].columns) == 1
    assert sum(c.count for c in summary[lead_pipeline.pk].columns) == 0
    export = client.get(reverse("sales:deal_export", args=["csv"]))
    text = b"".join(export.streaming_content).decode()
    assert "Своя сделка" in text and "Чужая сделка" not in text


def test_bulk_actions_reach_only_the_cards_the_user_may_change(
    client, manager, foreign_deal, deal_pipeline
):
    own = deal_create(actor=manager, data={"title": "Своя"})
    role_with(
        (Entity.DEAL, Action.READ, Scope.ALL),
        (Entity.DEAL, Action.UPDATE, Scope.OWN),
        (Entity.DEAL, Action.DELETE, Scope.OWN),
        members=[manager],
    )
    forget_rights(manager)
    assert deals_by_ids(user=manager, ids=[own.pk, foreign_deal.pk]) == [own]
    client.force_login(manager)
    response = client.post(
        reverse("sales:deal_bulk"),
        {"action": "delete", "ids": [own.pk, foreign_deal.pk], "confirmed": "1"},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert not Deal.objects.filter(pk=own.pk).exists()
    assert Deal.objects.filter(pk=foreign_deal.pk).exists()


# --- services ------------------------------------------------------------------------------
def test_services_refuse_writes_outside_the_users_scope(manager, foreign_deal, foreign_lead):
    with pytest.raises(PermissionDenied):
        deal_update(actor=manager, deal=foreign_deal, data={"title": "x"})
    with pytest.raises(PermissionDenied):
        lead_update(actor=manager, lead=foreign_lead, data={"title": "x"})
    stage = foreign_deal.pipeline.stages.exclude(pk=foreign_deal.stage_id).first()
    with pytest.raises(PermissionDenied):
        deal_move_to_stage(actor=manager, deal=foreign_deal, stage=stage)
    with pytest.raises(PermissionDenied):
        product_rows_set(actor=manager, card=foreign_deal, rows=[])
    with pytest.raises(PermissionDenied):
        deal_delete(actor=manager, deal=foreign_deal)
    with pytest.raises(PermissionDenied):
        lead_delete(actor=manager, lead=foreign_lead)
    foreign_deal.refresh_from_db()
    assert foreign_deal.title == "Чужая сделка" and foreign_deal.deleted_at is None


def test_restore_needs_the_right_to_delete(manager, stranger, foreign_deal):
    deal_delete(actor=stranger, deal=foreign_deal)
    gone = Deal.all_objects.get(pk=foreign_deal.pk)
    with pytest.raises(PermissionDenied):
        deal_restore(actor=manager, deal=gone)
    deal_restore(actor=stranger, deal=gone)


def test_creating_needs_the_right_to_add(manager, deal_pipeline):
    role_with((Entity.DEAL, Action.READ, Scope.ALL), members=[manager])
    with pytest.raises(PermissionDenied):
        deal_create(actor=manager, data={"title": "x"})
    assert not Deal.objects.exists()


def test_linking_a_company_or_contact_the_user_does_not_see_is_refused(
    manager, stranger, deal_pipeline
):
    deal = deal_create(actor=manager, data={"title": "Своя"})
    hidden_company = CompanyFactory(responsible=stranger)
    hidden_contact = ContactFactory(responsible=stranger)
    with pytest.raises(PermissionDenied):
        deal_update(actor=manager, deal=deal, data={"company": hidden_company})
    with pytest.raises(PermissionDenied):
        deal_update(actor=manager, deal=deal, data={}, contacts=[hidden_contact])


# --- per-pipeline rights ---------------------------------------------------------------------
def test_a_pipeline_closed_by_the_role_has_no_board_tab_deals_or_move_targets(
    client, manager, deal_pipeline
):
    closed = PipelineFactory.with_stages(name="Тендеры")
    secret = deal_create(actor=manager, data={"title": "Тендер", "pipeline": closed})
    open_deal = deal_create(actor=manager, data={"title": "Обычная"})
    role_with(
        *((Entity.DEAL, action, Scope.OWN) for action in Action.values),
        *((Entity.DEAL, action, Scope.NONE, closed) for action in Action.values),
        members=[manager],
    )
    forget_rights(manager)  # read before the role was given
    client.force_login(manager)
    assert client.get(reverse("sales:deal_board", args=[closed.pk])).status_code == 404
    board = client.get(reverse("sales:deal_board", args=[deal_pipeline.pk]))
    assert "Тендеры" not in board.content.decode()
    column = reverse("sales:deal_board_column", args=[stage_of(closed, "new").pk])
    assert client.get(column).status_code == 404
    assert client.get(reverse("sales:deal_detail", args=[secret.pk])).status_code == 404
    listing = client.get(reverse("sales:deal_list")).content.decode()
    assert "Обычная" in listing and "Тендер<" not in listing
    dialog = client.get(
        reverse("sales:deal_bulk"), {"action": "move", "ids": [open_deal.pk]}, headers=HTMX
    )
    assert "Тендеры" not in dialog.content.decode()
    with pytest.raises(PermissionDenied):
        deal_change_pipeline(actor=manager, deal=open_deal, pipeline=closed)
    assert [s.pipeline for s in pipelines_summary(user=manager)].count(closed) == 0


# --- field rules -----------------------------------------------------------------------------
def hide(role: Role, entity: str, field: str, access=FieldAccess.HIDDEN) -> None:
    FieldRule.objects.create(role=role, entity=entity, field=field, access=access)


def test_a_hidden_amount_is_not_on_the_card_the_board_or_in_the_sums(
    client, manager, deal_pipeline
):
    role = role_with(
        *((Entity.DEAL, action, Scope.OWN) for action in Action.values), members=[manager]
    )
    hide(role, Entity.DEAL, "amount")
    deal = deal_create(actor=manager, data={"title": "Секрет", "amount": "987654"})
    client.force_login(manager)
    card = client.get(reverse("sales:deal_detail", args=[deal.pk])).content.decode()
    assert "987" not in card
    # The product rows add up to the amount: their section goes with it.
    assert 'id="section-products"' not in card
    products = reverse("sales:deal_section", args=[deal.pk, "products"])
    assert client.get(products).status_code == 404
    board = client.get(reverse("sales:deal_board", args=[deal_pipeline.pk]))
    assert "987" not in board.content.decode()
    assert "amount" not in board.context["filterset"].filters  # no range to probe it with
    assert all(not column.sums for column in board.context["open_columns"])
    assert all(not column.sums for column in deal_board(user=manager, pipeline=deal_pipeline))
    listing = client.get(reverse("sales:deal_list")).content.decode()
    assert "987" not in listing
    form = client.get(
        reverse("sales:deal_section", args=[deal.pk, "main"]) + "?edit=1"
    ).content.decode()
    assert 'name="amount"' not in form


def test_a_read_only_amount_is_disabled_in_the_form_and_refused_by_the_service(
    client, manager, deal_pipeline
):
    role = role_with(
        *((Entity.DEAL, action, Scope.OWN) for action in Action.values), members=[manager]
    )
    hide(role, Entity.DEAL, "amount", FieldAccess.READ_ONLY)
    deal = deal_create(actor=manager, data={"title": "Сделка", "amount": "100"})
    with pytest.raises(PermissionDenied):
        deal_update(actor=manager, deal=deal, data={"amount": "200"})
    deal_update(actor=manager, deal=deal, data={"title": "Другое название", "amount": "100"})
    client.force_login(manager)
    form = client.get(reverse("sales:deal_section", args=[deal.pk, "main"]) + "?edit=1")
    assert form.context["section"].form.fields["amount"].disabled
    deal.refresh_from_db()
    saved = client.post(
        reverse("sales:deal_section", args=[deal.pk, "main"]),
        {
            "title": "Новое",
            "amount": "999",
            "currency": "RUB",
            "responsible": manager.pk,
            "version": deal.version,
        },
    )
    assert saved.status_code == 200
    deal.refresh_from_db()
    assert deal.title == "Новое" and deal.amount == Decimal("100.00")


# --- conversion ------------------------------------------------------------------------------
def test_conversion_is_refused_without_the_right_to_add_deals(
    client, manager, lead_pipeline, deal_pipeline
):
    lead = lead_create(actor=manager, data={"title": "Лид", "last_name": "Орлов"})
    role_with(
        *((Entity.LEAD, action, Scope.OWN) for action in Action.values),
        *((Entity.CONTACT, action, Scope.OWN) for action in Action.values),
        (Entity.DEAL, Action.READ, Scope.OWN),
        members=[manager],
    )
    forget_rights(manager)
    with pytest.raises(PermissionDenied):
        lead_convert(actor=manager, lead=lead, pipelines=[deal_pipeline])
    assert not Deal.objects.exists()
    lead.refresh_from_db()
    assert lead.converted_at is None
    client.force_login(manager)
    page = client.get(reverse("sales:lead_detail", args=[lead.pk]))
    assert page.context["convert_url"] is None
    assert client.get(reverse("sales:lead_convert", args=[lead.pk])).status_code == 403


def test_conversion_offers_only_pipelines_the_user_may_add_deals_in(
    client, manager, lead_pipeline, deal_pipeline
):
    closed = PipelineFactory.with_stages(name="Тендеры", entity=PipelineEntity.DEAL)
    lead = lead_create(actor=manager, data={"title": "Лид", "last_name": "Орлов"})
    role_with(
        *(
            (entity, action, Scope.OWN)
            for entity in (Entity.LEAD, Entity.DEAL, Entity.CONTACT)
            for action in Action.values
        ),
        *((Entity.DEAL, action, Scope.NONE, closed) for action in Action.values),
        members=[manager],
    )
    forget_rights(manager)
    client.force_login(manager)
    dialog = client.get(reverse("sales:lead_convert", args=[lead.pk]))
    assert dialog.status_code == 200
    offered = list(dialog.context["form"].fields["pipelines"].queryset)
    assert deal_pipeline in offered and closed not in offered
    with pytest.raises(PermissionDenied):
        lead_convert(actor=manager, lead=lead, pipelines=[closed])


def test_conversion_to_a_contact_the_user_does_not_see_is_refused(
    manager, stranger, lead_pipeline, deal_pipeline
):
    lead = lead_create(actor=manager, data={"title": "Лид", "last_name": "Орлов"})
    with pytest.raises(PermissionDenied):
        lead_convert(
            actor=manager,
            lead=lead,
            pipelines=[deal_pipeline],
            contact=ContactFactory(responsible=stranger),
        )
    assert not Deal.objects.exists()


# --- related cards -----------------------------------------------------------------------------
def test_related_cards_the_user_does_not_see_are_named_without_a_link(
    client, manager, stranger, deal_pipeline
):
    company = CompanyFactory(title="ООО «Скрытая»", responsible=stranger)
    contact = ContactFactory(last_name="Скрытов", responsible=stranger)
    deal = deal_create(
        actor=stranger,
        data={"title": "Сделка", "responsible": manager, "company": company},
        contacts=[contact],
    )
    client.force_login(manager)
    html = client.get(reverse("sales:deal_detail", args=[deal.pk])).content.decode()
    assert "ООО «Скрытая»" in html and "Скрытов" in html
    assert f"/companies/{company.pk}/" not in html
    assert f"/contacts/{contact.pk}/" not in html
    # The client section can still be saved with them on it.
    saved = client.post(
        reverse("sales:deal_section", args=[deal.pk, "client"]),
        {"company": company.pk, "contact": [contact.pk], "version": deal.version},
    )
    assert saved.status_code == 200, saved.content.decode()


def test_a_new_lead_form_leaves_out_a_hidden_amount_and_still_creates_the_lead(
    client, manager, lead_pipeline
):
    role = role_with(
        *((Entity.LEAD, action, Scope.OWN) for action in Action.values), members=[manager]
    )
    hide(role, Entity.LEAD, "amount")
    client.force_login(manager)
    form = client.get(reverse("sales:lead_create")).content.decode()
    assert 'name="amount"' not in form
    response = client.post(
        reverse("sales:lead_create"),
        {"title": "Заявка", "currency": "RUB", "responsible": manager.pk, "amount": "5"},
    )
    assert response.status_code == 302
    assert Lead.objects.get().amount in (None, Decimal("0.00"))


def test_new_card_buttons_and_forms_need_the_right_to_add(client, manager, deal_pipeline):
    role_with((Entity.DEAL, Action.READ, Scope.OWN), members=[manager])
    client.force_login(manager)
    board = client.get(reverse("sales:deal_board", args=[deal_pipeline.pk])).content.decode()
    assert "data-create-button" not in board
    assert client.get(reverse("sales:deal_create")).status_code == 403
    assert client.post(reverse("sales:deal_create"), {"title": "x"}).status_code == 403


def test_a_refused_move_on_the_board_says_why(client, manager, foreign_deal):
    role_with((Entity.DEAL, Action.READ, Scope.ALL), members=[manager])
    client.force_login(manager)
    stage = foreign_deal.pipeline.stages.exclude(pk=foreign_deal.stage_id).first()
    response = client.post(
        reverse("sales:deal_move", args=[foreign_deal.pk]),
        {"stage": stage.pk, "board": "1"},
        headers=HTMX,
    )
    assert response.status_code == 403
    assert "You may not change this card." in response["HX-Trigger"]


def test_read_only_contacts_do_not_stop_saving_the_company_of_a_deal(manager, deal_pipeline):
    role = role_with(
        *(
            (entity, action, Scope.OWN)
            for entity in (Entity.DEAL, Entity.COMPANY, Entity.CONTACT)
            for action in Action.values
        ),
        members=[manager],
    )
    hide(role, Entity.DEAL, "contacts", FieldAccess.READ_ONLY)
    contact = ContactFactory(responsible=manager)
    deal = deal_create(actor=manager, data={"title": "Сделка"}, contacts=[contact])
    company = CompanyFactory(responsible=manager)
    deal_update(actor=manager, deal=deal, data={"company": company}, contacts=[contact])
    assert Deal.objects.get(pk=deal.pk).company == company
    with pytest.raises(PermissionDenied):
        deal_update(actor=manager, deal=deal, data={}, contacts=[])
    assert list(Deal.objects.get(pk=deal.pk).contacts.all()) == [contact]


def test_a_list_row_names_a_hidden_company_and_contact_without_links(
    client, manager, stranger, deal_pipeline
):
    company = CompanyFactory(title="ООО «Скрытая»", responsible=stranger)
    contact = ContactFactory(last_name="Скрытов", responsible=stranger)
    deal_create(
        actor=stranger,
        data={"title": "Сделка", "responsible": manager, "company": company},
        contacts=[contact],
    )
    client.force_login(manager)
    html = client.get(reverse("sales:deal_list"), {"columns": "contact"}).content.decode()
    assert "ООО «Скрытая»" in html
    assert f"/companies/{company.pk}/" not in html
    assert f"/contacts/{contact.pk}/" not in html


def test_the_move_dialog_names_a_hidden_required_field_without_an_input(
    client, manager, deal_pipeline
):
    role = role_with(
        *((Entity.DEAL, action, Scope.OWN) for action in Action.values), members=[manager]
    )
    hide(role, Entity.DEAL, "amount")
    deal = deal_create(actor=manager, data={"title": "Сделка"})
    target = deal_pipeline.stages.exclude(pk=deal.stage_id).filter(kind="open").first()
    target.required_fields = ["amount"]
    target.save(update_fields=["required_fields"])
    client.force_login(manager)
    response = client.post(
        reverse("sales:deal_move", args=[deal.pk]), {"stage": target.pk}, headers=HTMX
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'name="amount"' not in html and "Fill in" in html
