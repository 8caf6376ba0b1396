from django.urls import path

from voronka.sales import views

app_name = "sales"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
]
