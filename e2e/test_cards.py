"""Editing cards in place: a section turns into its form, saves through the service, shows the
new values (and the card head, for a deal's amount) and the change in the timeline; wrong input
keeps the form with the field's message and changes nothing; Cancel restores the section."""

import re

from playwright.sync_api import expect

from voronka.contacts.models import Contact
from voronka.sales.models import Deal


def test_a_deals_amount_is_edited_in_place(signed_in_page, sales_department, shot):
    page = signed_in_page
    deal, _ = sales_department.add_deals()
    page.goto(f"/deals/{deal.pk}/")
    section = page.locator("section.card-section[data-section=main]")
    section.locator("button.section-edit").click()
    form = section.locator("form.section-form")
    expect(form).to_be_visible()

    form.locator("[name=amount]").fill("много")
    form.locator("button[type=submit]").click()
    expect(form.locator(".field.invalid[data-field=amount]")).to_be_visible()
    shot("bad-amount")
    assert str(Deal.objects.get(pk=deal.pk).amount) == "1250000.00"

    form.locator("[name=amount]").fill("1 500 000,50")
    form.locator("button[type=submit]").click()

    expect(section.locator("form")).to_have_count(0)
    expect(section).to_contain_text("1 500 000,50 ₽")
    expect(page.locator("#card-head")).to_contain_text("1 500 000,50 ₽")
    expect(page.locator(".card-timeline")).to_contain_text(
        re.compile(r"1\s250\s000.*1\s500\s000,50")
    )
    shot("saved")
    assert str(Deal.objects.get(pk=deal.pk).amount) == "1500000.50"


def test_a_contact_is_opened_from_the_list_and_edited_in_place(
    signed_in_page, sales_department, shot
):
    page = signed_in_page
    _, contact = sales_department.add_clients()
    page.goto("/contacts/")
    page.get_by_role("link", name="Лебедев Павел").click()
    expect(page).to_have_url(re.compile(rf"/contacts/{contact.pk}/$"))
    section = page.locator("section.card-section[data-section=main]")
    expect(section).to_contain_text("Закупщик")
    shot("card")

    section.locator("button.section-edit").click()
    form = section.locator("form.section-form")
    form.locator("[name=position]").fill("Директор по закупкам")
    form.locator("button", has_text=re.compile("Отмена|Cancel")).click()
    expect(section.locator("form")).to_have_count(0)
    expect(section).to_contain_text("Закупщик")

    section.locator("button.section-edit").click()
    form.locator("[name=last_name]").fill("")
    form.locator("[name=first_name]").fill("")
    form.locator("button[type=submit]").click()
    expect(form.locator(".errorlist, .message.error").first).to_be_visible()
    shot("no-name")
    assert Contact.objects.get(pk=contact.pk).last_name == "Лебедев"

    form.locator("[name=last_name]").fill("Лебедев")
    form.locator("[name=first_name]").fill("Павел")
    form.locator("[name=position]").fill("Директор по закупкам")
    form.locator("button[type=submit]").click()

    expect(section.locator("form")).to_have_count(0)
    expect(section).to_contain_text("Директор по закупкам")
    expect(page.locator(".card-timeline")).to_contain_text("Директор по закупкам")
    shot("saved")
    assert Contact.objects.get(pk=contact.pk).position == "Директор по закупкам"
