"""Reads of leads, deals and boards; one module per area.

Every selector takes the user and reads only the leads and deals (and the contacts and
companies shown with them) that user may see: ``voronka.access.predicates.visible_to``.
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
