"""Reads of the sales settings: pipelines with their stages, loss reasons and the catalogue."""

from django.db.models import Count, Prefetch, Q, QuerySet

from voronka.sales.models import LossReason, Pipeline, Product, ProductSection, Stage

PRODUCTS_PER_PAGE = 50


def pipeline_settings_list(*, user) -> list[Pipeline]:
    """Every pipeline, leads first, each with its stages in order (two queries)."""
    return list(
        Pipeline.objects.order_by("entity", "sort", "pk").prefetch_related(
            Prefetch("stages", queryset=Stage.objects.order_by("sort", "pk"))
        )
    )


def pipeline_for_settings(*, user) -> QuerySet[Pipeline]:
    return Pipeline.objects.all()


def stage_for_settings(*, user) -> QuerySet[Stage]:
    return Stage.objects.select_related("pipeline")


def loss_reason_list(*, user) -> QuerySet[LossReason]:
    return LossReason.objects.order_by("sort", "name", "pk")


def product_section_list(*, user) -> QuerySet[ProductSection]:
    return ProductSection.objects.select_related("parent").annotate(product_count=Count("products"))


def product_settings_list(
    *, user, query: str = "", section_id: int | None = None, active: str = ""
) -> QuerySet[Product]:
    """The catalogue filtered by a fragment of the name or SKU, a section and the status."""
    products = Product.objects.select_related("section").order_by("name", "pk")
    query = query.strip()
    if query:
        products = products.filter(Q(name__icontains=query) | Q(sku__icontains=query))
    if section_id is not None:
        products = products.filter(section_id=section_id)
    if active == "yes":
        products = products.filter(is_active=True)
    elif active == "no":
        products = products.filter(is_active=False)
    return products
