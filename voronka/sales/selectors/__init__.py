"""Reads of leads, deals and boards; one module per area.

Access rights arrive with the access app: ``user`` is accepted by every selector but does not
filter yet, so every employee sees every card.
"""

from voronka.sales.selectors.boards import (
    BoardColumn,
    PipelineSummary,
    StageTotals,
    deal_board,
    lead_board,
    pipelines_summary,
    stage_totals,
)
from voronka.sales.selectors.lists import LIST_LIMIT, deal_list, lead_list

__all__ = [
    "LIST_LIMIT",
    "BoardColumn",
    "PipelineSummary",
    "StageTotals",
    "deal_board",
    "deal_list",
    "lead_board",
    "lead_list",
    "pipelines_summary",
    "stage_totals",
]
