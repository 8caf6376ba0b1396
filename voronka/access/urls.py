from django.urls import path

from voronka.access import views

app_name = "access"

urlpatterns = [
    path("accounts/2fa/", views.TwoFactorIndexView.as_view(), name="two_factor"),
    path("accounts/2fa/enrol/", views.TwoFactorEnrolView.as_view(), name="two_factor_enrol"),
    path("accounts/2fa/verify/", views.TwoFactorVerifyView.as_view(), name="two_factor_verify"),
    path("accounts/tokens/", views.ApiTokenListView.as_view(), name="api_tokens"),
    path(
        "accounts/tokens/<int:pk>/revoke/",
        views.ApiTokenRevokeView.as_view(),
        name="api_token_revoke",
    ),
]
