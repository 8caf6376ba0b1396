"""Card feeds (timeline entries, comments, planned activities) and tasks."""

from rest_framework import serializers

from voronka.api.base import ShapedModelSerializer
from voronka.api.serializers.common import MomentField, VersionSerializer
from voronka.tasks.models import Task
from voronka.tasks.services import TRANSITIONS
from voronka.timeline.models import Activity, ActivityKind, TimelineEntry


class TimelineEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = TimelineEntry
        fields = ("id", "kind", "author", "created_at", "text", "payload")
        read_only_fields = fields


class CommentInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=10000)


class ActivitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Activity
        fields = (
            "id",
            "kind",
            "subject",
            "description",
            "deadline",
            "responsible",
            "created_by",
            "created_at",
            "completed_at",
            "completed_by",
            "result",
        )
        read_only_fields = fields


class ActivityInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ActivityKind.choices)
    subject = serializers.CharField(max_length=255)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    deadline = MomentField(required=False, allow_null=True, default=None)
    responsible = serializers.PrimaryKeyRelatedField(
        queryset=Activity._meta.get_field("responsible").related_model.objects.filter(
            is_active=True
        ),
        required=False,
        help_text="The employee who is to do it (by default, you).",
    )


class ActivityCompleteSerializer(serializers.Serializer):
    result = serializers.CharField(required=False, allow_blank=True, default="")


class TaskSerializer(ShapedModelSerializer):
    card_type = serializers.SlugRelatedField(slug_field="model", read_only=True, allow_null=True)

    class Meta:
        model = Task
        fields = (
            "id",
            "title",
            "description",
            "status",
            "responsible",
            "co_executors",
            "observers",
            "created_by",
            "deadline",
            "requires_control",
            "result",
            "card_type",
            "card_id",
            "started_at",
            "completed_at",
            "created_at",
            "updated_at",
            "version",
        )
        read_only_fields = fields


USERS = Task._meta.get_field("responsible").related_model


class TaskInputSerializer(VersionSerializer):
    title = serializers.CharField(max_length=255, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    responsible = serializers.PrimaryKeyRelatedField(queryset=USERS.objects.all(), required=False)
    co_executors = serializers.PrimaryKeyRelatedField(
        queryset=USERS.objects.all(), many=True, required=False
    )
    observers = serializers.PrimaryKeyRelatedField(
        queryset=USERS.objects.all(), many=True, required=False
    )
    deadline = MomentField(required=False, allow_null=True)
    requires_control = serializers.BooleanField(required=False)
    checklist = serializers.ListField(
        child=serializers.CharField(max_length=500), required=False, help_text="On creation."
    )
    card_type = serializers.ChoiceField(
        choices=["lead", "deal", "contact", "company"], required=False, help_text="On creation."
    )
    card_id = serializers.IntegerField(required=False, min_value=1, help_text="On creation.")


class TaskStatusSerializer(VersionSerializer):
    action = serializers.ChoiceField(choices=sorted(TRANSITIONS))
    result = serializers.CharField(required=False, allow_blank=True, default="")
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class TaskDeadlineSerializer(VersionSerializer):
    deadline = MomentField(allow_null=True)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class TaskCommentSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.CharField(read_only=True)
    author = serializers.IntegerField(source="author_id", read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    text = serializers.CharField(max_length=10000)
