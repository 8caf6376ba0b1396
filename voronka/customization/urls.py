"""URLs of the settings area."""

from django.urls import path
from django.views.generic import TemplateView

app_name = "customization"

# Temporary target of the menu until the settings pages land.
urlpatterns = [
    path("", TemplateView.as_view(template_name="base.html"), name="settings_index"),
]
