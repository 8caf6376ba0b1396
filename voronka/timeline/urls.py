"""URLs of card feeds; a card is addressed by its type name and id."""

from django.urls import path

from voronka.timeline import views

app_name = "timeline"

card = "timeline/<str:card_type>/<int:card_id>/"

urlpatterns = [
    path(card, views.TimelinePanelView.as_view(), name="panel"),
    path(f"{card}entries/", views.TimelineEntriesView.as_view(), name="entries"),
    path(f"{card}comment/", views.CommentAddView.as_view(), name="comment_add"),
    path(f"{card}activity/", views.ActivityCreateView.as_view(), name="activity_create"),
    path(
        "timeline/activities/<int:pk>/complete/",
        views.ActivityCompleteView.as_view(),
        name="activity_complete",
    ),
    path("timeline/users/", views.UserLookupView.as_view(), name="user_lookup"),
]
