"""``import_bitrix24`` against a real portal: our own Bitrix24-compatible API served by a
gunicorn process with a database of its own (seeded by ``import_seed``), imported in-process
into the test database, then compared entity by entity."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from voronka.contacts.models import BankAccount, Communication, Company, Contact
from voronka.core.testing.server import BASE_DIR, ServerProcess
from voronka.customization.models import CustomField, Source
from voronka.integrations.bitrix24.importer.base import Importer
from voronka.integrations.bitrix24.importer.client import Bitrix24Client
from voronka.integrations.bitrix24.models import ImportedRecord
from voronka.sales.models import Deal, Lead, Pipeline, PipelineEntity, ProductRow, StageKind
from voronka.staff.models import Department, User
from voronka.timeline.models import EntryKind, TimelineEntry

PORTAL_SETTINGS = """
from config.settings import *  # noqa: F403


class _WithoutMigrations:
    # The portal's tables straight from the models: much faster than running migrations.
    def __contains__(self, item):
        return True

    def __getitem__(self, item):
        return None


MIGRATION_MODULES = _WithoutMigrations()
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
"""
SEED = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", run_syncdb=True, verbosity=0, interactive=False)
from voronka.integrations.bitrix24.tests.import_seed import main
main()
"""


@dataclass
class Portal:
    url: str
    server: ServerProcess

    def client(self) -> Bitrix24Client:
        return Bitrix24Client(self.url)


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    directory = tmp_path_factory.mktemp("portal")
    (directory / "portal_settings.py").write_text(PORTAL_SETTINGS)
    database_url = f"sqlite:///{directory / 'portal.sqlite3'}"
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTEST_XDIST_WORKER", "PYTEST_CURRENT_TEST")
    }
    environment.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="portal_settings",
        PYTHONPATH=os.pathsep.join([str(directory), str(BASE_DIR)]),
    )
    seeded = subprocess.run(
        [sys.executable, "-c", SEED],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert seeded.returncode == 0, seeded.stderr[-3000:]
    webhook = json.loads(seeded.stdout.strip().splitlines()[-1])
    server = ServerProcess(
        database_url=database_url,
        settings_overrides={
            "DEBUG": False,
            "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
        },
    ).start()
    try:
        yield Portal(f"{server.url}/rest/{webhook['user']}/{webhook['token']}/", server)
    finally:
        server.stop()


def run_import(portal: Portal, **options) -> str:
    out = StringIO()
    call_command("import_bitrix24", portal.url, stdout=out, **options)
    return out.getvalue()


def import_report(portal: Portal, **options):
    with portal.client() as client:
        return Importer(client, **options).run()


def counts(report) -> dict[str, tuple[int, int, int, int, int]]:
    return {
        name: (s.fetched, s.created, s.updated, s.unchanged, s.failed)
        for name, s in report.entities.items()
    }


FIRST_RUN = {
    "departments": (3, 3, 0, 0, 0),
    "users": (5, 5, 0, 0, 0),
    "sources": (2, 2, 0, 0, 0),
    "pipelines": (2, 2, 0, 0, 0),
    "stages": (14, 14, 0, 0, 0),
    "fields": (3, 3, 0, 0, 0),
    "companies": (3, 3, 0, 0, 0),
    "contacts": (5, 5, 0, 0, 0),
    "leads": (60, 60, 0, 0, 0),
    "deals": (8, 7, 0, 0, 1),
    "productrows": (6, 6, 0, 0, 0),
    "comments": (5, 5, 0, 0, 0),
}


def test_first_run_imports_every_entity_through_the_services(db, portal):
    report = import_report(portal)

    assert counts(report) == FIRST_RUN
    assert report.ok
    # Employees: e-mail, name, department, active flag; nobody can sign in before a reset.
    ivan = User.objects.get(email="ivan@portal.test")
    assert (ivan.first_name, ivan.last_name, ivan.position) == ("Иван", "Петров", "Руководитель")
    assert ivan.department.name == "Продажи" and ivan.phone == "+79161234567"
    assert not ivan.has_usable_password()
    assert User.objects.get(email="petr@portal.test").is_active is False
    assert User.objects.get(email="maria@portal.test").department.name == "Отдел B2B"
    # Departments: the tree and its head.
    b2b = Department.objects.get(name="Отдел B2B")
    assert b2b.parent.name == "Продажи" and b2b.parent.head == ivan
    # Sources, pipelines and stages with their meaning.
    assert set(Source.objects.values_list("code", flat=True)) >= {"web", "expo"}
    projects = Pipeline.objects.get(entity=PipelineEntity.DEAL, name="Проекты")
    stages = {stage.code: stage for stage in projects.stages.all()}
    assert {code: stage.kind for code, stage in stages.items()} == {
        "new": StageKind.OPEN,
        "brief": StageKind.OPEN,
        "won": StageKind.WON,
        "lost": StageKind.LOST,
    }
    assert (stages["new"].name, stages["new"].color) == ("Заявка", "#112233")
    # Companies with requisites, bank details and communications.
    sber = Company.objects.get(title="Сбер")
    assert (sber.inn, sber.kpp, sber.ogrn) == ("7707083893", "773601001", "1027700132195")
    assert (sber.full_name, sber.director, sber.employees_count) == (
        'ПАО "Сбербанк России"',
        "Греф Г. О.",
        200000,
    )
    assert sber.responsible.email == "maria@portal.test" and sber.source.code == "web"
    account = BankAccount.objects.get(company=sber)
    assert (account.bic, account.correspondent_account) == ("044525225", "30101810400000000225")
    assert sorted(sber.communications.values_list("kind", "value")) == [
        ("phone", "+7 916 100-00-01"),
        ("web", "https://sber.test"),
    ]
    # Contacts with their companies, phones, e-mails and a custom field.
    nina = Contact.objects.get(last_name="Белова")
    assert {(link.company.title, link.is_primary) for link in nina.company_links.all()} == {
        ("Сбер", True),
        ("ИП Смирнов", False),
    }
    oleg = Contact.objects.get(last_name="Орлов")
    assert oleg.custom_fields == {"vip": True} and str(oleg.birthday) == "1980-05-17"
    assert set(oleg.communications.values_list("kind", "value", "value_type")) == {
        ("phone", "+7 916 100-00-10", "work"),
        ("email", "c0@client.test", "home"),
    }
    # A contact of an employee who left keeps them as responsible.
    assert Contact.objects.get(last_name="Гагарин").responsible.email == "petr@portal.test"
    # Leads: paging past 50, stages, losses, money, custom list values, the portal's dates.
    assert Lead.objects.count() == 60
    first = Lead.objects.get(title="Заявка 1")
    assert first.contact == oleg and first.company == sber
    assert first.created_at.year < Lead.objects.get(title="Заявка 2").created_at.year
    channel = CustomField.objects.get(entity="lead", code="channel")
    assert first.custom_fields == {"channel": channel.options[0]["id"]}
    assert channel.options[0]["label"] == "Реклама"
    junk = Lead.objects.get(title="Заявка 4")
    assert junk.stage.kind == StageKind.LOST and junk.loss_reason is not None
    assert junk.loss_comment == "Не дозвонились"
    assert Lead.objects.get(title="Заявка 11").amount == Decimal("1010.50")
    # Deals: pipelines, stages, contacts, custom fields, product rows and their total.
    servers = Deal.objects.get(title="Поставка серверов")
    assert servers.pipeline.is_default and servers.stage.code == "new"
    assert [link.contact.last_name for link in servers.contact_links.all()] == ["Орлов", "Белова"]
    assert servers.custom_fields == {"budget_note": "до 17 млн"}
    rows = list(ProductRow.objects.filter(deal=servers).order_by("sort"))
    assert [(r.name, r.price, r.quantity, r.discount_percent, r.tax_rate) for r in rows] == [
        ("Сервер", Decimal("100000.00"), Decimal("3.000"), Decimal("0.00"), Decimal("20.00")),
        ("Монтаж", Decimal("9999.99"), Decimal("1.000"), Decimal("5.00"), None),
    ]
    assert servers.amount == Decimal("309499.99")
    brandbook = Deal.objects.get(title="Брендбук")
    assert brandbook.pipeline == projects and brandbook.stage == stages["brief"]
    assert Deal.objects.get(title="Обучение").stage.kind == StageKind.LOST
    # A deal closed on the portal keeps its closing day, not the day of the import.
    won = Deal.objects.get(title="Лицензии")
    assert won.stage.kind == StageKind.WON
    assert str(timezone.localtime(won.closed_at).date()) == "2026-12-31"
    # Timeline comments on every kind of card.
    comments = TimelineEntry.objects.filter(kind=EntryKind.COMMENT)
    assert sorted(comments.values_list("text", flat=True)) == sorted(
        [
            "Клиент просит скидку",
            "Согласовали 5%",
            "Перезвонить в понедельник",
            "Любит звонки утром",
            "Ключевой клиент",
        ]
    )
    assert comments.get(text="Ключевой клиент").card == sber


def test_a_deal_in_an_unknown_stage_is_reported_and_the_rest_imported(db, portal):
    report = import_report(portal, only=["users", "pipelines", "contacts", "companies", "deals"])

    deals = report.entities["deals"]
    assert [f.external_id for f in deals.failures] == ["8"]
    assert "CONVERTED" in deals.failures[0].reason
    assert Deal.objects.count() == 7
    assert not Deal.objects.filter(title="Сломанная").exists()


def test_a_second_run_writes_nothing_and_a_third_updates_only_what_changed_on_the_portal(
    db, portal
):
    import_report(portal)
    entries = TimelineEntry.objects.count()
    versions = sorted(Deal.objects.values_list("pk", "version"))

    second = import_report(portal)

    for name, (fetched, created, updated, unchanged, failed) in counts(second).items():
        assert (created, updated) == (0, 0), name
        assert unchanged + failed == fetched, name
    assert second.entities["deals"].failed == 1
    assert TimelineEntry.objects.count() == entries
    assert sorted(Deal.objects.values_list("pk", "version")) == versions
    assert Lead.objects.count() == 60 and ImportedRecord.objects.filter(entity="lead").count() == 60

    with portal.client() as client:
        deal = client.call("crm.deal.list", {"filter": {"TITLE": "Внедрение CRM"}})[0]
        client.call("crm.deal.update", {"id": deal["ID"], "fields": {"TITLE": "Внедрение CRM 2"}})
        try:
            third = import_report(portal)
        finally:
            client.call("crm.deal.update", {"id": deal["ID"], "fields": {"TITLE": "Внедрение CRM"}})

    changed = {name: s.updated for name, s in third.entities.items() if s.updated}
    assert changed == {"deals": 1}
    updated = Deal.objects.get(title="Внедрение CRM 2")
    history = TimelineEntry.objects.filter(
        kind=EntryKind.FIELD_CHANGED, card_id=updated.pk, payload__field="title"
    )
    assert [(h.payload["old"], h.payload["new"]) for h in history] == [
        ("Внедрение CRM", "Внедрение CRM 2")
    ]
    assert TimelineEntry.objects.count() == entries + 1


def test_dry_run_validates_everything_and_writes_nothing(db, portal):
    output = run_import(portal, dry_run=True)

    assert "dry run" in output
    assert "Leads" in output and "60" in output
    assert ImportedRecord.objects.count() == 0
    assert Lead.objects.count() == Deal.objects.count() == Company.objects.count() == 0
    assert not User.objects.filter(email__endswith="@portal.test").exists()
    assert Communication.objects.count() == 0


def test_only_the_chosen_entities_are_imported_and_printed(db, portal):
    output = run_import(portal, only="departments,users")

    assert Department.objects.count() == 3 and User.objects.count() == 5
    assert Lead.objects.count() == 0
    assert "Employees" in output and "Leads" not in output


def test_a_wrong_token_is_a_clear_error_without_a_traceback_or_the_token(portal):
    wrong = portal.url.rsplit("/", 2)[0] + "/wrongtoken123/"

    with pytest.raises(CommandError, match="refused the webhook") as caught:
        call_command("import_bitrix24", wrong, stdout=StringIO())
    assert "wrongtoken123" not in str(caught.value)

    environment = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    environment["DATABASE_URL"] = portal.server.database_url  # nothing is written
    finished = subprocess.run(
        [sys.executable, "manage.py", "import_bitrix24", wrong],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode != 0
    assert "refused the webhook" in finished.stderr
    assert "Traceback" not in finished.stderr
    assert "wrongtoken123" not in finished.stderr + finished.stdout
