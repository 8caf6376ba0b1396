"""URLs of the duplicate finder, merges and their undo."""

from django.urls import path

from voronka.contacts.views import duplicates as views

urlpatterns = [
    path("duplicates/", views.DuplicateFinderView.as_view(), name="duplicates"),
    path(
        "duplicates/<int:pk>/dismiss/",
        views.DuplicateDismissView.as_view(),
        name="duplicate_dismiss",
    ),
    path(
        "merge/<str:entity>/<int:pk>/with/<int:other_pk>/",
        views.MergeView.as_view(),
        name="merge",
    ),
    path("merge/<str:entity>/<int:pk>/pick/", views.MergePickView.as_view(), name="merge_pick"),
    path("merges/", views.MergeListView.as_view(), name="merges"),
    path("merges/<int:pk>/undo/", views.MergeUndoView.as_view(), name="merge_undo"),
]
