"""What every entity's filterset (leads, deals, contacts, companies) shares: the filter of
one custom field, built from the field's definition and read from the ``custom_fields`` JSON;
the date-range and toggle widgets; and the count of filters in use.
"""

from datetime import timedelta

import django_filters
from django import forms
from django.db.models import DecimalField, Q, TextField
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast

from voronka.customization.models import CustomField, FieldType

CUSTOM_PREFIX = "cf_"
_NUMBER = DecimalField(max_digits=30, decimal_places=6)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class DateRangeWidget(django_filters.widgets.SuffixedMultiWidget):
    """Two browser date pickers, ``<name>_after`` and ``<name>_before``."""

    suffixes = ["after", "before"]

    def __init__(self, attrs=None):
        super().__init__((DateInput, DateInput), attrs)

    def decompress(self, value):
        if value:
            return [value.start, value.stop]
        return [None, None]


def is_empty_filter_value(value) -> bool:
    """No value: nothing typed, an open range, an unticked box, no option chosen."""
    if value is None or value is False or value == "":
        return True
    if isinstance(value, slice):
        return value.start is None and value.stop is None
    # Lists and querysets of a multiple choice (an empty queryset is ``.none()``: no query).
    return hasattr(value, "__len__") and len(value) == 0


class ActiveFiltersMixin:
    """``active_count`` for a FilterSet whose quick search is ``q``."""

    @property
    def active_count(self) -> int:
        """How many filters besides the quick search hold a value (the collapsed bar shows it)."""
        if not self.is_bound or not self.form.is_valid():
            return 0
        return sum(
            1
            for key, value in self.form.cleaned_data.items()
            if key != "q" and not is_empty_filter_value(value)
        )


class Toggle(forms.CheckboxInput):
    """A checkbox that is off when absent and on for any of ``1``/``on``/``true``."""

    def value_from_datadict(self, data, files, name):
        value = data.get(name)
        return str(value).lower() in {"1", "on", "true", "yes"} if value is not None else False


def custom_field_filter(definition: CustomField) -> tuple[str, django_filters.Filter] | None:
    """The filter of one custom field: text contains, number range, date range, a list
    option, yes/no, an employee. Other types (links to cards) are not filtered."""
    code, label, kind = definition.code, definition.label, definition.field_type
    name = f"{CUSTOM_PREFIX}{code}"
    if kind in (FieldType.STRING, FieldType.TEXT, FieldType.URL):

        def contains(queryset, _name, value):
            value = value.strip()
            if not value:
                return queryset
            return queryset.filter(**{f"custom_fields__{code}__icontains": value})

        return name, django_filters.CharFilter(label=label, method=contains, max_length=200)
    if kind in (FieldType.INTEGER, FieldType.DECIMAL, FieldType.MONEY) and not definition.multiple:
        text = (
            KeyTextTransform("amount", KeyTransform(code, "custom_fields"))
            if kind == FieldType.MONEY
            else KeyTextTransform(code, "custom_fields")
        )

        def number_range(queryset, _name, value):
            alias = f"_cf_number_{code}"
            queryset = queryset.alias(**{alias: Cast(text, _NUMBER)})
            if value.start is not None:
                queryset = queryset.filter(**{f"{alias}__gte": value.start})
            if value.stop is not None:
                queryset = queryset.filter(**{f"{alias}__lte": value.stop})
            return queryset

        return name, django_filters.RangeFilter(label=label, method=number_range)
    if kind in (FieldType.DATE, FieldType.DATETIME) and not definition.multiple:

        def date_range(queryset, _name, value):
            # Stored as ISO text, so text order is date order.
            alias = f"_cf_date_{code}"
            queryset = queryset.alias(
                **{alias: Cast(KeyTextTransform(code, "custom_fields"), TextField())}
            )
            if value.start is not None:
                queryset = queryset.filter(**{f"{alias}__gte": value.start.date().isoformat()})
            if value.stop is not None:
                day_after = value.stop.date() + timedelta(days=1)
                queryset = queryset.filter(**{f"{alias}__lt": day_after.isoformat()})
            return queryset

        return name, django_filters.DateFromToRangeFilter(
            label=label, method=date_range, widget=DateRangeWidget()
        )
    if kind == FieldType.LIST:
        choices = [(str(option["id"]), option["label"]) for option in definition.options]

        def option(queryset, _name, value):
            if definition.multiple:
                # A JSON array read as text: the quoted id is in it.
                alias = f"_cf_list_{code}"
                queryset = queryset.alias(
                    **{alias: Cast(KeyTextTransform(code, "custom_fields"), TextField())}
                )
                return queryset.filter(**{f"{alias}__contains": f'"{value}"'})
            return queryset.filter(**{f"custom_fields__{code}": value})

        return name, django_filters.ChoiceFilter(label=label, choices=choices, method=option)
    if kind == FieldType.BOOLEAN:

        def flag(queryset, _name, value):
            if value:
                return queryset.filter(**{f"custom_fields__{code}": True})
            # "No" includes cards where the field was never filled (a missing key is not
            # "not true" in SQL, so it is asked for by name).
            return queryset.filter(
                Q(**{f"custom_fields__{code}": False})
                | Q(**{f"custom_fields__{code}__isnull": True})
            )

        return name, django_filters.BooleanFilter(label=label, method=flag)
    return None
