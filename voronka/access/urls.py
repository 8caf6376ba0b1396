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
    # Settings: roles and their rights, the audit log.
    path("settings/roles/", views.RoleListView.as_view(), name="role_list"),
    path("settings/roles/new/", views.RoleCreateView.as_view(), name="role_create"),
    path("settings/roles/<int:pk>/", views.RoleDetailView.as_view(), name="role_detail"),
    path("settings/roles/<int:pk>/edit/", views.RoleUpdateView.as_view(), name="role_update"),
    path("settings/roles/<int:pk>/delete/", views.RoleDeleteView.as_view(), name="role_delete"),
    path("settings/roles/<int:pk>/rights/", views.RoleMatrixView.as_view(), name="role_matrix"),
    path(
        "settings/roles/<int:pk>/pipelines/",
        views.RolePipelineAddView.as_view(),
        name="role_pipeline_add",
    ),
    path(
        "settings/roles/<int:pk>/pipelines/<int:pipeline_pk>/remove/",
        views.RolePipelineRemoveView.as_view(),
        name="role_pipeline_remove",
    ),
    path(
        "settings/roles/<int:pk>/fields/",
        views.RoleFieldRuleView.as_view(),
        name="role_field_rule",
    ),
    path(
        "settings/roles/<int:pk>/fields/<int:rule_pk>/remove/",
        views.RoleFieldRuleRemoveView.as_view(),
        name="role_field_rule_remove",
    ),
    path(
        "settings/roles/<int:pk>/members/",
        views.RoleMemberAddView.as_view(),
        name="role_member_add",
    ),
    path(
        "settings/roles/<int:pk>/members/<int:user_pk>/remove/",
        views.RoleMemberRemoveView.as_view(),
        name="role_member_remove",
    ),
    path("settings/audit/", views.AuditLogView.as_view(), name="audit_log"),
    # The recycle bin.
    path("recycle-bin/", views.RecycleBinView.as_view(), name="recycle_bin"),
    path(
        "recycle-bin/<str:card_type>/<int:pk>/restore/",
        views.RecycleBinActionView.as_view(operation="restore"),
        name="recycle_bin_restore",
    ),
    path(
        "recycle-bin/<str:card_type>/<int:pk>/purge/",
        views.RecycleBinActionView.as_view(operation="purge"),
        name="recycle_bin_purge",
    ),
]
