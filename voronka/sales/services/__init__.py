"""Writes for pipelines, leads, deals, product rows and lead conversion; every other app calls
these, never the models."""

from voronka.sales.services.conversion import ConversionResult, lead_convert
from voronka.sales.services.deals import deal_create, deal_delete, deal_restore, deal_update
from voronka.sales.services.leads import lead_create, lead_delete, lead_restore, lead_update
from voronka.sales.services.pipelines import (
    pipeline_create,
    pipelines_ensure_defaults,
    stage_create,
    stage_delete,
    stage_reorder,
    stage_update,
)
from voronka.sales.services.products import ProductTotals, product_rows_set, product_rows_total
from voronka.sales.services.stages import (
    deal_change_pipeline,
    deal_close_lost,
    deal_close_won,
    deal_move_to_stage,
    lead_move_to_stage,
)

__all__ = [
    "ConversionResult",
    "ProductTotals",
    "deal_change_pipeline",
    "deal_close_lost",
    "deal_close_won",
    "deal_create",
    "deal_delete",
    "deal_move_to_stage",
    "deal_restore",
    "deal_update",
    "lead_convert",
    "lead_create",
    "lead_delete",
    "lead_move_to_stage",
    "lead_restore",
    "lead_update",
    "pipeline_create",
    "pipelines_ensure_defaults",
    "product_rows_set",
    "product_rows_total",
    "stage_create",
    "stage_delete",
    "stage_reorder",
    "stage_update",
]
