"""The second sign-in step, API tokens, and in the settings the roles editor, the audit log;
the recycle bin for everyone who may delete cards."""

import datetime
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django_htmx.http import trigger_client_event

from voronka.access import selectors, two_factor
from voronka.access.forms import (
    ApiTokenForm,
    AuditFilterForm,
    FieldRuleForm,
    MemberForm,
    OneTimeCodeForm,
    RoleForm,
)
from voronka.access.models import Action, Entity, Role, Scope
from voronka.access.predicates import (
    can,
    roles_requiring_two_factor,
    visible_object_or_404,
    visible_to,
)
from voronka.access.selectors import api_token_list
from voronka.access.services import (
    api_token_create,
    api_token_revoke,
    field_rule_set,
    role_assign,
    role_create,
    role_delete,
    role_pipeline_rights_remove,
    role_set_scope,
    role_unassign,
    role_update,
)
from voronka.core.permissions import RightRequiredMixin
from voronka.customization.views import (
    SettingsFormView,
    SettingsPageView,
    get_or_404,
    refused_response,
)


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


class TwoFactorIndexView(View):
    """Whether the employee has an authenticator, with the way to add or remove it."""

    def get(self, request):
        return self._render(request, OneTimeCodeForm())

    def post(self, request):
        form = OneTimeCodeForm(request.POST)
        if form.is_valid():
            if two_factor.two_factor_disable(request=request, code=form.cleaned_data["code"]):
                return redirect("access:two_factor")
            form.add_error("code", _("The code is wrong or the second factor is required."))
        return self._render(request, form, status=422)

    def _render(self, request, form, status=200):
        context = {
            "device": two_factor.confirmed_device(request.user),
            "required": roles_requiring_two_factor(request.user),
            "form": form,
        }
        return render(request, "access/two_factor.html", context, status=status)


class TwoFactorEnrolView(View):
    def get(self, request):
        return self._render(request, OneTimeCodeForm())

    def post(self, request):
        form = OneTimeCodeForm(request.POST)
        if form.is_valid():
            if two_factor.two_factor_enrol_confirm(request=request, code=form.cleaned_data["code"]):
                return redirect(_next_url(request))
            form.add_error("code", _("The code does not match. Check the time on the phone."))
        return self._render(request, form, status=422)

    def _render(self, request, form, status=200):
        device = two_factor.enrolment_device(request.user)
        import base64

        secret = base64.b32encode(device.bin_key).decode()
        context = {
            "form": form,
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "qr_svg": segno.make(device.config_url, error="m").svg_inline(scale=5),
            "owed": request.session.get(two_factor.SESSION_KEY) == two_factor.OWED_ENROLMENT,
            "next": _next_url(request),
        }
        return render(request, "access/two_factor_enrol.html", context, status=status)


class TwoFactorVerifyView(View):
    def get(self, request):
        if request.session.get(two_factor.SESSION_KEY) != two_factor.OWED_CODE:
            return redirect(_next_url(request))
        return self._render(request, OneTimeCodeForm())

    def post(self, request):
        form = OneTimeCodeForm(request.POST)
        if form.is_valid():
            if two_factor.two_factor_verify(request=request, code=form.cleaned_data["code"]):
                return redirect(_next_url(request))
            form.add_error("code", _("The code is wrong or has expired."))
        return self._render(request, form, status=422)

    def _render(self, request, form, status=200):
        context = {"form": form, "next": _next_url(request)}
        return render(request, "access/two_factor_verify.html", context, status=status)


class ApiTokenListView(View):
    """The employee's API and webhook tokens; a new token is shown once, right after it is
    issued."""

    def get(self, request):
        return self._render(request, ApiTokenForm())

    def post(self, request):
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            try:
                _token, raw = api_token_create(
                    actor=request.user,
                    user=request.user,
                    name=form.cleaned_data["name"],
                    kind=form.cleaned_data["kind"],
                    scopes=form.cleaned_data["scopes"],
                    request=request,
                )
            except ValidationError as error:
                for field_name, messages in error.message_dict.items():
                    form.add_error(field_name if field_name in form.fields else None, messages)
            else:
                return self._render(request, ApiTokenForm(), raw_token=raw)
        return self._render(request, form, status=422)

    def _render(self, request, form, *, raw_token="", status=200):
        context = {
            "tokens": api_token_list(user=request.user),
            "form": form,
            "raw_token": raw_token,
        }
        return render(request, "access/api_tokens.html", context, status=status)


class ApiTokenRevokeView(View):
    def post(self, request, pk):
        token = get_object_or_404(api_token_list(user=request.user), pk=pk)
        api_token_revoke(actor=request.user, token=token, request=request)
        return redirect("access:api_tokens")


# ---- Settings: roles and their rights -----------------------------------------------------

MATRIX_ENTITIES = [
    Entity.LEAD,
    Entity.DEAL,
    Entity.CONTACT,
    Entity.COMPANY,
    Entity.TASK,
    Entity.PRODUCT,
    Entity.INVOICE,
    Entity.REPORT,
    Entity.SETTINGS,
]
# Records without an owner: a right on them is all or nothing.
ALL_OR_NOTHING = frozenset({Entity.PRODUCT, Entity.SETTINGS})
ENTITY_NOTES = {
    Entity.PRODUCT: gettext_lazy("The catalogue: reading it is needed to put products on cards."),
    Entity.SETTINGS: gettext_lazy(
        "Opening the settings, roles and the audit log; changing them needs the other columns."
    ),
    Entity.REPORT: gettext_lazy("Reports over the cards of this scope."),
}


def _scope_choices(entity: str, current: int) -> list[tuple[int, str]]:
    choices = Scope.choices
    if entity in ALL_OR_NOTHING:
        choices = [(Scope.NONE, Scope.NONE.label), (Scope.ALL, Scope.ALL.label)]
        if current not in (Scope.NONE, Scope.ALL):
            choices.append((current, Scope(current).label))
    return [(value, str(label)) for value, label in choices]


def _cell_name(entity: str, action: str, pipeline_id: int | None = None) -> str:
    suffix = f"-p{pipeline_id}" if pipeline_id is not None else ""
    return f"scope-{entity}-{action}{suffix}"


def _matrix_rows(role: Role, pipelines) -> tuple[list[dict], list]:
    """The grid as rows of cells (entity × action), then a row per pipeline with its own deal
    rights, and the pipelines that may still get one."""
    cells = selectors.role_matrix(role=role)
    rows = []
    for entity in MATRIX_ENTITIES:
        row = {"entity": entity, "label": Entity(entity).label, "note": ENTITY_NOTES.get(entity)}
        row["cells"] = []
        for action in Action.values:
            scope = cells.get((entity, action, None), Scope.NONE)
            row["cells"].append(
                {
                    "name": _cell_name(entity, action),
                    "action": Action(action).label,
                    "scope": scope,
                    "choices": _scope_choices(entity, scope),
                }
            )
        rows.append(row)
    overridden = {pipeline_id for (_e, _a, pipeline_id) in cells if pipeline_id is not None}
    for pipeline in pipelines:
        if pipeline.pk not in overridden:
            continue
        row = {"entity": Entity.DEAL, "pipeline": pipeline, "cells": []}
        for action in Action.values:
            scope = cells.get(
                (Entity.DEAL, action, pipeline.pk),
                cells.get((Entity.DEAL, action, None), Scope.NONE),
            )
            row["cells"].append(
                {
                    "name": _cell_name(Entity.DEAL, action, pipeline.pk),
                    "action": Action(action).label,
                    "scope": scope,
                    "choices": _scope_choices(Entity.DEAL, scope),
                }
            )
        rows.append(row)
    available = [pipeline for pipeline in pipelines if pipeline.pk not in overridden]
    return rows, available


class RoleListView(SettingsPageView):
    """Roles with how many employees hold each."""

    template_name = "access/settings/roles.html"
    partial_template_name = "access/settings/partials/_roles.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["roles"] = selectors.role_list(user=self.request.user)
        return context


class RoleCreateView(SettingsFormView):
    permission_action = Action.ADD
    form_class = RoleForm
    title = gettext_lazy("New role")
    success_message = gettext_lazy("The role is added.")

    def save(self, form):
        role = role_create(
            actor=self.request.user,
            name=form.cleaned_data["name"],
            description=form.cleaned_data["description"],
            requires_two_factor=form.cleaned_data["requires_two_factor"],
            request=self.request,
        )
        if form.cleaned_data["is_default"]:
            role_update(actor=self.request.user, role=role, is_default=True, request=self.request)
        self.created = role
        return role

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        if response.status_code == 204:
            # The new role opens at once: its rights are what is set up next.
            response = HttpResponse(status=204)
            response["HX-Redirect"] = reverse("access:role_detail", args=[self.created.pk])
        return response


class RoleUpdateView(SettingsFormView):
    form_class = RoleForm
    success_message = gettext_lazy("The role is saved.")

    def get_object(self):
        return get_or_404(Role.objects.all(), self.kwargs["pk"])

    def get_form_kwargs(self):
        role = self.object
        return {
            "initial": {
                "name": role.name,
                "description": role.description,
                "requires_two_factor": role.requires_two_factor,
                "is_default": role.is_default,
            }
        }

    def get_title(self):
        return _("Role “%(name)s”") % {"name": self.object.name}

    def save(self, form):
        return role_update(
            actor=self.request.user,
            role=self.object,
            request=self.request,
            **{
                key: form.cleaned_data[key]
                for key in ("name", "description", "requires_two_factor", "is_default")
            },
        )


class RoleDeleteView(RightRequiredMixin, View):
    permission_action = Action.DELETE

    def post(self, request, pk):
        role = get_or_404(Role.objects.all(), pk)
        try:
            role_delete(actor=request.user, role=role, request=request)
        except ValidationError as error:
            return refused_response(error)
        messages.success(request, _("The role “%(name)s” is deleted.") % {"name": role.name})
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("access:role_list")
        return response


class RoleDetailView(SettingsPageView):
    """One role: its rights as a grid, per-pipeline deal rights, field rules and holders."""

    template_name = "access/settings/role_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        role = selectors.role_detail(user=self.request.user, pk=self.kwargs["pk"])
        if role is None:
            raise Http404
        context.update(role_context(self.request, role))
        return context


def role_context(request, role: Role, **forms_) -> dict:
    pipelines = selectors.deal_pipelines(user=request.user)
    rows, available = _matrix_rows(role, pipelines)
    fields = selectors.field_rule_fields(user=request.user)
    labels = {entity: dict(found) for entity, found in fields.items()}
    rules = [
        {
            "rule": rule,
            "entity_label": Entity(rule.entity).label,
            "field_label": labels.get(rule.entity, {}).get(rule.field, rule.field),
        }
        for rule in role.field_rules.order_by("entity", "field")
    ]
    employees = _employees()
    return {
        "role": role,
        "rows": rows,
        "available_pipelines": available,
        "scopes": [(value, label) for value, label in Scope.choices],
        "actions": [label for _value, label in Action.choices],
        "rules": rules,
        "rule_form": forms_.get("rule_form") or FieldRuleForm(field_choices=_field_choices(fields)),
        "members": selectors.role_members(user=request.user, role=role),
        "member_form": forms_.get("member_form") or MemberForm(employees=employees),
        "can_change": can(request.user, Action.UPDATE, Entity.SETTINGS),
        "can_delete": can(request.user, Action.DELETE, Entity.SETTINGS) and not role.is_system,
    }


def _employees():
    from voronka.staff.models import User

    return User.objects.filter(is_active=True)


def _field_choices(fields: dict[str, list[tuple[str, str]]]) -> list:
    return [
        (str(Entity(entity).label), [(f"{entity}:{code}", label) for code, label in found])
        for entity, found in fields.items()
    ]


class RoleSectionView(RightRequiredMixin, View):
    """A write on the role page; the answer is the section re-rendered (with the problem in it
    and status 422 when the service refuses)."""

    permission_action = Action.UPDATE
    section_template = ""
    success_message = gettext_lazy("Saved.")

    def post(self, request, pk, **kwargs):
        self.role = get_or_404(Role.objects.all(), pk)
        try:
            extra = self.write(request, **kwargs) or {}
        except ValidationError as error:
            response = self.render_section(status=422, error=" ".join(error.messages))
            trigger_client_event(
                response, "voronka:toast", {"message": " ".join(error.messages), "level": "error"}
            )
            return response
        response = self.render_section(**extra)
        trigger_client_event(
            response, "voronka:toast", {"message": str(self.success_message), "level": "success"}
        )
        return response

    def write(self, request, **kwargs):
        raise NotImplementedError  # abstract: each role section saves through its own service

    def render_section(self, status=200, error="", **extra):
        role = selectors.role_detail(user=self.request.user, pk=self.role.pk)
        context = role_context(self.request, role, **extra)
        context["section_error"] = error
        return render(self.request, self.section_template, context, status=status)


class RoleMatrixView(RoleSectionView):
    """Save the grid: every cell posted that differs from what is stored goes through
    ``role_set_scope`` (one audit event per changed cell)."""

    section_template = "access/settings/partials/_role_matrix.html"
    success_message = gettext_lazy("The rights are saved.")

    def write(self, request, **kwargs):
        pipelines = {
            pipeline.pk: pipeline for pipeline in selectors.deal_pipelines(user=request.user)
        }
        cells = selectors.role_matrix(role=self.role)
        changes = []
        for key, raw in request.POST.items():
            if not key.startswith("scope-"):
                continue
            parts = key.split("-")
            pipeline = None
            if len(parts) == 4 and parts[3].startswith("p") and parts[3][1:].isdigit():
                pipeline = pipelines.get(int(parts[3][1:]))
                if pipeline is None:
                    raise ValidationError(_("The pipeline no longer exists."))
            elif len(parts) != 3:
                raise ValidationError(_("Unknown cell of the grid."))
            entity, action = parts[1], parts[2]
            try:
                scope = int(raw)
            except ValueError:
                raise ValidationError(_("Unknown scope.")) from None
            stored = cells.get((entity, action, pipeline.pk if pipeline else None))
            if stored is None and pipeline is not None:
                stored = cells.get((entity, action, None), Scope.NONE)
            if stored is None:
                stored = Scope.NONE
            if stored != scope:
                changes.append((entity, action, scope, pipeline))
        with transaction.atomic():
            for entity, action, scope, pipeline in changes:
                role_set_scope(
                    actor=request.user,
                    role=self.role,
                    entity=entity,
                    action=action,
                    scope=scope,
                    pipeline=pipeline,
                    request=request,
                )


class RolePipelineAddView(RoleSectionView):
    """Give the role its own deal rights in one pipeline, starting from its general deal row."""

    section_template = "access/settings/partials/_role_matrix.html"
    success_message = gettext_lazy("The pipeline has its own rights now; adjust them below.")

    def write(self, request, **kwargs):
        pipelines = {str(p.pk): p for p in selectors.deal_pipelines(user=request.user)}
        pipeline = pipelines.get(request.POST.get("pipeline", ""))
        if pipeline is None:
            raise ValidationError(_("Choose a pipeline of deals."))
        cells = selectors.role_matrix(role=self.role)
        with transaction.atomic():
            for action in Action.values:
                role_set_scope(
                    actor=request.user,
                    role=self.role,
                    entity=Entity.DEAL,
                    action=action,
                    scope=cells.get((Entity.DEAL, action, None), Scope.NONE),
                    pipeline=pipeline,
                    request=request,
                )


class RolePipelineRemoveView(RoleSectionView):
    section_template = "access/settings/partials/_role_matrix.html"
    success_message = gettext_lazy("The pipeline follows the general deal rights again.")

    def write(self, request, pipeline_pk, **kwargs):
        pipelines = {p.pk: p for p in selectors.deal_pipelines(user=request.user)}
        pipeline = pipelines.get(pipeline_pk)
        if pipeline is None:
            raise Http404
        role_pipeline_rights_remove(
            actor=request.user, role=self.role, pipeline=pipeline, request=request
        )


class RoleFieldRuleView(RoleSectionView):
    """Make a field hidden or read-only for the role."""

    section_template = "access/settings/partials/_role_fields.html"
    success_message = gettext_lazy("The field rule is saved.")

    def write(self, request, **kwargs):
        fields = selectors.field_rule_fields(user=request.user)
        form = FieldRuleForm(request.POST, field_choices=_field_choices(fields))
        if not form.is_valid():
            raise ValidationError(
                [message for messages in form.errors.values() for message in messages]
            )
        entity, code = form.cleaned_data["field"]
        field_rule_set(
            actor=request.user,
            role=self.role,
            entity=entity,
            field=code,
            access=form.cleaned_data["access"],
            request=request,
        )


class RoleFieldRuleRemoveView(RoleSectionView):
    section_template = "access/settings/partials/_role_fields.html"
    success_message = gettext_lazy("The field rule is lifted.")

    def write(self, request, rule_pk, **kwargs):
        rule = get_or_404(self.role.field_rules.all(), rule_pk)
        field_rule_set(
            actor=request.user,
            role=self.role,
            entity=rule.entity,
            field=rule.field,
            access=None,
            request=request,
        )


class RoleMemberAddView(RoleSectionView):
    section_template = "access/settings/partials/_role_members.html"
    success_message = gettext_lazy("The employee holds the role now.")

    def write(self, request, **kwargs):
        form = MemberForm(request.POST, employees=_employees())
        if not form.is_valid():
            raise ValidationError(_("Choose an employee."))
        role_assign(
            actor=request.user, role=self.role, user=form.cleaned_data["user"], request=request
        )


class RoleMemberRemoveView(RoleSectionView):
    section_template = "access/settings/partials/_role_members.html"
    success_message = gettext_lazy("The employee no longer holds the role.")

    def write(self, request, user_pk, **kwargs):
        member = get_or_404(selectors.role_members(user=request.user, role=self.role), user_pk)
        role_unassign(actor=request.user, role=self.role, user=member, request=request)


# ---- Settings: the audit log -----------------------------------------------------------------


def _cursor(raw: str):
    """``2026-11-23T10:00:00.123456+00:00_42`` → (time, id); anything else → no cursor."""
    moment, _sep, pk = (raw or "").rpartition("_")
    try:
        return datetime.datetime.fromisoformat(moment), int(pk)
    except ValueError:
        return None


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class AuditLogView(SettingsPageView):
    """Who did what and from where, newest first, a page at a time (keyset: every page costs
    the same); read-only."""

    template_name = "access/settings/audit_log.html"
    partial_template_name = "access/settings/partials/_audit_rows.html"

    def wants_partial(self) -> bool:
        # Only "show more" asks for rows alone; a filter change reloads the page.
        return super().wants_partial() and "after" in self.request.GET

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        form = AuditFilterForm(
            self.request.GET or None, groups=selectors.audit_groups(), employees=_all_employees()
        )
        filters: dict = {}
        if form.is_valid():
            data = form.cleaned_data
            filters["action"] = data.get("group") or ""
            if data.get("actor") is not None:
                filters["actor_id"] = data["actor"].pk
            if data.get("since"):
                filters["since"] = _day_start(data["since"])
            if data.get("until"):
                filters["until"] = _day_start(data["until"] + datetime.timedelta(days=1))
            filters["query"] = data.get("q") or ""
        events, next_cursor = selectors.audit_page(
            user=user, filters=filters, after=_cursor(self.request.GET.get("after", ""))
        )
        params = self.request.GET.copy()
        params.pop("after", None)
        if next_cursor is not None:
            params["after"] = f"{next_cursor[0].isoformat()}_{next_cursor[1]}"
        context.update(
            {
                "form": form,
                "rows": selectors.audit_rows(events),
                "next_query": params.urlencode() if next_cursor is not None else "",
                "filtered": any(filters.values()),
            }
        )
        return context


def _all_employees():
    from voronka.staff.models import User

    return User.objects.all()


# ---- The recycle bin -------------------------------------------------------------------------

RECYCLE_PAGE_SIZE = 50


def _recycled_kinds() -> dict[str, dict]:
    """What the recycle bin holds: per entity its model, label, restore and purge services."""
    from voronka.contacts.models import Company, Contact
    from voronka.contacts.services.companies import company_restore
    from voronka.contacts.services.contacts import contact_restore
    from voronka.contacts.services.recycle_bin import company_purge, contact_purge
    from voronka.sales.models import Deal, Lead
    from voronka.sales.services.deals import deal_restore
    from voronka.sales.services.leads import lead_restore
    from voronka.sales.services.recycle_bin import deal_purge, lead_purge

    # Each card's services take it under its own name (``lead=``, ``deal=``…).
    return {
        Entity.LEAD: {"model": Lead, "restore": lead_restore, "purge": lead_purge, "as": "lead"},
        Entity.DEAL: {"model": Deal, "restore": deal_restore, "purge": deal_purge, "as": "deal"},
        Entity.CONTACT: {
            "model": Contact,
            "restore": contact_restore,
            "purge": contact_purge,
            "as": "contact",
        },
        Entity.COMPANY: {
            "model": Company,
            "restore": company_restore,
            "purge": company_purge,
            "as": "company",
        },
    }


def recycled_cards(user, entity: str):
    """Cards of ``entity`` in the recycle bin that ``user`` may delete, newest deletion first."""
    model = _recycled_kinds()[entity]["model"]
    return (
        visible_to(user, model.all_objects.deleted(), action=Action.DELETE)
        .select_related("deleted_by", "responsible")
        .order_by("-deleted_at", "-pk")
    )


class RecycleBinView(View):
    """Deleted leads, deals, contacts and companies the user may delete, a kind per tab; each
    can be restored or deleted for good."""

    def get(self, request):
        kinds = [entity for entity in _recycled_kinds() if can(request.user, Action.DELETE, entity)]
        if not kinds:
            raise PermissionDenied
        entity = request.GET.get("entity") or kinds[0]
        if entity not in kinds:
            raise Http404
        cards = recycled_cards(request.user, entity)
        after = _cursor(request.GET.get("after", ""))
        if after is not None:
            cards = cards.filter(
                Q(deleted_at__lt=after[0]) | Q(deleted_at=after[0], pk__lt=after[1])
            )
        rows = list(cards[: RECYCLE_PAGE_SIZE + 1])
        next_query = ""
        if len(rows) > RECYCLE_PAGE_SIZE:
            rows = rows[:RECYCLE_PAGE_SIZE]
            next_query = urlencode(
                {"entity": entity, "after": f"{rows[-1].deleted_at.isoformat()}_{rows[-1].pk}"}
            )
        context = {
            "tabs": [(kind, Entity(kind).label) for kind in kinds],
            "entity": entity,
            "cards": rows,
            "next_query": next_query,
        }
        template = "access/recycle_bin.html"
        if request.htmx and not request.htmx.boosted and "after" in request.GET:
            template = "access/partials/_recycle_rows.html"
        return render(request, template, context)


class RecycleBinActionView(View):
    """Restore a card or delete it for good; a card the user may not delete (or not in the
    bin) is a 404, exactly like a missing one."""

    operation = "restore"

    def post(self, request, card_type, pk):
        entity = card_type
        kind = _recycled_kinds().get(entity)
        if kind is None:
            raise Http404
        card = visible_object_or_404(
            request.user,
            kind["model"].all_objects.deleted(),
            action=Action.DELETE,
            pk=pk,
        )
        try:
            if self.operation == "restore":
                kind["restore"](actor=request.user, **{kind["as"]: card})
                message = _("“%(name)s” is restored.") % {"name": card}
            else:
                kind["purge"](actor=request.user, request=request, **{kind["as"]: card})
                message = _("“%(name)s” is deleted for good.") % {"name": card}
        except ValidationError as error:
            return refused_response(error)
        if not request.htmx:
            messages.success(request, message)
            return redirect(f"{reverse('access:recycle_bin')}?entity={entity}")
        # The row goes away from the list.
        response = HttpResponse("")
        trigger_client_event(response, "voronka:toast", {"message": message, "level": "success"})
        return response
