from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class AutomationConfig(AppConfig):
    name = "voronka.automation"
    label = "automation"
    verbose_name = _("Automation")

    def ready(self) -> None:
        from voronka.automation import handlers
        from voronka.automation.actions import builtin  # noqa: F401 - registers the actions

        handlers.connect()
        from voronka.automation.triggers import handlers as trigger_handlers
        from voronka.automation.triggers import tasks  # noqa: F401 - the periodic date check

        trigger_handlers.connect()
        from voronka.timeline.registry import register_entry_template

        register_entry_template("robot", "automation/_timeline_entry.html")
        if apps.is_installed("voronka.tasks"):
            from voronka.automation.actions.tasks import register_task_action

            register_task_action()
        from voronka.automation.actions import deals, flow, webhook

        deals.register_deal_actions()
        webhook.register_webhook_action()
        flow.register_flow_actions()
