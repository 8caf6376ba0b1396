"""URLs of the duplicate finder, merges and their undo.

Each kind of card has its own merge URLs under its own path (``contacts/<pk>/merge/…``), with
the other card's id named after the kind, like the other URLs of a card."""

from django.urls import path

from voronka.contacts.views import duplicates as views

CARD_PATHS = (("contact", "contacts"), ("company", "companies"), ("lead", "leads"))

urlpatterns = [
    path("duplicates/", views.DuplicateFinderView.as_view(), name="duplicates"),
    path(
        "duplicates/<int:pk>/dismiss/",
        views.DuplicateDismissView.as_view(),
        name="duplicate_dismiss",
    ),
    path("merges/", views.MergeListView.as_view(), name="merges"),
    path("merges/<int:pk>/undo/", views.MergeUndoView.as_view(), name="merge_undo"),
]
for entity, prefix in CARD_PATHS:
    urlpatterns += [
        path(
            f"{prefix}/<int:pk>/merge/",
            views.MergePickView.as_view(entity=entity),
            name=f"{entity}_merge_pick",
        ),
        path(
            f"{prefix}/<int:pk>/merge/<int:{entity}_pk>/",
            views.MergeView.as_view(entity=entity),
            name=f"{entity}_merge",
        ),
    ]
