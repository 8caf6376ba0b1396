"""Guessing ids gets nobody anywhere: every URL of the site that takes the id of a card (or of
something on a card) answers 404 to an employee who may not see that card — on GET and on
POST — exactly as for an id that does not exist, so not even the card's existence leaks.

The URL patterns are read from the resolver, so a new URL with an id cannot be forgotten: one
whose id this test does not know how to fill fails until it is added to ``CARD_IDS`` (or, for
a settings URL, to ``SETTINGS_IDS``).
"""

import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from voronka.access.models import Role
from voronka.contacts.models import DuplicateGroup, MergeRecord
from voronka.contacts.tests.factories import CompanyFactory, ContactFactory
from voronka.imports.models import ImportJob
from voronka.sales.models import PipelineEntity
from voronka.sales.tests.factories import (
    DealFactory,
    LeadFactory,
    LossReasonFactory,
    PipelineFactory,
    ProductFactory,
)
from voronka.staff.tests.factories import DepartmentFactory, UserFactory
from voronka.tasks.tests.factories import TaskFactory
from voronka.timeline.models import Activity

# Which record an id of a URL names, by the URL's name (``namespace:name``) and argument.
CARD_IDS = {
    ("sales:lead_move", "pk"): "lead",
    ("sales:lead_detail", "pk"): "lead",
    ("sales:lead_section", "pk"): "lead",
    ("sales:lead_convert", "pk"): "lead",
    ("sales:lead_delete", "pk"): "lead",
    ("sales:deal_move", "pk"): "deal",
    ("sales:deal_detail", "pk"): "deal",
    ("sales:deal_section", "pk"): "deal",
    ("sales:deal_delete", "pk"): "deal",
    ("timeline:activity_complete", "pk"): "activity",
    ("contacts:lead_merge", "pk"): "lead",
    ("contacts:lead_merge_pick", "pk"): "lead",
    ("contacts:merge_undo", "pk"): "merge",
    ("contacts:duplicate_dismiss", "pk"): "duplicate_group",
}
PREFIX_IDS = {
    "contacts:contact_": "contact",
    "contacts:company_": "company",
    "tasks:": "task",
    "access:recycle_bin_": "deleted_deal",
    "api:lead-": "lead",
    "api:deal-": "deal",
    "api:contact-": "contact",
    "api:company-": "company",
    "api:task-": "task",
    "imports:": "import_job",
}
SECOND_IDS = {
    "company_pk": "company",
    "contact_pk": "contact",
    "lead_pk": "lead",
    "activity_id": "activity",
}
# URLs whose id names no card: what the id is filled with (a visible record) and who may pass.
SETTINGS_IDS = {
    "sales:settings_pipeline_update": "pipeline",
    "sales:settings_stage_create": "pipeline",
    "sales:settings_stage_reorder": "pipeline",
    "sales:settings_stage_update": "stage",
    "sales:settings_stage_delete": "stage",
    "sales:settings_loss_reason_update": "loss_reason",
    "sales:settings_product_update": "product",
    "sales:settings_product_section_update": None,
    "staff:settings_employee_update": "employee",
    "staff:settings_employee_set_active": "employee",
    "staff:settings_department_update": "department",
    "staff:settings_absence_delete": None,
    "customization:settings_source_update": None,
    "customization:settings_custom_field_update": None,
    "access:api_token_revoke": None,
    "automation:robot_create": "stage",
    "automation:robot_reorder": "stage",
    "automation:editor_row": "pipeline",
    "automation:robot_update": None,
    "automation:robot_toggle": None,
    "automation:robot_delete": None,
    "automation:robot_runs": None,
    "automation:trigger_create": "stage",
    "automation:trigger_update": None,
    "automation:trigger_toggle": None,
    "automation:trigger_delete": None,
    # The inbound webhook of a trigger answers 404 to a wrong secret, whoever calls it.
    "automation:trigger_hook": None,
    "automation_transfer:export": "pipeline",
    "automation_transfer:import": "pipeline",
    "monitoring:rule_update": None,
    "monitoring:rule_toggle": None,
    "monitoring:rule_delete": None,
    "monitoring:rule_run": None,
    # Someone else's notification answers 404 like a missing one.
    "notifications:open": None,
    "notifications:read": None,
}
SETTINGS_PREFIX_IDS = {"access:role_": "role", "integrations:webhook_": None}
# Second ids of settings URLs: what they are filled with.
SETTINGS_SECOND_IDS = {"rule_pk": None, "user_pk": "employee", "pipeline_pk": "pipeline"}
# Ids of columns and boards: the stage or pipeline is visible, its cards are scoped (tested
# with the boards); not a card id.
NOT_CARD_IDS = {"stage_pk", "file_format", "section", "card_type", "entity"}
STRUCTURE_IDS = {("sales:deal_board", "pk"): "pipeline"}
# Reference lists every employee may read, and the Bitrix24-compatible API, whose paths carry
# the webhook's owner, secret and method, never a card id (its own tests check its rights).
NOT_CARD_URLS = (
    "admin:",
    "bitrix24:",
    *(
        f"api:{name}-detail"
        for name in (
            "pipeline",
            "stage",
            "loss_reason",
            "product",
            "user",
            "department",
            "source",
            "custom_field",
        )
    ),
)


def url_patterns(patterns=None, namespace=""):
    """``(name, pattern)`` of every named URL, with namespaces joined like ``reverse`` wants."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from url_patterns(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry


def arguments(pattern: URLPattern) -> list[str]:
    return re.findall(r"<(?:\w+:)?(\w+)>", str(pattern.pattern))


def id_urls():
    return sorted(
        (
            (name, pattern)
            for name, pattern in url_patterns()
            if not name.startswith(NOT_CARD_URLS)
            and {
                (name, argument) for argument in arguments(pattern) if argument not in NOT_CARD_IDS
            }
            - set(STRUCTURE_IDS)
        ),
        key=lambda item: (item[0], str(item[1].pattern)),
    )


def settings_kind(name: str, argument: str) -> str | bool | None:
    """What a settings URL's id is filled with (None: any number); False: not a settings id."""
    if argument in SETTINGS_SECOND_IDS:
        return SETTINGS_SECOND_IDS[argument]
    if name in SETTINGS_IDS:
        return SETTINGS_IDS[name]
    for prefix, kind in SETTINGS_PREFIX_IDS.items():
        if name.startswith(prefix):
            return kind
    return False


def card_kind(name: str, argument: str) -> str | None:
    if (name, argument) in CARD_IDS:
        return CARD_IDS[name, argument]
    if argument in SECOND_IDS:
        return SECOND_IDS[argument]
    if name.startswith("timeline:") and argument == "card_id":
        return "timeline"
    for prefix, kind in PREFIX_IDS.items():
        if name.startswith(prefix) and argument == "pk":
            return kind
    return None


@pytest.fixture
def world(db):
    """A Manager (own scope, the role of everyone without one) in department A; the cards of
    a colleague in department B, which the manager must not find."""
    manager = UserFactory(username="guesser", department=DepartmentFactory(name="A"))
    stranger = UserFactory(username="stranger", department=DepartmentFactory(name="B"))
    lead_pipeline = PipelineFactory.with_stages(entity=PipelineEntity.LEAD)
    deal = DealFactory(responsible=stranger, created_by=stranger)
    records = {
        "lead": LeadFactory(
            responsible=stranger, created_by=stranger, stage=lead_pipeline.stages.first()
        ),
        "deal": deal,
        "contact": ContactFactory(responsible=stranger, created_by=stranger),
        "company": CompanyFactory(responsible=stranger, created_by=stranger),
        "activity": Activity.objects.create(
            card_type=ContentType.objects.get_for_model(deal),
            card_id=deal.pk,
            kind="call",
            subject="Перезвонить",
            responsible=stranger,
            created_by=stranger,
        ),
        "pipeline": deal.pipeline,
        "stage": deal.stage,
        "loss_reason": LossReasonFactory(),
        "product": ProductFactory(),
        "deleted_deal": DealFactory(
            responsible=stranger, created_by=stranger, deleted_at=timezone.now()
        ),
        "role": Role.objects.get(code="manager"),
        "employee": stranger,
        "department": stranger.department,
    }
    records["task"] = TaskFactory(responsible=stranger, created_by=stranger)
    twin = ContactFactory(responsible=stranger, created_by=stranger)
    contact_type = ContentType.objects.get_for_model(records["contact"])
    records["merge"] = MergeRecord.objects.create(
        card_type=contact_type, survivor_id=records["contact"].pk, absorbed_id=twin.pk
    )
    records["duplicate_group"] = DuplicateGroup.objects.create(
        card_type=contact_type,
        rule="phone",
        key="+79120000000",
        card_ids=[records["contact"].pk, twin.pk],
        size=2,
    )
    records["import_job"] = ImportJob.objects.create(
        entity="contact", original_name="clients.csv", file_format="csv", created_by=stranger
    )
    return manager, records


def fill(name: str, pattern: URLPattern, records) -> tuple[dict, bool]:
    """The URL's arguments filled with the hidden records; whether the URL is a card's one."""
    kwargs, names_a_card = {}, False
    for argument in arguments(pattern):
        if argument == "card_type":
            kwargs[argument] = "deal"
        elif argument == "entity":
            kwargs[argument] = "contact"
        elif argument == "file_format":
            kwargs[argument] = "csv"
        elif argument == "section":
            kwargs[argument] = "main"
        elif argument == "stage_pk":
            kwargs[argument] = records["stage"].pk
        elif (name, argument) in STRUCTURE_IDS:
            kwargs[argument] = records[STRUCTURE_IDS[name, argument]].pk
        elif (kind := card_kind(name, argument)) is not None:
            record = records["deal" if kind == "timeline" else kind]
            kwargs[argument] = record.pk
            names_a_card = True
        elif (kind := settings_kind(name, argument)) is not False:
            kwargs[argument] = records[kind].pk if kind else 1
        else:
            pytest.fail(f"{name}: the IDOR test does not know what <{argument}> names")
    return kwargs, names_a_card


def test_every_url_with_an_id_is_known_to_this_test():
    unknown = [
        f"{name} <{argument}>"
        for name, pattern in id_urls()
        for argument in set(arguments(pattern)) - NOT_CARD_IDS
        if card_kind(name, argument) is None and settings_kind(name, argument) is False
    ]
    assert unknown == []


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_guessed_id_of_a_hidden_card_answers_404_on_every_url(client, world, method):
    manager, records = world
    client.force_login(manager)
    leaks = []
    for name, pattern in id_urls():
        kwargs, names_a_card = fill(name, pattern, records)
        url = reverse(name, kwargs=kwargs)
        status = getattr(client, method)(url, HTTP_HX_REQUEST="true").status_code
        # A card's URL must not reveal the card (404); a settings URL refuses (403) or, for a
        # method it does not serve, 405.
        allowed = {404, 405} if names_a_card else {403, 404, 405}
        if status not in allowed:
            leaks.append(f"{method.upper()} {url} ({name}) → {status}")
    assert leaks == []
    for kind in ("lead", "deal", "contact", "company"):
        record = records[kind]
        fresh = type(record).all_objects.get(pk=record.pk)
        assert (fresh.deleted_at, fresh.version) == (None, record.version), kind
    assert type(records["deleted_deal"]).all_objects.get(pk=records["deleted_deal"].pk).is_deleted
