"""The lead and deal card pages and their sections edited in place."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from voronka.access.models import Action, Entity, Scope
from voronka.access.tests.factories import role_with
from voronka.contacts.tests.factories import CompanyFactory, ContactFactory
from voronka.customization.models import CustomField, EntityType, FieldType
from voronka.sales.models import Deal, Lead
from voronka.sales.services import deal_create, deal_update, lead_create
from voronka.sales.tests.factories import ProductFactory
from voronka.timeline.models import EntryKind, TimelineEntry

pytestmark = pytest.mark.django_db


def history(card, **filters):
    return TimelineEntry.objects.filter(
        card_type=ContentType.objects.get_for_model(card), card_id=card.pk, **filters
    )


def section_url(card, section):
    entity = "deal" if isinstance(card, Deal) else "lead"
    return reverse(f"sales:{entity}_section", args=[card.pk, section])


@pytest.fixture
def deal(manager, deal_pipeline):
    # The manager's own client: the Manager role sees its own cards only.
    contact = ContactFactory(last_name="Смирнова", first_name="Ольга", responsible=manager)
    return deal_create(
        actor=manager,
        data={
            "title": "Поставка станков",
            "amount": "10000",
            "company": CompanyFactory(responsible=manager),
        },
        contacts=[contact],
    )


@pytest.fixture
def lead(manager, lead_pipeline):
    return lead_create(
        actor=manager,
        data={"last_name": "Петров", "first_name": "Иван", "company_title": "Вектор"},
        communications=[{"kind": "phone", "value": "+7 912 345-67-89"}],
    )


def main_data(card, **changes):
    data = {
        "title": card.title,
        "amount": str(card.amount),
        "currency": card.currency,
        "responsible": card.responsible_id,
        "source": "",
        "source_description": "",
        "comment": "",
        "version": card.version,
    }
    data.update(changes)
    return data


# --- pages -------------------------------------------------------------------------------
def test_deal_card_shows_head_stage_bar_sections_and_timeline(client, manager, deal):
    client.force_login(manager)
    response = client.get(reverse("sales:deal_detail", args=[deal.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Поставка станков" in html
    assert "10,000.00" in html  # the amount in the head, grouped
    assert 'class="stage-bar"' in html
    assert "Смирнова Ольга" in html and "primary" in html
    assert 'id="timeline"' in html
    for section in ("main", "client", "products", "related"):
        assert f'id="section-{section}"' in html


def test_lead_card_shows_person_and_communications(client, manager, lead):
    client.force_login(manager)
    html = client.get(reverse("sales:lead_detail", args=[lead.pk])).content.decode()
    assert "Петров Иван" in html and "Вектор" in html
    assert "+7 912 345-67-89" in html
    assert reverse("sales:lead_convert", args=[lead.pk]) in html


def test_missing_or_deleted_card_is_404(client, manager, deal, lead):
    client.force_login(manager)
    assert client.get(reverse("sales:deal_detail", args=[999999])).status_code == 404
    assert client.get(reverse("sales:lead_detail", args=[999999])).status_code == 404
    Deal.all_objects.filter(pk=deal.pk).update(deleted_at=timezone.now())
    assert client.get(reverse("sales:deal_detail", args=[deal.pk])).status_code == 404
    assert client.get(section_url(deal, "main")).status_code == 404
    assert client.get(section_url(lead, "nonsense")).status_code == 404


def test_anonymous_is_sent_to_login(client, deal, lead):
    for url in (
        reverse("sales:deal_detail", args=[deal.pk]),
        reverse("sales:lead_detail", args=[lead.pk]),
        section_url(deal, "main"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def _fill(deal, manager, *, entries: int, rows: int):
    deal_update(actor=manager, deal=deal, data={"custom_fields": {}})
    TimelineEntry.objects.bulk_create(
        TimelineEntry(
            card_type=ContentType.objects.get_for_model(deal),
            card_id=deal.pk,
            kind=EntryKind.COMMENT,
            author=manager,
            text=f"Комментарий {number}",
        )
        for number in range(entries)
    )
    from voronka.sales.services import product_rows_set

    product_rows_set(
        actor=manager,
        card=Deal.objects.get(pk=deal.pk),
        rows=[
            {"product": ProductFactory(), "quantity": "2", "discount_percent": "5"}
            for _ in range(rows)
        ],
    )
    for number in range(3):
        deal_update(
            actor=manager,
            deal=Deal.objects.get(pk=deal.pk),
            data={},
            contacts=[ContactFactory(responsible=manager) for _ in range(number + 1)],
        )


@pytest.mark.parametrize(("entries", "rows"), [(3, 2), (200, 20)])
def test_deal_card_costs_a_fixed_number_of_queries(
    client, manager, deal, entries, rows, django_assert_num_queries
):
    CustomField.objects.create(
        entity=EntityType.DEAL, code="contract", label="Договор", field_type=FieldType.STRING
    )
    _fill(deal, manager, entries=entries, rows=rows)
    client.force_login(manager)
    url = reverse("sales:deal_detail", args=[deal.pk])
    client.get(url)  # content types cached
    # session, user, rights, field rules, deal, stages, rows, definitions, contacts,
    # communications, open tasks, planned and finished robot runs, open activities, feed
    with django_assert_num_queries(15):
        assert client.get(url).status_code == 200


# --- sections ------------------------------------------------------------------------------
def test_section_edit_form_and_cancel(client, manager, deal):
    client.force_login(manager)
    form = client.get(section_url(deal, "main") + "?edit=1").content.decode()
    assert "<form" in form and 'name="version"' in form and "Cancel" in form
    readonly = client.get(section_url(deal, "main")).content.decode()
    assert "<form" not in readonly and "Edit" in readonly


def test_main_section_saves_through_the_service(client, manager, deal):
    client.force_login(manager)
    response = client.post(
        section_url(deal, "main"),
        main_data(deal, amount="12 500", begins_on="2026-12-01", probability="40"),
    )
    assert response.status_code == 200, response.content.decode()
    assert "voronka:card-changed" in response["HX-Trigger"]
    deal.refresh_from_db()
    assert deal.amount == Decimal("12500.00") and deal.probability == 40
    assert deal.begins_on == datetime.date(2026, 12, 1)
    change = history(deal, kind=EntryKind.FIELD_CHANGED, payload__field="amount").get()
    assert change.payload["new"] == "12500.00"
    assert "12,500.00" in response.content.decode()


def test_bad_amount_is_422_naming_the_field_and_nothing_changes(client, manager, deal):
    client.force_login(manager)
    version = deal.version
    response = client.post(section_url(deal, "main"), main_data(deal, amount="много"))
    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-field="amount"' in html and "errorlist" in html
    deal.refresh_from_db()
    assert deal.amount == Decimal("10000.00") and deal.version == version
    assert not history(deal, kind=EntryKind.FIELD_CHANGED).exists()


def test_empty_title_is_422(client, manager, deal):
    client.force_login(manager)
    response = client.post(section_url(deal, "title"), {"title": "", "version": deal.version})
    assert response.status_code == 422
    assert "This field cannot be blank." in response.content.decode()
    assert Deal.objects.get(pk=deal.pk).title == "Поставка станков"


def test_title_renamed(client, manager, lead):
    client.force_login(manager)
    response = client.post(
        section_url(lead, "title"), {"title": "Петров — сайт", "version": lead.version}
    )
    assert response.status_code == 200
    assert Lead.objects.get(pk=lead.pk).title == "Петров — сайт"
    assert history(lead, kind=EntryKind.FIELD_CHANGED, payload__field="title").exists()


def test_stale_version_is_409_and_nothing_changes(client, manager, other_manager, deal):
    stale = deal.version
    # A colleague who may change the department's deals.
    role_with((Entity.DEAL, Action.UPDATE, Scope.DEPARTMENT), members=[other_manager])
    deal_update(actor=other_manager, deal=deal, data={"title": "Изменено коллегой"})
    client.force_login(manager)
    response = client.post(section_url(deal, "main"), main_data(deal, amount="1", version=stale))
    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    assert Deal.objects.get(pk=deal.pk).amount == Decimal("10000.00")


def test_client_section_replaces_contacts_and_company(client, manager, deal):
    first, second = ContactFactory(responsible=manager), ContactFactory(responsible=manager)
    company = CompanyFactory(title="ООО «Новая»", responsible=manager)
    client.force_login(manager)
    response = client.post(
        section_url(deal, "client"),
        {
            "company": company.pk,
            "contact": [first.pk, second.pk],
            "primary_contact": second.pk,
            "version": deal.version,
        },
    )
    assert response.status_code == 200, response.content.decode()
    deal.refresh_from_db()
    assert deal.company == company
    links = {link.contact_id: link.is_primary for link in deal.contact_links.all()}
    assert links == {first.pk: False, second.pk: True}
    assert "ООО «Новая»" in response.content.decode()


def test_client_section_unknown_contact_is_422(client, manager, deal):
    client.force_login(manager)
    response = client.post(
        section_url(deal, "client"), {"contact": ["999999"], "version": deal.version}
    )
    assert response.status_code == 422
    assert "There is no contact with id 999999." in response.content.decode()


def test_lead_person_section_adds_and_removes_communications(client, manager, lead):
    client.force_login(manager)
    response = client.post(
        section_url(lead, "person"),
        {
            "last_name": "Петров",
            "first_name": "Иван",
            "company_title": "Вектор",
            "comm_kind": ["email"],
            "comm_type": ["work"],
            "comm_value": ["ivan@vector.ru"],
            "version": lead.version,
        },
    )
    assert response.status_code == 200, response.content.decode()
    values = [item.value for item in Lead.objects.get(pk=lead.pk).communications.all()]
    assert values == ["ivan@vector.ru"]


def test_lead_person_bad_email_is_422(client, manager, lead):
    client.force_login(manager)
    response = client.post(
        section_url(lead, "person"),
        {
            "comm_kind": ["email"],
            "comm_type": ["work"],
            "comm_value": ["не-почта"],
            "version": lead.version,
        },
    )
    assert response.status_code == 422
    assert "не-почта" in response.content.decode()
    assert Lead.objects.get(pk=lead.pk).communications.count() == 1


# --- product rows --------------------------------------------------------------------------
def rows_data(card, *rows):
    keys = {
        "product": "row_product",
        "name": "row_name",
        "price": "row_price",
        "quantity": "row_quantity",
        "unit": "row_unit",
        "discount_percent": "row_discount",
        "tax_rate": "row_tax_rate",
        "tax_included": "row_tax_included",
    }
    data = {name: [] for name in keys.values()}
    for row in rows:
        for key, name in keys.items():
            data[name].append(row.get(key, ""))
    data["version"] = card.version
    return data


def test_product_rows_saved_and_amount_from_their_total(client, manager, deal):
    product = ProductFactory(name="Станок", price=Decimal("1000.00"), vat_rate=20)
    client.force_login(manager)
    response = client.post(
        section_url(deal, "products"),
        rows_data(
            deal,
            {
                "product": product.pk,
                "name": "Станок",
                "price": "1000",
                "quantity": "2",
                "unit": "шт",
                "discount_percent": "10",
                "tax_rate": "20",
                "tax_included": "1",
            },
            {
                "name": "Доставка",
                "price": "500",
                "quantity": "1",
                "unit": "усл",
                "discount_percent": "0",
                "tax_rate": "",
                "tax_included": "1",
            },
            {"name": "", "price": ""},  # an empty new line is ignored
        ),
    )
    assert response.status_code == 200, response.content.decode()
    deal.refresh_from_db()
    assert deal.amount == Decimal("2300.00") and deal.amount_from_products
    assert [row.name for row in deal.product_rows.order_by("sort")] == ["Станок", "Доставка"]
    assert history(deal, payload__field="product_rows").exists()
    html = response.content.decode()
    assert "2,300.00" in html and "Доставка" in html


def test_bad_product_row_is_422_naming_the_row_and_field(client, manager, deal):
    client.force_login(manager)
    response = client.post(
        section_url(deal, "products"),
        rows_data(
            deal,
            {"name": "Станок", "price": "1000", "quantity": "1"},
            {"name": "Доставка", "price": "500", "quantity": "0"},
        ),
    )
    assert response.status_code == 422
    assert "Row 2: the quantity must be greater than zero." in response.content.decode()
    assert not deal.product_rows.exists()
    assert Deal.objects.get(pk=deal.pk).amount == Decimal("10000.00")


def test_product_editor_shows_saved_rows(client, manager, deal):
    from voronka.sales.services import product_rows_set

    product_rows_set(
        actor=manager, card=deal, rows=[{"name": "Монтаж", "price": "1500", "quantity": "1.5"}]
    )
    client.force_login(manager)
    html = client.get(section_url(deal, "products") + "?edit=1").content.decode()
    assert 'value="Монтаж"' in html and 'value="1.5"' in html and 'value="1500"' in html


def test_product_lookup_offers_catalogue_with_prices(client, manager):
    ProductFactory(name="Фреза концевая", price=Decimal("350.00"), vat_rate=20)
    client.force_login(manager)
    html = client.get(reverse("sales:product_lookup"), {"row_name": "фреза"}).content.decode()
    assert "Фреза концевая" in html and 'data-price="350.00"' in html and 'data-vat="20"' in html


# --- custom fields -------------------------------------------------------------------------
def test_custom_fields_grouped_by_section_and_saved(client, manager, deal):
    CustomField.objects.create(
        entity=EntityType.DEAL,
        code="contract",
        label="Номер договора",
        field_type=FieldType.STRING,
        section="Договор",
    )
    CustomField.objects.create(
        entity=EntityType.DEAL,
        code="signed",
        label="Дата договора",
        field_type=FieldType.DATE,
        section="Договор",
    )
    CustomField.objects.create(
        entity=EntityType.DEAL, code="note", label="Пометка", field_type=FieldType.STRING
    )
    client.force_login(manager)
    html = client.get(reverse("sales:deal_detail", args=[deal.pk])).content.decode()
    assert html.count("Номер договора") == 1 and "Additional" in html
    url = section_url(deal, "custom-договор")
    response = client.post(
        url, {"contract": "Д-17", "signed": "2026-11-20", "version": deal.version}
    )
    assert response.status_code == 200, response.content.decode()
    assert Deal.objects.get(pk=deal.pk).custom_fields["contract"] == "Д-17"
    assert history(deal, payload__field="custom_fields.contract").exists()
    bad = client.post(url, {"signed": "вчера", "version": deal.version + 1})
    assert bad.status_code == 422 and "23.11.2026" in bad.content.decode()


# --- delete ----------------------------------------------------------------------------------
def test_delete_moves_to_recycle_bin_and_goes_to_the_board(client, manager, deal, lead):
    client.force_login(manager)
    response = client.post(reverse("sales:deal_delete", args=[deal.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("sales:deal_board_default")
    assert Deal.all_objects.get(pk=deal.pk).is_deleted
    assert history(deal, kind=EntryKind.DELETED).exists()
    response = client.post(reverse("sales:lead_delete", args=[lead.pk]))
    assert response.status_code == 302
    assert Lead.all_objects.get(pk=lead.pk).is_deleted
    assert client.post(reverse("sales:deal_delete", args=[deal.pk])).status_code == 404


# --- create ----------------------------------------------------------------------------------
def test_lead_create_dialog_and_page(client, manager, lead_pipeline):
    client.force_login(manager)
    dialog = client.get(reverse("sales:lead_create"), HTTP_HX_REQUEST="true")
    assert dialog.status_code == 200 and 'class="modal"' in dialog.content.decode()
    page = client.get(reverse("sales:lead_create"))
    assert page.status_code == 200 and "<html" in page.content.decode()


def test_lead_created_through_the_service_and_opened(client, manager, lead_pipeline):
    client.force_login(manager)
    response = client.post(
        reverse("sales:lead_create"),
        {
            "last_name": "Кузнецов",
            "first_name": "Олег",
            "phone": "8 912 000 11 22",
            "email": "oleg@example.ru",
            "amount": "7 000",
            "currency": "RUB",
            "responsible": manager.pk,
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200, response.content.decode()
    lead = Lead.objects.get()
    assert response["HX-Redirect"] == reverse("sales:lead_detail", args=[lead.pk])
    assert lead.title == "Кузнецов Олег" and lead.amount == Decimal("7000.00")
    assert {item.kind for item in lead.communications.all()} == {"phone", "email"}
    assert history(lead, kind=EntryKind.CREATED).exists()


def test_lead_create_bad_phone_is_422_and_nothing_created(client, manager, lead_pipeline):
    client.force_login(manager)
    response = client.post(
        reverse("sales:lead_create"),
        {"last_name": "Кузнецов", "phone": "abc", "currency": "RUB", "responsible": manager.pk},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "abc" in response.content.decode()
    assert not Lead.objects.exists()


def test_deal_created_in_the_pipeline_from_the_board(client, manager, deal_pipeline):
    from voronka.sales.tests.factories import PipelineFactory

    other = PipelineFactory.with_stages(name="Сервис")
    contact = ContactFactory(responsible=manager)
    client.force_login(manager)
    form = client.get(reverse("sales:deal_create") + f"?pipeline={other.pk}").content.decode()
    assert f'<option value="{other.pk}" selected>' in form
    response = client.post(
        reverse("sales:deal_create") + f"?pipeline={other.pk}",
        {
            "title": "Сервисный договор",
            "pipeline": other.pk,
            "currency": "RUB",
            "responsible": manager.pk,
            "contact": contact.pk,
        },
    )
    assert response.status_code == 302
    deal = Deal.objects.get()
    assert response["Location"] == reverse("sales:deal_detail", args=[deal.pk])
    assert deal.pipeline == other and list(deal.contacts.all()) == [contact]


def test_deal_create_without_title_is_422(client, manager, deal_pipeline):
    client.force_login(manager)
    response = client.post(
        reverse("sales:deal_create"), {"currency": "RUB", "responsible": manager.pk}
    )
    assert response.status_code == 422
    assert "This field cannot be blank." in response.content.decode()
    assert not Deal.objects.exists()


def test_create_anonymous_goes_to_login(client):
    response = client.get(reverse("sales:deal_create"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("rows", [1, 20])
def test_lead_card_and_section_save_cost_fixed_queries(
    client, manager, lead, rows, django_assert_num_queries, django_assert_max_num_queries
):
    from voronka.sales.services import product_rows_set

    product_rows_set(
        actor=manager,
        card=lead,
        rows=[{"name": f"Позиция {n}", "price": "100"} for n in range(rows)],
    )
    lead = Lead.objects.get(pk=lead.pk)
    client.force_login(manager)
    url = reverse("sales:lead_detail", args=[lead.pk])
    client.get(url)
    # session, user, rights, field rules, lead, stages, rows, definitions, communications,
    # deals, open tasks, planned and finished robot runs, activities, feed, the merge
    # controls' rights and undoable merges
    with django_assert_num_queries(17):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(40):
        response = client.post(section_url(lead, "main"), main_data(lead, comment="Перезвонить"))
    assert response.status_code == 200


def test_deal_roles_for_the_hand_over_are_set(client, manager, other_manager, head, deal):
    client.force_login(manager)
    response = client.post(
        section_url(deal, "main"),
        main_data(deal, sales_manager=manager.pk, delivery_manager=other_manager.pk),
    )
    assert response.status_code == 200, response.content.decode()
    deal.refresh_from_db()
    assert deal.sales_manager == manager and deal.delivery_manager == other_manager
    assert deal.head_of_sales is None
    assert "Delivery manager" in response.content.decode()


def test_created_time_is_in_the_employees_time_zone(client, manager, deal, settings):
    from zoneinfo import ZoneInfo

    from django.utils.timezone import localtime

    client.force_login(manager)
    html = client.get(section_url(deal, "main")).content.decode()
    moscow = localtime(deal.created_at, ZoneInfo(settings.TIME_ZONE))
    assert f"{moscow:%H}:{moscow:%M}" in html or moscow.strftime("%-I:%M") in html
    utc = deal.created_at.astimezone(ZoneInfo("UTC"))
    if utc.hour != moscow.hour:
        assert f"{utc:%m/%d/%Y} {utc:%-I:%M}" not in html
