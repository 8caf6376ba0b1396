"""A real portal's standard funnels land on a fresh installation's: stages with the same
meaning are reused (renamed and re-sorted as on the portal), the others are added."""

import json
from urllib.parse import parse_qs

import httpx

from voronka.integrations.bitrix24.importer.base import Importer
from voronka.integrations.bitrix24.importer.client import Bitrix24Client
from voronka.sales.models import Pipeline, PipelineEntity, StageKind
from voronka.sales.services.pipelines import pipelines_ensure_defaults

URL = "https://crm.example.ru/rest/1/code/"


def status(status_id, name, sort, semantics=None):
    return {"STATUS_ID": status_id, "NAME": name, "SORT": str(sort), "SEMANTICS": semantics}


DIRECTORIES = {
    "STATUS": [
        status("NEW", "Не обработан", 10),
        status("IN_PROCESS", "В работе", 20),
        status("PROCESSED", "Обработан", 30),
        status("CONVERTED", "Качественный лид", 40, "S"),
        status("JUNK", "Некачественный лид", 50, "F"),
    ],
    "DEAL_STAGE": [
        status("NEW", "Новая", 10),
        status("PREPARATION", "Подготовка документов", 20),
        status("PREPAYMENT_INVOICE", "Счёт на предоплату", 30),
        status("EXECUTING", "В работе", 40),
        status("FINAL_INVOICE", "Финальный счёт", 50),
        status("WON", "Сделка успешна", 60, "S"),
        status("LOSE", "Сделка провалена", 70, "F"),
        status("APOLOGY", "Анализ причины провала", 80, "F"),
    ],
    "DEAL_STAGE_4": [
        status("C4:NEW", "Заявка", 10),
        status("C4:WON", "Сдан", 20, "S"),
        status("C4:LOSE", "Отказ", 30, "F"),
    ],
}


def portal(method_name, body):
    if method_name == "crm.category.list":
        categories = [
            {"id": 0, "name": "Общая", "sort": 100},
            {"id": 4, "name": "Проекты", "sort": 200},
        ]
        return {"result": {"categories": categories}, "total": 2, "time": {}}
    if method_name == "batch":
        results = {}
        for key, command in body["cmd"].items():
            query = parse_qs(command.split("?", 1)[1])
            results[key] = DIRECTORIES.get(query["filter[ENTITY_ID]"][0], [])
        section = {"result": results, "result_error": [], "result_total": [], "result_next": []}
        return {"result": section, "time": {}}
    return {"result": {"ID": "1"}, "time": {}}


def client():
    def handle(request):
        name = request.url.path.rsplit("/", 1)[-1]
        return httpx.Response(200, json=portal(name, json.loads(request.content or b"{}")))

    return Bitrix24Client(URL, transport=httpx.MockTransport(handle))


def test_standard_stages_reuse_the_fresh_funnels_and_the_rest_are_added(db):
    lead_pipeline, deal_pipeline = pipelines_ensure_defaults()

    report = Importer(client(), only=["pipelines"]).run()

    assert report.entities["stages"].created == 16 and report.entities["stages"].failed == 0
    leads = {s.code: (s.name, s.kind, s.sort) for s in lead_pipeline.stages.all()}
    assert leads == {
        "new": ("Не обработан", StageKind.OPEN, 10),
        "in_progress": ("В работе", StageKind.OPEN, 20),
        "processed": ("Обработан", StageKind.OPEN, 30),
        "converted": ("Качественный лид", StageKind.WON, 40),
        "junk": ("Некачественный лид", StageKind.LOST, 50),
    }
    deals = {s.code: (s.name, s.kind) for s in deal_pipeline.stages.all()}
    assert deals["invoice"] == ("Счёт на предоплату", StageKind.OPEN)
    assert deals["lost"] == ("Сделка провалена", StageKind.LOST)
    assert deals["apology"] == ("Анализ причины провала", StageKind.LOST)
    assert deals["final_invoice"] == ("Финальный счёт", StageKind.OPEN)
    assert len(deals) == 8
    deal_pipeline.refresh_from_db()
    assert deal_pipeline.name == "Общая"
    projects = Pipeline.objects.get(entity=PipelineEntity.DEAL, name="Проекты")
    assert sorted(projects.stages.values_list("code", "kind")) == [
        ("lose", StageKind.LOST),
        ("new", StageKind.OPEN),
        ("won", StageKind.WON),
    ]


def test_importing_the_funnels_again_changes_nothing(db):
    pipelines_ensure_defaults()
    Importer(client(), only=["pipelines"]).run()

    report = Importer(client(), only=["pipelines"]).run()

    assert report.entities["stages"].unchanged == 16
    assert report.entities["pipelines"].unchanged == 2
