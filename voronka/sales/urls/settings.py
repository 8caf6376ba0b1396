"""URLs of the sales settings (under /settings/): pipelines and stages, loss reasons, products."""

from django.urls import path

from voronka.sales.views import settings as views

urlpatterns = [
    path("settings/pipelines/", views.PipelineSettingsView.as_view(), name="settings_pipelines"),
    path(
        "settings/pipelines/new/",
        views.PipelineCreateView.as_view(),
        name="settings_pipeline_create",
    ),
    path(
        "settings/pipelines/<int:pk>/",
        views.PipelineUpdateView.as_view(),
        name="settings_pipeline_update",
    ),
    path(
        "settings/pipelines/<int:pk>/stages/new/",
        views.StageCreateView.as_view(),
        name="settings_stage_create",
    ),
    path(
        "settings/pipelines/<int:pk>/stages/order/",
        views.StageReorderView.as_view(),
        name="settings_stage_reorder",
    ),
    path(
        "settings/stages/<int:pk>/", views.StageUpdateView.as_view(), name="settings_stage_update"
    ),
    path(
        "settings/stages/<int:pk>/delete/",
        views.StageDeleteView.as_view(),
        name="settings_stage_delete",
    ),
    path(
        "settings/loss-reasons/",
        views.LossReasonListView.as_view(),
        name="settings_loss_reasons",
    ),
    path(
        "settings/loss-reasons/new/",
        views.LossReasonCreateView.as_view(),
        name="settings_loss_reason_create",
    ),
    path(
        "settings/loss-reasons/order/",
        views.LossReasonReorderView.as_view(),
        name="settings_loss_reason_reorder",
    ),
    path(
        "settings/loss-reasons/<int:pk>/",
        views.LossReasonUpdateView.as_view(),
        name="settings_loss_reason_update",
    ),
    path("settings/products/", views.ProductListView.as_view(), name="settings_products"),
    path(
        "settings/products/new/",
        views.ProductCreateView.as_view(),
        name="settings_product_create",
    ),
    path(
        "settings/products/<int:pk>/",
        views.ProductUpdateView.as_view(),
        name="settings_product_update",
    ),
    path(
        "settings/products/sections/new/",
        views.ProductSectionCreateView.as_view(),
        name="settings_product_section_create",
    ),
    path(
        "settings/products/sections/<int:pk>/",
        views.ProductSectionUpdateView.as_view(),
        name="settings_product_section_update",
    ),
]
