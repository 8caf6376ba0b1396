"""The interface speaks the signed-in employee's language wherever they sign in from."""

from django.utils import translation


class UserLanguageMiddleware:
    """Activates ``user.language`` after authentication.

    ``LocaleMiddleware`` runs first and picks the language from the cookie or the browser; an
    employee's saved choice wins over both, so the interface follows the person, not the device.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = getattr(request.user, "language", "")
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
