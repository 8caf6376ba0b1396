"""Errors services raise besides Django's ValidationError."""

from django.utils.translation import gettext_lazy as _


class ConflictError(Exception):
    """The card changed since the caller read it; the write was refused and nothing changed."""

    def __init__(self, message=None, *, current_version: int | None = None):
        self.message = message or _(
            "This card was changed by someone else. Reload it and apply your changes again."
        )
        self.current_version = current_version
        super().__init__(str(self.message))
