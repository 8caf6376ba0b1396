"""Forms of the company settings: employees, departments and absences. They check the input's
shape; the services in ``staff.services`` validate and write."""

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from voronka.customization.forms import ShapeModelForm
from voronka.staff.models import Absence, Department, User

WEEKDAYS = [
    (1, _("Mon")),
    (2, _("Tue")),
    (3, _("Wed")),
    (4, _("Thu")),
    (5, _("Fri")),
    (6, _("Sat")),
    (7, _("Sun")),
]


class EmployeePicker(forms.Select):
    """A choice of an employee that never lists the whole staff: the select holds the chosen
    one, and typing a name fills it with matches (``staff:settings_employee_options``)."""

    template_name = "staff/widgets/employee_picker.html"
    search_url = reverse_lazy("staff:settings_employee_options")

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["search_url"] = str(self.search_url)
        return context

    def optgroups(self, name, value, attrs=None):
        chosen = [item for item in value if item not in ("", None)]
        employees = list(self.choices.queryset.filter(pk__in=chosen)) if chosen else []
        options = [self.create_option(name, "", "---------", not employees, 0)]
        options += [
            self.create_option(name, employee.pk, str(employee), True, index)
            for index, employee in enumerate(employees, start=1)
        ]
        return [(None, options, 0)]


class EmployeeForm(ShapeModelForm):
    work_days = forms.TypedMultipleChoiceField(
        label=_("Working days"),
        choices=WEEKDAYS,
        coerce=int,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "inline-choices"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Set once; the employee can change it after signing in."),
    )

    class Meta:
        model = User
        fields = [
            "username",
            "last_name",
            "first_name",
            "middle_name",
            "email",
            "phone",
            "position",
            "department",
            "hourly_cost_rate",
            "work_day_start",
            "work_day_end",
            "work_days",
            "is_staff",
        ]
        labels = {"username": _("Login"), "is_staff": _("Technical administration")}
        help_texts = {
            "username": _("Used to sign in; cannot be changed later."),
            "is_staff": _(
                "Opens the technical administration site. What the employee sees and changes "
                "in the CRM, the settings included, comes from the roles."
            ),
        }
        widgets = {
            "work_day_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "work_day_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    roles = forms.ModelMultipleChoiceField(
        label=_("Roles"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "What the employee sees and changes. An employee without a role gets the rights "
            "of the roles marked “for employees without a role”."
        ),
    )

    def __init__(self, *args, departments=None, roles=None, **kwargs):
        super().__init__(*args, **kwargs)
        if departments is not None:
            self.fields["department"].queryset = departments
        if roles is None:
            del self.fields["roles"]
        else:
            from voronka.access.templatetags.access import role_label

            self.fields["roles"].queryset = roles
            self.fields["roles"].label_from_instance = role_label
            if self.instance.pk:
                self.initial["roles"] = list(
                    roles.filter(members=self.instance).values_list("pk", flat=True)
                )
        if self.instance.pk:
            del self.fields["username"]
            del self.fields["password"]
            self.initial["work_days"] = list(self.instance.work_days or [])
        else:
            self.initial.setdefault("work_days", [1, 2, 3, 4, 5])

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("password", None)
        data.pop("roles", None)
        return data


class DepartmentForm(ShapeModelForm):
    class Meta:
        model = Department
        fields = ["name", "parent", "head", "sort"]
        widgets = {"head": EmployeePicker}

    def __init__(self, *args, departments=None, employees=None, **kwargs):
        super().__init__(*args, **kwargs)
        if departments is not None:
            self.fields["parent"].queryset = departments
        if employees is not None:
            self.fields["head"].queryset = employees
        if not self.instance.pk:
            del self.fields["sort"]


class AbsenceForm(ShapeModelForm):
    class Meta:
        model = Absence
        fields = ["user", "kind", "starts_on", "ends_on", "comment"]
        widgets = {
            "user": EmployeePicker,
            "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, employees=None, **kwargs):
        super().__init__(*args, **kwargs)
        if employees is not None:
            self.fields["user"].queryset = employees
