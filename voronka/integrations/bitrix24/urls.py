from django.urls import re_path

from voronka.integrations.bitrix24 import views

app_name = "bitrix24"

# Included at "rest/". An optional ".json" suffix and trailing slash; never a redirect.
urlpatterns = [
    re_path(
        r"^(?P<user_id>\d+)/(?P<code>[^/]+)/(?P<method>[^/]+?)(?:\.json)?/?$",
        views.webhook,
        name="webhook",
    ),
    re_path(r"^(?P<method>[^/]+?)(?:\.json)?/?$", views.token_call, name="call"),
]
