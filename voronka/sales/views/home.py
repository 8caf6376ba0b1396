from django.views.generic import TemplateView

from voronka.sales.selectors import pipelines_summary


class HomeView(TemplateView):
    """The funnel at a glance: every pipeline's stages with their card counts and sums."""

    template_name = "sales/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["summaries"] = pipelines_summary(user=self.request.user)
        return context
