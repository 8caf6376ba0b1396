"""Writes for what administrators keep around the funnel: pipeline names and order, loss
reasons, product sections and the product catalogue."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from voronka.access.models import Action, Entity
from voronka.access.predicates import require
from voronka.core.inputs import check_editable, model_errors, prepare_values
from voronka.sales.models import LossReason, Pipeline, Product, ProductSection

PIPELINE_UPDATE_FIELDS = frozenset({"name", "sort", "is_default"})
LOSS_REASON_FIELDS = frozenset({"name", "sort", "is_active"})
PRODUCT_SECTION_FIELDS = frozenset({"name", "parent", "sort"})
PRODUCT_FIELDS = frozenset(
    {
        "name",
        "sku",
        "unit",
        "price",
        "currency",
        "vat_rate",
        "vat_included",
        "section",
        "description",
        "is_active",
    }
)


def _write(instance, data: dict[str, Any], errors: dict[str, list[str]] | None = None) -> list:
    """Set ``data`` on ``instance`` and validate it (not saved); every problem is named by its
    field in one ValidationError."""
    errors = errors if errors is not None else {}
    values = prepare_values(type(instance), data, errors)
    for key, value in values.items():
        setattr(instance, key, value)
    model_errors(instance, errors)
    if errors:
        raise ValidationError(errors)
    return list(values)


def _save(instance, fields: list[str]) -> None:
    if instance.pk is None:
        instance.save()
    elif fields:
        instance.save(update_fields=[*fields, "updated_at"])


@transaction.atomic
def pipeline_update(*, actor, pipeline: Pipeline, data: dict[str, Any]) -> Pipeline:
    """Rename or re-sort a pipeline, or make it the default one of its entity (the mark moves
    from the previous default). A default pipeline loses the mark only to another one."""
    require(actor, Action.UPDATE, Entity.SETTINGS)
    check_editable(data, PIPELINE_UPDATE_FIELDS)
    pipeline = Pipeline.objects.select_for_update().get(pk=pipeline.pk)
    errors: dict[str, list[str]] = {}
    if "is_default" in data and not data["is_default"] and pipeline.is_default:
        errors["is_default"] = [
            _("Make another pipeline the default one; this one then stops being it.")
        ]
    if data.get("is_default") and not pipeline.is_default:
        Pipeline.objects.filter(entity=pipeline.entity, is_default=True).update(is_default=False)
    fields = _write(pipeline, data, errors)
    _save(pipeline, fields)
    return pipeline


@transaction.atomic
def loss_reason_create(*, actor, data: dict[str, Any]) -> LossReason:
    require(actor, Action.ADD, Entity.SETTINGS)
    check_editable(data, LOSS_REASON_FIELDS)
    reason = LossReason()
    _save(reason, _write(reason, data))
    return reason


@transaction.atomic
def loss_reason_update(*, actor, reason: LossReason, data: dict[str, Any]) -> LossReason:
    """Rename, re-sort or retire a reason; lost deals keep the reason they were lost for."""
    require(actor, Action.UPDATE, Entity.SETTINGS)
    check_editable(data, LOSS_REASON_FIELDS)
    reason = LossReason.objects.select_for_update().get(pk=reason.pk)
    _save(reason, _write(reason, data))
    return reason


@transaction.atomic
def loss_reason_reorder(*, actor, reason_ids: list[int]) -> list[LossReason]:
    """Put every loss reason in the order of ``reason_ids`` (all of them, once each)."""
    require(actor, Action.UPDATE, Entity.SETTINGS)
    reasons = {reason.pk: reason for reason in LossReason.objects.select_for_update()}
    if sorted(reason_ids) != sorted(reasons) or len(set(reason_ids)) != len(reason_ids):
        raise ValidationError({"reasons": _("List every loss reason exactly once.")})
    ordered = [reasons[pk] for pk in reason_ids]
    for position, reason in enumerate(ordered):
        reason.sort = 10 * (position + 1)
    LossReason.objects.bulk_update(ordered, ["sort"])
    return ordered


def _check_section_parent(section: ProductSection, errors: dict[str, list[str]]) -> None:
    parent, seen = section.parent, set()
    while parent is not None and section.pk is not None and parent.pk not in seen:
        if parent.pk == section.pk:
            errors.setdefault("parent", []).append(
                _("A section cannot be placed inside itself or its sub-section.")
            )
            return
        seen.add(parent.pk)
        parent = parent.parent


@transaction.atomic
def product_section_create(*, actor, data: dict[str, Any]) -> ProductSection:
    require(actor, Action.ADD, Entity.PRODUCT)
    check_editable(data, PRODUCT_SECTION_FIELDS)
    section = ProductSection()
    _save(section, _write(section, data))
    return section


@transaction.atomic
def product_section_update(
    *, actor, section: ProductSection, data: dict[str, Any]
) -> ProductSection:
    require(actor, Action.UPDATE, Entity.PRODUCT)
    check_editable(data, PRODUCT_SECTION_FIELDS)
    section = ProductSection.objects.select_for_update().get(pk=section.pk)
    errors: dict[str, list[str]] = {}
    values = prepare_values(ProductSection, data, errors)
    for key, value in values.items():
        setattr(section, key, value)
    _check_section_parent(section, errors)
    model_errors(section, errors)
    if errors:
        raise ValidationError(errors)
    _save(section, list(values))
    return section


def _check_product(product: Product, errors: dict[str, list[str]]) -> None:
    if product.price is not None and product.price < 0:
        errors.setdefault("price", []).append(_("The price cannot be negative."))
    if product.vat_rate is not None and not 0 <= product.vat_rate <= 100:
        errors.setdefault("vat_rate", []).append(_("The VAT rate must be from 0 to 100%, or none."))


def _write_product(product: Product, data: dict[str, Any]) -> list[str]:
    errors: dict[str, list[str]] = {}
    values = prepare_values(Product, data, errors)
    for key, value in values.items():
        setattr(product, key, value)
    if "name" in values and not product.name:
        errors.setdefault("name", []).append(_("Enter the name of the product or service."))
    _check_product(product, errors)
    model_errors(product, errors)
    if errors:
        raise ValidationError(errors)
    return list(values)


@transaction.atomic
def product_create(*, actor, data: dict[str, Any]) -> Product:
    """Add a product or service to the catalogue; rows on cards copy its name, price and VAT."""
    require(actor, Action.ADD, Entity.PRODUCT)
    check_editable(data, PRODUCT_FIELDS)
    product = Product()
    _save(product, _write_product(product, data))
    return product


@transaction.atomic
def product_update(*, actor, product: Product, data: dict[str, Any]) -> Product:
    """Change a catalogue entry; rows already on cards keep the price they were sold at."""
    require(actor, Action.UPDATE, Entity.PRODUCT)
    check_editable(data, PRODUCT_FIELDS)
    product = Product.objects.select_for_update().get(pk=product.pk)
    _save(product, _write_product(product, data))
    return product
