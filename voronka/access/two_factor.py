"""The second sign-in step. After the password, the session remembers what is still owed:
a code from an enrolled authenticator, or enrolment because a role requires it. The
middleware reads only the session, so pages cost no extra queries."""

from django.shortcuts import redirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect
from django_otp.plugins.otp_totp.models import TOTPDevice

from voronka.access.predicates import roles_requiring_two_factor

SESSION_KEY = "access_second_factor"
OWED_CODE = "code"
OWED_ENROLMENT = "enrol"


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def mark_session_after_sign_in(request, user) -> None:
    request.session.pop(SESSION_KEY, None)
    if confirmed_device(user) is not None:
        request.session[SESSION_KEY] = OWED_CODE
    elif roles_requiring_two_factor(user):
        request.session[SESSION_KEY] = OWED_ENROLMENT


def second_factor_settled(request) -> None:
    request.session.pop(SESSION_KEY, None)


class SecondFactorMiddleware:
    """Keeps a signed-in employee on the second-factor pages until the owed step is done."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        owed = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
        if owed and not self._exempt(request.path_info):
            target = reverse(
                "access:two_factor_verify" if owed == OWED_CODE else "access:two_factor_enrol"
            )
            if getattr(request, "htmx", False):
                return HttpResponseClientRedirect(target)
            return redirect(f"{target}?next={request.get_full_path()}")
        return self.get_response(request)

    @staticmethod
    def _exempt(path: str) -> bool:
        from django.conf import settings

        exempt = (
            reverse("access:two_factor_verify"),
            reverse("access:two_factor_enrol"),
            reverse("logout"),
            reverse("login"),
            "/" + settings.STATIC_URL.lstrip("/"),
        )
        return path.startswith(exempt)


# ---- Services of the second factor -----------------------------------------------------------


def enrolment_device(user) -> TOTPDevice:
    """The authenticator being set up: an unconfirmed device, created on first need."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=False)
    return device


def two_factor_enrol_confirm(*, request, code: str) -> bool:
    """Confirm the authenticator with its first code; the session counts as verified."""
    from django.db import transaction
    from django_otp import login as otp_login

    from voronka.access.services import audit_record

    user = request.user
    device = enrolment_device(user)
    if not device.verify_token(code.strip()):
        audit_record(action="two_factor.enrol_failed", request=request, obj=user)
        return False
    with transaction.atomic():
        TOTPDevice.objects.devices_for_user(user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit_record(action="two_factor.enrol", request=request, obj=user)
    otp_login(request, device)
    second_factor_settled(request)
    return True


def two_factor_verify(*, request, code: str) -> bool:
    """Check a code after the password; failures are audited and throttled by django-otp."""
    from django_otp import login as otp_login

    from voronka.access.services import audit_record

    user = request.user
    device = confirmed_device(user)
    if device is None or not device.verify_token(code.strip()):
        audit_record(action="auth.second_factor_failed", request=request, obj=user)
        return False
    otp_login(request, device)
    second_factor_settled(request)
    audit_record(action="auth.second_factor", request=request, obj=user)
    return True


def two_factor_disable(*, request, code: str) -> bool:
    """Remove the authenticator after one more valid code; refused while a role requires it."""
    from voronka.access.services import audit_record

    user = request.user
    device = confirmed_device(user)
    if device is None or roles_requiring_two_factor(user) or not device.verify_token(code.strip()):
        return False
    TOTPDevice.objects.devices_for_user(user).delete()
    audit_record(action="two_factor.disable", request=request, obj=user)
    return True
