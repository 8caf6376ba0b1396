"""The lead funnel and the three deal directions of a digital agency."""

from voronka.sales.demo.context import DemoContext
from voronka.sales.demo.writer import BulkWriter
from voronka.sales.models import Pipeline, PipelineEntity, Stage, StageKind

OPEN, WON, LOST = StageKind.OPEN, StageKind.WON, StageKind.LOST

# (code, name, kind, colour, probability %, required fields)
LEAD_STAGES = (
    ("new", "Фиксация обращения", OPEN, "#39a8ef", 10, []),
    ("presentation", "Презентация", OPEN, "#2fc6f6", 20, []),
    ("meeting", "Встреча", OPEN, "#55d0e0", 40, ["communications"]),
    ("proposal", "Коммерческое предложение", OPEN, "#47e4c2", 60, ["amount"]),
    ("closing", "Дожим", OPEN, "#ffa900", 80, []),
    ("converted", "Сделка", WON, "#7bd500", 100, []),
    ("junk", "Некачественный лид", LOST, "#ff5752", 0, []),
)

DEAL_PIPELINES = (
    # (code, name, stages)
    (
        "projects",
        "Проекты",
        (
            ("free", "Свободная сделка", OPEN, "#39a8ef", 10, []),
            ("assigned", "Менеджер назначен", OPEN, "#2fc6f6", 20, []),
            ("contract", "Договор согласован/счёт отправлен", OPEN, "#55d0e0", 40,
             ["company", "amount", "contract_number"]),
            ("prepaid", "Аванс получен", OPEN, "#47e4c2", 60, ["prepayment_percent"]),
            ("development", "Разработка запущена", OPEN, "#ffa900", 70, []),
            ("approval", "Отправлено на согласование", OPEN, "#ff8c00", 80, []),
            ("acts", "Результат и акты отправлены", OPEN, "#e89b06", 90, []),
            ("won", "Заказ выполнен/оплата получена", WON, "#7bd500", 100, []),
            ("lost", "Сделка провалена", LOST, "#ff5752", 0, []),
        ),
    ),
    (
        "support",
        "Поддержка",
        (
            ("request", "Новое обращение", OPEN, "#39a8ef", 20, []),
            ("in_work", "В работе", OPEN, "#2fc6f6", 50, []),
            ("waiting", "Ожидает ответа клиента", OPEN, "#ffa900", 60, []),
            ("invoiced", "Счёт выставлен", OPEN, "#47e4c2", 90, ["amount"]),
            ("done", "Выполнено и оплачено", WON, "#7bd500", 100, []),
            ("cancelled", "Отменено", LOST, "#ff5752", 0, []),
        ),
    ),
    (
        "complaints",
        "Рекламации",
        (
            ("received", "Получена рекламация", OPEN, "#ff8c00", None, []),
            ("analysis", "Анализ причин", OPEN, "#ffa900", None, []),
            ("fixing", "Устранение", OPEN, "#2fc6f6", None, []),
            ("agreement", "Согласование с клиентом", OPEN, "#55d0e0", None, []),
            ("settled", "Урегулировано", WON, "#7bd500", None, []),
            ("rejected", "Рекламация отклонена", LOST, "#ff5752", None, []),
        ),
    ),
)  # fmt: skip


def _stages(writer: BulkWriter, pipeline: Pipeline, specs, now) -> list[Stage]:
    return writer.save_now(
        [
            Stage(
                pipeline=pipeline,
                code=code,
                name=name,
                kind=kind,
                color=color,
                probability=probability,
                required_fields=required,
                sort=index * 10,
                created_at=now,
            )
            for index, (code, name, kind, color, probability, required) in enumerate(specs, start=1)
        ]
    )


def create_pipelines(context: DemoContext, writer: BulkWriter) -> None:
    now = context.now
    lead_pipeline = writer.save_now(
        [
            Pipeline(
                entity=PipelineEntity.LEAD, name="Лиды", sort=10, is_default=True, created_at=now
            )
        ]
    )[0]
    context.lead_stages = _stages(writer, lead_pipeline, LEAD_STAGES, now)
    for index, (code, name, specs) in enumerate(DEAL_PIPELINES, start=1):
        pipeline = writer.save_now(
            [
                Pipeline(
                    entity=PipelineEntity.DEAL,
                    name=name,
                    sort=index * 10,
                    is_default=code == "projects",
                    created_at=now,
                )
            ]
        )[0]
        context.deal_pipelines[code] = (pipeline, _stages(writer, pipeline, specs, now))
