"""Fields and shapes shared by the serializers of every resource."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from voronka.access.predicates import visible_to
from voronka.contacts.models import CommunicationKind, CommunicationValueType


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):
    """An id of a record the caller may see: a hidden one reads "does not exist", exactly
    like a missing one."""

    def __init__(self, model=None, **kwargs):
        self.model = model
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", model._default_manager.all())
        super().__init__(**kwargs)

    def get_queryset(self):
        queryset = super().get_queryset()
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return visible_to(user, queryset)


def all_optional(fields) -> dict:
    """``extra_kwargs`` making every field optional (the services name what is missing)."""
    return {name: {"required": False} for name in fields}


class CommunicationSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CommunicationKind.choices)
    value_type = serializers.ChoiceField(
        choices=CommunicationValueType.choices, required=False, default=CommunicationValueType.WORK
    )
    value = serializers.CharField(max_length=255)


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The version you read; a write to a record changed since answers 409.",
    )


ON_DUPLICATE_HELP = (
    "What to do when the record looks like existing ones and the duplicate policy only warns: "
    "`record` (the default) writes it and notes the matches on its timeline; `ask` answers "
    "409 with code `duplicates` and the `matches` instead, so the client can ask its user and "
    "send again with `record`. The `X-On-Duplicate` header does the same. A policy that blocks "
    "always answers 400 naming the field and the matching record."
)


class OnDuplicateSerializer(serializers.Serializer):
    on_duplicate = serializers.ChoiceField(
        choices=["record", "ask"], required=False, write_only=True, help_text=ON_DUPLICATE_HELP
    )


def active_users():
    return get_user_model().objects.all()


class MomentField(serializers.DateTimeField):
    """A date and time from 1900 on: earlier years would come back in the local mean time of
    the time zone (an offset with seconds, which no client parses)."""

    default_error_messages = {"range": _("Enter a date and time from the year 1900 on.")}

    def to_internal_value(self, value):
        moment = super().to_internal_value(value)
        if moment is not None and moment.year < 1900:
            self.fail("range")
        return moment
