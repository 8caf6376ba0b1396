"""URLs of the client base settings: duplicate policies, families, LTV segments."""

from django.urls import path

from voronka.contacts.views import client_settings as views

urlpatterns = [
    path("settings/clients/", views.ClientSettingsView.as_view(), name="client_settings"),
    path(
        "settings/clients/families/",
        views.FamiliesApplyView.as_view(),
        name="families_apply",
    ),
    path("families/", views.FamilySuggestionsView.as_view(), name="family_suggestions"),
    path("families/create/", views.FamilyCreateView.as_view(), name="family_create"),
    path("families/dismiss/", views.FamilyDismissView.as_view(), name="family_dismiss"),
]
