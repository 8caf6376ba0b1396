"""Leads and deals with their commands (move, win, lose, convert), product rows, and the
sales catalogues (pipelines with stages, loss reasons, products)."""

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from voronka.access.models import Action, Entity
from voronka.access.predicates import visible_to
from voronka.api.serializers import sales as serializers
from voronka.api.views.common import (
    ON_DUPLICATE_HEADER,
    OrderingFilter,
    ReadOnlyViewSet,
    ServiceWriteMixin,
    service_data,
)
from voronka.api.views.feeds import FeedMixin
from voronka.sales import selectors
from voronka.sales.filtersets import DealFilterSet, LeadFilterSet
from voronka.sales.models import DealContact, LossReason, Product, Stage
from voronka.sales.selectors.boards import open_pipelines
from voronka.sales.selectors.cards import card_product_rows, contacts_by_id
from voronka.sales.services import (
    deal_change_pipeline,
    deal_close_lost,
    deal_close_won,
    deal_create,
    deal_delete,
    deal_move_to_stage,
    deal_update,
    lead_convert,
    lead_create,
    lead_delete,
    lead_move_to_stage,
    lead_update,
    product_rows_set,
)

CARD_ORDERING = ["created_at", "updated_at", "amount", "title", "id"]


class CardViewSet(FeedMixin, ServiceWriteMixin, ReadOnlyViewSet):
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    ordering_fields = CARD_ORDERING
    ordering = ("-created_at", "-id")

    def _product_rows(self, request, card, version=None):
        if request.method == "PUT":
            payload = serializers.ProductRowsInputSerializer(
                data=request.data, context=self.get_serializer_context()
            )
            payload.is_valid(raise_exception=True)
            rows = [dict(row) for row in payload.validated_data["rows"]]
            product_rows_set(
                actor=request.user,
                card=card,
                rows=rows,
                expected_version=payload.validated_data.get("version"),
            )
        rows = card_product_rows(user=request.user, card=card)
        return Response(serializers.ProductRowSerializer(rows, many=True).data)


@extend_schema_view(
    create=extend_schema(request=serializers.LeadInputSerializer, parameters=[ON_DUPLICATE_HEADER]),
    partial_update=extend_schema(
        request=serializers.LeadInputSerializer, parameters=[ON_DUPLICATE_HEADER]
    ),
)
class LeadViewSet(CardViewSet):
    """Leads the employee may see; writes go through the lead services."""

    serializer_class = serializers.LeadSerializer
    input_serializer_class = serializers.LeadInputSerializer
    filterset_class = LeadFilterSet
    hidden_entity = Entity.LEAD

    def get_queryset(self):
        return selectors.lead_list(user=self.request.user).select_related("stage__pipeline")

    def perform_service_create(self, data):
        communications = data.pop("communications", None)
        product_rows = data.pop("product_rows", None)
        return lead_create(
            actor=self.request.user,
            on_duplicate=self.on_duplicate(data),
            data=service_data(data),
            communications=[dict(item) for item in communications]
            if communications is not None
            else None,
            product_rows=[dict(row) for row in product_rows] if product_rows is not None else None,
        )

    def perform_service_update(self, instance, data, version):
        communications = data.pop("communications", None)
        product_rows = data.pop("product_rows", None)
        lead = lead_update(
            actor=self.request.user,
            lead=instance,
            on_duplicate=self.on_duplicate(data),
            data=data,
            communications=[dict(item) for item in communications]
            if communications is not None
            else None,
            expected_version=version,
        )
        if product_rows is not None:
            product_rows_set(
                actor=self.request.user, card=lead, rows=[dict(row) for row in product_rows]
            )
        return lead

    def perform_service_delete(self, instance):
        lead_delete(actor=self.request.user, lead=instance)

    @extend_schema(request=serializers.MoveSerializer, responses=serializers.LeadSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move the lead to another stage of its pipeline (required fields may come in
        ``data``; a lost stage needs ``loss_reason``)."""
        lead = self.get_object()
        payload = serializers.MoveSerializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        values = payload.validated_data
        lead = lead_move_to_stage(
            actor=request.user,
            lead=lead,
            stage=values["stage"],
            data=values.get("data"),
            loss_reason=values.get("loss_reason"),
            loss_comment=values.get("loss_comment", ""),
            expected_version=values.get("version"),
        )
        return self.respond(lead)

    @extend_schema(
        request=serializers.ConvertSerializer, responses=serializers.ConversionResultSerializer
    )
    @action(detail=True, methods=["post"])
    def convert(self, request, pk=None):
        """Turn the lead into a contact, a company and one deal per pipeline."""
        lead = self.get_object()
        payload = serializers.ConvertSerializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        values = payload.validated_data
        result = lead_convert(
            actor=request.user,
            lead=lead,
            pipelines=list(values.get("pipelines") or []),
            contact=values.get("contact"),
            company=values.get("company"),
            create_contact=values.get("create_contact", True),
            create_company=values.get("create_company"),
            deal_data=values.get("deal_data"),
            expected_version=values.get("version"),
        )
        body = {
            "contact": result.contact.pk if result.contact else None,
            "company": result.company.pk if result.company else None,
            "deals": [deal.pk for deal in result.deals],
        }
        return Response(body, status=status.HTTP_200_OK)

    @extend_schema(
        methods=["GET"], request=None, responses=serializers.ProductRowSerializer(many=True)
    )
    @extend_schema(
        methods=["PUT"],
        request=serializers.ProductRowsInputSerializer,
        responses=serializers.ProductRowSerializer(many=True),
    )
    @action(detail=True, methods=["get", "put"], url_path="product-rows", pagination_class=None)
    def product_rows(self, request, pk=None):
        """The lead's product rows; PUT replaces them all (the amount becomes their total)."""
        return self._product_rows(request, self.get_object())


@extend_schema_view(
    create=extend_schema(request=serializers.DealInputSerializer),
    partial_update=extend_schema(request=serializers.DealInputSerializer),
)
class DealViewSet(CardViewSet):
    """Deals the employee may see; writes go through the deal services."""

    serializer_class = serializers.DealSerializer
    input_serializer_class = serializers.DealInputSerializer
    filterset_class = DealFilterSet
    hidden_entity = Entity.DEAL

    def get_queryset(self):
        return selectors.deal_list(user=self.request.user).prefetch_related(
            Prefetch(
                "contact_links",
                queryset=DealContact.objects.filter(contact__deleted_at__isnull=True).order_by(
                    "-is_primary", "sort", "pk"
                ),
                to_attr="live_contact_links",
            )
        )

    @staticmethod
    def _contacts(items):
        return [dict(item) for item in items] if items is not None else None

    def _step_data(self, data):
        """The fields a move fills in the same step; contacts come as ids (or
        ``{"contact": id, "is_primary": true}``) of contacts the employee sees."""
        if not data or "contacts" not in data:
            return data
        items = data["contacts"]
        if not isinstance(items, list):
            raise ValidationError({"data.contacts": [_("Give a list of contact ids.")]})
        wanted = [item.get("contact") if isinstance(item, dict) else item for item in items]
        found = contacts_by_id(user=self.request.user, ids=wanted)
        links = []
        for item, pk in zip(items, wanted, strict=True):
            is_id = isinstance(pk, int) and not isinstance(pk, bool)
            contact = found.get(pk) if is_id else None
            if contact is None:
                raise ValidationError(
                    {"data.contacts": [_("There is no contact with id %(id)s.") % {"id": pk}]}
                )
            primary = bool(item.get("is_primary")) if isinstance(item, dict) else False
            links.append({"contact": contact, "is_primary": primary})
        return {**data, "contacts": links}

    def perform_service_create(self, data):
        contacts = data.pop("contacts", None)
        product_rows = data.pop("product_rows", None)
        return deal_create(
            actor=self.request.user,
            data=service_data(data),
            contacts=self._contacts(contacts),
            product_rows=[dict(row) for row in product_rows] if product_rows is not None else None,
        )

    def perform_service_update(self, instance, data, version):
        contacts = data.pop("contacts", None)
        product_rows = data.pop("product_rows", None)
        deal = deal_update(
            actor=self.request.user,
            deal=instance,
            data=data,
            contacts=self._contacts(contacts),
            expected_version=version,
        )
        if product_rows is not None:
            product_rows_set(
                actor=self.request.user, card=deal, rows=[dict(row) for row in product_rows]
            )
        return deal

    def perform_service_delete(self, instance):
        deal_delete(actor=self.request.user, deal=instance)

    @extend_schema(request=serializers.DealMoveSerializer, responses=serializers.DealSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move the deal to another stage, or with ``pipeline`` to another pipeline."""
        deal = self.get_object()
        payload = serializers.DealMoveSerializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        values = payload.validated_data
        common = {
            "actor": request.user,
            "deal": deal,
            "stage": values["stage"],
            "data": self._step_data(values.get("data")),
            "loss_reason": values.get("loss_reason"),
            "loss_comment": values.get("loss_comment", ""),
            "expected_version": values.get("version"),
        }
        pipeline = values.get("pipeline")
        if pipeline is not None and pipeline.pk != deal.pipeline_id:
            deal = deal_change_pipeline(pipeline=pipeline, **common)
        else:
            deal = deal_move_to_stage(**common)
        return self.respond(deal)

    @extend_schema(request=serializers.WinSerializer, responses=serializers.DealSerializer)
    @action(detail=True, methods=["post"])
    def win(self, request, pk=None):
        """Close the deal as won (the success stage of its pipeline)."""
        deal = self.get_object()
        payload = serializers.WinSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        deal = deal_close_won(
            actor=request.user,
            deal=deal,
            data=self._step_data(payload.validated_data.get("data")),
            expected_version=payload.validated_data.get("version"),
        )
        return self.respond(deal)

    @extend_schema(request=serializers.LoseSerializer, responses=serializers.DealSerializer)
    @action(detail=True, methods=["post"])
    def lose(self, request, pk=None):
        """Close the deal as lost with the reason."""
        deal = self.get_object()
        payload = serializers.LoseSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        values = payload.validated_data
        deal = deal_close_lost(
            actor=request.user,
            deal=deal,
            loss_reason=values["loss_reason"],
            loss_comment=values.get("loss_comment", ""),
            data=self._step_data(values.get("data")),
            expected_version=values.get("version"),
        )
        return self.respond(deal)

    @extend_schema(
        methods=["GET"], request=None, responses=serializers.ProductRowSerializer(many=True)
    )
    @extend_schema(
        methods=["PUT"],
        request=serializers.ProductRowsInputSerializer,
        responses=serializers.ProductRowSerializer(many=True),
    )
    @action(detail=True, methods=["get", "put"], url_path="product-rows", pagination_class=None)
    def product_rows(self, request, pk=None):
        """The deal's product rows; PUT replaces them all (the amount becomes their total)."""
        return self._product_rows(request, self.get_object())


class PipelineViewSet(ReadOnlyViewSet):
    """Pipelines of leads and deals in which the employee sees cards, with their stages."""

    serializer_class = serializers.PipelineSerializer
    ordering_fields = ["sort", "id"]
    ordering = ("entity", "sort", "id")

    def get_queryset(self):
        lead = open_pipelines(user=self.request.user, entity="lead")
        deal = open_pipelines(user=self.request.user, entity="deal")
        return (lead | deal).prefetch_related(
            Prefetch("stages", queryset=Stage.objects.order_by("sort", "pk"))
        )


class StageViewSet(ReadOnlyViewSet):
    serializer_class = serializers.StageSerializer
    ordering_fields = ["sort", "id"]
    ordering = ("pipeline_id", "sort", "id")

    def get_queryset(self):
        lead = open_pipelines(user=self.request.user, entity="lead")
        deal = open_pipelines(user=self.request.user, entity="deal")
        return Stage.objects.filter(pipeline__in=lead | deal)


class LossReasonViewSet(ReadOnlyViewSet):
    serializer_class = serializers.LossReasonSerializer
    ordering_fields = ["sort", "name", "id"]
    ordering = ("sort", "id")

    def get_queryset(self):
        return LossReason.objects.all()


class ProductViewSet(ReadOnlyViewSet):
    """The product catalogue, for employees whose role opens it."""

    serializer_class = serializers.ProductSerializer
    ordering_fields = ["name", "price", "id"]
    ordering = ("name", "id")

    def get_queryset(self):
        return visible_to(self.request.user, Product.objects.all(), action=Action.READ)
