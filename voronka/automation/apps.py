from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class AutomationConfig(AppConfig):
    name = "voronka.automation"
    label = "automation"
    verbose_name = _("Automation")

    def ready(self) -> None:
        # The sub-packages' periodic tasks are imported too: Celery's autodiscovery misses them.
        from voronka.automation import handlers
        from voronka.automation.actions import builtin, deals, flow, webhook
        from voronka.automation.monitoring import tasks as _monitoring  # noqa: F401
        from voronka.automation.triggers import handlers as trigger_handlers
        from voronka.automation.triggers import tasks as _triggers  # noqa: F401
        from voronka.timeline.registry import register_entry_template

        handlers.connect()
        trigger_handlers.connect()
        register_entry_template("robot", "automation/_timeline_entry.html")
        builtin  # noqa: B018 - importing it registers the built-in actions
        deals.register_deal_actions()
        webhook.register_webhook_action()
        flow.register_flow_actions()
        if apps.is_installed("voronka.tasks"):
            from voronka.automation.actions.tasks import register_task_action

            register_task_action()
        if apps.is_installed("voronka.notifications"):
            from voronka.automation.actions.notify import register_notify_action

            register_notify_action()
