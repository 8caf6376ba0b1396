from django.conf import settings

# Until the access app is switched on in the project settings, its tests are not collected.
if "voronka.access" not in settings.INSTALLED_APPS:
    collect_ignore_glob = ["test_*.py"]
