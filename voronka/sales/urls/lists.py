"""URLs of the lists area of leads and deals."""

urlpatterns: list = []
