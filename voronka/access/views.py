"""The second sign-in step: enrolment of an authenticator app and the code after the password."""

import segno
from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from voronka.access import two_factor
from voronka.access.forms import ApiTokenForm, OneTimeCodeForm
from voronka.access.predicates import roles_requiring_two_factor
from voronka.access.selectors import api_token_list
from voronka.access.services import api_token_create, api_token_revoke


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


class TwoFactorIndexView(View):
    """Whether the employee has an authenticator, with the way to add or remove it."""

    def get(self, request):
        return self._render(request, OneTimeCodeForm())

    def post(self, request):
        form = OneTimeCodeForm(request.POST)
        if form.is_valid():
            if two_factor.two_factor_disable(request=request, code=form.cleaned_data["code"]):
                return redirect("access:two_factor")
            form.add_error("code", _("The code is wrong or the second factor is required."))
        return self._render(request, form, status=422)

    def _render(self, request, form, status=200):
        context = {
            "device": two_factor.confirmed_device(request.user),
            "required": roles_requiring_two_factor(request.user),
            "form": form,
        }
        return render(request, "access/two_factor.html", context, status=status)


class TwoFactorEnrolView(View):
    def get(self, request):
        return self._render(request, OneTimeCodeForm())

    def post(self, request):
        form = OneTimeCodeForm(request.POST)
        if form.is_valid():
            if two_factor.two_factor_enrol_confirm(request=request, code=form.cleaned_data["code"]):
                return redirect(_next_url(request))
            form.add_error("code", _("The code does not match. Check the time on the phone."))
        return self._render(request, form, status=422)

    def _render(self, request, form, status=200):
        device = two_factor.enrolment_device(request.user)
        import base64

        secret = base64.b32encode(device.bin_key).decode()
        context = {
            "form": form,
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "qr_svg": segno.make(device.config_url, error="m").svg_inline(scale=5),
            "owed": request.session.get(two_factor.SESSION_KEY) == two_factor.OWED_ENROLMENT,
            "next": _next_url(request),
        }
        return render(request, "access/two_factor_enrol.html", context, status=status)


class TwoFactorVerifyView(View):
    def get(self, request):
        if request.session.get(two_factor.SESSION_KEY) != two_factor.OWED_CODE:
            return redirect(_next_url(request))
        return self._render(request, OneTimeCodeForm())

    def post(self, request):
        form = OneTimeCodeForm(request.POST)
        if form.is_valid():
            if two_factor.two_factor_verify(request=request, code=form.cleaned_data["code"]):
                return redirect(_next_url(request))
            form.add_error("code", _("The code is wrong or has expired."))
        return self._render(request, form, status=422)

    def _render(self, request, form, status=200):
        context = {"form": form, "next": _next_url(request)}
        return render(request, "access/two_factor_verify.html", context, status=status)


class ApiTokenListView(View):
    """The employee's API and webhook tokens; a new token is shown once, right after it is
    issued."""

    def get(self, request):
        return self._render(request, ApiTokenForm())

    def post(self, request):
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            try:
                _token, raw = api_token_create(
                    actor=request.user,
                    user=request.user,
                    name=form.cleaned_data["name"],
                    kind=form.cleaned_data["kind"],
                    scopes=form.cleaned_data["scopes"],
                    request=request,
                )
            except ValidationError as error:
                for field_name, messages in error.message_dict.items():
                    form.add_error(field_name if field_name in form.fields else None, messages)
            else:
                return self._render(request, ApiTokenForm(), raw_token=raw)
        return self._render(request, form, status=422)

    def _render(self, request, form, *, raw_token="", status=200):
        context = {
            "tokens": api_token_list(user=request.user),
            "form": form,
            "raw_token": raw_token,
        }
        return render(request, "access/api_tokens.html", context, status=status)


class ApiTokenRevokeView(View):
    def post(self, request, pk):
        token = get_object_or_404(api_token_list(user=request.user), pk=pk)
        api_token_revoke(actor=request.user, token=token, request=request)
        return redirect("access:api_tokens")
