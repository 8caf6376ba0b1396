"""The project's URLs with the monitoring settings pages, whether or not the project's URL
configuration includes them yet."""

from django.urls import NoReverseMatch, include, path, reverse

from config.urls import urlpatterns as project_urlpatterns

try:
    reverse("monitoring:rules", urlconf="config.urls")
except NoReverseMatch:
    urlpatterns = [
        *project_urlpatterns,
        path("", include("voronka.automation.monitoring.urls")),
    ]
else:
    urlpatterns = project_urlpatterns
