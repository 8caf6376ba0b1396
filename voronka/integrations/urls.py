from django.urls import path

from voronka.integrations import views

app_name = "integrations"

urlpatterns = [
    path("settings/webhooks/", views.WebhookListView.as_view(), name="webhook_list"),
    path("settings/webhooks/new/", views.WebhookCreateView.as_view(), name="webhook_create"),
    path("settings/webhooks/<int:pk>/", views.WebhookDetailView.as_view(), name="webhook_detail"),
    path(
        "settings/webhooks/<int:pk>/edit/",
        views.WebhookUpdateView.as_view(),
        name="webhook_update",
    ),
    path(
        "settings/webhooks/<int:pk>/switch/",
        views.WebhookSwitchView.as_view(),
        name="webhook_switch",
    ),
    path(
        "settings/webhooks/<int:pk>/test/",
        views.WebhookSendTestView.as_view(),
        name="webhook_send_test",
    ),
    path(
        "settings/webhooks/<int:pk>/secret/",
        views.WebhookSecretView.as_view(),
        name="webhook_secret",
    ),
    path(
        "settings/webhooks/<int:pk>/secret/rotate/",
        views.WebhookSecretRotateView.as_view(),
        name="webhook_secret_rotate",
    ),
    path(
        "settings/webhooks/<int:pk>/delete/",
        views.WebhookDeleteView.as_view(),
        name="webhook_delete",
    ),
    path(
        "settings/webhooks/deliveries/<int:pk>/",
        views.WebhookDeliveryDetailView.as_view(),
        name="webhook_delivery_detail",
    ),
    path(
        "settings/webhooks/deliveries/<int:pk>/redeliver/",
        views.WebhookRedeliverView.as_view(),
        name="webhook_delivery_redeliver",
    ),
]
