from voronka.sales.models.cards import Deal, DealContact, Lead, StageTransition
from voronka.sales.models.pipelines import LossReason, Pipeline, PipelineEntity, Stage, StageKind
from voronka.sales.models.products import Product, ProductRow, ProductSection

__all__ = [
    "Deal",
    "DealContact",
    "Lead",
    "LossReason",
    "Pipeline",
    "PipelineEntity",
    "Product",
    "ProductRow",
    "ProductSection",
    "Stage",
    "StageKind",
    "StageTransition",
]
