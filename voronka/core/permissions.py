"""Who may open which area of the interface: the role matrix of ``access`` decides.

The settings area needs the ``settings`` right: reading to open a page, adding, changing or
deleting to use its forms and inline actions. The product catalogue is the ``product`` entity
instead, so managers who read products may look at the catalogue without changing it.
"""

from django.core.exceptions import PermissionDenied

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def has_right(user, action: str, entity: str) -> bool:
    """May ``user`` do ``action`` on at least some records of ``entity`` (e.g. "read",
    "settings")."""
    from voronka.access.predicates import can

    return bool(user is not None and user.is_authenticated and can(user, action, entity))


def can_open_settings(user) -> bool:
    return has_right(user, "read", "settings")


class RightRequiredMixin:
    """A view that needs ``permission_action`` on ``permission_entity``; everyone else gets
    403. Anonymous visitors never get here: ``LoginRequiredMiddleware`` sends them to sign in.

    ``read_action`` (when set) is what a GET needs instead, for a view that shows a page and
    takes writes at the same address.
    """

    permission_entity: str = "settings"
    permission_action: str = "read"
    read_action: str | None = None

    def required_action(self, request) -> str:
        if self.read_action is not None and request.method in SAFE_METHODS:
            return self.read_action
        return self.permission_action

    def dispatch(self, request, *args, **kwargs):
        if not has_right(request.user, self.required_action(request), self.permission_entity):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class SettingsReadRequiredMixin(RightRequiredMixin):
    """A settings page: reading the settings is enough."""

    permission_action = "read"


class SettingsChangeRequiredMixin(RightRequiredMixin):
    """A write of the settings area (a form, a reorder, a delete)."""

    permission_action = "update"
