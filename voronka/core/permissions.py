"""Who may open which area of the interface. The role matrix of ``access`` will decide this
later; until then the settings area belongs to administrators."""

from django.core.exceptions import PermissionDenied


def is_administrator(user) -> bool:
    return bool(user.is_authenticated and (user.is_staff or user.is_superuser))


class AdministratorRequiredMixin:
    """Views of the settings area: administrators only, everyone else gets 403.

    Anonymous visitors never get here: ``LoginRequiredMiddleware`` sends them to sign in.
    """

    def dispatch(self, request, *args, **kwargs):
        if not is_administrator(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)
