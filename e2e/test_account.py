"""Signing in and out, the interface language kept per employee, changing the password."""

import re

from playwright.sync_api import expect

from e2e.conftest import PASSWORD, sign_in, sign_out


def test_a_wrong_password_keeps_the_visitor_on_the_sign_in_page_with_an_error(page, employee, shot):
    sign_in(page, employee.username, "not-the-password")

    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.locator(".login .error")).to_be_visible()
    expect(page.locator("nav.sidebar")).to_have_count(0)
    shot("error")


def test_signing_in_lands_on_the_home_page_with_the_menu_and_initials(page, employee, shot):
    page.goto("/deals/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/deals/$"))
    shot("login")

    sign_in(page, employee.username)

    expect(page).to_have_url(re.compile(r"/$"))
    menu = page.locator("nav.sidebar")
    for path in ("/leads/", "/deals/", "/contacts/", "/companies/"):
        expect(menu.locator(f"a[href='{path}']")).to_be_visible()
    expect(page.locator("header.topbar .avatar")).to_have_text("МИ")
    expect(menu.locator(".who-name")).to_have_text(re.compile("Иванова"))
    shot("home")


def test_signing_out_returns_to_the_sign_in_page_and_closes_the_session(signed_in_page, shot):
    page = signed_in_page

    sign_out(page)

    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    shot("signed-out")


def test_the_interface_is_russian_and_english_is_kept_on_the_employee(
    signed_in_page, employee, new_context, shot
):
    page = signed_in_page
    menu = page.locator("nav.sidebar")
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(menu.locator("a[href='/deals/']")).to_have_text("Сделки")
    expect(menu.locator("a[href='/leads/']")).to_have_text("Лиды")
    shot("russian")

    menu.locator("button[name=language][value=en]").click()

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(menu.locator("a[href='/deals/']")).to_have_text("Deals")
    expect(menu.locator("a[href='/leads/']")).to_have_text("Leads")
    expect(menu.locator("button[name=language][value=en]")).to_have_attribute(
        "aria-current", "true"
    )
    shot("english")
    employee.refresh_from_db()
    assert employee.language == "en"

    sign_out(page)
    sign_in(page, employee.username)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(menu.locator("a[href='/deals/']")).to_have_text("Deals")

    # Another device with a Russian browser and no language cookie: the employee's choice wins.
    other_device = new_context().new_page()
    sign_in(other_device, employee.username)
    expect(other_device.locator("html")).to_have_attribute("lang", "en")
    expect(other_device.locator("nav.sidebar a[href='/deals/']")).to_have_text("Deals")


def test_changing_the_password(signed_in_page, employee, shot):
    page = signed_in_page
    page.locator("nav.sidebar a[href='/accounts/password/']").click()
    expect(page).to_have_url(re.compile(r"/accounts/password/$"))
    shot("form")

    page.locator("input[name=old_password]").fill(PASSWORD)
    page.locator("input[name=new_password1]").fill("Новый-пароль-2026")
    page.locator("input[name=new_password2]").fill("Другой-пароль-2026")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".field .error, .errorlist").first).to_be_visible()
    shot("mismatch")

    page.locator("input[name=old_password]").fill(PASSWORD)
    page.locator("input[name=new_password1]").fill("Новый-пароль-2026")
    page.locator("input[name=new_password2]").fill("Новый-пароль-2026")
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/accounts/password/done/$"))
    shot("done")

    sign_out(page)
    sign_in(page, employee.username, PASSWORD)
    expect(page.locator(".login .error")).to_be_visible()
    sign_in(page, employee.username, "Новый-пароль-2026")
    expect(page.locator("nav.sidebar")).to_be_visible()
