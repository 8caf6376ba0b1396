"""URLs of contacts and companies; each area keeps its own list beside its views."""

from voronka.contacts.urls import cards, lists

app_name = "contacts"

urlpatterns = [*lists.urlpatterns, *cards.urlpatterns]
