"""URLs of the duplicate finder, merges and their undo."""

urlpatterns = []
