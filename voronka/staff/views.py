"""Pages of the signed-in employee: interface language."""

from contextlib import suppress

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from voronka.staff.services import user_set_language


@login_not_required
@require_POST
def language_set(request):
    """Switch the interface language; a signed-in employee keeps the choice on every device.

    Django's ``set_language`` sets the cookie and redirects back to ``next``; for a signed-in
    user the choice is also saved on the employee, which ``UserLanguageMiddleware`` applies.
    """
    if request.user.is_authenticated:
        # set_language ignores an unknown code the same way and just redirects back.
        with suppress(ValidationError):
            user_set_language(user=request.user, language=request.POST.get("language", ""))
    return set_language(request)
