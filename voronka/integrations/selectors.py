"""Reads of outbound webhooks for the settings pages; opening them needs the settings right,
which the views check."""

from django.db.models import Count, Q, QuerySet

from voronka.integrations.models import DeliveryStatus, WebhookDelivery, WebhookSubscription

DELIVERY_PAGE_SIZE = 50


def subscription_list(*, user) -> QuerySet[WebhookSubscription]:
    """Every subscription with how many of its deliveries wait and failed (one query)."""
    return WebhookSubscription.objects.annotate(
        waiting_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.PENDING)),
        failed_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
    ).order_by("name", "pk")


def subscription_get(*, user, pk: int) -> WebhookSubscription | None:
    return WebhookSubscription.objects.select_related("created_by").filter(pk=pk).first()


def delivery_page(
    *, subscription: WebhookSubscription, before: int | None = None, status: str = ""
) -> tuple[list[WebhookDelivery], int | None]:
    """A page of the subscription's deliveries, newest first, and the id to continue before
    (keyset: every page costs the same)."""
    rows = WebhookDelivery.objects.filter(subscription=subscription).defer("payload")
    if status:
        rows = rows.filter(status=status)
    if before is not None:
        rows = rows.filter(pk__lt=before)
    page = list(rows.order_by("-pk")[: DELIVERY_PAGE_SIZE + 1])
    next_before = page[DELIVERY_PAGE_SIZE - 1].pk if len(page) > DELIVERY_PAGE_SIZE else None
    return page[:DELIVERY_PAGE_SIZE], next_before


def delivery_get(*, user, pk: int) -> WebhookDelivery | None:
    return WebhookDelivery.objects.select_related("subscription").filter(pk=pk).first()
