"""Sections edited in place: service errors land on the right form fields."""

from django import forms
from django.core.exceptions import ValidationError

from voronka.core.sections import add_service_errors, parse_version


class TitleForm(forms.Form):
    title = forms.CharField(required=False)


def test_service_errors_go_to_their_field_or_the_whole_form():
    form = TitleForm({"title": ""})
    assert form.is_valid()
    add_service_errors(
        form,
        ValidationError(
            {"title": ["Enter a title."], "amount": ["Enter a number."], "__all__": ["Stale."]}
        ),
    )
    assert form.errors["title"] == ["Enter a title."]
    assert form.non_field_errors() == ["Enter a number.", "Stale."]


def test_unkeyed_service_error_is_form_wide():
    form = TitleForm({"title": "x"})
    form.is_valid()
    add_service_errors(form, ValidationError("Nothing to do."))
    assert form.non_field_errors() == ["Nothing to do."]


def test_version_parsed_or_none():
    assert parse_version("7") == 7
    assert parse_version("") is None
    assert parse_version(None) is None
