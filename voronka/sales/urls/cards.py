"""URLs of the cards area of leads and deals."""

from django.urls import path

from voronka.sales.views import cards, conversion

urlpatterns = [
    path("leads/new/", cards.LeadCreateView.as_view(), name="lead_create"),
    path("deals/new/", cards.DealCreateView.as_view(), name="deal_create"),
    path("deals/<int:pk>/", cards.DealDetailView.as_view(), name="deal_detail"),
    path(
        "deals/<int:pk>/sections/<str:section>/",
        cards.card_section,
        {"entity": "deal"},
        name="deal_section",
    ),
    path("deals/<int:pk>/delete/", cards.DealDeleteView.as_view(), name="deal_delete"),
    path("leads/<int:pk>/", cards.LeadDetailView.as_view(), name="lead_detail"),
    path(
        "leads/<int:pk>/sections/<str:section>/",
        cards.card_section,
        {"entity": "lead"},
        name="lead_section",
    ),
    path("leads/<int:pk>/convert/", conversion.LeadConvertView.as_view(), name="lead_convert"),
    path("leads/<int:pk>/delete/", cards.LeadDeleteView.as_view(), name="lead_delete"),
    path("cards/lookup/companies/", cards.CompanyLookupView.as_view(), name="company_lookup"),
    path("cards/lookup/contacts/", cards.ContactLookupView.as_view(), name="contact_lookup"),
    path("cards/lookup/products/", cards.ProductLookupView.as_view(), name="product_lookup"),
]
