"""URLs of the settings area of leads and deals."""

urlpatterns: list = []
