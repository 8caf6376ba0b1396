"""Closing deals: won by a drag to the board's Won zone, lost with a reason from the stage bar
of the deal's card (which then shows the new stage); the board in English and at phone width."""

import re
from zoneinfo import ZoneInfo

from django.utils.timezone import localtime
from playwright.sync_api import expect

from e2e.conftest import board_column, drag
from voronka.sales.models import Deal, StageKind


def test_a_deal_is_won_by_dragging_it_to_the_won_zone(signed_in_page, sales_department, shot):
    page = signed_in_page
    deal, other = sales_department.add_deals()
    won = sales_department.stage(sales_department.deal_pipeline, "won")
    page.goto("/deals/")
    expect(page).to_have_url(re.compile(rf"/deals/pipeline/{sales_department.deal_pipeline.pk}/$"))
    card = page.locator(f"#deal-card-{deal.pk}")
    expect(card).to_be_visible()
    shot("board")

    drag(card, board_column(page, won))

    expect(page.locator(f"#deal-card-{deal.pk}")).to_have_count(0)
    expect(page.locator(f"#deal-card-{other.pk}")).to_be_visible()
    zone = page.locator(f".board-zone[data-stage='{won.pk}']")
    expect(zone).to_contain_text("1 250 000,00 ₽")
    shot("won")
    deal = Deal.objects.get(pk=deal.pk)
    assert deal.stage_id == won.pk
    assert deal.closed_at is not None

    page.reload()
    expect(page.locator(f"#deal-card-{deal.pk}")).to_have_count(0)


def test_a_deal_is_lost_with_a_reason_from_its_stage_bar(signed_in_page, sales_department, shot):
    page = signed_in_page
    deal, _ = sales_department.add_deals()
    lost = sales_department.stage(sales_department.deal_pipeline, "lost")
    page.goto(f"/deals/{deal.pk}/")
    bar = page.locator(".stage-bar")
    expect(bar.locator("[aria-current=step]")).to_have_attribute("title", "Новая")
    shot("card")

    bar.locator(f".stage-seg[title='{lost.name}']").click()

    dialog = page.locator("#modal .move-form")
    expect(dialog).to_be_visible()
    shot("reason")
    dialog.locator("select[name=loss_reason]").select_option(label="Дорого")
    dialog.locator("[name=loss_comment]").fill("Бюджет урезали до весны")
    dialog.locator("button[type=submit]").click()

    expect(page.locator("#modal .move-form")).to_have_count(0)
    expect(page.locator("#card-head")).to_contain_text(lost.name)
    deal = Deal.objects.get(pk=deal.pk)
    assert deal.stage.kind == StageKind.LOST
    assert deal.loss_reason == sales_department.too_expensive
    assert deal.loss_comment == "Бюджет урезали до весны"
    expect(page.locator("#card-fields")).to_contain_text("Бюджет урезали до весны")
    shot("lost")
    expect(bar.locator("[aria-current=step]")).to_have_attribute("title", lost.name)


def test_the_deals_board_in_english(signed_in_page, sales_department, shot):
    page = signed_in_page
    sales_department.add_deals()
    page.goto("/deals/")
    expect(page.locator("header.topbar .topbar-title")).to_have_text("Сделки")

    page.locator("nav.sidebar button[name=language][value=en]").click()

    expect(page).to_have_url(re.compile(r"/deals/pipeline/\d+/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("header.topbar .topbar-title")).to_have_text("Deals")
    expect(page.locator(".board-head .actions a.button.primary")).to_have_text("+ Deal")
    # Names of pipelines and stages are data: they stay as the administrator wrote them.
    expect(page.locator(".board-tabs a[aria-current=page]")).to_have_text("Продажи")
    shot("english")


def test_the_deals_board_at_phone_width(signed_in_phone, sales_department, shot):
    page = signed_in_phone
    deal, _ = sales_department.add_deals()
    page.goto("/deals/")
    expect(page.locator(f"#deal-card-{deal.pk}")).to_be_visible()
    shot("phone", page)

    board = page.locator(".board")
    # The columns scroll sideways inside the board; the page itself does not.
    assert board.evaluate("element => element.scrollWidth > element.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    columns = page.locator(".board-column")
    width = columns.first.bounding_box()["width"]
    assert 200 <= width <= 320, width
    board.evaluate("element => element.scrollBy(10000, 0)")
    expect(columns.last).to_be_in_viewport()
    shot("phone-scrolled", page)


def test_a_deal_card_at_phone_width_takes_a_comment(signed_in_phone, sales_department, shot):
    from voronka.timeline.models import TimelineEntry

    page = signed_in_phone
    deal, _ = sales_department.add_deals()
    page.goto(f"/deals/{deal.pk}/")
    expect(page.locator("#card-head")).to_contain_text("Поставка оборудования")
    shot("card", page)

    # Fields first, the timeline below them; nothing wider than the phone but the stage bar,
    # which scrolls inside itself.
    fields = page.locator("#card-fields").bounding_box()
    timeline = page.locator(".card-timeline").bounding_box()
    assert timeline["y"] >= fields["y"] + fields["height"] - 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    bar = page.locator(".stage-bar")
    assert bar.evaluate("element => element.scrollWidth > element.clientWidth")

    composer = page.locator("#tl-composer [data-tl-pane=comment] form")
    composer.locator("textarea").fill("Клиент просит счёт до пятницы")
    composer.locator("button[type=submit]").tap()

    expect(page.locator(".card-timeline")).to_contain_text("Клиент просит счёт до пятницы")
    assert TimelineEntry.objects.filter(text__contains="счёт до пятницы").exists()
    shot("commented", page)


def test_a_deal_card_shows_times_in_the_employees_time_zone(signed_in_page, sales_department):
    page = signed_in_page
    deal, _ = sales_department.add_deals()
    moscow = localtime(deal.created_at, ZoneInfo("Europe/Moscow")).strftime("%d.%m.%Y %H:%M")

    page.goto(f"/deals/{deal.pk}/")

    expect(page.locator(".card-timeline")).to_contain_text(moscow)
    expect(page.locator("#card-fields")).to_contain_text(moscow)
