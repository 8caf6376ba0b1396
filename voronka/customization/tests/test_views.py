"""The settings hub, sources and custom fields pages."""

import json
import re

import pytest
from django.urls import reverse

from voronka.access.models import Action, Entity, Scope
from voronka.access.tests.factories import role_with
from voronka.customization.models import CustomField, Source
from voronka.customization.services import custom_field_create
from voronka.sales.tests.factories import LeadFactory, SourceFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def _triggers(response) -> dict:
    return json.loads(response.headers.get("HX-Trigger", "{}"))


PAGES = [
    "customization:settings_index",
    "customization:settings_sources",
    "customization:settings_source_create",
    "customization:settings_custom_fields",
    "customization:settings_custom_field_create",
]


@pytest.mark.parametrize("name", PAGES)
def test_an_anonymous_visitor_is_sent_to_sign_in(client, name):
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("name", PAGES)
def test_a_manager_may_not_open_the_settings(client, manager, name):
    client.force_login(manager)

    assert client.get(reverse(name)).status_code == 403


def test_a_manager_may_not_save_a_source(client, manager):
    client.force_login(manager)

    response = client.post(
        reverse("customization:settings_source_create"), {"code": "site", "name": "Сайт"}
    )

    assert response.status_code == 403
    assert not Source.objects.exists()


def test_the_hub_links_every_settings_page(admin_client, django_assert_num_queries):
    with django_assert_num_queries(2):  # session, user
        response = admin_client.get(reverse("customization:settings_index"))

    assert response.status_code == 200
    html = response.content.decode()
    for name in (
        "sales:settings_pipelines",
        "sales:settings_loss_reasons",
        "sales:settings_products",
        "customization:settings_sources",
        "customization:settings_custom_fields",
        "staff:settings_employees",
        "staff:settings_departments",
        "staff:settings_absences",
    ):
        assert f'href="{reverse(name)}"' in html
    assert "settings.css" in html


def test_the_settings_open_with_the_right_to_read_them(client, manager):
    role_with((Entity.SETTINGS, Action.READ, Scope.ALL), members=[manager])
    client.force_login(manager)

    assert client.get(reverse("customization:settings_index")).status_code == 200
    assert client.get(reverse("customization:settings_sources")).status_code == 200
    # Reading is not changing: the forms answer 403, and nothing is saved.
    assert client.get(reverse("customization:settings_source_create")).status_code == 403
    response = client.post(
        reverse("customization:settings_source_create"), {"code": "site", "name": "Сайт"}
    )
    assert response.status_code == 403
    assert not Source.objects.exists()


def test_the_staff_flag_alone_no_longer_opens_the_settings(client, manager):
    manager.is_staff = True
    manager.save(update_fields=["is_staff"])
    client.force_login(manager)

    assert client.get(reverse("customization:settings_index")).status_code == 403


def test_the_settings_services_check_the_rights(manager):
    from django.core.exceptions import PermissionDenied

    from voronka.customization.services import source_create

    role_with((Entity.SETTINGS, Action.READ, Scope.ALL), members=[manager])
    with pytest.raises(PermissionDenied):
        source_create(actor=manager, data={"code": "site", "name": "Сайт"})
    with pytest.raises(PermissionDenied):
        custom_field_create(
            actor=manager,
            data={"entity": "lead", "code": "x", "label": "X", "field_type": "string"},
        )
    assert not Source.objects.exists()


# ---- Sources ---------------------------------------------------------------------------------


def test_sources_are_listed_in_order(admin_client, django_assert_num_queries):
    SourceFactory(code="call", name="Звонок", sort=20)
    SourceFactory(code="site", name="Сайт", sort=10)
    SourceFactory(code="fair", name="Выставка", sort=30, is_active=False)

    with django_assert_num_queries(3):
        response = admin_client.get(reverse("customization:settings_sources"))

    html = response.content.decode()
    assert html.index("Сайт") < html.index("Звонок") < html.index("Выставка")


def test_adding_a_source(admin_client):
    response = admin_client.post(
        reverse("customization:settings_source_create"),
        {"code": "site", "name": "Сайт", "sort": "10", "is_active": "on"},
        headers=HTMX,
    )

    assert response.status_code == 204
    assert {"voronka:modal-close", "settings:changed"} <= set(_triggers(response))
    source = Source.objects.get()
    assert (source.code, source.name, source.is_active) == ("site", "Сайт", True)


def test_a_duplicate_source_code_is_refused_naming_the_field(admin_client):
    SourceFactory(code="site", name="Сайт")

    response = admin_client.post(
        reverse("customization:settings_source_create"),
        {"code": "site", "name": "Другой сайт", "sort": "10"},
        headers=HTMX,
    )

    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-field="code"' in html
    assert "already exists" in html
    assert Source.objects.count() == 1


def test_editing_a_source_keeps_its_code(admin_client):
    source = SourceFactory(code="site", name="Сайт")

    form = admin_client.get(reverse("customization:settings_source_update", args=[source.pk]))
    response = admin_client.post(
        reverse("customization:settings_source_update", args=[source.pk]),
        {"code": "hacked", "name": "Сайт компании", "sort": "5"},
    )

    assert "disabled" in form.content.decode()
    assert response.status_code == 204
    source.refresh_from_db()
    assert (source.code, source.name, source.is_active) == ("site", "Сайт компании", False)


def test_editing_a_missing_source_is_404(admin_client):
    url = reverse("customization:settings_source_update", args=[999])
    assert admin_client.get(url).status_code == 404


# ---- Custom fields ---------------------------------------------------------------------------


def test_custom_fields_are_listed_per_entity(admin_client, django_assert_num_queries):
    custom_field_create(
        actor=None,
        data={"entity": "deal", "code": "contract", "label": "Договор", "field_type": "string"},
    )
    custom_field_create(
        actor=None,
        data={
            "entity": "deal",
            "code": "region",
            "label": "Регион",
            "field_type": "list",
            "options": "Москва\nСибирь",
        },
    )
    custom_field_create(
        actor=None,
        data={"entity": "contact", "code": "hobby", "label": "Хобби", "field_type": "string"},
    )

    with django_assert_num_queries(3):
        response = admin_client.get(
            reverse("customization:settings_custom_fields"), {"entity": "deal"}
        )

    html = response.content.decode()
    assert "Договор" in html and "Регион" in html and "Москва, Сибирь" in html
    assert "Хобби" not in html
    tab = admin_client.get(
        reverse("customization:settings_custom_fields"), {"entity": "contact"}, headers=HTMX
    )
    assert "Хобби" in tab.content.decode() and "<html" not in tab.content.decode()


def test_an_unknown_entity_is_404(admin_client):
    response = admin_client.get(reverse("customization:settings_custom_fields"), {"entity": "x"})
    assert response.status_code == 404


def test_creating_a_list_field_with_options_and_a_default(admin_client):
    response = admin_client.post(
        reverse("customization:settings_custom_field_create"),
        {
            "entity": "lead",
            "label": "Регион",
            "code": "region",
            "field_type": "list",
            "options": "Москва\nСибирь\n\nМосква",
            "default": "Сибирь",
            "sort": "100",
            "is_active": "on",
        },
        headers=HTMX,
    )

    assert response.status_code == 204, response.content.decode()
    field = CustomField.objects.get(code="region")
    assert [option["label"] for option in field.options] == ["Москва", "Сибирь"]
    assert field.settings["default"] == field.options[1]["id"]


def test_a_list_without_options_is_refused(admin_client):
    response = admin_client.post(
        reverse("customization:settings_custom_field_create"),
        {"entity": "lead", "label": "Регион", "code": "region", "field_type": "list", "sort": "1"},
    )

    assert response.status_code == 422
    assert 'class="field invalid" data-field="options"' in response.content.decode()
    assert not CustomField.objects.exists()


@pytest.mark.parametrize(
    ("field", "data"),
    [
        ("code", {"code": "Bad Code"}),
        ("label", {"label": ""}),
        ("default", {"field_type": "integer", "default": "много"}),
    ],
)
def test_bad_custom_field_input_is_refused_naming_the_field(admin_client, field, data):
    post = {"entity": "lead", "label": "Поле", "code": "extra", "field_type": "string", "sort": "1"}

    response = admin_client.post(
        reverse("customization:settings_custom_field_create"), {**post, **data}
    )

    assert response.status_code == 422
    assert re.search(f'class="field invalid[^"]*" data-field="{field}"', response.content.decode())
    assert not CustomField.objects.exists()


def test_a_duplicate_code_of_the_same_entity_is_refused(admin_client):
    custom_field_create(
        actor=None, data={"entity": "lead", "code": "extra", "label": "A", "field_type": "string"}
    )

    response = admin_client.post(
        reverse("customization:settings_custom_field_create"),
        {"entity": "lead", "label": "B", "code": "extra", "field_type": "string", "sort": "1"},
    )

    assert response.status_code == 422
    assert CustomField.objects.count() == 1


def test_editing_a_field_keeps_its_code_and_entity_and_option_ids(admin_client):
    field = custom_field_create(
        actor=None,
        data={
            "entity": "lead",
            "code": "region",
            "label": "Регион",
            "field_type": "list",
            "options": "Москва\nСибирь",
        },
    )
    moscow = field.options[0]["id"]
    url = reverse("customization:settings_custom_field_update", args=[field.pk])

    form = admin_client.get(url).content.decode()
    response = admin_client.post(
        url,
        {
            "entity": "deal",
            "code": "other",
            "label": "Регион клиента",
            "field_type": "list",
            "options": "Москва\nУрал",
            "sort": "5",
            "required": "on",
        },
    )

    assert "Москва\nСибирь" in form
    assert response.status_code == 204
    field.refresh_from_db()
    assert (field.entity, field.code, field.label, field.required, field.is_active) == (
        "lead",
        "region",
        "Регион клиента",
        True,
        False,
    )
    assert field.options[0] == {"id": moscow, "label": "Москва"}
    assert field.options[1]["label"] == "Урал"


def test_the_type_of_a_field_with_values_cannot_change(admin_client):
    field = custom_field_create(
        actor=None,
        data={"entity": "lead", "code": "age", "label": "Возраст", "field_type": "string"},
    )
    LeadFactory(custom_fields={"age": "сорок"})

    response = admin_client.post(
        reverse("customization:settings_custom_field_update", args=[field.pk]),
        {"label": "Возраст", "field_type": "integer", "sort": "1", "is_active": "on"},
    )

    assert response.status_code == 422
    assert "its type cannot change" in response.content.decode()
    field.refresh_from_db()
    assert field.field_type == "string"


def test_the_type_of_an_unused_field_may_change(admin_client):
    field = custom_field_create(
        actor=None,
        data={"entity": "lead", "code": "age", "label": "Возраст", "field_type": "string"},
    )

    response = admin_client.post(
        reverse("customization:settings_custom_field_update", args=[field.pk]),
        {"label": "Возраст", "field_type": "integer", "sort": "1", "is_active": "on"},
    )

    assert response.status_code == 204
    field.refresh_from_db()
    assert field.field_type == "integer"


def test_editing_a_missing_field_is_404(admin_client):
    url = reverse("customization:settings_custom_field_update", args=[999])
    assert admin_client.get(url).status_code == 404


def test_a_list_answers_with_the_whole_page_when_htmx_restores_history(admin_client):
    url = reverse("customization:settings_sources")

    partial = admin_client.get(url, headers=HTMX)
    restored = admin_client.get(url, headers={**HTMX, "HX-History-Restore-Request": "true"})

    assert "<html" not in partial.content.decode()
    assert "<html" in restored.content.decode()
    assert "HX-Request" in partial.headers["Vary"]


def test_a_settings_reader_is_not_offered_the_edit_controls(client, manager):
    SourceFactory(code="call", name="Звонок")
    role_with((Entity.SETTINGS, Action.READ, Scope.ALL), members=[manager])
    client.force_login(manager)

    html = client.get(reverse("customization:settings_sources")).content.decode()

    assert "Звонок" in html
    assert reverse("customization:settings_source_create") not in html
    assert "Edit" not in html
    # The settings menu offers the pages the reader may open: not the catalogue, which needs
    # the product right this role lacks.
    assert reverse("access:role_list") in html
    assert reverse("sales:settings_products") not in html
