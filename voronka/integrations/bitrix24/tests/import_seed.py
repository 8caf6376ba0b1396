"""A small CRM to import from: the source portal of the ``import_bitrix24`` tests.

Run in the source installation's own process (``manage.py shell -c``) against its own
database; prints the webhook (user id and code) as JSON on the last line.
"""

import datetime
import json

from django.utils import timezone

from voronka.access.models import TokenKind
from voronka.access.services import api_token_create
from voronka.contacts.models import CommunicationKind
from voronka.contacts.services.companies import company_create
from voronka.contacts.services.contacts import contact_create
from voronka.customization.services import custom_field_create, source_create
from voronka.sales.demo.requisites import with_account_key
from voronka.sales.models import Deal, Lead, Pipeline, PipelineEntity, StageKind
from voronka.sales.services.catalogues import loss_reason_create
from voronka.sales.services.deals import deal_create
from voronka.sales.services.leads import lead_create
from voronka.sales.services.pipelines import default_pipeline, pipeline_create
from voronka.staff.models import User
from voronka.staff.services import department_create, employee_create, employee_set_active
from voronka.timeline.services import comment_add

LEADS = 60
PASSWORD = "Source-portal-1"


def phone(n: int) -> dict:
    return {"kind": CommunicationKind.PHONE, "value": f"+7 916 100-{n // 100:02d}-{n % 100:02d}"}


def email(name: str) -> dict:
    return {"kind": CommunicationKind.EMAIL, "value": f"{name}@client.test", "value_type": "home"}


def seed() -> dict:
    admin = User.objects.create_superuser(
        "owner", "owner@portal.test", PASSWORD, first_name="Анна", last_name="Владелец"
    )
    sales = department_create(actor=None, name="Продажи")
    b2b = department_create(actor=None, name="Отдел B2B", parent=sales)
    support = department_create(actor=None, name="Поддержка")

    def employee(login, first, last, department, **extra):
        return employee_create(
            actor=None,
            data={
                "username": login,
                "first_name": first,
                "last_name": last,
                "email": f"{login}@portal.test",
                "department": department,
                **extra,
            },
            password=PASSWORD,
        )

    ivan = employee("ivan", "Иван", "Петров", sales, position="Руководитель", phone="+79161234567")
    maria = employee("maria", "Мария", "Сидорова", b2b, position="Менеджер")
    olga = employee("olga", "Ольга", "Кузнецова", support)
    petr = employee("petr", "Пётр", "Уволенный", sales)
    sales.head = ivan
    sales.save(update_fields=["head"])
    employee_set_active(actor=None, employee=petr, active=False)

    web = source_create(actor=None, data={"code": "web", "name": "Сайт", "sort": 10})
    source_create(actor=None, data={"code": "expo", "name": "Выставка", "sort": 20})

    custom_field_create(
        actor=None,
        data={"entity": "deal", "code": "budget_note", "label": "Бюджет", "field_type": "string"},
    )
    custom_field_create(
        actor=None,
        data={
            "entity": "lead",
            "code": "channel",
            "label": "Канал",
            "field_type": "list",
            "options": ["Реклама", "Сарафан"],
        },
    )
    custom_field_create(
        actor=None,
        data={"entity": "contact", "code": "vip", "label": "VIP", "field_type": "boolean"},
    )

    lead_pipeline = default_pipeline(PipelineEntity.LEAD)
    deal_pipeline = default_pipeline(PipelineEntity.DEAL)
    projects = pipeline_create(
        actor=None,
        data={"entity": PipelineEntity.DEAL, "name": "Проекты", "sort": 200},
        stages=[
            {"code": "new", "name": "Заявка", "kind": StageKind.OPEN, "color": "#112233"},
            {"code": "brief", "name": "Бриф", "kind": StageKind.OPEN},
            {"code": "won", "name": "Сдан", "kind": StageKind.WON},
            {"code": "lost", "name": "Отказ", "kind": StageKind.LOST},
        ],
    )
    reason = loss_reason_create(actor=None, data={"name": "Дорого"})

    bic = "044525225"
    company_a = company_create(
        actor=None,
        data={
            "title": "Сбер",
            "company_type": "legal_entity",
            "inn": "7707083893",
            "kpp": "773601001",
            "ogrn": "1027700132195",
            "full_name": 'ПАО "Сбербанк России"',
            "short_name": "ПАО Сбербанк",
            "director": "Греф Г. О.",
            "industry": "Банки",
            "employees_count": 200000,
            "responsible": maria,
            "source": web,
        },
        communications=[phone(1), {"kind": CommunicationKind.WEB, "value": "https://sber.test"}],
        bank_accounts=[
            {
                "bank_name": 'ПАО "Сбербанк России"',
                "bic": bic,
                "account_number": with_account_key(bic, "40702810000000001234"),
                "correspondent_account": "30101810400000000225",
            }
        ],
    )
    company_b = company_create(
        actor=None, data={"title": "ИП Смирнов", "responsible": ivan}, communications=[phone(2)]
    )
    company_create(actor=None, data={"title": "Ромашка", "responsible": petr})

    contacts = []
    for n, (first, last) in enumerate(
        [("Олег", "Орлов"), ("Нина", "Белова"), ("Юрий", "Гагарин"), ("Вера", "Лис"), ("Ян", "Ким")]
    ):
        links = []
        if n < 2:
            links = [{"company": company_a, "is_primary": True}]
        if n == 1:
            links.append({"company": company_b, "is_primary": False})
        contacts.append(
            contact_create(
                actor=None,
                data={
                    "first_name": first,
                    "last_name": last,
                    "position": "Директор" if n == 0 else "",
                    "birthday": datetime.date(1980 + n, 5, 17) if n < 3 else None,
                    "responsible": [maria, ivan, petr, olga, maria][n],
                    "custom_fields": {"vip": n == 0},
                },
                communications=[phone(10 + n), email(f"c{n}")],
                company_links=links,
            )
        )

    stages = {s.code: s for s in lead_pipeline.stages.all()}
    for n in range(LEADS):
        data = {
            "title": f"Заявка {n + 1}",
            "responsible": [maria, ivan, olga][n % 3],
            "last_name": "Клиентов" if n % 2 else "",
            "first_name": f"Клиент {n}",
            "source": web if n % 4 == 0 else None,
            "utm_source": "yandex" if n % 5 == 0 else "",
            "amount": f"{1000 + n}.50",
            "custom_fields": {},
        }
        if n == 0:
            data["contact"] = contacts[0]
            data["company"] = company_a
        if n % 10 == 3:
            data["stage"] = stages["junk"]
            data["loss_reason"] = reason
            data["loss_comment"] = "Не дозвонились"
        elif n % 10 == 5:
            data["stage"] = stages["in_progress"]
        rows = None
        if n in (1, 2):
            rows = [{"name": "Аудит", "price": "5000", "quantity": "2", "discount_percent": "10"}]
        lead_create(
            actor=None,
            data=data,
            communications=[phone(100 + n)] if n % 2 == 0 else None,
            product_rows=rows,
        )
    channel = None
    from voronka.customization.models import CustomField

    channel = CustomField.objects.get(code="channel").options[0]["id"]
    first_lead = Lead.objects.order_by("pk").first()
    first_lead.custom_fields = {"channel": channel}
    first_lead.save(update_fields=["custom_fields"])

    deal_stages = {s.code: s for s in deal_pipeline.stages.all()}
    project_stages = {s.code: s for s in projects.stages.all()}
    deals = []
    specs = [
        ("Поставка серверов", deal_pipeline, deal_stages["new"], [0, 1], maria),
        ("Внедрение CRM", deal_pipeline, deal_stages["executing"], [1], ivan),
        ("Лицензии", deal_pipeline, deal_stages["won"], [2], ivan),
        ("Обучение", deal_pipeline, deal_stages["lost"], [], olga),
        ("Сайт", projects, project_stages["new"], [3], maria),
        ("Брендбук", projects, project_stages["brief"], [4, 0], petr),
        ("Аудит", projects, project_stages["won"], [], ivan),
    ]
    for title, pipeline, stage, contact_numbers, responsible in specs:
        data = {
            "title": title,
            "pipeline": pipeline,
            "stage": stage,
            "responsible": responsible,
            "company": company_a if contact_numbers else None,
            "amount": "150000.00",
            "probability": 40,
            "begins_on": datetime.date(2026, 10, 1),
            "closes_on": datetime.date(2026, 12, 31),
            "custom_fields": {"budget_note": f"до {len(title)} млн"},
        }
        if stage.kind == StageKind.LOST:
            data["loss_reason"] = reason
        rows = None
        if title in ("Поставка серверов", "Сайт"):
            rows = [
                {"name": "Сервер", "price": "100000", "quantity": "3", "tax_rate": "20"},
                {"name": "Монтаж", "price": "9999.99", "quantity": "1", "discount_percent": "5"},
            ]
        deals.append(
            deal_create(
                actor=None,
                data=data,
                contacts=[contacts[i] for i in contact_numbers],
                product_rows=rows,
            )
        )
    # A deal whose stage the portal shows but lists in no pipeline: a bad record to import.
    broken = deal_create(actor=None, data={"title": "Сломанная", "responsible": maria})
    Deal.objects.filter(pk=broken.pk).update(stage=stages["converted"])

    comment_add(actor=None, card=deals[0], text="Клиент просит скидку")
    comment_add(actor=None, card=deals[0], text="Согласовали 5%")
    comment_add(actor=None, card=first_lead, text="Перезвонить в понедельник")
    comment_add(actor=None, card=contacts[0], text="Любит звонки утром")
    comment_add(actor=None, card=company_a, text="Ключевой клиент")
    # History of the portal: cards created long ago.
    Lead.objects.filter(pk=first_lead.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=400)
    )

    _token, raw = api_token_create(
        actor=admin,
        user=admin,
        name="Migration",
        scopes=["crm", "user", "department"],
        kind=TokenKind.WEBHOOK,
    )
    return {
        "user": admin.pk,
        "token": raw,
        "pipelines": Pipeline.objects.count(),
    }


def main() -> None:
    print(json.dumps(seed()))
