"""Pages of the signed-in employee (interface language) and, for administrators, the company
settings: employees, departments and absences."""

from contextlib import suppress

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from voronka.access.selectors import role_list
from voronka.access.services import employee_roles_set
from voronka.core.permissions import RightRequiredMixin
from voronka.customization.views import (
    SettingsFormView,
    SettingsPageView,
    get_or_404,
    refused_response,
    saved_response,
)
from voronka.staff import selectors
from voronka.staff.forms import AbsenceForm, DepartmentForm, EmployeeForm
from voronka.staff.services import (
    absence_create,
    absence_delete,
    department_create,
    department_update,
    employee_create,
    employee_set_active,
    employee_update,
    user_set_language,
)


@login_not_required
@require_POST
def language_set(request):
    """Switch the interface language; a signed-in employee keeps the choice on every device.

    Django's ``set_language`` sets the cookie and redirects back to ``next``; for a signed-in
    user the choice is also saved on the employee, which ``UserLanguageMiddleware`` applies.
    """
    if request.user.is_authenticated:
        # set_language ignores an unknown code the same way and just redirects back.
        with suppress(ValidationError):
            user_set_language(user=request.user, language=request.POST.get("language", ""))
    return set_language(request)


# ---- Settings: employees, departments, absences (administrators) ------------------------------


class EmployeeListView(SettingsPageView):
    """Employees with their positions and departments; active ones by default."""

    template_name = "staff/settings/employees.html"
    partial_template_name = "staff/settings/partials/_employees.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.get("q", "")
        active = self.request.GET.get("active", "yes")
        if active not in ("yes", "no", "all"):
            active = "yes"
        per_page = selectors.EMPLOYEES_PER_PAGE
        try:
            page = max(1, int(self.request.GET.get("page") or 1))
        except ValueError:
            page = 1
        offset = (page - 1) * per_page
        rows = list(
            selectors.employee_settings_list(
                user=self.request.user, query=query, active=active
            ).prefetch_related("access_roles")[offset : offset + per_page + 1]
        )
        params = self.request.GET.copy()
        params.pop("page", None)
        context.update(
            {
                "employees": rows[:per_page],
                "q": query,
                "active": active,
                "page": page,
                "has_next": len(rows) > per_page,
                "query_string": params.urlencode(),
            }
        )
        return context


class EmployeeFormMixin:
    form_class = EmployeeForm
    wide = True

    def get_form(self, data=None):
        kwargs = self.get_form_kwargs()
        kwargs["departments"] = selectors.department_settings_list(user=self.request.user)
        kwargs["roles"] = role_list(user=self.request.user)
        return self.form_class(data=data, **kwargs)

    def save_roles(self, form, employee) -> None:
        if "roles" in form.cleaned_data:
            employee_roles_set(
                actor=self.request.user,
                employee=employee,
                roles=form.cleaned_data["roles"],
                request=self.request,
            )


class EmployeeCreateView(EmployeeFormMixin, SettingsFormView):
    permission_action = "add"
    title = gettext_lazy("New employee")
    success_message = gettext_lazy("The employee is added.")

    @transaction.atomic
    def save(self, form):
        employee = employee_create(
            actor=self.request.user,
            data=form.service_data(),
            password=form.cleaned_data["password"],
        )
        self.save_roles(form, employee)
        return employee


class EmployeeUpdateView(EmployeeFormMixin, SettingsFormView):
    success_message = gettext_lazy("The employee is saved.")

    def get_object(self):
        return get_or_404(
            selectors.employee_settings_list(user=self.request.user, active=""),
            self.kwargs["pk"],
        )

    def get_form_kwargs(self):
        return {"instance": self.object}

    def get_title(self):
        return str(self.object)

    @transaction.atomic
    def save(self, form):
        employee = employee_update(
            actor=self.request.user, employee=self.object, data=form.service_data()
        )
        self.save_roles(form, employee)
        return employee


class EmployeeSetActiveView(RightRequiredMixin, View):
    """Deactivate an employee (``active=0``) or let them back (``active=1``)."""

    permission_action = "update"

    def post(self, request, pk):
        employee = get_or_404(selectors.employee_settings_list(user=request.user, active=""), pk)
        active = request.POST.get("active") == "1"
        try:
            employee_set_active(actor=request.user, employee=employee, active=active)
        except ValidationError as error:
            return refused_response(error)
        if active:
            message = _("%(name)s can sign in again.") % {"name": employee}
        else:
            message = _("%(name)s is deactivated.") % {"name": employee}
        return saved_response(message, close=False)


class EmployeeOptionsView(RightRequiredMixin, View):
    """Working employees whose name, login or position contains ``q``, as ``<option>``s for
    an employee picker; at most a screenful, so the staff list is never sent whole."""

    permission_action = "read"

    limit = 20

    def get(self, request):
        query = request.GET.get(
            next((key for key in request.GET if key.endswith("search")), "q"), ""
        )
        employees = selectors.employee_settings_list(user=request.user, query=query)[: self.limit]
        return render(
            request,
            "staff/settings/partials/_employee_options.html",
            {"employees": employees},
        )


class DepartmentListView(SettingsPageView):
    template_name = "staff/settings/departments.html"
    partial_template_name = "staff/settings/partials/_departments.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["tree"] = selectors.department_settings_tree(user=self.request.user)
        return context


class DepartmentFormMixin:
    form_class = DepartmentForm

    def get_form(self, data=None):
        kwargs = self.get_form_kwargs()
        kwargs["departments"] = selectors.department_settings_list(user=self.request.user)
        kwargs["employees"] = selectors.employee_choices(user=self.request.user)
        return self.form_class(data=data, **kwargs)


class DepartmentCreateView(DepartmentFormMixin, SettingsFormView):
    permission_action = "add"
    title = gettext_lazy("New department")
    success_message = gettext_lazy("The department is added.")

    def save(self, form):
        return department_create(actor=self.request.user, **form.cleaned_data)


class DepartmentUpdateView(DepartmentFormMixin, SettingsFormView):
    success_message = gettext_lazy("The department is saved.")

    def get_object(self):
        return get_or_404(
            selectors.department_settings_list(user=self.request.user), self.kwargs["pk"]
        )

    def get_form_kwargs(self):
        return {"instance": self.object}

    def get_title(self):
        return _("Department “%(name)s”") % {"name": self.object.name}

    def save(self, form):
        return department_update(
            actor=self.request.user, department=self.object, data=form.cleaned_data
        )


class AbsenceListView(SettingsPageView):
    """Absences going on today or ahead, soonest first."""

    template_name = "staff/settings/absences.html"
    partial_template_name = "staff/settings/partials/_absences.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        context["today"] = today
        context["absences"] = selectors.absence_settings_list(user=self.request.user, on=today)
        return context


class AbsenceCreateView(SettingsFormView):
    permission_action = "add"
    form_class = AbsenceForm
    title = gettext_lazy("New absence")
    success_message = gettext_lazy("The absence is recorded.")

    def get_form(self, data=None):
        employees = selectors.employee_choices(user=self.request.user)
        return self.form_class(data=data, employees=employees)

    def save(self, form):
        return absence_create(actor=self.request.user, **form.cleaned_data)


class AbsenceDeleteView(RightRequiredMixin, View):
    permission_action = "delete"

    def post(self, request, pk):
        absence = get_or_404(
            selectors.absence_settings_list(user=request.user, on=timezone.localdate()), pk
        )
        absence_delete(actor=request.user, absence=absence)
        return saved_response(_("The absence is deleted."), close=False)
