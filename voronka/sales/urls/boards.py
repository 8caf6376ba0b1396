"""URLs of the kanban boards of leads and deals, their columns and the move endpoints (the
card page's stage bar posts to the same move endpoints)."""

from django.urls import path

from voronka.sales.views import boards

urlpatterns = [
    path("leads/", boards.LeadBoardView.as_view(), name="lead_board"),
    path(
        "leads/stages/<int:stage_pk>/cards/",
        boards.LeadColumnView.as_view(),
        name="lead_board_column",
    ),
    path("leads/<int:pk>/move/", boards.LeadMoveView.as_view(), name="lead_move"),
    path("deals/", boards.DealBoardDefaultView.as_view(), name="deal_board_default"),
    path("deals/pipeline/<int:pk>/", boards.DealBoardView.as_view(), name="deal_board"),
    path(
        "deals/stages/<int:stage_pk>/cards/",
        boards.DealColumnView.as_view(),
        name="deal_board_column",
    ),
    path("deals/<int:pk>/move/", boards.DealMoveView.as_view(), name="deal_move"),
]
