from django.urls import path

from voronka.notifications import views

app_name = "notifications"

urlpatterns = [
    path("notifications/", views.NotificationListView.as_view(), name="list"),
    path("notifications/bell/", views.BellView.as_view(), name="bell"),
    path("notifications/read-all/", views.NotificationReadAllView.as_view(), name="read_all"),
    path("notifications/<int:pk>/open/", views.NotificationOpenView.as_view(), name="open"),
    path("notifications/<int:pk>/read/", views.NotificationReadView.as_view(), name="read"),
]
