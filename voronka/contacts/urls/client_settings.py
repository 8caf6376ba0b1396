"""URLs of the client base settings: duplicate policies, families, LTV segments."""

urlpatterns = []
