"""URLs of file imports."""

app_name = "imports"

urlpatterns = []
