"""The settings area: the hub, sources and custom fields, plus the pieces every settings page
shares (a page that re-renders its list, a form in a dialog, answers to inline actions)."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView
from django_htmx.http import trigger_client_event

from voronka.core.permissions import RightRequiredMixin
from voronka.customization import selectors
from voronka.customization.forms import CustomFieldForm, SourceForm
from voronka.customization.models import EntityType
from voronka.customization.services import (
    custom_field_create,
    custom_field_update,
    source_create,
    source_update,
)

# The event a settings list listens to: any save re-renders the list with its current filters.
SETTINGS_CHANGED = "settings:changed"


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's refusal on the form: under the field it names, or above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for key, messages in error.message_dict.items():
        field = key if key in form.fields and key != NON_FIELD_ERRORS else None
        form.add_error(field, messages)


def saved_response(message: str, *, close: bool = True) -> HttpResponse:
    """A write succeeded: close the dialog, say so, and let the list on the page re-render."""
    response = HttpResponse(status=204)
    # Events fire on the element that sent the request, in this order: closing the dialog
    # removes a dialog's form from the page, so it goes last or the others would not bubble.
    trigger_client_event(response, "voronka:toast", {"message": message, "level": "success"})
    trigger_client_event(response, SETTINGS_CHANGED)
    if close:
        trigger_client_event(response, "voronka:modal-close")
    return response


def refused_response(error: ValidationError, *, refresh: bool = False) -> HttpResponse:
    """An inline action (delete, reorder…) was refused: 422 and the service's own words;
    ``refresh`` re-renders the list (a dragged row goes back where it is saved)."""
    response = HttpResponse(status=422)
    message = " ".join(error.messages)
    trigger_client_event(response, "voronka:toast", {"message": message, "level": "error"})
    if refresh:
        trigger_client_event(response, SETTINGS_CHANGED)
    return response


class SettingsPageView(RightRequiredMixin, TemplateView):
    """A settings page; an htmx request (search, paging, a save elsewhere) gets only its list.
    Opening it needs the right to read the settings (or ``permission_entity``)."""

    permission_action = "read"

    partial_template_name: str = ""

    def wants_partial(self) -> bool:
        htmx = self.request.htmx
        # Restoring history after a cache miss needs the whole page, as does a boosted link.
        return bool(htmx and not htmx.boosted and not htmx.history_restore_request) and bool(
            self.partial_template_name
        )

    def get_template_names(self):
        if self.wants_partial():
            return [self.partial_template_name]
        return super().get_template_names()

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        # The same address answers with a page or a list: caches must keep them apart.
        patch_vary_headers(response, ("HX-Request",))
        return response


class SettingsFormView(RightRequiredMixin, View):
    """A form in a dialog: GET shows it, POST hands the cleaned data to a service.

    Problems come back in the dialog with status 422, each under its field; success closes the
    dialog and re-renders the list behind it. Both need the right to change the settings
    (``permission_action``: "update", or "add" for a form that creates).
    """

    permission_action = "update"

    form_class: type[forms.BaseForm]
    template_name = "customization/partials/_form_dialog.html"
    title = ""
    success_message = gettext_lazy("Saved.")
    wide = False

    def get_object(self):
        return None

    def get_form_kwargs(self) -> dict:
        return {}

    def get_form(self, data=None) -> forms.BaseForm:
        return self.form_class(data=data, **self.get_form_kwargs())

    def get_title(self) -> str:
        return str(self.title)

    def save(self, form):
        raise NotImplementedError

    def render_form(self, form, status: int = 200) -> HttpResponse:
        context = {
            "form": form,
            "title": self.get_title(),
            "action": self.request.path,
            "wide": self.wide,
            "object": self.object,
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return self.render_form(self.get_form())

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        form = self.get_form(data=request.POST)
        if form.is_valid():
            try:
                self.save(form)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                return saved_response(str(self.success_message))
        return self.render_form(form, status=422)


def get_or_404(queryset, pk):
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


# ---- The hub ---------------------------------------------------------------------------------


class SettingsIndexView(RightRequiredMixin, TemplateView):
    """Every settings page, grouped the way an administrator thinks of them."""

    template_name = "customization/settings_index.html"
    permission_action = "read"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["groups"] = [
            (
                _("Sales"),
                [
                    (
                        reverse("sales:settings_pipelines"),
                        _("Pipelines and stages"),
                        _("Funnels of leads and deals, their stages and required fields."),
                    ),
                    (
                        reverse("sales:settings_loss_reasons"),
                        _("Loss reasons"),
                        _("Why deals are lost; asked when a deal fails."),
                    ),
                    (
                        reverse("customization:settings_sources"),
                        _("Sources"),
                        _("Where clients come from."),
                    ),
                    (
                        reverse("sales:settings_products"),
                        _("Products"),
                        _("The catalogue of goods and services with prices and VAT."),
                    ),
                ],
            ),
            (
                _("Automation"),
                [
                    (
                        reverse("automation:editor"),
                        _("Robots and triggers"),
                        _(
                            "What happens when a card enters a stage: e-mails, tasks, "
                            "assignment, field changes; events that move cards on."
                        ),
                    ),
                    (
                        reverse("monitoring:rules"),
                        _("Monitoring"),
                        _(
                            "Periodic checks: leads not taken into work, overdue tasks, deals "
                            "without a task, clients without contact, birthdays."
                        ),
                    ),
                ],
            ),
            (
                _("Integrations"),
                [
                    (
                        reverse("integrations:webhook_list"),
                        _("Webhooks"),
                        _("Events of the CRM posted as signed JSON to other systems."),
                    ),
                    (
                        reverse("api:docs"),
                        _("REST API"),
                        _("Our API and the Bitrix24-compatible one: addresses, tokens, methods."),
                    ),
                ],
            ),
            (
                _("Fields"),
                [
                    (
                        reverse("customization:settings_custom_fields"),
                        _("Custom fields"),
                        _("Extra fields of leads, deals, contacts and companies."),
                    ),
                    (
                        reverse("contacts:client_settings"),
                        _("Clients"),
                        _("Duplicate control, families and ABC segments by LTV."),
                    ),
                ],
            ),
            (
                _("Company"),
                [
                    (
                        reverse("staff:settings_employees"),
                        _("Employees"),
                        _("Who works in the CRM, their positions and working hours."),
                    ),
                    (
                        reverse("staff:settings_departments"),
                        _("Departments"),
                        _("The structure of the company and heads of departments."),
                    ),
                    (
                        reverse("staff:settings_absences"),
                        _("Absences"),
                        _("Vacations, sick leave and days off."),
                    ),
                ],
            ),
            (
                _("Access"),
                [
                    (
                        reverse("access:role_list"),
                        _("Roles and rights"),
                        _("Who sees and changes which cards and fields."),
                    ),
                    (
                        reverse("access:audit_log"),
                        _("Audit log"),
                        _("Sign-ins, changes of rights, deletions: who, when, from where."),
                    ),
                ],
            ),
        ]
        return context


# ---- Sources ---------------------------------------------------------------------------------


class SourceListView(SettingsPageView):
    template_name = "customization/sources.html"
    partial_template_name = "customization/partials/_sources.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sources"] = selectors.source_list(user=self.request.user)
        return context


class SourceCreateView(SettingsFormView):
    permission_action = "add"
    form_class = SourceForm
    title = gettext_lazy("New source")
    success_message = gettext_lazy("The source is added.")

    def save(self, form):
        return source_create(actor=self.request.user, data=form.cleaned_data)


class SourceUpdateView(SettingsFormView):
    form_class = SourceForm
    success_message = gettext_lazy("The source is saved.")

    def get_object(self):
        return get_or_404(selectors.source_list(user=self.request.user), self.kwargs["pk"])

    def get_form_kwargs(self):
        return {"instance": self.object}

    def get_title(self):
        return _("Source “%(name)s”") % {"name": self.object.name}

    def save(self, form):
        data = {key: form.cleaned_data[key] for key in ("name", "sort", "is_active")}
        return source_update(actor=self.request.user, source=self.object, data=data)


# ---- Custom fields ---------------------------------------------------------------------------


class CustomFieldListView(SettingsPageView):
    """The fields of one entity (leads by default), switched by tabs."""

    template_name = "customization/custom_fields.html"
    partial_template_name = "customization/partials/_custom_fields.html"

    def entity(self) -> str:
        entity = self.request.GET.get("entity") or EntityType.LEAD
        if entity not in EntityType.values:
            raise Http404
        return entity

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        entity = self.entity()
        context["entity"] = entity
        context["entity_label"] = EntityType(entity).label
        context["entities"] = EntityType.choices
        context["fields"] = selectors.custom_field_list(user=self.request.user, entity=entity)
        return context


class CustomFieldCreateView(SettingsFormView):
    permission_action = "add"
    form_class = CustomFieldForm
    title = gettext_lazy("New custom field")
    success_message = gettext_lazy("The field is added.")
    template_name = "customization/partials/_custom_field_dialog.html"

    def get_form_kwargs(self):
        entity = self.request.GET.get("entity") or self.request.POST.get("entity")
        return {"initial": {"entity": entity if entity in EntityType.values else None}}

    def save(self, form):
        return custom_field_create(actor=self.request.user, data=form.service_data())


class CustomFieldUpdateView(CustomFieldCreateView):
    permission_action = "update"
    success_message = gettext_lazy("The field is saved.")

    def get_object(self):
        return get_or_404(selectors.custom_field_list(user=self.request.user), self.kwargs["pk"])

    def get_form_kwargs(self):
        return {"instance": self.object}

    def get_title(self):
        return _("Field “%(label)s”") % {"label": self.object.label}

    def save(self, form):
        return custom_field_update(
            actor=self.request.user, definition=self.object, data=form.service_data()
        )
