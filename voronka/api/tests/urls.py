"""The API alone at its usual place, for tests that must not depend on other apps' URLs."""

from django.urls import include, path

urlpatterns = [path("api/v1/", include("voronka.api.urls"))]
