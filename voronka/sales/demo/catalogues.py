"""Sources, loss reasons, custom fields and the agency's catalogue of services."""

from decimal import Decimal

from voronka.customization.models import CustomField, EntityType, FieldType, Source
from voronka.sales.demo.context import DemoContext
from voronka.sales.demo.writer import BulkWriter
from voronka.sales.models import LossReason, Product, ProductSection

SOURCES = (
    ("website", "Сайт"),
    ("call", "Звонок"),
    ("recommendation", "Рекомендация"),
    ("yandex_direct", "Яндекс.Директ"),
    ("exhibition", "Выставка"),
    ("telegram", "Telegram"),
    ("email", "E-mail"),
    ("repeat", "Повторное обращение"),
)

# code → name; codes are how the generator refers to them, only names are stored.
LOSS_REASONS = (
    ("expensive", "Дорого"),
    ("competitor", "Выбрали конкурента"),
    ("no_need", "Пропала потребность"),
    ("unreachable", "Не дозвонились"),
    ("junk", "Некачественный лид"),
    ("no_budget", "Нет бюджета"),
)

REQUEST_PURPOSES = (
    ("new_site", "Новый сайт"),
    ("redesign", "Редизайн"),
    ("online_store", "Интернет-магазин"),
    ("advertising", "Реклама и продвижение"),
    ("branding", "Логотип и фирменный стиль"),
    ("support", "Поддержка сайта"),
)
INDUSTRIES = (
    ("retail", "Розничная торговля"),
    ("manufacturing", "Производство"),
    ("construction", "Строительство"),
    ("medicine", "Медицина"),
    ("education", "Образование"),
    ("logistics", "Логистика"),
    ("it", "Информационные технологии"),
    ("horeca", "Рестораны и гостиницы"),
    ("finance", "Финансы"),
    ("public", "Госсектор"),
)


def _options(pairs) -> list[dict[str, str]]:
    return [{"id": code, "label": label} for code, label in pairs]


CUSTOM_FIELDS = (
    # (entity, code, label, type, options, section)
    (EntityType.LEAD, "request_purpose", "Цель обращения", FieldType.LIST,
     _options(REQUEST_PURPOSES), "О запросе"),
    (EntityType.LEAD, "call_time", "Удобное время для звонка", FieldType.STRING, [],
     "О запросе"),
    (EntityType.DEAL, "contract_number", "Номер договора", FieldType.STRING, [], "Договор"),
    (EntityType.DEAL, "contract_date", "Дата договора", FieldType.DATE, [], "Договор"),
    (EntityType.DEAL, "prepayment_percent", "Процент предоплаты", FieldType.DECIMAL, [],
     "Договор"),
    (EntityType.COMPANY, "industry_sphere", "Сфера деятельности", FieldType.LIST,
     _options(INDUSTRIES), "О компании"),
    (EntityType.COMPANY, "key_client", "Ключевой клиент", FieldType.BOOLEAN, [],
     "О компании"),
    (EntityType.CONTACT, "telegram_channel", "Telegram-канал", FieldType.URL, [],
     "Дополнительно"),
    (EntityType.CONTACT, "newsletter", "Подписан на рассылку", FieldType.BOOLEAN, [],
     "Дополнительно"),
)  # fmt: skip

VAT_20 = Decimal("20.00")
PRODUCTS = (
    # (section, name, sku, unit, price, VAT rate or None for "без НДС")
    ("Разработка", "Разработка сайта-визитки", "DEV-CARD", "усл", "60000", VAT_20),
    ("Разработка", "Разработка сайта", "DEV-SITE", "усл", "250000", VAT_20),
    ("Разработка", "Разработка интернет-магазина", "DEV-SHOP", "усл", "450000", VAT_20),
    ("Разработка", "Интеграция с 1С", "DEV-1C", "усл", "90000", VAT_20),
    ("Дизайн", "Дизайн логотипа", "DSN-LOGO", "усл", "35000", None),
    ("Дизайн", "Фирменный стиль", "DSN-BRAND", "усл", "120000", None),
    ("Дизайн", "UI/UX-дизайн (час)", "DSN-HOUR", "час", "3000", None),
    ("Маркетинг", "Контекстная реклама (ведение, месяц)", "MKT-PPC", "мес", "40000", VAT_20),
    ("Маркетинг", "SEO-продвижение (месяц)", "MKT-SEO", "мес", "50000", VAT_20),
    ("Маркетинг", "SMM (месяц)", "MKT-SMM", "мес", "45000", VAT_20),
    ("Маркетинг", "Настройка веб-аналитики", "MKT-ANL", "усл", "15000", VAT_20),
    ("Сопровождение", "Поддержка (час)", "SUP-HOUR", "час", "2500", None),
    ("Сопровождение", "Пакет поддержки 20 часов", "SUP-20", "усл", "45000", None),
    ("Сопровождение", "Хостинг (год)", "SUP-HOST", "год", "12000", VAT_20),
)


def create_catalogues(context: DemoContext, writer: BulkWriter) -> None:
    now = context.now
    sources = writer.save_now(
        [
            Source(code=code, name=name, sort=index * 10, created_at=now)
            for index, (code, name) in enumerate(SOURCES, start=1)
        ]
    )
    context.source_ids = {source.code: source.pk for source in sources}
    reasons = writer.save_now(
        [
            LossReason(name=name, sort=index * 10, created_at=now)
            for index, (_code, name) in enumerate(LOSS_REASONS, start=1)
        ]
    )
    context.loss_reason_ids = {
        code: reason.pk for (code, _name), reason in zip(LOSS_REASONS, reasons, strict=True)
    }
    writer.save_now(
        [
            CustomField(
                entity=entity,
                code=code,
                label=label,
                field_type=field_type,
                options=options,
                section=section,
                sort=index * 10,
                created_at=now,
            )
            for index, (entity, code, label, field_type, options, section) in enumerate(
                CUSTOM_FIELDS, start=1
            )
        ]
    )
    section_names = list(dict.fromkeys(spec[0] for spec in PRODUCTS))
    sections = writer.save_now(
        [
            ProductSection(name=name, sort=index * 10, created_at=now)
            for index, name in enumerate(section_names, start=1)
        ]
    )
    section_by_name = dict(zip(section_names, sections, strict=True))
    context.products = writer.save_now(
        [
            Product(
                name=name,
                sku=sku,
                unit=unit,
                price=Decimal(price),
                vat_rate=vat_rate,
                vat_included=True,
                section=section_by_name[section],
                created_at=now,
            )
            for section, name, sku, unit, price, vat_rate in PRODUCTS
        ]
    )
