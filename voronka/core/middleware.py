from django.http import HttpResponseBadRequest
from django.utils.translation import gettext as _


class OversizedNumberMiddleware:
    """SQLite binds integers of at most 64 bits: an id such as 99999999999999999999 in a filter or
    a form would end in a 500 there (PostgreSQL simply finds nothing). It is bad input, so the
    request answers 400; the transaction around the write, if any, has already rolled back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OverflowError):
            return HttpResponseBadRequest(_("A number in the request is too large."))
        return None
