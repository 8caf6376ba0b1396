"""Monitoring in the settings: the rules with their switch, last check and hits, the rule
dialog generated from the check's parameters, “check now” and delete.

Opening needs the right to read the settings (the default rules are installed, switched off,
the first time someone who may add settings opens the page); every change needs the right to
change them — the views check it for the answer and the services again.
"""

import logging

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.views import View

from voronka.automation.monitoring import selectors
from voronka.automation.monitoring.forms import RuleForm
from voronka.automation.monitoring.registry import all_kinds, get_kind
from voronka.automation.monitoring.services import (
    install_default_rules,
    rule_create,
    rule_delete,
    rule_toggle,
    rule_update,
    run_rule,
)
from voronka.automation.views import DialogFormView
from voronka.core.permissions import RightRequiredMixin, has_right
from voronka.customization.views import SettingsPageView, refused_response, saved_response

logger = logging.getLogger(__name__)


def _rule_or_404(pk: int):
    rule = selectors.rule_for_settings(pk=pk)
    if rule is None:
        raise Http404
    return rule


class RulesView(SettingsPageView):
    template_name = "automation/monitoring/rules.html"
    partial_template_name = "automation/monitoring/_rules.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rules = list(selectors.rules_for_settings())
        if not rules and has_right(self.request.user, "add", "settings"):
            install_default_rules()
            rules = list(selectors.rules_for_settings())
        for rule in rules:
            kind = get_kind(rule.kind)
            rule.kind_label = kind.label if kind else rule.kind
            rule.kind_description = kind.description if kind else ""
        context.update(rules=rules, kinds=all_kinds())
        return context


class _RuleFormView(DialogFormView):
    template_name = "automation/monitoring/_rule_dialog.html"
    choosing_kind = False

    def dialog_context(self, form) -> dict:
        return {**super().dialog_context(form), "kinds": all_kinds() if self.choosing_kind else []}


class RuleCreateView(_RuleFormView):
    """A new rule; ``?kind=`` (or the posted ``kind``) chooses the check."""

    permission_action = "add"
    choosing_kind = True

    def load(self):
        code = self.request.POST.get("kind") or self.request.GET.get("kind") or ""
        self.kind = get_kind(code) or all_kinds()[0]

    def get_form(self, data=None):
        return RuleForm(kind=self.kind, data=data)

    def title(self):
        return _("New monitoring rule")

    def success_message(self):
        return _("The rule is added.")

    def save(self, form):
        return rule_create(actor=self.request.user, data=form.rule_data())


class RuleUpdateView(_RuleFormView):
    permission_action = "update"

    def load(self):
        self.rule = _rule_or_404(self.kwargs["pk"])
        self.kind = get_kind(self.rule.kind)
        if self.kind is None:
            raise Http404

    def get_form(self, data=None):
        return RuleForm(kind=self.kind, rule=self.rule, data=data)

    def title(self):
        return _("Rule “%(name)s”") % {"name": self.rule.name}

    def success_message(self):
        return _("The rule is saved.")

    def save(self, form):
        return rule_update(actor=self.request.user, rule=self.rule, data=form.rule_data())


class RuleToggleView(RightRequiredMixin, View):
    permission_action = "update"

    def post(self, request, pk):
        try:
            rule = rule_toggle(actor=request.user, rule=_rule_or_404(pk))
        except ValidationError as error:
            return refused_response(error, refresh=True)
        message = _("The rule is on.") if rule.is_active else _("The rule is off.")
        return saved_response(message, close=False)


class RuleDeleteView(RightRequiredMixin, View):
    permission_action = "delete"

    def post(self, request, pk):
        rule = _rule_or_404(pk)
        rule_delete(actor=request.user, rule=rule)
        return saved_response(
            _("The rule “%(name)s” is deleted.") % {"name": rule.name}, close=False
        )


class RuleRunView(RightRequiredMixin, View):
    """Check one rule now, on or off — to try a rule out before switching it on."""

    permission_action = "update"

    def post(self, request, pk):
        rule = _rule_or_404(pk)
        try:
            acted = run_rule(rule)
        # Whatever breaks in a check is told to the administrator, not a server error.
        except Exception as error:
            logger.exception("Monitoring rule %s failed when checked by hand", rule.pk)
            return refused_response(
                ValidationError(_("The check failed: %(error)s") % {"error": error})
            )
        return saved_response(
            _("Checked: acted on %(count)s card(s).") % {"count": acted}, close=False
        )
