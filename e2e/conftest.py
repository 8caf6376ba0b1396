"""Browser tests: the system's Chromium, driven by Playwright, against a live Django server.

* Chromium is the Debian package (``/usr/bin/chromium``, or ``VORONKA_CHROMIUM``); browsers are
  never downloaded. A missing Chromium fails the run: CI installs it, so a skip would hide it.
* One browser per test process; every test gets a fresh context (cookies, storage) and page.
* pytest-django's ``live_server`` runs in a thread of the test process against the test
  database (SQLite file per process, or PostgreSQL) and serves static files from the apps'
  folders, so pages look as they do in production.
* Screenshots: ``shot("step")`` saves ``var/screenshots/<test>-<step>.png``; a failing test
  leaves ``<test>-failed.png`` of every page it had open.
"""

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Playwright's sync API keeps an asyncio loop in the test thread, which makes Django refuse
# ORM calls there ("you cannot call this from an async context"). The calls are synchronous
# and nothing else runs on that loop, so the check is off for the browser tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from playwright.sync_api import (
    Browser,
    BrowserContext,
    Locator,
    Page,
    expect,
    sync_playwright,
)

E2E_DIR = Path(__file__).resolve().parent
SCREENSHOTS = E2E_DIR.parent / "var" / "screenshots"
CHROMIUM = os.environ.get("VORONKA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Containers often give /dev/shm 64 MB, too little for Chromium's renderers.
    "--disable-dev-shm-usage",
]
DESKTOP = {"viewport": {"width": 1366, "height": 800}}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
PASSWORD = "Voronka-e2e-2026"
TIMEOUT_MS = 15_000

expect.set_options(timeout=TIMEOUT_MS)

_reports = pytest.StashKey[dict]()


def pytest_collection_modifyitems(config, items):
    for item in items:
        if E2E_DIR in Path(item.fspath).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    item.stash.setdefault(_reports, {})[report.when] = report
    return report


def _failed(request) -> bool:
    reports = request.node.stash.get(_reports, {})
    return any(report.failed for report in reports.values())


def _file_name(request, step: str) -> str:
    return re.sub(r"[^\w.-]+", "_", f"{request.node.name}-{step}").strip("_") + ".png"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}. Install the Debian package "
            "(apt-get install chromium) or point VORONKA_CHROMIUM at a Chromium binary; "
            "the browser tests never download one.",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Argon2 is slow on purpose; the live server shares these settings."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def new_context(browser, live_server, request) -> Iterator[Callable[..., BrowserContext]]:
    """Opens browser contexts on the live server (Russian browser, Moscow time) and checks,
    when the test ends, that no page had a script error or a missing static file."""
    contexts: list[BrowserContext] = []
    problems: list[str] = []
    for stale in SCREENSHOTS.glob(_file_name(request, "failed").removesuffix(".png") + "*.png"):
        stale.unlink(missing_ok=True)

    def watch(page: Page) -> None:
        page.set_default_timeout(TIMEOUT_MS)
        page.on("pageerror", lambda error: problems.append(f"script error on {page.url}: {error}"))

        def on_response(response) -> None:
            if response.status >= 500 or (response.status >= 400 and "/static/" in response.url):
                problems.append(f"{response.status} {response.request.method} {response.url}")

        page.on("response", on_response)

    def open_context(**options) -> BrowserContext:
        settings = {
            **DESKTOP,
            "base_url": live_server.url,
            "locale": "ru-RU",
            "timezone_id": "Europe/Moscow",
            **options,
        }
        context = browser.new_context(**settings)
        context.on("page", watch)
        contexts.append(context)
        return context

    yield open_context

    if _failed(request):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for number, page in enumerate(p for c in contexts for p in c.pages):
            suffix = "failed" if number == 0 else f"failed{number + 1}"
            page.screenshot(path=SCREENSHOTS / _file_name(request, suffix), full_page=True)
    for context in contexts:
        context.close()
    if problems and not _failed(request):
        pytest.fail("The browser saw problems:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def page(new_context) -> Page:
    """A blank page at laptop size (1366×800)."""
    return new_context().new_page()


@pytest.fixture
def phone_page(new_context) -> Page:
    """A blank page at phone size (390×844, touch)."""
    return new_context(**PHONE).new_page()


@pytest.fixture
def shot(request) -> Callable[..., Path]:
    """``shot("step")`` or ``shot("step", other_page)``: a full-page PNG under var/screenshots."""

    def take(step: str, target: Page | None = None) -> Path:
        target = target or request.getfixturevalue("page")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / _file_name(request, step)
        # From the top: a sticky top bar would otherwise be drawn in the middle of the page.
        target.evaluate("window.scrollTo(0, 0)")
        target.screenshot(path=path, full_page=True)
        return path

    return take


def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """Signs in through the real form, starting from the sign-in page."""
    page.goto("/accounts/login/")
    form = page.locator("form:has(input[name=username])")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(password)
    form.locator("button[type=submit]").click()


def sign_out(page: Page) -> None:
    page.locator("form[action$='/accounts/logout/'] button[type=submit]").first.click()


def drag(card: Locator, target: Locator) -> None:
    """Drags ``card`` onto ``target`` with real mouse events (SortableJS uses the browser's own
    drag and drop on a laptop); the card is held near its bottom edge, away from the title link.
    """
    card.scroll_into_view_if_needed()
    box = card.bounding_box()
    assert box is not None
    card.drag_to(target, source_position={"x": box["width"] / 2, "y": box["height"] - 8})


def board_column(page: Page, stage) -> Locator:
    """The drop list of a stage on a board (an open column or a won/lost zone)."""
    return page.locator(f".board-cards[data-stage='{stage.pk}']")


@pytest.fixture
def employee(transactional_db):
    """A sales manager with a known password (the one ``sign_in`` uses), holding the Manager
    role like every employee without a role of their own."""
    from voronka.access.tests.factories import install_default_roles
    from voronka.staff.tests.factories import DepartmentFactory, UserFactory

    install_default_roles()

    department = DepartmentFactory(name="Отдел продаж")
    return UserFactory(
        username="ivanova",
        first_name="Мария",
        last_name="Иванова",
        department=department,
        password=PASSWORD,
    )


@pytest.fixture
def signed_in_page(page, employee) -> Page:
    """A laptop-size page signed in as ``employee``, on the home page."""
    sign_in(page, employee.username)
    expect(page.locator("nav.sidebar")).to_be_visible()
    return page


@pytest.fixture
def signed_in_phone(phone_page, employee) -> Page:
    """A phone-size page signed in as ``employee``."""
    sign_in(phone_page, employee.username)
    expect(phone_page.locator("header.topbar")).to_be_visible()
    return phone_page


class SalesDepartment:
    """The data the flows work on, written through the services like the interface does."""

    def __init__(self, employee):
        from voronka.sales.services import pipelines_ensure_defaults
        from voronka.sales.services.pipelines import pipeline_create, stage_update
        from voronka.sales.tests.factories import LossReasonFactory

        self.employee = employee
        self.lead_pipeline, self.deal_pipeline = pipelines_ensure_defaults()
        # The pipelines are set up by an administrator beforehand: the system acts here.
        self.tender_pipeline = pipeline_create(
            actor=None,
            data={"entity": "deal", "name": "Тендеры", "sort": 20},
            stages=[
                {"code": "new", "name": "Заявка", "kind": "open", "color": "#39a8ef"},
                {"code": "bid", "name": "Подача", "kind": "open", "color": "#2fc6f6"},
                {"code": "won", "name": "Выигран", "kind": "won", "color": "#7bd500"},
                {"code": "lost", "name": "Проигран", "kind": "lost", "color": "#ff5752"},
            ],
        )
        stages = {stage.code: stage for stage in self.lead_pipeline.stages.all()}
        # Taking a lead into work needs the client's company name: the board asks for it.
        self.lead_in_progress = stage_update(
            actor=None,
            stage=stages["in_progress"],
            data={"required_fields": ["company_title"]},
        )
        self.lead_new = stages["new"]
        self.too_expensive = LossReasonFactory(name="Дорого")
        LossReasonFactory(name="Выбрали конкурента")

    def stage(self, pipeline, code):
        return pipeline.stages.get(code=code)

    def add_leads(self):
        """A few leads in the first stage, so the board is not empty."""
        from voronka.sales.services.leads import lead_create

        people = [
            ("Смирнов", "Алексей", "+7 912 000-00-01", "150000"),
            ("Кузнецова", "Ольга", "+7 912 000-00-02", "48500.50"),
            ("Попов", "Дмитрий", "+7 912 000-00-03", ""),
        ]
        return [
            lead_create(
                actor=self.employee,
                data={"last_name": last, "first_name": first, "amount": amount or "0"},
                communications=[{"kind": "phone", "value_type": "work", "value": phone}],
            )
            for last, first, phone, amount in people
        ]

    def add_clients(self):
        """A company with a contact working there."""
        from voronka.contacts.services.companies import company_create
        from voronka.contacts.services.contacts import contact_create

        company = company_create(
            actor=self.employee,
            data={"title": "ООО «Вектор»"},
            communications=[{"kind": "phone", "value_type": "work", "value": "+7 495 123-45-67"}],
        )
        contact = contact_create(
            actor=self.employee,
            data={"last_name": "Лебедев", "first_name": "Павел", "position": "Закупщик"},
            communications=[{"kind": "email", "value": "lebedev@vector.example"}],
            company_links=[{"company": company}],
        )
        return company, contact

    def add_deals(self):
        from voronka.sales.services.deals import deal_create

        titles = [("Поставка оборудования", "1250000"), ("Сервисный договор", "96000")]
        return [
            deal_create(
                actor=self.employee,
                data={"title": title, "amount": amount, "pipeline": self.deal_pipeline},
            )
            for title, amount in titles
        ]


@pytest.fixture
def sales_department(employee) -> SalesDepartment:
    return SalesDepartment(employee)
