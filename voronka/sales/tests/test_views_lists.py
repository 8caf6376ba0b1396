import csv
import io
import json
import re
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from openpyxl import load_workbook

from voronka.contacts.models import Communication, Contact
from voronka.contacts.tests.factories import CompanyFactory, ContactFactory
from voronka.core.models import UserPreference
from voronka.customization.models import CustomField, EntityType, FieldType
from voronka.sales.models import Deal, DealContact, Lead, StageTransition
from voronka.sales.tests.factories import PipelineFactory, stage_of
from voronka.timeline.models import EntryKind, TimelineEntry

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
RESULTS = {"HX-Request": "true", "HX-Target": "list-results"}


def make_leads(count, *, pipeline, responsible, **values):
    stage = values.pop("stage", None) or pipeline.stages.order_by("sort").first()
    leads = Lead.objects.bulk_create(
        Lead(
            title=f"Заявка {n:03d}",
            stage=stage,
            responsible=responsible,
            amount=Decimal(100 + n),
            **values,
        )
        for n in range(count)
    )
    lead_type = ContentType.objects.get_for_model(Lead)
    Communication.objects.bulk_create(
        Communication(
            card_type=lead_type,
            card_id=lead.pk,
            kind="phone",
            value=f"8912{lead.pk:07d}",
            value_normalized=f"+7912{lead.pk:07d}",
        )
        for lead in leads
    )
    return leads


def make_deals(count, *, pipeline, responsible, stage_code=None, **values):
    stage = (
        stage_of(pipeline, stage_code) if stage_code else pipeline.stages.order_by("sort").first()
    )
    return Deal.objects.bulk_create(
        Deal(
            title=f"Сделка {n:03d}",
            pipeline=pipeline,
            stage=stage,
            responsible=responsible,
            amount=Decimal(1000 + n),
            **values,
        )
        for n in range(count)
    )


def next_link(html):
    [link] = re.findall(r'href="([^"]*after=[^"]*)"', html)
    return link.replace("&amp;", "&")


def history(card, kind):
    return TimelineEntry.objects.filter(
        card_type=ContentType.objects.get_for_model(card), card_id=card.pk, kind=kind
    )


def csv_rows(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff")), delimiter=";"))


@pytest.fixture
def signed_in(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def sales(deal_pipeline):
    return PipelineFactory.with_stages(name="Сервис")


class TestPages:
    @pytest.mark.parametrize("name", ["lead_list", "deal_list", "lead_bulk", "deal_columns"])
    def test_anonymous_visitor_is_sent_to_sign_in(self, client, name):
        response = client.get(reverse(f"sales:{name}"))
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))

    def test_lead_rows_with_stage_amount_phone_and_board_switch(
        self, signed_in, manager, lead_pipeline
    ):
        [lead] = make_leads(1, pipeline=lead_pipeline, responsible=manager, company_title="ООО Лес")

        response = signed_in.get(reverse("sales:lead_list"))

        assert response.status_code == 200
        html = response.content.decode()
        assert f'href="/leads/{lead.pk}/"' in html
        assert "Заявка 000" in html
        assert "ООО Лес" in html
        assert lead.stage.name in html and lead.stage.color in html
        assert "100.00\xa0₽" in html
        assert "+7 912" in html
        assert f'href="{reverse("sales:lead_board")}"' in html
        assert "1–1 of 1" in html

    def test_deal_rows_with_company_and_primary_contact(self, signed_in, manager, deal_pipeline):
        # The manager's own client: a card the user does not see is named without a link.
        company = CompanyFactory(title="ООО «Металлист»", responsible=manager)
        [deal] = make_deals(1, pipeline=deal_pipeline, responsible=manager, company=company)
        contact = ContactFactory(last_name="Кузнецов", first_name="Иван", responsible=manager)
        DealContact.objects.create(deal=deal, contact=contact, is_primary=True)

        html = signed_in.get(reverse("sales:deal_list")).content.decode()

        assert f'href="/deals/{deal.pk}/"' in html
        assert f'href="/companies/{company.pk}/"' in html
        assert f'href="/contacts/{contact.pk}/">Кузнецов Иван' in html
        assert f'href="{reverse("sales:deal_board_default")}"' in html

    def test_deals_of_every_pipeline_and_a_pipeline_filter(
        self, signed_in, manager, deal_pipeline, sales
    ):
        Deal.objects.bulk_create(
            [
                Deal(
                    title="Продажа",
                    pipeline=deal_pipeline,
                    stage=deal_pipeline.stages.first(),
                    responsible=manager,
                ),
                Deal(
                    title="Ремонт", pipeline=sales, stage=sales.stages.first(), responsible=manager
                ),
            ]
        )
        url = reverse("sales:deal_list")

        everything = signed_in.get(url).content.decode()
        service = signed_in.get(url, {"pipeline": sales.pk}).content.decode()

        assert "Продажа" in everything and "Ремонт" in everything
        assert "Ремонт" in service and "Продажа" not in service
        assert f'<option value="{sales.pk}" selected>' in service

    def test_filters_of_the_shared_filterset_apply(self, signed_in, manager, lead_pipeline):
        leads = make_leads(3, pipeline=lead_pipeline, responsible=manager)
        second = lead_pipeline.stages.order_by("sort")[1]
        Lead.objects.filter(pk=leads[1].pk).update(stage=second)

        html = signed_in.get(reverse("sales:lead_list"), {"stage": second.pk}).content.decode()

        assert "Заявка 001" in html
        assert "Заявка 000" not in html and "Заявка 002" not in html

    def test_sorting_by_amount_both_ways(self, signed_in, manager, deal_pipeline):
        make_deals(3, pipeline=deal_pipeline, responsible=manager)
        url = reverse("sales:deal_list")

        ascending = signed_in.get(url, {"sort": "amount"}).content.decode()
        descending = signed_in.get(url, {"sort": "-amount"}, headers=RESULTS).content.decode()

        assert ascending.index("Сделка 000") < ascending.index("Сделка 002")
        assert descending.index("Сделка 002") < descending.index("Сделка 000")
        assert "<html" not in descending

    @pytest.mark.parametrize(
        "params",
        [
            {"sort": "stage__name"},
            {"sort": "-pk"},
            {"pipeline": "abc"},
            {"pipeline": "99999"},
            {"stage": "abc"},
            {"amount_min": "много"},
            {"created_after": "2026-13-45"},
            {"page": "-1"},
            {"after": "Zm9v", "sort": "amount"},
            {"mine": "yes", "overdue": "1"},
        ],
    )
    def test_bad_sort_and_filter_values_never_fail(self, signed_in, manager, deal_pipeline, params):
        make_deals(2, pipeline=deal_pipeline, responsible=manager)
        for name in ("sales:deal_list", "sales:lead_list"):
            assert signed_in.get(reverse(name), params).status_code == 200

    def test_pages_of_fifty(self, signed_in, manager, lead_pipeline):
        make_leads(51, pipeline=lead_pipeline, responsible=manager)
        url = reverse("sales:lead_list")

        first = signed_in.get(url, {"sort": "title"}).content.decode()
        second = signed_in.get(next_link(first)).content.decode()

        assert "1–50 of 51" in first
        assert first.count('name="ids"') == 50
        assert "51–51 of 51" in second
        assert "Заявка 050" in second and "Заявка 000" not in second

    @pytest.mark.parametrize("count", [3, 60])
    def test_lead_list_costs_the_same_queries_for_3_and_60_leads(
        self, signed_in, manager, lead_pipeline, count, django_assert_num_queries
    ):
        make_leads(count, pipeline=lead_pipeline, responsible=manager)
        # session, user, rights, field rules, pipelines, custom fields (list and filterset),
        # preference, count, rows, phones, stage and source choices of the filter
        with django_assert_num_queries(13):
            response = signed_in.get(reverse("sales:lead_list"))
        assert response.status_code == 200

    @pytest.mark.parametrize("count", [3, 60])
    def test_deal_list_costs_the_same_queries_for_3_and_60_deals(
        self, signed_in, manager, deal_pipeline, sales, count, django_assert_num_queries
    ):
        company = CompanyFactory()
        deals = make_deals(count, pipeline=deal_pipeline, responsible=manager, company=company)
        for deal in deals:
            DealContact.objects.create(
                deal=deal, contact=ContactFactory(responsible=manager), is_primary=True
            )
        ContentType.objects.get_for_model(Contact)  # as after the first request of a process
        # session, user, rights, field rules, pipelines, custom fields (list and filterset),
        # preference, count, rows, primary contacts, their communications, stage and source
        # choices
        with django_assert_num_queries(14):
            response = signed_in.get(reverse("sales:deal_list"))
        assert response.status_code == 200


class TestColumns:
    def test_custom_field_columns_can_be_chosen_and_stay_chosen(
        self, signed_in, manager, deal_pipeline
    ):
        CustomField.objects.create(
            entity=EntityType.DEAL,
            code="region",
            label="Регион",
            field_type=FieldType.LIST,
            options=[{"id": "msk", "label": "Москва"}],
        )
        [deal] = make_deals(1, pipeline=deal_pipeline, responsible=manager)
        Deal.objects.filter(pk=deal.pk).update(custom_fields={"region": "msk"})

        dialog = signed_in.get(reverse("sales:deal_columns"), headers=HTMX).content.decode()
        response = signed_in.post(
            reverse("sales:deal_columns"), {"columns": ["cf_region", "pipeline"]}, headers=HTMX
        )

        assert "Регион" in dialog
        assert response.headers["HX-Refresh"] == "true"
        assert UserPreference.objects.get(user=manager, key="list_columns:deals").value == [
            "cf_region",
            "pipeline",
            "title",
        ]
        html = signed_in.get(reverse("sales:deal_list")).content.decode()
        assert "Москва" in html
        assert deal_pipeline.name in html
        assert "Responsible" not in html.split("<tbody>")[0].split("list-table")[1]


class TestBulkActions:
    def test_move_dialog_offers_the_stages_grouped_by_pipeline(
        self, signed_in, manager, deal_pipeline, sales, loss_reason
    ):
        [deal] = make_deals(1, pipeline=deal_pipeline, responsible=manager)
        html = signed_in.get(
            reverse("sales:deal_bulk"), {"action": "move", "ids": [deal.pk]}, headers=HTMX
        ).content.decode()
        assert f'<optgroup label="{deal_pipeline.name}">' in html
        assert f'<optgroup label="{sales.name}">' in html
        assert loss_reason.name in html

    def test_move_dialog_of_a_chosen_pipeline_offers_only_its_stages(
        self, signed_in, manager, deal_pipeline, sales
    ):
        [deal] = make_deals(1, pipeline=sales, responsible=manager)
        html = signed_in.get(
            reverse("sales:deal_bulk"),
            {"action": "move", "ids": [deal.pk], "pipeline": sales.pk},
            headers=HTMX,
        ).content.decode()
        assert f'<optgroup label="{sales.name}">' in html
        assert f'<optgroup label="{deal_pipeline.name}">' not in html

    def test_dialog_buttons_fill_the_dialog_host_instead_of_replacing_it(
        self, signed_in, manager, deal_pipeline
    ):
        # The results block swaps itself whole (outerHTML); its buttons must not inherit that.
        make_deals(1, pipeline=deal_pipeline, responsible=manager)
        html = signed_in.get(reverse("sales:deal_list"), headers=RESULTS).content.decode()
        assert html.count('hx-target="#modal"') == 4
        assert html.count('hx-target="#modal" hx-swap="innerHTML"') == 4

    def test_move_goes_through_the_service_and_reports_cards_left_behind(
        self, signed_in, manager, deal_pipeline, sales
    ):
        moving, no_amount = make_deals(2, pipeline=deal_pipeline, responsible=manager)
        Deal.objects.filter(pk=no_amount.pk).update(amount=0)
        [elsewhere] = make_deals(1, pipeline=sales, responsible=manager)
        target = deal_pipeline.stages.order_by("sort")[1]
        target.required_fields = ["amount"]
        target.save(update_fields=["required_fields"])

        response = signed_in.post(
            reverse("sales:deal_bulk"),
            {
                "action": "move",
                "ids": [moving.pk, no_amount.pk, elsewhere.pk],
                "stage": target.pk,
            },
            headers=HTMX,
        )

        assert response.status_code == 200
        html = response.content.decode()
        assert "Moved: 1 card. Not done: 2." in html
        assert f"<strong>{no_amount.title}</strong>: Fill in “amount” to move the card" in html
        assert f"<strong>{elsewhere.title}</strong>: The stage “{target.name}” belongs" in html
        events = json.loads(response.headers["HX-Trigger"])
        assert events["voronka:toast"]["level"] == "error"
        assert "voronka:list-changed" in events
        moving.refresh_from_db()
        no_amount.refresh_from_db()
        assert moving.stage == target
        assert no_amount.stage != target
        assert StageTransition.objects.filter(deal=moving, to_stage=target).exists()
        assert history(moving, EntryKind.STAGE_CHANGED).exists()
        assert not history(no_amount, EntryKind.STAGE_CHANGED).exists()

    def test_a_lost_stage_needs_a_loss_reason(self, signed_in, manager, lead_pipeline, loss_reason):
        [lead] = make_leads(1, pipeline=lead_pipeline, responsible=manager)
        lost = lead_pipeline.stages.get(kind="lost")
        url = reverse("sales:lead_bulk")

        refused = signed_in.post(
            url, {"action": "move", "ids": [lead.pk], "stage": lost.pk}, headers=HTMX
        )
        lead.refresh_from_db()
        assert refused.status_code == 422
        assert "Choose why the cards are lost" in refused.content.decode()
        assert lead.stage != lost

        moved = signed_in.post(
            url,
            {"action": "move", "ids": [lead.pk], "stage": lost.pk, "loss_reason": loss_reason.pk},
            headers=HTMX,
        )
        lead.refresh_from_db()
        assert moved.status_code == 200
        assert json.loads(moved.headers["HX-Trigger"])["voronka:toast"] == {
            "message": "Moved: 1 card.",
            "level": "success",
        }
        assert (lead.stage, lead.loss_reason) == (lost, loss_reason)

    @pytest.mark.parametrize("stage", ["", "abc", "99999"])
    def test_move_without_a_valid_stage_is_a_422(self, signed_in, manager, lead_pipeline, stage):
        [lead] = make_leads(1, pipeline=lead_pipeline, responsible=manager)
        response = signed_in.post(
            reverse("sales:lead_bulk"),
            {"action": "move", "ids": [lead.pk], "stage": stage},
            headers=HTMX,
        )
        assert response.status_code == 422
        assert "Choose a stage." in response.content.decode()

    def test_a_deal_stage_is_not_a_lead_stage(
        self, signed_in, manager, lead_pipeline, deal_pipeline
    ):
        [lead] = make_leads(1, pipeline=lead_pipeline, responsible=manager)
        response = signed_in.post(
            reverse("sales:lead_bulk"),
            {"action": "move", "ids": [lead.pk], "stage": deal_pipeline.stages.first().pk},
            headers=HTMX,
        )
        assert response.status_code == 422

    def test_assign_through_the_service(self, signed_in, manager, other_manager, lead_pipeline):
        leads = make_leads(2, pipeline=lead_pipeline, responsible=manager)
        response = signed_in.post(
            reverse("sales:lead_bulk"),
            {
                "action": "assign",
                "ids": [lead.pk for lead in leads],
                "responsible": other_manager.pk,
            },
            headers=HTMX,
        )
        assert response.status_code == 200
        for lead in leads:
            lead.refresh_from_db()
            assert lead.responsible == other_manager
            assert history(lead, EntryKind.FIELD_CHANGED).exists()

    def test_delete_after_confirmation(self, signed_in, manager, deal_pipeline):
        deals = make_deals(2, pipeline=deal_pipeline, responsible=manager)
        ids = [deal.pk for deal in deals]
        dialog = signed_in.get(
            reverse("sales:deal_bulk"), {"action": "delete", "ids": ids}, headers=HTMX
        )
        unconfirmed = signed_in.post(
            reverse("sales:deal_bulk"), {"action": "delete", "ids": ids}, headers=HTMX
        )
        assert 'name="confirmed" value="1"' in dialog.content.decode()
        assert unconfirmed.status_code == 422
        assert Deal.objects.count() == 2

        response = signed_in.post(
            reverse("sales:deal_bulk"),
            {"action": "delete", "ids": ids, "confirmed": "1"},
            headers=HTMX,
        )
        assert response.status_code == 200
        assert Deal.objects.count() == 0
        assert history(deals[0], EntryKind.DELETED).exists()


class TestExport:
    def test_csv_of_the_filter_with_human_values(self, signed_in, manager, lead_pipeline):
        leads = make_leads(3, pipeline=lead_pipeline, responsible=manager)
        second = lead_pipeline.stages.order_by("sort")[1]
        Lead.objects.filter(pk__in=[leads[0].pk, leads[2].pk]).update(stage=second)

        response = signed_in.get(
            reverse("sales:lead_export", args=["csv"]), {"stage": second.pk, "sort": "title"}
        )

        assert 'filename="leads-' in response["Content-Disposition"]
        rows = csv_rows(response)
        assert rows[0] == [
            "Title",
            "Name",
            "Company",
            "Stage",
            "Amount",
            "Currency",
            "Phones",
            "Responsible",
            "Created",
        ]
        assert [row[0] for row in rows[1:]] == ["Заявка 000", "Заявка 002"]
        assert rows[1][3] == second.name
        assert rows[1][4:6] == ["100.00", "RUB"]
        assert rows[1][6].startswith("+7 912")
        assert rows[1][7] == manager.get_full_name()

    def test_xlsx_of_every_page(self, signed_in, manager, deal_pipeline):
        make_deals(55, pipeline=deal_pipeline, responsible=manager)
        response = signed_in.get(reverse("sales:deal_export", args=["xlsx"]), {"sort": "amount"})
        assert 'filename="deals-' in response["Content-Disposition"]
        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        rows = list(sheet.iter_rows(values_only=True))
        assert len(rows) == 56
        assert rows[0][:4] == ("Title", "Stage", "Amount", "Currency")
        assert rows[1][0] == "Сделка 000"
        assert rows[1][2] == 1000
        assert rows[-1][2] == 1054

    @pytest.mark.parametrize("count", [3, 30])
    def test_export_costs_the_same_queries(
        self, signed_in, manager, deal_pipeline, count, django_assert_num_queries
    ):
        make_deals(count, pipeline=deal_pipeline, responsible=manager)
        # session, user, rights, field rules, pipelines, custom fields (list and filterset),
        # preference, the capped row count and the audit line, rows, primary contacts
        with django_assert_num_queries(12):
            rows = csv_rows(signed_in.get(reverse("sales:deal_export", args=["csv"])))
        assert len(rows) == count + 1


@pytest.mark.parametrize("count", [2, 40])
def test_dialogs_cost_a_fixed_number_of_queries(
    signed_in, manager, deal_pipeline, loss_reason, count, django_assert_num_queries
):
    deals = make_deals(count, pipeline=deal_pipeline, responsible=manager)
    ids = [deal.pk for deal in deals]
    # session, user, rights, pipelines, stages of the open pipelines, loss reasons
    with django_assert_num_queries(6):
        response = signed_in.get(
            reverse("sales:deal_bulk"), {"action": "move", "ids": ids}, headers=HTMX
        )
    assert response.status_code == 200
    # session, user, rights, pipelines, custom fields, field rules (for the columns),
    # preference
    with django_assert_num_queries(7):
        response = signed_in.get(reverse("sales:deal_columns"), headers=HTMX)
    assert response.status_code == 200
