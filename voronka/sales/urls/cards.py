"""URLs of the cards area of leads and deals."""

urlpatterns: list = []
