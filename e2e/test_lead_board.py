"""The leads board: dragging a lead to a stage that needs a field filled first, and putting the
card back when that dialog is cancelled."""

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
