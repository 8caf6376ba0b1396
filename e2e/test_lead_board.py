"""The leads board: dragging a lead to a stage that needs a field filled first, and putting the
card back when that dialog is cancelled."""

import re

from playwright.sync_api import expect

from e2e.conftest import board_column as column
from e2e.conftest import drag
from voronka.sales.models import Lead


def test_dragging_a_lead_to_a_stage_with_a_required_field_asks_for_it(
    signed_in_page, sales_department, shot
):
    page = signed_in_page
    lead, *_ = sales_department.add_leads()
    new, in_progress = sales_department.lead_new, sales_department.lead_in_progress
    page.goto("/leads/")
    card = page.locator(f"#lead-card-{lead.pk}")
    expect(column(page, new).locator(f"#lead-card-{lead.pk}")).to_be_visible()
    shot("board")

    drag(card, column(page, in_progress))

    dialog = page.locator("#modal .move-form")
    expect(dialog).to_be_visible()
    expect(dialog.locator("[name=company_title]")).to_be_visible()
    shot("required-field")
    dialog.locator("[name=company_title]").fill("ООО «Ромашка»")
    dialog.locator("button[type=submit]").click()

    expect(page.locator("#modal .move-form")).to_have_count(0)
    moved = column(page, in_progress).locator(f"#lead-card-{lead.pk}")
    expect(moved).to_be_visible()
    expect(moved).to_contain_text("ООО «Ромашка»")
    expect(page.locator(f".board-column[data-stage='{in_progress.pk}']")).to_contain_text(
        "150 000,00 ₽"
    )
    shot("moved")
    lead = Lead.objects.get(pk=lead.pk)
    assert lead.stage_id == in_progress.pk
    assert lead.company_title == "ООО «Ромашка»"

    page.reload()
    expect(column(page, in_progress).locator(f"#lead-card-{lead.pk}")).to_be_visible()


def test_cancelling_the_dialog_puts_the_lead_back(signed_in_page, sales_department, shot):
    page = signed_in_page
    lead, *_ = sales_department.add_leads()
    new, in_progress = sales_department.lead_new, sales_department.lead_in_progress
    page.goto("/leads/")

    drag(page.locator(f"#lead-card-{lead.pk}"), column(page, in_progress))
    dialog = page.locator("#modal .move-form")
    expect(dialog).to_be_visible()
    dialog.locator("button[data-modal-close]").click()

    expect(dialog).to_have_count(0)
    expect(column(page, new).locator(f"#lead-card-{lead.pk}")).to_be_visible()
    expect(column(page, in_progress).locator(".board-card")).to_have_count(0)
    shot("back")
    assert Lead.objects.get(pk=lead.pk).stage_id == new.pk


def test_the_quick_search_finds_a_lead_by_phone_typed_another_way(
    signed_in_page, sales_department, shot
):
    page = signed_in_page
    _, kuznetsova, _ = sales_department.add_leads()
    page.goto("/leads/")
    expect(page.locator(".board-card")).to_have_count(3)

    page.locator("input.board-search").fill("8 912 000 00 02")

    expect(page).to_have_url(re.compile(r"/leads/\?.*q=8"))
    expect(page.locator(".board-card")).to_have_count(1)
    expect(page.locator(f"#lead-card-{kuznetsova.pk}")).to_be_visible()
    new_head = page.locator(f".board-column[data-stage='{sales_department.lead_new.pk}']")
    expect(new_head).to_contain_text("48 500,50 ₽")
    shot("found")

    # The address can be shared: opening it shows the same filtered board.
    page.goto(page.url)
    expect(page.locator("input.board-search")).to_have_value("8 912 000 00 02")
    expect(page.locator(".board-card")).to_have_count(1)
