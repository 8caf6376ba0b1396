"""Settings → Webhooks: the subscriptions, their secrets, switching on and off, a test event,
and the delivery log of each with a button to send a delivery again. Everything needs the
settings right (reading to look, changing to act)."""

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django_htmx.http import trigger_client_event

from voronka.core.permissions import RightRequiredMixin
from voronka.customization.views import (
    SETTINGS_CHANGED,
    SettingsFormView,
    SettingsPageView,
    add_service_errors,
    refused_response,
    saved_response,
)
from voronka.integrations import selectors
from voronka.integrations.delivery import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
)
from voronka.integrations.events import CATALOGUE
from voronka.integrations.forms import DeliveryFilterForm, WebhookForm
from voronka.integrations.services import (
    delivery_redeliver,
    subscription_create,
    subscription_delete,
    subscription_secret_reveal,
    subscription_secret_rotate,
    subscription_send_test,
    subscription_set_active,
    subscription_update,
)


def _subscription_or_404(request, pk):
    subscription = selectors.subscription_get(user=request.user, pk=pk)
    if subscription is None:
        raise Http404
    return subscription


def _secret_dialog(request, subscription, secret: str, *, created: bool = False, status=200):
    response = render(
        request,
        "integrations/partials/_secret_dialog.html",
        {"subscription": subscription, "secret": secret, "created": created},
        status=status,
    )
    if created:
        trigger_client_event(response, SETTINGS_CHANGED)
    return response


class WebhookListView(SettingsPageView):
    template_name = "integrations/webhook_list.html"
    partial_template_name = "integrations/partials/_webhook_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["subscriptions"] = selectors.subscription_list(user=self.request.user)
        return context


class WebhookCreateView(SettingsFormView):
    permission_action = "add"
    form_class = WebhookForm
    title = gettext_lazy("New webhook")
    wide = True

    def post(self, request, *args, **kwargs):
        self.object = None
        form = self.get_form(data=request.POST)
        if form.is_valid():
            try:
                subscription = subscription_create(
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    target_url=form.cleaned_data["target_url"],
                    event_types=form.cleaned_data["event_types"],
                    request=request,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                # The secret is shown now, once; later only on demand, and that is audited.
                return _secret_dialog(request, subscription, subscription.secret, created=True)
        return self.render_form(form, status=422)


class WebhookUpdateView(SettingsFormView):
    form_class = WebhookForm
    success_message = gettext_lazy("The webhook is saved.")
    wide = True

    def get_object(self):
        return _subscription_or_404(self.request, self.kwargs["pk"])

    def get_form_kwargs(self):
        subscription = self.object
        return {
            "initial": {
                "name": subscription.name,
                "target_url": subscription.target_url,
                "event_types": subscription.event_types,
            }
        }

    def get_title(self):
        return _("Webhook “%(name)s”") % {"name": self.object.name}

    def save(self, form):
        return subscription_update(
            actor=self.request.user,
            subscription=self.object,
            request=self.request,
            **{key: form.cleaned_data[key] for key in ("name", "target_url", "event_types")},
        )


class WebhookDetailView(SettingsPageView):
    """One webhook: where it posts, what it listens to, whether it is on (and why not), and
    its delivery log, newest first, a page at a time."""

    template_name = "integrations/webhook_detail.html"
    partial_template_name = "integrations/partials/_delivery_rows.html"

    def wants_partial(self) -> bool:
        # Only "show more" asks for rows alone; anything else re-renders the page.
        return super().wants_partial() and "before" in self.request.GET

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        subscription = _subscription_or_404(self.request, self.kwargs["pk"])
        form = DeliveryFilterForm(self.request.GET or None)
        status = form.cleaned_data["status"] if form.is_valid() else ""
        try:
            before = int(self.request.GET.get("before", ""))
        except ValueError:
            before = None
        deliveries, next_before = selectors.delivery_page(
            subscription=subscription, before=before, status=status
        )
        params = self.request.GET.copy()
        params.pop("before", None)
        if next_before is not None:
            params["before"] = next_before
        context.update(
            {
                "subscription": subscription,
                "events": [
                    CATALOGUE[name] for name in subscription.event_types if name in CATALOGUE
                ],
                "deliveries": deliveries,
                "filter_form": form,
                "next_query": params.urlencode() if next_before is not None else "",
                "headers": {
                    "event": EVENT_HEADER,
                    "delivery": DELIVERY_HEADER,
                    "timestamp": TIMESTAMP_HEADER,
                    "signature": SIGNATURE_HEADER,
                },
            }
        )
        return context


class WebhookActionView(RightRequiredMixin, View):
    """A button on the webhook's page: it acts, says so and the page re-renders."""

    permission_action = "update"

    def post(self, request, pk):
        subscription = _subscription_or_404(request, pk)
        try:
            message = self.act(request, subscription)
        except ValidationError as error:
            return refused_response(error)
        return saved_response(message, close=False)

    def act(self, request, subscription) -> str:
        raise NotImplementedError  # abstract: each action view calls its own service


class WebhookSwitchView(WebhookActionView):
    def act(self, request, subscription) -> str:
        active = request.POST.get("active") == "1"
        subscription_set_active(
            actor=request.user, subscription=subscription, active=active, request=request
        )
        return _("The webhook is switched on.") if active else _("The webhook is switched off.")


class WebhookSendTestView(WebhookActionView):
    def act(self, request, subscription) -> str:
        subscription_send_test(actor=request.user, subscription=subscription, request=request)
        return _("A test event is on its way.")


class WebhookSecretView(RightRequiredMixin, View):
    """The secret on demand, for those who may change the settings; audited."""

    permission_action = "update"

    def post(self, request, pk):
        subscription = _subscription_or_404(request, pk)
        secret = subscription_secret_reveal(
            actor=request.user, subscription=subscription, request=request
        )
        return _secret_dialog(request, subscription, secret)


class WebhookSecretRotateView(RightRequiredMixin, View):
    permission_action = "update"

    def post(self, request, pk):
        subscription = _subscription_or_404(request, pk)
        secret = subscription_secret_rotate(
            actor=request.user, subscription=subscription, request=request
        )
        return _secret_dialog(request, subscription, secret)


class WebhookDeleteView(RightRequiredMixin, View):
    permission_action = "delete"

    def post(self, request, pk):
        subscription = _subscription_or_404(request, pk)
        subscription_delete(actor=request.user, subscription=subscription, request=request)
        messages.success(
            request, _("The webhook “%(name)s” is deleted.") % {"name": subscription.name}
        )
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("integrations:webhook_list")
        return response


class WebhookDeliveryDetailView(RightRequiredMixin, View):
    """What was sent and what came back, in a dialog."""

    permission_action = "read"

    def get(self, request, pk):
        delivery = selectors.delivery_get(user=request.user, pk=pk)
        if delivery is None:
            raise Http404
        payload = json.dumps(delivery.payload, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        return render(
            request,
            "integrations/partials/_delivery_dialog.html",
            {"delivery": delivery, "payload": payload},
        )


class WebhookRedeliverView(RightRequiredMixin, View):
    permission_action = "update"

    def post(self, request, pk):
        delivery = selectors.delivery_get(user=request.user, pk=pk)
        if delivery is None:
            raise Http404
        try:
            delivery_redeliver(actor=request.user, delivery=delivery, request=request)
        except ValidationError as error:
            return refused_response(error)
        return saved_response(_("The event is sent again."), close=False)
