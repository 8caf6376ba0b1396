from django.urls import path

from voronka.automation.monitoring import views

app_name = "monitoring"

urlpatterns = [
    path("settings/monitoring/", views.RulesView.as_view(), name="rules"),
    path("settings/monitoring/new/", views.RuleCreateView.as_view(), name="rule_create"),
    path("settings/monitoring/<int:pk>/", views.RuleUpdateView.as_view(), name="rule_update"),
    path(
        "settings/monitoring/<int:pk>/toggle/", views.RuleToggleView.as_view(), name="rule_toggle"
    ),
    path(
        "settings/monitoring/<int:pk>/delete/", views.RuleDeleteView.as_view(), name="rule_delete"
    ),
    path("settings/monitoring/<int:pk>/run/", views.RuleRunView.as_view(), name="rule_run"),
]
