"""Pipelines renamed and re-marked, loss reasons, product sections and the catalogue."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from voronka.sales.models import LossReason, Pipeline, Product, ProductSection
from voronka.sales.services.catalogues import (
    loss_reason_create,
    loss_reason_reorder,
    loss_reason_update,
    pipeline_update,
    product_create,
    product_section_create,
    product_section_update,
    product_update,
)
from voronka.sales.tests.factories import LossReasonFactory, PipelineFactory

pytestmark = pytest.mark.django_db


def test_a_pipeline_is_renamed(deal_pipeline, admin_user):
    pipeline = pipeline_update(actor=admin_user, pipeline=deal_pipeline, data={"name": " Опт "})

    assert pipeline.name == "Опт"


def test_the_default_mark_moves_and_is_never_simply_dropped(deal_pipeline, admin_user):
    other = PipelineFactory.with_stages()

    with pytest.raises(ValidationError) as error:
        pipeline_update(actor=admin_user, pipeline=deal_pipeline, data={"is_default": False})
    pipeline_update(actor=admin_user, pipeline=other, data={"is_default": True})

    assert "is_default" in error.value.message_dict
    assert Pipeline.objects.get(entity="deal", is_default=True) == other


def test_a_pipeline_keeps_its_entity(deal_pipeline, admin_user):
    with pytest.raises(ValidationError) as error:
        pipeline_update(actor=admin_user, pipeline=deal_pipeline, data={"entity": "lead"})

    assert "entity" in error.value.message_dict


def test_loss_reasons_are_added_renamed_and_retired(admin_user):
    reason = loss_reason_create(actor=admin_user, data={"name": "Дорого"})
    reason = loss_reason_update(
        actor=admin_user, reason=reason, data={"name": "Слишком дорого", "is_active": False}
    )

    assert (reason.name, reason.is_active) == ("Слишком дорого", False)
    with pytest.raises(ValidationError) as error:
        loss_reason_create(actor=admin_user, data={"name": ""})
    assert "name" in error.value.message_dict
    assert LossReason.objects.count() == 1


def test_loss_reasons_are_reordered_only_as_a_whole(admin_user):
    first, second, third = (LossReasonFactory(sort=10 * n) for n in range(1, 4))

    loss_reason_reorder(actor=admin_user, reason_ids=[third.pk, first.pk, second.pk])
    with pytest.raises(ValidationError):
        loss_reason_reorder(actor=admin_user, reason_ids=[first.pk, first.pk, second.pk])

    assert list(LossReason.objects.order_by("sort")) == [third, first, second]


def test_a_product_is_created_with_typed_numbers(admin_user):
    section = product_section_create(actor=admin_user, data={"name": "Услуги"})

    product = product_create(
        actor=admin_user,
        data={"name": "Монтаж", "price": "12 500,50", "vat_rate": "20", "section": section.pk},
    )

    assert (product.price, product.vat_rate, product.section) == (
        Decimal("12500.50"),
        Decimal("20.00"),
        section,
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("price", "-1"), ("vat_rate", "101"), ("currency", "XYZ"), ("section", 999), ("name", "")],
)
def test_a_bad_product_is_refused_and_nothing_is_saved(admin_user, field, value):
    with pytest.raises(ValidationError) as error:
        product_create(actor=admin_user, data={"name": "Монтаж", "price": "1", field: value})

    assert field in error.value.message_dict
    assert not Product.objects.exists()


def test_a_product_update_leaves_other_fields_alone(admin_user):
    product = product_create(actor=admin_user, data={"name": "Монтаж", "price": "100", "sku": "M1"})

    product = product_update(actor=admin_user, product=product, data={"price": "150"})

    product.refresh_from_db()
    assert (product.price, product.sku) == (Decimal("150.00"), "M1")


def test_a_section_cannot_be_moved_inside_its_own_sub_section(admin_user):
    parent = product_section_create(actor=admin_user, data={"name": "Оборудование"})
    child = product_section_create(actor=admin_user, data={"name": "Насосы", "parent": parent})

    with pytest.raises(ValidationError) as error:
        product_section_update(actor=admin_user, section=parent, data={"parent": child.pk})
    with pytest.raises(ValidationError):
        product_section_update(actor=admin_user, section=parent, data={"parent": parent.pk})

    assert "parent" in error.value.message_dict
    assert ProductSection.objects.get(pk=parent.pk).parent is None
