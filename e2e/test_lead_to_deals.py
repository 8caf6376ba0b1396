"""A lead's life: created from the leads board's "+" button, opened from the board and converted
into two deals in two pipelines with a new contact and company."""

import re

from playwright.sync_api import expect

from e2e.conftest import board_column
from voronka.contacts.models import Company, Contact
from voronka.sales.models import Deal, Lead, StageKind


def test_a_lead_is_created_from_the_board(signed_in_page, sales_department, shot):
    page = signed_in_page
    page.goto("/leads/")

    page.locator(".board-head .actions a.button.primary").click()
    form = page.locator("form.card-create-form")
    expect(form).to_be_visible()
    shot("form")

    form.locator("button[type=submit]").click()
    expect(form.locator(".field.invalid[data-field=title] .errorlist")).to_be_visible()
    assert not Lead.objects.exists()
    shot("empty")

    form.locator("[name=last_name]").fill("Соколова")
    form.locator("[name=first_name]").fill("Анна")
    form.locator("[name=phone]").fill("8 (912) 345-67-89")
    form.locator("[name=amount]").fill("75 000")
    form.locator("button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/leads/\d+/$"))
    lead = Lead.objects.get(last_name="Соколова")
    assert page.url.endswith(f"/leads/{lead.pk}/")
    assert lead.stage_id == sales_department.lead_new.pk
    assert lead.responsible == sales_department.employee
    assert str(lead.amount) == "75000.00"
    assert lead.communications.get().value_normalized == "+79123456789"
    expect(page.locator("#card-head")).to_contain_text("Соколова Анна")
    shot("card")

    page.goto("/leads/")
    new_column = board_column(page, sales_department.lead_new)
    expect(new_column.locator(f"#lead-card-{lead.pk}")).to_contain_text("75 000,00 ₽")


def test_a_lead_is_converted_into_two_deals_in_two_pipelines(
    signed_in_page, sales_department, shot
):
    from voronka.sales.services.leads import lead_create

    page = signed_in_page
    lead = lead_create(
        actor=sales_department.employee,
        data={
            "last_name": "Орлов",
            "first_name": "Игорь",
            "company_title": "ООО «Север»",
            "amount": "320000",
        },
        communications=[{"kind": "email", "value": "orlov@sever.example"}],
    )
    page.goto("/leads/")
    page.locator(f"#lead-card-{lead.pk} a.board-card-title").click()
    expect(page).to_have_url(re.compile(rf"/leads/{lead.pk}/$"))
    shot("lead")

    page.locator(f"#card-head [hx-get$='/leads/{lead.pk}/convert/']").click()
    form = page.locator("#modal form.conversion-form")
    expect(form).to_be_visible()
    for pipeline in (sales_department.deal_pipeline, sales_department.tender_pipeline):
        form.locator(f"input[name=pipelines][value='{pipeline.pk}']").check()
    form.locator("input[name=contact][value=new]").check()
    form.locator("input[name=company][value=new]").check()
    shot("dialog")
    form.locator("button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/deals/\d+/$"))
    deals = list(Deal.objects.filter(lead=lead).order_by("pipeline__sort", "pk"))
    assert [deal.pipeline for deal in deals] == [
        sales_department.deal_pipeline,
        sales_department.tender_pipeline,
    ]
    assert page.url.endswith(f"/deals/{deals[0].pk}/")
    contact = Contact.objects.get(last_name="Орлов")
    company = Company.objects.get(title="ООО «Север»")
    for deal in deals:
        assert deal.stage.kind == StageKind.OPEN
        assert deal.company == company
        assert list(deal.contacts.all()) == [contact]
        assert str(deal.amount) == "320000.00"
    lead = Lead.objects.get(pk=lead.pk)
    assert lead.converted_at is not None
    assert lead.stage.kind == StageKind.WON
    expect(page.locator("#card-fields")).to_contain_text("ООО «Север»")
    shot("deal")

    page.goto(f"/deals/pipeline/{sales_department.tender_pipeline.pk}/")
    card = page.locator(f"#deal-card-{deals[1].pk}")
    expect(card).to_contain_text("ООО «Север»")
    expect(card).to_contain_text("320 000,00 ₽")
    shot("tenders-board")
