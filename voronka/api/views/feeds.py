"""The feed of a card (timeline entries, comments, planned activities), as commands of the
card's own endpoint, so a card the employee may not see is a 404 for its feed too."""

from django.contrib.contenttypes.models import ContentType
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from voronka.api.pagination import FeedCursorPagination
from voronka.api.serializers import feeds as serializers
from voronka.timeline.models import Activity, EntryKind, TimelineEntry
from voronka.timeline.services import activity_complete, activity_create, comment_add


class FeedMixin:
    def _paginated(self, queryset, serializer_class):
        paginator = FeedCursorPagination()
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        return paginator.get_paginated_response(serializer_class(page, many=True).data)

    def _of_card(self, model, card):
        return model.objects.filter(
            card_type=ContentType.objects.get_for_model(card), card_id=card.pk
        )

    @extend_schema(
        request=None,
        responses=serializers.TimelineEntrySerializer(many=True),
        parameters=[],
    )
    @action(detail=True, methods=["get"], pagination_class=FeedCursorPagination)
    def timeline(self, request, pk=None):
        """The card's feed, newest first: changes, stage moves, comments, activities."""
        card = self.get_object()
        entries = self._of_card(TimelineEntry, card)
        hidden = self.get_serializer_context()["hidden"]
        if hidden:
            # Changes of fields hidden from the employee stay out of the feed, as on the card.
            codes = sorted(hidden | {f"custom_fields.{code}" for code in hidden})
            entries = entries.exclude(kind=EntryKind.FIELD_CHANGED, payload__field__in=codes)
        return self._paginated(entries, serializers.TimelineEntrySerializer)

    @extend_schema(
        request=serializers.CommentInputSerializer,
        responses={201: serializers.TimelineEntrySerializer},
    )
    @action(detail=True, methods=["post"])
    def comments(self, request, pk=None):
        """Add a comment to the card's feed (needs the right to change the card)."""
        card = self.get_object()
        payload = serializers.CommentInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        entry = comment_add(actor=request.user, card=card, text=payload.validated_data["text"])
        return Response(
            serializers.TimelineEntrySerializer(entry).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        methods=["GET"], request=None, responses=serializers.ActivitySerializer(many=True)
    )
    @extend_schema(
        methods=["POST"],
        request=serializers.ActivityInputSerializer,
        responses={201: serializers.ActivitySerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=FeedCursorPagination)
    def activities(self, request, pk=None):
        """The card's planned activities (calls, meetings, to-dos); POST plans one."""
        card = self.get_object()
        if request.method == "GET":
            activities = self._of_card(Activity, card)
            return self._paginated(activities, serializers.ActivitySerializer)
        payload = serializers.ActivityInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        values = payload.validated_data
        activity = activity_create(
            actor=request.user,
            card=card,
            kind=values["kind"],
            subject=values["subject"],
            responsible=values.get("responsible") or request.user,
            deadline=values.get("deadline"),
            description=values.get("description", ""),
        )
        return Response(
            serializers.ActivitySerializer(activity).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        request=serializers.ActivityCompleteSerializer, responses=serializers.ActivitySerializer
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"activities/(?P<activity_id>[0-9]+)/complete",
        url_name="activity-complete",
    )
    def complete_activity(self, request, pk=None, activity_id=None):
        """Mark a planned activity of the card done, with its result."""
        card = self.get_object()
        activity = get_object_or_404(self._of_card(Activity, card), pk=activity_id)
        payload = serializers.ActivityCompleteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        activity = activity_complete(
            actor=request.user, activity=activity, result=payload.validated_data["result"]
        )
        return Response(serializers.ActivitySerializer(activity).data)
