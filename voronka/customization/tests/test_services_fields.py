"""Custom field definitions and sources written by the settings services."""

import pytest
from django.core.exceptions import ValidationError

from voronka.customization.models import CustomField
from voronka.customization.services import (
    custom_field_create,
    custom_field_update,
    source_create,
    source_update,
)
from voronka.sales.tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def _list_field(options="Москва\nСибирь\nУрал", multiple=False) -> CustomField:
    return custom_field_create(
        actor=None,
        data={
            "entity": "lead",
            "code": "region",
            "label": "Регион",
            "field_type": "list",
            "options": options,
            "multiple": multiple,
        },
    )


def _ids(field: CustomField) -> dict[str, str]:
    return {option["label"]: option["id"] for option in field.options}


def test_reordered_options_keep_their_ids():
    field = _list_field()
    before = _ids(field)

    field = custom_field_update(
        actor=None, definition=field, data={"options": "Урал\nМосква\nСибирь"}
    )

    assert [option["label"] for option in field.options] == ["Урал", "Москва", "Сибирь"]
    assert _ids(field) == before


def test_an_option_renamed_in_its_own_line_keeps_its_id():
    field = _list_field()
    siberia = _ids(field)["Сибирь"]

    field = custom_field_update(
        actor=None, definition=field, data={"options": "Москва\nСибирь и Дальний Восток\nУрал"}
    )

    assert _ids(field)["Сибирь и Дальний Восток"] == siberia
    assert len(set(_ids(field).values())) == 3


def test_an_option_chosen_on_a_card_cannot_be_removed():
    field = _list_field()
    LeadFactory(custom_fields={"region": _ids(field)["Урал"]})

    with pytest.raises(ValidationError) as error:
        custom_field_update(actor=None, definition=field, data={"options": "Москва\nСибирь"})

    assert "“Урал”" in error.value.message_dict["options"][0]
    field.refresh_from_db()
    assert len(field.options) == 3


def test_an_option_chosen_in_a_multiple_field_cannot_be_removed():
    field = _list_field(multiple=True)
    LeadFactory(custom_fields={"region": [_ids(field)["Москва"], _ids(field)["Урал"]]})

    with pytest.raises(ValidationError) as error:
        custom_field_update(actor=None, definition=field, data={"options": "Сибирь"})

    assert "“Москва”" in error.value.message_dict["options"][0]
    assert "“Урал”" in error.value.message_dict["options"][0]


def test_an_unused_option_may_be_removed():
    field = _list_field()
    LeadFactory(custom_fields={"region": _ids(field)["Москва"]})

    field = custom_field_update(actor=None, definition=field, data={"options": "Москва\nСибирь"})

    assert list(_ids(field)) == ["Москва", "Сибирь"]


def test_a_default_must_be_a_value_of_the_field():
    with pytest.raises(ValidationError) as error:
        custom_field_create(
            actor=None,
            data={
                "entity": "deal",
                "code": "floors",
                "label": "Этажей",
                "field_type": "integer",
                "default": "три",
            },
        )

    assert "default" in error.value.message_dict
    assert not CustomField.objects.exists()


def test_code_and_entity_cannot_be_changed():
    field = _list_field()

    with pytest.raises(ValidationError) as error:
        custom_field_update(actor=None, definition=field, data={"code": "other"})

    assert "code" in error.value.message_dict


def test_a_source_code_is_kept_and_unique():
    source = source_create(actor=None, data={"code": "site", "name": "Сайт"})

    with pytest.raises(ValidationError) as duplicate:
        source_create(actor=None, data={"code": "site", "name": "Ещё сайт"})
    with pytest.raises(ValidationError) as recode:
        source_update(actor=None, source=source, data={"code": "web"})
    source = source_update(actor=None, source=source, data={"name": "Сайт компании"})

    assert "code" in duplicate.value.message_dict
    assert "code" in recode.value.message_dict
    assert (source.code, source.name) == ("site", "Сайт компании")


def test_option_ids_never_read_back_as_numbers(monkeypatch):
    from voronka.customization import services

    numbers = iter(["123e45", "456e78"])
    monkeypatch.setattr(services.secrets, "token_hex", lambda size: next(numbers))
    field = _list_field(options="Москва\nСибирь")
    LeadFactory(custom_fields={"region": _ids(field)["Москва"]})

    with pytest.raises(ValidationError) as error:
        custom_field_update(actor=None, definition=field, data={"options": "Сибирь"})

    assert "“Москва”" in error.value.message_dict["options"][0]
