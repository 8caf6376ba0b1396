"""URLs of contact and company cards."""

urlpatterns: list = []
