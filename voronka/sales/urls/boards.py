"""URLs of the kanban boards of leads and deals."""

from django.urls import path
from django.views.generic import TemplateView

# Temporary targets of the menu until the boards land.
urlpatterns = [
    path("leads/", TemplateView.as_view(template_name="base.html"), name="lead_board"),
    path("deals/", TemplateView.as_view(template_name="base.html"), name="deal_board_default"),
]
