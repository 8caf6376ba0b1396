"""URLs of the signed-in employee's own pages."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path

from voronka.staff import views

urlpatterns = [
    path(
        "accounts/login/",
        login_not_required(auth_views.LoginView.as_view(redirect_authenticated_user=True)),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("i18n/setlang/", views.language_set, name="set_language"),
]

# The company settings (administrators), under /settings/ in the "staff" namespace.
settings_urlpatterns = [
    path("employees/", views.EmployeeListView.as_view(), name="settings_employees"),
    path("employees/new/", views.EmployeeCreateView.as_view(), name="settings_employee_create"),
    path(
        "employees/<int:pk>/",
        views.EmployeeUpdateView.as_view(),
        name="settings_employee_update",
    ),
    path(
        "employees/<int:pk>/active/",
        views.EmployeeSetActiveView.as_view(),
        name="settings_employee_set_active",
    ),
    path(
        "employees/options/",
        views.EmployeeOptionsView.as_view(),
        name="settings_employee_options",
    ),
    path("departments/", views.DepartmentListView.as_view(), name="settings_departments"),
    path(
        "departments/new/",
        views.DepartmentCreateView.as_view(),
        name="settings_department_create",
    ),
    path(
        "departments/<int:pk>/",
        views.DepartmentUpdateView.as_view(),
        name="settings_department_update",
    ),
    path("absences/", views.AbsenceListView.as_view(), name="settings_absences"),
    path("absences/new/", views.AbsenceCreateView.as_view(), name="settings_absence_create"),
    path(
        "absences/<int:pk>/delete/",
        views.AbsenceDeleteView.as_view(),
        name="settings_absence_delete",
    ),
]
urlpatterns += [path("settings/", include((settings_urlpatterns, "staff")))]
