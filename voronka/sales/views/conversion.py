"""Lead conversion: the dialog that turns a lead into deals, a contact and a company."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django_htmx.http import HttpResponseClientRedirect

from voronka.access.forms import apply_field_rules
from voronka.access.models import Action, Entity
from voronka.access.predicates import can
from voronka.core.exceptions import ConflictError
from voronka.core.sections import add_service_errors, parse_version
from voronka.sales.forms import LeadConvertForm, typed_number
from voronka.sales.selectors import cards as selectors
from voronka.sales.services import lead_convert


class LeadConvertView(View):
    """GET: the dialog (a page on a direct visit); POST: convert through ``lead_convert``.

    A lead the user does not see is a 404; one they may not change, or a user who may add no
    deal, gets a 403. The pipelines offered are those the user may add deals in, the matches
    the contacts and companies they see."""

    def get_lead(self):
        lead = selectors.lead_card(user=self.request.user, pk=self.kwargs["pk"])
        if lead is None:
            raise Http404
        if not can(self.request.user, Action.UPDATE, lead) or not can(
            self.request.user, Action.ADD, "deal"
        ):
            raise PermissionDenied
        return lead

    def initial(self, lead) -> dict[str, Any]:
        pipelines = selectors.deal_pipelines(user=self.request.user, action=Action.ADD)
        default = next((p for p in pipelines if p.is_default), pipelines[0] if pipelines else None)
        return {
            "pipelines": [default.pk] if default else [],
            "title": lead.title,
            "amount": typed_number(lead.amount),
            "contact": str(lead.contact_id) if lead.contact_id else "new",
            "company": str(lead.company_id)
            if lead.company_id
            else ("new" if lead.company_title.strip() else "none"),
        }

    def render_dialog(self, lead, form, status=200):
        contacts, companies = selectors.conversion_matches(user=self.request.user, lead=lead)
        dialog = bool(self.request.htmx)
        context = {
            "lead": lead,
            "form": form,
            "dialog": dialog,
            "contact_matches": contacts,
            "company_matches": companies,
            "contact_choice": str(form["contact"].value() or "new"),
            "company_choice": str(form["company"].value() or "none"),
            "action": reverse("sales:lead_convert", args=[lead.pk]),
        }
        template = "sales/conversion_dialog.html" if dialog else "sales/conversion.html"
        return render(self.request, template, context, status=status)

    def form(self, lead, data=None):
        has_rows = selectors.lead_has_product_rows(user=self.request.user, lead=lead)
        form = LeadConvertForm(
            data,
            initial=self.initial(lead),
            lead=lead,
            amount_from_products=has_rows,
            user=self.request.user,
        )
        # The deals' amount (and title) follow the user's field rules on deals.
        return apply_field_rules(form, user=self.request.user, entity=Entity.DEAL)

    def get(self, request, pk: int):
        lead = self.get_lead()
        form = self.form(lead)
        if lead.converted_at is not None:
            form.add_error(None, _("This lead is already converted."))
        return self.render_dialog(lead, form)

    def post(self, request, pk: int):
        lead = self.get_lead()
        form = self.form(lead, request.POST)
        if not form.is_valid():
            return self.render_dialog(lead, form, status=422)
        data = form.cleaned_data
        deal_data: dict[str, Any] = {}
        if (data.get("title") or "").strip():
            deal_data["title"] = data["title"]
        amount = form.fields.get("amount")
        if amount is not None and not amount.disabled and str(data["amount"]).strip():
            deal_data["amount"] = data["amount"]
        try:
            result = lead_convert(
                actor=request.user,
                lead=lead,
                pipelines=list(data["pipelines"]),
                contact=data["contact_card"],
                company=data["company_card"],
                create_contact=data["create_contact"],
                create_company=data["create_company"],
                deal_data=deal_data,
                expected_version=parse_version(request.POST.get("version")),
            )
        except ValidationError as error:
            add_service_errors(form, error)
            return self.render_dialog(lead, form, status=422)
        except ConflictError as error:
            form.add_error(None, str(error.message))
            return self.render_dialog(lead, form, status=422)
        target = reverse("sales:deal_detail", args=[result.deals[0].pk])
        if request.htmx:
            return HttpResponseClientRedirect(target)
        return HttpResponseRedirect(target)
