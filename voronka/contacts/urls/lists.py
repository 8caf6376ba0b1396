"""URLs of the contact and company lists."""

from django.urls import path

from voronka.contacts.views import lists

urlpatterns = [
    path("contacts/", lists.ContactListView.as_view(), name="contact_list"),
    path("contacts/columns/", lists.ContactListColumnsView.as_view(), name="contact_columns"),
    path("contacts/bulk/", lists.ContactBulkView.as_view(), name="contact_bulk"),
    path(
        "contacts/export/<str:file_format>/",
        lists.ContactExportView.as_view(),
        name="contact_export",
    ),
    path("companies/", lists.CompanyListView.as_view(), name="company_list"),
    path("companies/columns/", lists.CompanyListColumnsView.as_view(), name="company_columns"),
    path("companies/bulk/", lists.CompanyBulkView.as_view(), name="company_bulk"),
    path(
        "companies/export/<str:file_format>/",
        lists.CompanyExportView.as_view(),
        name="company_export",
    ),
    path(
        "contacts/responsible-options/",
        lists.ResponsibleOptionsView.as_view(),
        name="responsible_options",
    ),
]
