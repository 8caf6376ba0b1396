"""URLs of the contact and company lists."""

from django.urls import path
from django.views.generic import TemplateView

# Temporary targets of the menu until the lists land.
urlpatterns = [
    path("contacts/", TemplateView.as_view(template_name="base.html"), name="contact_list"),
    path("companies/", TemplateView.as_view(template_name="base.html"), name="company_list"),
]
