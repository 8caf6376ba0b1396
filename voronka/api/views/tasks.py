"""Tasks the employee may see, written through the tasks services."""

import django_filters
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from voronka.access.models import Entity
from voronka.api.serializers import feeds as serializers
from voronka.api.views.common import OrderingFilter, ReadOnlyViewSet, ServiceWriteMixin
from voronka.staff.models import User
from voronka.tasks.models import Task, TaskStatus
from voronka.tasks.selectors import visible_tasks
from voronka.tasks.services import (
    resolve_card,
    task_change_deadline,
    task_change_status,
    task_comment,
    task_create,
    task_delete,
    task_update,
)


class TaskFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=TaskStatus.choices, distinct=False)
    responsible = django_filters.NumberFilter(field_name="responsible_id")
    deadline = django_filters.IsoDateTimeFromToRangeFilter(field_name="deadline")

    class Meta:
        model = Task
        fields = ["status", "responsible", "deadline"]


@extend_schema_view(
    create=extend_schema(request=serializers.TaskInputSerializer),
    partial_update=extend_schema(request=serializers.TaskInputSerializer),
)
class TaskViewSet(ServiceWriteMixin, ReadOnlyViewSet):
    serializer_class = serializers.TaskSerializer
    input_serializer_class = serializers.TaskInputSerializer
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = TaskFilterSet
    ordering_fields = ["created_at", "updated_at", "id"]
    ordering = ("-created_at", "-id")
    hidden_entity = Entity.TASK

    def get_queryset(self):
        people = User.objects.only("pk")
        return visible_tasks(user=self.request.user).prefetch_related(
            Prefetch("co_executors", queryset=people), Prefetch("observers", queryset=people)
        )

    def perform_service_create(self, data):
        card = None
        card_type, card_id = data.pop("card_type", None), data.pop("card_id", None)
        if (card_type is None) != (card_id is None):
            raise ValidationError({"card_id": [_("Give both the card type and its id.")]})
        if card_type is not None:
            card = resolve_card(actor=self.request.user, card_type=card_type, card_id=card_id)
        data.pop("version", None)
        return task_create(
            actor=self.request.user,
            title=data.pop("title", ""),
            responsible=data.pop("responsible", None) or self.request.user,
            card=card,
            **data,
        )

    def perform_service_update(self, instance, data, version):
        refused = sorted({"checklist", "card_type", "card_id", "deadline"} & set(data))
        if refused:
            raise ValidationError(
                {name: [_("This field cannot be changed here.")] for name in refused}
            )
        co_executors = data.pop("co_executors", None)
        observers = data.pop("observers", None)
        return task_update(
            actor=self.request.user,
            task=instance,
            data=data,
            co_executors=co_executors,
            observers=observers,
            expected_version=version,
        )

    def perform_service_delete(self, instance):
        task_delete(actor=self.request.user, task=instance)

    @extend_schema(request=serializers.TaskStatusSerializer, responses=serializers.TaskSerializer)
    @action(detail=True, methods=["post"], url_path="status")
    def change_status(self, request, pk=None):
        """Start, complete, defer, resume, accept or return the task."""
        task = self.get_object()
        payload = serializers.TaskStatusSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        values = payload.validated_data
        task = task_change_status(
            actor=request.user,
            task=task,
            action=values["action"],
            result=values.get("result", ""),
            comment=values.get("comment", ""),
            expected_version=values.get("version"),
        )
        return self.respond(task)

    @extend_schema(request=serializers.TaskDeadlineSerializer, responses=serializers.TaskSerializer)
    @action(detail=True, methods=["post"])
    def deadline(self, request, pk=None):
        """Move the deadline (null removes it); some employees must say why."""
        task = self.get_object()
        payload = serializers.TaskDeadlineSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        values = payload.validated_data
        task = task_change_deadline(
            actor=request.user,
            task=task,
            deadline=values["deadline"],
            comment=values.get("comment", ""),
            expected_version=values.get("version"),
        )
        return self.respond(task)

    @extend_schema(
        request=serializers.TaskCommentSerializer,
        responses={201: serializers.TaskCommentSerializer},
    )
    @action(detail=True, methods=["post"])
    def comments(self, request, pk=None):
        """Comment on the task."""
        task = self.get_object()
        payload = serializers.TaskCommentSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        entry = task_comment(actor=request.user, task=task, text=payload.validated_data["text"])
        return Response(
            serializers.TaskCommentSerializer(entry).data, status=status.HTTP_201_CREATED
        )
