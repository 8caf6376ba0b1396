"""The sales settings pages: pipelines and stages, loss reasons, the product catalogue."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from voronka.access.models import Action, Entity, Scope
from voronka.access.tests.factories import role_with
from voronka.sales.models import LossReason, Pipeline, PipelineEntity, Product, ProductSection
from voronka.sales.services import stage_update
from voronka.sales.tests.factories import (
    DealFactory,
    LossReasonFactory,
    PipelineFactory,
    ProductFactory,
    stage_of,
)

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def _triggers(response) -> dict:
    return json.loads(response.headers.get("HX-Trigger", "{}"))


PAGES = [
    ("sales:settings_pipelines", {}),
    ("sales:settings_pipeline_create", {}),
    ("sales:settings_loss_reasons", {}),
    ("sales:settings_loss_reason_create", {}),
    ("sales:settings_product_create", {}),
    ("sales:settings_product_section_create", {}),
]


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_an_anonymous_visitor_is_sent_to_sign_in(client, name, kwargs):
    response = client.get(reverse(name, kwargs=kwargs))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_a_manager_may_not_open_the_settings(client, manager, name, kwargs):
    client.force_login(manager)

    assert client.get(reverse(name, kwargs=kwargs)).status_code == 403


def test_a_manager_may_not_reorder_or_delete_stages(client, manager, deal_pipeline):
    client.force_login(manager)
    stage = deal_pipeline.stages.first()

    delete = client.post(reverse("sales:settings_stage_delete", args=[stage.pk]))
    reorder = client.post(
        reverse("sales:settings_stage_reorder", args=[deal_pipeline.pk]), {"order": ""}
    )

    assert (delete.status_code, reorder.status_code) == (403, 403)
    assert deal_pipeline.stages.filter(pk=stage.pk).exists()


def test_a_manager_reads_the_catalogue_but_does_not_change_it(client, manager):
    product = ProductFactory(name="Монтаж")
    client.force_login(manager)

    page = client.get(reverse("sales:settings_products"))
    edit = client.get(reverse("sales:settings_product_update", args=[product.pk]))
    save = client.post(
        reverse("sales:settings_product_update", args=[product.pk]), {"name": "Другое"}
    )
    section = client.post(reverse("sales:settings_product_section_create"), {"name": "Услуги"})

    assert page.status_code == 200
    assert "Монтаж" in page.content.decode()
    assert (edit.status_code, save.status_code, section.status_code) == (403, 403, 403)
    product.refresh_from_db()
    assert product.name == "Монтаж"


def test_the_sales_settings_open_with_the_right_to_read_settings(client, manager, deal_pipeline):
    role_with((Entity.SETTINGS, Action.READ, Scope.ALL), members=[manager])
    client.force_login(manager)
    stage = deal_pipeline.stages.first()

    pages = [
        client.get(reverse("sales:settings_pipelines")).status_code,
        client.get(reverse("sales:settings_loss_reasons")).status_code,
    ]
    writes = [
        client.get(reverse("sales:settings_pipeline_create")).status_code,
        client.post(reverse("sales:settings_stage_delete", args=[stage.pk])).status_code,
        client.post(
            reverse("sales:settings_stage_reorder", args=[deal_pipeline.pk]), {"order": ""}
        ).status_code,
        client.post(reverse("sales:settings_loss_reason_create"), {"name": "Дорого"}).status_code,
    ]

    assert pages == [200, 200]
    assert writes == [403, 403, 403, 403]
    assert deal_pipeline.stages.filter(pk=stage.pk).exists()
    assert not LossReason.objects.filter(name="Дорого").exists()


def test_the_settings_services_refuse_a_reader(manager, deal_pipeline):
    from django.core.exceptions import PermissionDenied

    from voronka.sales.services.catalogues import loss_reason_create, product_create

    role_with((Entity.SETTINGS, Action.READ, Scope.ALL), members=[manager])
    with pytest.raises(PermissionDenied):
        loss_reason_create(actor=manager, data={"name": "Дорого"})
    with pytest.raises(PermissionDenied):
        product_create(actor=manager, data={"name": "Монтаж", "price": "10"})
    assert not Product.objects.exists()


# ---- Pipelines and stages --------------------------------------------------------------------


def test_pipelines_page_lists_lead_and_deal_pipelines_with_their_stages_in_order(
    admin_client, lead_pipeline, deal_pipeline, django_assert_num_queries
):
    PipelineFactory.with_stages(name="Сервис")
    PipelineFactory.with_stages(name="Рекламации")

    stage_update(
        actor=None, stage=stage_of(deal_pipeline, "invoice"), data={"required_fields": ["amount"]}
    )

    # session, user, pipelines, stages, custom fields of leads and of deals
    with django_assert_num_queries(6):
        response = admin_client.get(reverse("sales:settings_pipelines"))

    assert response.status_code == 200
    html = response.content.decode()
    for name in (lead_pipeline.name, deal_pipeline.name, "Сервис", "Рекламации"):
        assert name in html
    section = html.split(f'data-pipeline-id="{deal_pipeline.pk}"', 1)[1]
    names = [stage.name for stage in deal_pipeline.stages.order_by("sort")]
    positions = [section.index(name) for name in names]
    assert positions == sorted(positions)
    assert f'data-stage-id="{deal_pipeline.stages.first().pk}"' in html
    assert "Sortable.min.js" in html
    assert "Required: Amount" in html


def test_an_htmx_refresh_gets_only_the_list(admin_client, deal_pipeline):
    response = admin_client.get(reverse("sales:settings_pipelines"), headers=HTMX)

    html = response.content.decode()
    assert 'id="settings-list"' in html
    assert "<html" not in html


def test_adding_a_deal_pipeline_creates_it_with_an_open_a_won_and_a_lost_stage(
    admin_client, deal_pipeline
):
    response = admin_client.post(
        reverse("sales:settings_pipeline_create"), {"name": "Сервис", "sort": "200"}, headers=HTMX
    )

    assert response.status_code == 204
    assert {"voronka:modal-close", "voronka:toast", "settings:changed"} <= set(_triggers(response))
    pipeline = Pipeline.objects.get(name="Сервис")
    assert pipeline.entity == PipelineEntity.DEAL
    assert sorted(pipeline.stages.values_list("kind", flat=True)) == ["lost", "open", "won"]


def test_a_pipeline_without_a_name_is_refused_naming_the_field(admin_client, deal_pipeline):
    response = admin_client.post(
        reverse("sales:settings_pipeline_create"), {"name": "", "sort": "100"}, headers=HTMX
    )

    assert response.status_code == 422
    assert 'data-field="name"' in response.content.decode()
    assert "This field is required" in response.content.decode()
    assert Pipeline.objects.count() == 2


def test_renaming_a_pipeline(admin_client, deal_pipeline):
    url = reverse("sales:settings_pipeline_update", args=[deal_pipeline.pk])
    assert deal_pipeline.name in admin_client.get(url).content.decode()

    response = admin_client.post(url, {"name": "Оптовые продажи", "sort": "10", "is_default": "on"})

    assert response.status_code == 204
    deal_pipeline.refresh_from_db()
    assert deal_pipeline.name == "Оптовые продажи"


def test_the_default_pipeline_cannot_just_lose_its_mark(admin_client, deal_pipeline):
    url = reverse("sales:settings_pipeline_update", args=[deal_pipeline.pk])

    response = admin_client.post(url, {"name": "Другое имя", "sort": "10"})

    assert response.status_code == 422
    assert "Make another pipeline the default one" in response.content.decode()
    deal_pipeline.refresh_from_db()
    assert (deal_pipeline.name, deal_pipeline.is_default) != ("Другое имя", False)
    assert deal_pipeline.is_default


def test_making_another_pipeline_default_moves_the_mark(admin_client, deal_pipeline):
    other = PipelineFactory.with_stages(name="Сервис")

    response = admin_client.post(
        reverse("sales:settings_pipeline_update", args=[other.pk]),
        {"name": "Сервис", "sort": "5", "is_default": "on"},
    )

    assert response.status_code == 204
    assert Pipeline.objects.get(entity="deal", is_default=True) == other


def test_editing_a_missing_pipeline_or_stage_is_404(admin_client, deal_pipeline):
    assert (
        admin_client.get(reverse("sales:settings_pipeline_update", args=[999999])).status_code
        == 404
    )
    assert (
        admin_client.get(reverse("sales:settings_stage_update", args=[999999])).status_code == 404
    )
    assert (
        admin_client.post(reverse("sales:settings_stage_delete", args=[999999])).status_code == 404
    )
    assert (
        admin_client.post(reverse("sales:settings_stage_reorder", args=[999999])).status_code == 404
    )


def test_the_stage_form_offers_standard_and_custom_fields_as_required(admin_client, deal_pipeline):
    from voronka.customization.services import custom_field_create

    custom_field_create(
        actor=None,
        data={
            "entity": "deal",
            "code": "contract_no",
            "label": "Номер договора",
            "field_type": "string",
        },
    )
    stage = stage_of(deal_pipeline, "invoice")

    response = admin_client.get(reverse("sales:settings_stage_update", args=[stage.pk]))

    html = response.content.decode()
    assert 'type="color"' in html
    assert 'value="contract_no"' in html
    assert "Номер договора" in html
    assert 'value="amount"' in html
    assert 'value="contacts"' in html
    assert 'value="closes_on"' in html and 'value="company"' in html
    # Only fields a person fills are offered: never what the system sets itself.
    for code in ("created_by", "closed_at", "pipeline", "lead", "currency", "utm_source"):
        assert f'value="{code}"' not in html, code


def test_adding_a_stage_with_a_colour_and_required_fields(admin_client, deal_pipeline):
    response = admin_client.post(
        reverse("sales:settings_stage_create", args=[deal_pipeline.pk]),
        {
            "name": "Согласование",
            "color": "#aa5500",
            "kind": "open",
            "probability": "40",
            "required_fields": ["amount", "contacts"],
        },
        headers=HTMX,
    )

    assert response.status_code == 204
    stage = deal_pipeline.stages.get(name="Согласование")
    assert (stage.color, stage.kind, stage.probability) == ("#aa5500", "open", 40)
    assert stage.required_fields == ["amount", "contacts"]
    assert stage.sort == max(deal_pipeline.stages.values_list("sort", flat=True))


def test_a_stage_with_a_bad_colour_is_refused_and_nothing_is_added(admin_client, deal_pipeline):
    count = deal_pipeline.stages.count()

    response = admin_client.post(
        reverse("sales:settings_stage_create", args=[deal_pipeline.pk]),
        {"name": "Согласование", "color": "red", "kind": "open"},
        headers=HTMX,
    )

    assert response.status_code == 422
    assert 'data-field="color"' in response.content.decode()
    assert 'class="field invalid' in response.content.decode()
    assert deal_pipeline.stages.count() == count


def test_an_unknown_required_field_is_refused(admin_client, deal_pipeline):
    stage = stage_of(deal_pipeline, "invoice")

    response = admin_client.post(
        reverse("sales:settings_stage_update", args=[stage.pk]),
        {"name": stage.name, "color": stage.color, "kind": "open", "required_fields": ["nope"]},
    )

    assert response.status_code == 422
    assert "nope" in response.content.decode()
    stage.refresh_from_db()
    assert stage.required_fields == []


def test_editing_a_stage_renames_recolours_and_sets_required_fields(admin_client, deal_pipeline):
    stage = stage_of(deal_pipeline, "invoice")

    response = admin_client.post(
        reverse("sales:settings_stage_update", args=[stage.pk]),
        {"name": "Счёт", "color": "#123456", "kind": "open", "required_fields": ["amount"]},
    )

    assert response.status_code == 204
    stage.refresh_from_db()
    assert (stage.name, stage.color, stage.required_fields) == ("Счёт", "#123456", ["amount"])


def test_changing_the_only_won_stage_to_open_is_refused(admin_client, deal_pipeline):
    stage = stage_of(deal_pipeline, "won")

    response = admin_client.post(
        reverse("sales:settings_stage_update", args=[stage.pk]),
        {"name": stage.name, "color": stage.color, "kind": "open"},
    )

    assert response.status_code == 422
    assert "missing: Success" in response.content.decode()
    stage.refresh_from_db()
    assert stage.kind == "won"


def test_reordering_stages_by_drag_saves_the_new_order(admin_client, deal_pipeline):
    ids = list(deal_pipeline.stages.order_by("sort").values_list("pk", flat=True))
    new_order = list(reversed(ids))

    response = admin_client.post(
        reverse("sales:settings_stage_reorder", args=[deal_pipeline.pk]),
        {"order": ",".join(map(str, new_order))},
        headers=HTMX,
    )

    assert response.status_code == 204
    assert "voronka:modal-close" not in _triggers(response)
    assert list(deal_pipeline.stages.order_by("sort").values_list("pk", flat=True)) == new_order


@pytest.mark.parametrize("order", ["", "1,2", "abc", "{ids},{first}"])
def test_a_reorder_that_does_not_list_every_stage_once_is_refused(
    admin_client, deal_pipeline, order
):
    ids = list(deal_pipeline.stages.order_by("sort").values_list("pk", flat=True))
    order = order.format(ids=",".join(map(str, ids)), first=ids[0])

    response = admin_client.post(
        reverse("sales:settings_stage_reorder", args=[deal_pipeline.pk]), {"order": order}
    )

    assert response.status_code == 422
    triggers = _triggers(response)
    assert triggers["voronka:toast"]["level"] == "error"
    assert "settings:changed" in triggers
    assert list(deal_pipeline.stages.order_by("sort").values_list("pk", flat=True)) == ids


def test_deleting_an_empty_stage(admin_client, deal_pipeline):
    stage = stage_of(deal_pipeline, "invoice")

    response = admin_client.post(reverse("sales:settings_stage_delete", args=[stage.pk]))

    assert response.status_code == 204
    assert "deleted" in _triggers(response)["voronka:toast"]["message"]
    assert not deal_pipeline.stages.filter(pk=stage.pk).exists()


def test_deleting_a_stage_with_cards_is_refused_with_the_reason(admin_client, deal_pipeline):
    stage = stage_of(deal_pipeline, "invoice")
    DealFactory(pipeline=deal_pipeline, stage=stage)

    response = admin_client.post(reverse("sales:settings_stage_delete", args=[stage.pk]))

    assert response.status_code == 422
    toast = _triggers(response)["voronka:toast"]
    assert toast["level"] == "error"
    assert "Cards are in the stage" in toast["message"]
    assert deal_pipeline.stages.filter(pk=stage.pk).exists()


def test_deleting_the_last_won_stage_is_refused(admin_client, deal_pipeline):
    stage = stage_of(deal_pipeline, "won")

    response = admin_client.post(reverse("sales:settings_stage_delete", args=[stage.pk]))

    assert response.status_code == 422
    assert "Success" in _triggers(response)["voronka:toast"]["message"]
    assert deal_pipeline.stages.filter(pk=stage.pk).exists()


# ---- Loss reasons ----------------------------------------------------------------------------


def test_loss_reasons_are_listed_in_order(admin_client, django_assert_num_queries):
    LossReasonFactory(name="Дорого", sort=20)
    LossReasonFactory(name="Ушёл к конкуренту", sort=10)
    LossReasonFactory(name="Нет бюджета", sort=30, is_active=False)

    with django_assert_num_queries(3):
        response = admin_client.get(reverse("sales:settings_loss_reasons"))

    html = response.content.decode()
    assert html.index("Ушёл к конкуренту") < html.index("Дорого") < html.index("Нет бюджета")
    assert "inactive" in html


def test_adding_renaming_and_deactivating_a_loss_reason(admin_client):
    response = admin_client.post(
        reverse("sales:settings_loss_reason_create"), {"name": "Дорого", "sort": "10"}
    )
    assert response.status_code == 204
    reason = LossReason.objects.get(name="Дорого")
    assert not reason.is_active  # an unchecked box

    response = admin_client.post(
        reverse("sales:settings_loss_reason_update", args=[reason.pk]),
        {"name": "Слишком дорого", "sort": "10", "is_active": "on"},
    )

    assert response.status_code == 204
    reason.refresh_from_db()
    assert (reason.name, reason.is_active) == ("Слишком дорого", True)


def test_a_loss_reason_without_a_name_is_refused(admin_client):
    response = admin_client.post(
        reverse("sales:settings_loss_reason_create"), {"name": " ", "sort": "10"}
    )

    assert response.status_code == 422
    assert 'data-field="name"' in response.content.decode()
    assert not LossReason.objects.exists()


def test_reordering_loss_reasons(admin_client):
    first, second = LossReasonFactory(sort=10), LossReasonFactory(sort=20)

    response = admin_client.post(
        reverse("sales:settings_loss_reason_reorder"), {"order": f"{second.pk},{first.pk}"}
    )
    refused = admin_client.post(reverse("sales:settings_loss_reason_reorder"), {"order": "1"})

    assert response.status_code == 204
    assert list(LossReason.objects.order_by("sort")) == [second, first]
    assert refused.status_code == 422


# ---- Products --------------------------------------------------------------------------------


def test_products_page_searches_filters_and_pages(admin_client, django_assert_num_queries):
    section = ProductSection.objects.create(name="Оборудование")
    ProductFactory(name="Насос ЦН-50", sku="PUMP-50", section=section, price=Decimal("12500"))
    ProductFactory(name="Монтаж насоса", sku="SRV-1")
    ProductFactory(name="Старый насос", is_active=False)
    for number in range(55):
        ProductFactory(name=f"Кабель {number:02}")

    with django_assert_num_queries(4):  # session, user, sections, one page of products
        response = admin_client.get(reverse("sales:settings_products"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "page=2" in html

    found = admin_client.get(reverse("sales:settings_products"), {"q": "насос"}, headers=HTMX)
    html = found.content.decode()
    assert "Насос ЦН-50" in html and "Монтаж насоса" in html and "Кабель" not in html
    assert "12,500.00\u00a0₽" in html
    assert "<html" not in html

    by_section = admin_client.get(reverse("sales:settings_products"), {"section": section.pk})
    assert "Монтаж насоса" not in by_section.content.decode()

    inactive = admin_client.get(reverse("sales:settings_products"), {"active": "no"})
    assert "Старый насос" in inactive.content.decode()
    assert "Монтаж насоса" not in inactive.content.decode()

    second = admin_client.get(reverse("sales:settings_products"), {"page": "2"})
    assert "Кабель 54" in second.content.decode()


def test_adding_and_editing_a_product(admin_client):
    section = ProductSection.objects.create(name="Услуги")
    data = {
        "name": "Монтаж",
        "sku": "SRV-1",
        "section": section.pk,
        "price": "1 500,50",
        "currency": "RUB",
        "vat_rate": "20",
        "vat_included": "on",
        "unit": "час",
        "is_active": "on",
        "description": "",
    }

    response = admin_client.post(reverse("sales:settings_product_create"), data)

    assert response.status_code == 204, response.content.decode()
    product = Product.objects.get(name="Монтаж")
    assert (product.price, product.vat_rate, product.unit, product.section) == (
        Decimal("1500.50"),
        Decimal("20.00"),
        "час",
        section,
    )

    response = admin_client.post(
        reverse("sales:settings_product_update", args=[product.pk]),
        {**data, "price": "2000", "vat_rate": "", "is_active": ""},
    )

    assert response.status_code == 204
    product.refresh_from_db()
    assert (product.price, product.vat_rate, product.is_active) == (Decimal("2000"), None, False)


@pytest.mark.parametrize(
    ("field", "value"), [("price", "-5"), ("vat_rate", "120"), ("name", ""), ("currency", "XXX")]
)
def test_a_bad_product_is_refused_naming_the_field(admin_client, field, value):
    data = {"name": "Монтаж", "price": "100", "currency": "RUB", "unit": "шт", field: value}

    response = admin_client.post(reverse("sales:settings_product_create"), data)

    assert response.status_code == 422
    assert f'data-field="{field}"' in response.content.decode()
    assert 'class="field invalid' in response.content.decode()
    assert not Product.objects.exists()


def test_editing_a_missing_product_is_404(admin_client):
    assert admin_client.get(reverse("sales:settings_product_update", args=[999])).status_code == 404


def test_product_sections_are_created_and_cannot_go_inside_themselves(admin_client):
    response = admin_client.post(
        reverse("sales:settings_product_section_create"), {"name": "Оборудование", "sort": "10"}
    )
    assert response.status_code == 204
    parent = ProductSection.objects.get(name="Оборудование")
    child = ProductSection.objects.create(name="Насосы", parent=parent)

    response = admin_client.post(
        reverse("sales:settings_product_section_update", args=[parent.pk]),
        {"name": "Оборудование", "parent": child.pk, "sort": "10"},
    )

    assert response.status_code == 422
    assert "cannot be placed inside itself" in response.content.decode()
    parent.refresh_from_db()
    assert parent.parent is None
