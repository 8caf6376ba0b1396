"""Settings of the funnel for administrators: pipelines and stages (drag to reorder), loss
reasons and the product catalogue."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from voronka.core.permissions import RightRequiredMixin
from voronka.customization.views import (
    SettingsFormView,
    SettingsPageView,
    get_or_404,
    refused_response,
    saved_response,
)
from voronka.sales.forms_settings import (
    LossReasonForm,
    PipelineForm,
    ProductFilterForm,
    ProductForm,
    ProductSectionForm,
    StageForm,
    required_field_choices,
)
from voronka.sales.models import PipelineEntity
from voronka.sales.selectors import settings as selectors
from voronka.sales.services import (
    pipeline_create,
    stage_create,
    stage_delete,
    stage_reorder,
    stage_update,
)
from voronka.sales.services.catalogues import (
    loss_reason_create,
    loss_reason_reorder,
    loss_reason_update,
    pipeline_update,
    product_create,
    product_section_create,
    product_section_update,
    product_update,
)


def _ids(raw: str) -> list[int]:
    """``"3,1,2"`` → ``[3, 1, 2]``; anything else is refused with a message."""
    try:
        return [int(part) for part in raw.split(",") if part.strip()]
    except ValueError:
        raise ValidationError(_("The new order is not a list of ids.")) from None


# ---- Pipelines and stages --------------------------------------------------------------------


class PipelineSettingsView(SettingsPageView):
    template_name = "sales/settings/pipelines.html"
    partial_template_name = "sales/settings/partials/_pipelines.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        pipelines = selectors.pipeline_settings_list(user=self.request.user)
        labels = {entity: dict(required_field_choices(entity)) for entity in PipelineEntity.values}
        for pipeline in pipelines:
            for stage in pipeline.stages.all():
                # A code of a field removed since then is shown as it is stored.
                stage.required_labels = [
                    labels[pipeline.entity].get(code, code) for code in stage.required_fields
                ]
        context["lead_pipelines"] = [p for p in pipelines if p.entity == PipelineEntity.LEAD]
        context["deal_pipelines"] = [p for p in pipelines if p.entity == PipelineEntity.DEAL]
        return context


class PipelineCreateView(SettingsFormView):
    """A new deal pipeline ("direction") starts with an open, a won and a lost stage."""

    permission_action = "add"

    form_class = PipelineForm
    title = gettext_lazy("New deal pipeline")
    success_message = gettext_lazy("The pipeline is added.")

    def save(self, form):
        data = {"entity": PipelineEntity.DEAL, **form.cleaned_data}
        return pipeline_create(actor=self.request.user, data=data)


class PipelineUpdateView(SettingsFormView):
    form_class = PipelineForm
    success_message = gettext_lazy("The pipeline is saved.")

    def get_object(self):
        return get_or_404(
            selectors.pipeline_for_settings(user=self.request.user), self.kwargs["pk"]
        )

    def get_form_kwargs(self):
        return {"instance": self.object}

    def get_title(self):
        return _("Pipeline “%(name)s”") % {"name": self.object.name}

    def save(self, form):
        return pipeline_update(
            actor=self.request.user, pipeline=self.object, data=form.cleaned_data
        )


class StageCreateView(SettingsFormView):
    permission_action = "add"
    form_class = StageForm
    success_message = gettext_lazy("The stage is added.")
    wide = True

    def get_object(self):
        return get_or_404(
            selectors.pipeline_for_settings(user=self.request.user), self.kwargs["pk"]
        )

    def get_form_kwargs(self):
        return {"pipeline": self.object, "initial": {"kind": "open", "color": "#2f6fed"}}

    def get_title(self):
        return _("New stage of “%(name)s”") % {"name": self.object.name}

    def save(self, form):
        return stage_create(actor=self.request.user, pipeline=self.object, data=form.cleaned_data)


class StageUpdateView(SettingsFormView):
    form_class = StageForm
    success_message = gettext_lazy("The stage is saved.")
    wide = True

    def get_object(self):
        return get_or_404(selectors.stage_for_settings(user=self.request.user), self.kwargs["pk"])

    def get_form_kwargs(self):
        return {"pipeline": self.object.pipeline, "instance": self.object}

    def get_title(self):
        return _("Stage “%(name)s”") % {"name": self.object.name}

    def save(self, form):
        return stage_update(actor=self.request.user, stage=self.object, data=form.cleaned_data)


class StageDeleteView(RightRequiredMixin, View):
    """Delete a stage; a stage holding cards (or the last of its kind) is refused with the
    service's explanation."""

    permission_action = "delete"

    def post(self, request, pk):
        stage = get_or_404(selectors.stage_for_settings(user=request.user), pk)
        try:
            stage_delete(actor=request.user, stage=stage)
        except ValidationError as error:
            return refused_response(error)
        return saved_response(_("The stage “%(name)s” is deleted.") % {"name": stage.name})


class StageReorderView(RightRequiredMixin, View):
    """The new order of a pipeline's stages after a drag: ``order=3,1,2``."""

    permission_action = "update"

    def post(self, request, pk):
        pipeline = get_or_404(selectors.pipeline_for_settings(user=request.user), pk)
        try:
            stage_reorder(
                actor=request.user,
                pipeline=pipeline,
                stage_ids=_ids(request.POST.get("order", "")),
            )
        except ValidationError as error:
            # The list goes back to the order that is saved.
            return refused_response(error, refresh=True)
        return saved_response(_("The order of the stages is saved."), close=False)


# ---- Loss reasons ----------------------------------------------------------------------------


class LossReasonListView(SettingsPageView):
    template_name = "sales/settings/loss_reasons.html"
    partial_template_name = "sales/settings/partials/_loss_reasons.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["reasons"] = selectors.loss_reason_list(user=self.request.user)
        return context


class LossReasonCreateView(SettingsFormView):
    permission_action = "add"
    form_class = LossReasonForm
    title = gettext_lazy("New loss reason")
    success_message = gettext_lazy("The loss reason is added.")

    def save(self, form):
        return loss_reason_create(actor=self.request.user, data=form.cleaned_data)


class LossReasonUpdateView(SettingsFormView):
    form_class = LossReasonForm
    success_message = gettext_lazy("The loss reason is saved.")

    def get_object(self):
        return get_or_404(selectors.loss_reason_list(user=self.request.user), self.kwargs["pk"])

    def get_form_kwargs(self):
        return {"instance": self.object}

    def get_title(self):
        return _("Loss reason “%(name)s”") % {"name": self.object.name}

    def save(self, form):
        return loss_reason_update(
            actor=self.request.user, reason=self.object, data=form.cleaned_data
        )


class LossReasonReorderView(RightRequiredMixin, View):
    permission_action = "update"

    def post(self, request):
        try:
            loss_reason_reorder(actor=request.user, reason_ids=_ids(request.POST.get("order", "")))
        except ValidationError as error:
            return refused_response(error, refresh=True)
        return saved_response(_("The order of the loss reasons is saved."), close=False)


# ---- Products --------------------------------------------------------------------------------


class ProductListView(SettingsPageView):
    """The catalogue with search, a section filter and pages (no total count: the catalogue
    may be large, and "next" is known by reading one row more)."""

    template_name = "sales/settings/products.html"
    permission_entity = "product"
    partial_template_name = "sales/settings/partials/_products.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        sections = list(selectors.product_section_list(user=user))
        filters = ProductFilterForm(self.request.GET, sections=sections)
        filters.is_valid()  # every filter is optional; a bad one is simply left out
        cleaned = filters.cleaned_data
        page = cleaned.get("page") or 1
        per_page = selectors.PRODUCTS_PER_PAGE
        offset = (page - 1) * per_page
        rows = list(
            selectors.product_settings_list(
                user=user,
                query=cleaned.get("q") or "",
                section_id=cleaned.get("section"),
                active=cleaned.get("active") or "",
            )[offset : offset + per_page + 1]
        )
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            {
                "filters": filters,
                "sections": sections,
                "products": rows[:per_page],
                "page": page,
                "has_next": len(rows) > per_page,
                "query_string": query.urlencode(),
            }
        )
        return context


class ProductFormMixin:
    permission_entity = "product"
    form_class = ProductForm
    wide = True

    def get_form(self, data=None):
        form = super().get_form(data)
        form.fields["section"].queryset = selectors.product_section_list(user=self.request.user)
        return form


class ProductCreateView(ProductFormMixin, SettingsFormView):
    permission_action = "add"
    title = gettext_lazy("New product")
    success_message = gettext_lazy("The product is added.")

    def save(self, form):
        return product_create(actor=self.request.user, data=form.cleaned_data)


class ProductUpdateView(ProductFormMixin, SettingsFormView):
    success_message = gettext_lazy("The product is saved.")

    def get_object(self):
        return get_or_404(
            selectors.product_settings_list(user=self.request.user), self.kwargs["pk"]
        )

    def get_form_kwargs(self):
        return {"instance": self.object}

    def get_title(self):
        return _("Product “%(name)s”") % {"name": self.object.name}

    def save(self, form):
        return product_update(actor=self.request.user, product=self.object, data=form.cleaned_data)


class ProductSectionFormMixin:
    permission_entity = "product"
    form_class = ProductSectionForm

    def get_form(self, data=None):
        form = super().get_form(data)
        sections = selectors.product_section_list(user=self.request.user)
        if self.object is not None:
            sections = sections.exclude(pk=self.object.pk)
        form.fields["parent"].queryset = sections
        return form


class ProductSectionCreateView(ProductSectionFormMixin, SettingsFormView):
    permission_action = "add"
    title = gettext_lazy("New product section")
    success_message = gettext_lazy("The section is added.")

    def save(self, form):
        return product_section_create(actor=self.request.user, data=form.cleaned_data)


class ProductSectionUpdateView(ProductSectionFormMixin, SettingsFormView):
    success_message = gettext_lazy("The section is saved.")

    def get_object(self):
        return get_or_404(selectors.product_section_list(user=self.request.user), self.kwargs["pk"])

    def get_form_kwargs(self):
        return {"instance": self.object}

    def get_title(self):
        return _("Section “%(name)s”") % {"name": self.object.name}

    def save(self, form):
        return product_section_update(
            actor=self.request.user, section=self.object, data=form.cleaned_data
        )
