"""``/api/v1/``: the resources, the OpenAPI schema and its documentation."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from voronka.api.docs import ApiDocsView
from voronka.api.views import contacts, sales, settings, tasks

app_name = "api"

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
# One pattern per name: the format is chosen by the Accept header, not a ".json" suffix.
router.include_format_suffixes = False
router.register("leads", sales.LeadViewSet, basename="lead")
router.register("deals", sales.DealViewSet, basename="deal")
router.register("pipelines", sales.PipelineViewSet, basename="pipeline")
router.register("stages", sales.StageViewSet, basename="stage")
router.register("loss-reasons", sales.LossReasonViewSet, basename="loss_reason")
router.register("products", sales.ProductViewSet, basename="product")
router.register("contacts", contacts.ContactViewSet, basename="contact")
router.register("companies", contacts.CompanyViewSet, basename="company")
router.register("tasks", tasks.TaskViewSet, basename="task")
router.register("users", settings.UserViewSet, basename="user")
router.register("departments", settings.DepartmentViewSet, basename="department")
router.register("sources", settings.SourceViewSet, basename="source")
router.register("custom-fields", settings.CustomFieldViewSet, basename="custom_field")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    *router.urls,
]

# The API authenticates each request itself (tokens or the session), not with the sign-in page.
for pattern in urlpatterns:
    login_not_required(pattern.callback)

# The documentation is a page of the interface, for signed-in employees.
urlpatterns.append(path("docs/", ApiDocsView.as_view(), name="docs"))
