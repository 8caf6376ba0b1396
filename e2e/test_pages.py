"""Every page of the menu opens at laptop and phone size: no server error, no script error, no
missing stylesheet or script (checked by the ``new_context`` fixture), with a screenshot."""

import re

import pytest
from playwright.sync_api import expect

from e2e.conftest import PASSWORD, PHONE, sign_in
from voronka.staff.tests.factories import UserFactory

MENU_PAGES = [
    ("home", "/"),
    ("leads", "/leads/"),
    ("deals", "/deals/"),
    ("contacts", "/contacts/"),
    ("companies", "/companies/"),
    ("password", "/accounts/password/"),
]


@pytest.fixture
def filled_department(sales_department):
    sales_department.add_leads()
    sales_department.add_deals()
    sales_department.add_clients()
    return sales_department


@pytest.mark.parametrize("size", ["laptop", "phone"])
def test_every_menu_page_opens(new_context, employee, filled_department, shot, size):
    page = new_context(**(PHONE if size == "phone" else {})).new_page()
    sign_in(page, employee.username)
    expect(page.locator("header.topbar")).to_be_visible()
    broken = []

    for name, path in MENU_PAGES:
        response = page.goto(path)
        shot(f"{name}-{size}", page)
        if response is None or response.status != 200:
            broken.append(f"{path} answered {response.status if response else 'nothing'}")
            continue
        expect(page.locator("main.content")).to_be_visible()
        # The stylesheet is applied: the top bar is dark, not the browser's default white.
        background = page.locator("header.topbar").evaluate(
            "element => getComputedStyle(element).backgroundColor"
        )
        if background in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)"):
            broken.append(f"{path}: the stylesheet is not applied")

    assert not broken, "\n".join(broken)


def test_the_settings_open_for_an_administrator(new_context, filled_department, shot):
    UserFactory(username="chief", is_staff=True, is_superuser=True, password=PASSWORD)
    page = new_context().new_page()
    sign_in(page, "chief")
    page.locator("nav.sidebar a[href^='/settings/']").click()

    expect(page).to_have_url(re.compile(r"/settings/"))
    expect(page.locator("main.content")).to_be_visible()
    shot("laptop", page)


def test_the_menu_opens_from_the_top_bar_on_a_phone(signed_in_phone, shot):
    page = signed_in_phone
    menu = page.locator("nav.sidebar")
    expect(menu).not_to_be_in_viewport()
    shot("closed", page)

    page.locator("header.topbar .menu-button").tap()

    expect(menu).to_be_in_viewport()
    expect(menu.locator("a[href='/deals/']")).to_be_visible()
    # The menu slides in: wait for it to settle at the left edge before looking at it.
    page.wait_for_function(
        "() => document.getAnimations().every(animation => animation.playState !== 'running')"
    )
    assert menu.bounding_box()["x"] == 0
    shot("open", page)

    menu.locator("a[href='/deals/']").tap()
    expect(page).to_have_url(re.compile(r"/deals/"))
