"""An administrator makes a deal stage demand the expected close date; a manager dragging a deal
into that stage is then asked for exactly that date."""

import datetime
import re

from playwright.sync_api import expect

from e2e.conftest import PASSWORD, board_column, drag, sign_in
from voronka.sales.models import Deal
from voronka.staff.tests.factories import UserFactory


def test_a_required_field_set_in_the_settings_is_asked_for_on_the_board(
    new_context, employee, sales_department, shot
):
    deal, _ = sales_department.add_deals()
    preparation = sales_department.stage(sales_department.deal_pipeline, "preparation")
    UserFactory(username="chief", is_staff=True, is_superuser=True, password=PASSWORD)
    admin = new_context().new_page()
    sign_in(admin, "chief")

    admin.goto("/settings/pipelines/")
    row = admin.locator(f".stage-row[data-stage-id='{preparation.pk}']")
    row.locator(f"button[hx-get$='/settings/stages/{preparation.pk}/']").click()
    dialog = admin.locator("#modal form")
    expect(dialog).to_be_visible()
    dialog.locator("input[name=required_fields][value=closes_on]").check()
    shot("stage-dialog", admin)
    dialog.locator("button[type=submit]").click()
    expect(admin.locator("#modal form")).to_have_count(0)
    expect(row.locator(".required-fields")).to_be_visible()
    shot("pipelines", admin)
    preparation.refresh_from_db()
    assert preparation.required_fields == ["closes_on"]

    manager = new_context().new_page()
    sign_in(manager, employee.username)
    manager.goto(f"/deals/pipeline/{sales_department.deal_pipeline.pk}/")
    drag(manager.locator(f"#deal-card-{deal.pk}"), board_column(manager, preparation))
    move = manager.locator("#modal .move-form")
    expect(move).to_be_visible()
    # Exactly the missing field: one date input besides the hidden ones.
    expect(move.locator("input:not([type=hidden]), select, textarea")).to_have_count(1)
    move.locator("input[name=closes_on]").fill("2026-12-25")
    shot("move-dialog", manager)
    move.locator("button[type=submit]").click()

    expect(manager.locator("#modal .move-form")).to_have_count(0)
    card = board_column(manager, preparation).locator(f"#deal-card-{deal.pk}")
    expect(card).to_be_visible()
    expect(card).not_to_have_class(re.compile(r"\bis-moving\b"))
    shot("moved", manager)
    deal = Deal.objects.get(pk=deal.pk)
    assert deal.stage_id == preparation.pk
    assert deal.closes_on == datetime.date(2026, 12, 25)
