"""URLs of leads and deals; each area keeps its own list beside its views."""

from django.urls import path

from voronka.sales.urls import boards, cards, lists, settings
from voronka.sales.views import home

app_name = "sales"

urlpatterns = [
    path("", home.HomeView.as_view(), name="home"),
    *boards.urlpatterns,
    *lists.urlpatterns,
    *cards.urlpatterns,
    *settings.urlpatterns,
]
