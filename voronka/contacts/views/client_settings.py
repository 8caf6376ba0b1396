"""The client base settings page and the family pages: suggestions, creating a family,
dismissing a suggestion, and giving every contact without a company a family of its own."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django_htmx.http import trigger_client_event

from voronka.access.models import Action
from voronka.access.predicates import can, require
from voronka.contacts.forms_client_settings import ClientSettingsForm
from voronka.contacts.models import ClientSettings, Company, CompanyType, DuplicatePolicy
from voronka.contacts.selectors.families import family_suggestions
from voronka.contacts.selectors.lists import visible_companies, visible_contacts
from voronka.contacts.services.client_settings import client_settings_update
from voronka.contacts.services.families import (
    families_for_contacts_without_company,
    family_add,
    family_create,
    family_suggestion_dismiss,
)
from voronka.core.lists import parse_ids
from voronka.core.permissions import RightRequiredMixin

TOAST = "voronka:toast"


def _toast(response: HttpResponse, message: str, level: str = "success") -> HttpResponse:
    trigger_client_event(response, TOAST, {"message": message, "level": level})
    return response


class ClientSettingsView(RightRequiredMixin, View):
    """Duplicate policies, families, merges and ABC segments: administrators only (the right
    to change the settings, to look at them too)."""

    permission_entity = "settings"
    permission_action = "update"
    template_name = "contacts/client_settings.html"

    def form(self, data=None) -> ClientSettingsForm:
        policies = {policy.entity: policy for policy in DuplicatePolicy.objects.all()}
        return ClientSettingsForm(data, settings=ClientSettings.load(), policies=policies)

    def render(self, form, status=200):
        return render(self.request, self.template_name, {"form": form}, status=status)

    def get(self, request):
        return self.render(self.form())

    def post(self, request):
        form = self.form(request.POST)
        if form.is_valid():
            try:
                client_settings_update(
                    actor=request.user,
                    values=form.values(),
                    policies=form.policies(),
                    request=request,
                )
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("Saved."))
                return HttpResponseRedirect(reverse("contacts:client_settings"))
        return self.render(form, status=422)


class FamiliesApplyView(RightRequiredMixin, View):
    """Every contact without a company gets a family of its own (the setting, applied to the
    contacts that exist)."""

    permission_entity = "settings"
    permission_action = "update"

    def post(self, request):
        created, skipped = families_for_contacts_without_company(
            actor=request.user, request=request
        )
        message = _("Families created: %(created)s, contacts skipped: %(skipped)s.") % {
            "created": created,
            "skipped": skipped,
        }
        messages.success(request, message)
        return HttpResponseRedirect(reverse("contacts:client_settings"))


class FamilySuggestionsView(View):
    """Contacts the employee sees who live at one address and are not one family yet."""

    def get(self, request):
        page = family_suggestions(user=request.user, after=request.GET.get("after") or None)
        context = {
            "page": page,
            "may_create": can(request.user, Action.ADD, Company),
            "after": request.GET.get("after", ""),
        }
        return render(request, "contacts/family_suggestions.html", context)


def _suggested_contacts(request) -> tuple[str, list]:
    """The contacts of the posted suggestion the employee sees (404 when none)."""
    key = request.POST.get("key", "")[:500]
    ids = parse_ids(request.POST.getlist("ids"))
    contacts = list(
        visible_contacts(user=request.user)
        .filter(pk__in=ids, address_key=key)
        .exclude(address_key="")
        .order_by("pk")
    )
    if not contacts:
        raise Http404
    return key, contacts


def _done(request, message: str) -> HttpResponse:
    if request.htmx:
        return _toast(HttpResponse(""), message)
    messages.success(request, message)
    return HttpResponseRedirect(reverse("contacts:family_suggestions"))


def _refused(request, error: ValidationError) -> HttpResponse:
    message = " ".join(error.messages)
    if request.htmx:
        response = HttpResponse(status=422)
        # The row stays on the page: the toast says why.
        response["HX-Reswap"] = "none"
        return _toast(response, message, "error")
    messages.error(request, message)
    return HttpResponseRedirect(reverse("contacts:family_suggestions"))


class FamilyCreateView(View):
    """Group a suggestion's contacts into a new family (or into the family one of them is in,
    ``family``): the right to add companies (or to change the family) and to link each."""

    def post(self, request):
        _key, contacts = _suggested_contacts(request)
        family_id = request.POST.get("family")
        try:
            if family_id:
                [family_pk] = parse_ids([family_id]) or [None]
                company = (
                    visible_companies(user=request.user)
                    .filter(pk=family_pk, company_type=CompanyType.FAMILY)
                    .first()
                )
                if company is None:
                    raise Http404
                family_add(actor=request.user, company=company, contacts=contacts)
            else:
                company = family_create(
                    actor=request.user, contacts=contacts, title=request.POST.get("title", "")
                )
        except ValidationError as error:
            return _refused(request, error)
        return _done(request, _("The family “%(family)s” is ready.") % {"family": company})


class FamilyDismissView(View):
    """Not a family: the suggestion is no longer shown. Needs the right to change one of its
    contacts."""

    def post(self, request):
        key, contacts = _suggested_contacts(request)
        if not any(can(request.user, Action.UPDATE, contact) for contact in contacts):
            require(request.user, Action.UPDATE, contacts[0])
        try:
            family_suggestion_dismiss(
                actor=request.user, key=key, contact_ids=[contact.pk for contact in contacts]
            )
        except ValidationError as error:
            return _refused(request, error)
        return _done(request, _("The suggestion is hidden."))
