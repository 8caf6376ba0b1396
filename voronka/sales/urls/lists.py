"""URLs of the lists area of leads and deals."""

from django.urls import path

from voronka.sales.views import lists

urlpatterns = [
    path("leads/list/", lists.LeadListView.as_view(), name="lead_list"),
    path("leads/list/columns/", lists.LeadListColumnsView.as_view(), name="lead_columns"),
    path("leads/list/bulk/", lists.LeadBulkView.as_view(), name="lead_bulk"),
    path(
        "leads/list/export/<str:file_format>/",
        lists.LeadExportView.as_view(),
        name="lead_export",
    ),
    path("deals/list/", lists.DealListView.as_view(), name="deal_list"),
    path("deals/list/columns/", lists.DealListColumnsView.as_view(), name="deal_columns"),
    path("deals/list/bulk/", lists.DealBulkView.as_view(), name="deal_bulk"),
    path(
        "deals/list/export/<str:file_format>/",
        lists.DealExportView.as_view(),
        name="deal_export",
    ),
]
