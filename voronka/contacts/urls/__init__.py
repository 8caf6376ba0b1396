"""URLs of contacts and companies; each area keeps its own list beside its views."""

from voronka.contacts.urls import cards, client_settings, duplicates, lists

app_name = "contacts"

urlpatterns = [
    *lists.urlpatterns,
    *cards.urlpatterns,
    *duplicates.urlpatterns,
    *client_settings.urlpatterns,
]
