"""Sign-ins and failed attempts go to the audit log; the sign-in also decides whether a
second factor is still owed in this session."""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from voronka.access.services import audit_record
from voronka.access.two_factor import mark_session_after_sign_in


@receiver(user_logged_in, dispatch_uid="access_audit_sign_in")
def record_sign_in(sender, request, user, **kwargs):
    audit_record(action="auth.login", actor=user, request=request, obj=user)
    if request is not None and hasattr(request, "session"):
        mark_session_after_sign_in(request, user)


@receiver(user_login_failed, dispatch_uid="access_audit_sign_in_failure")
def record_sign_in_failure(sender, credentials, request=None, **kwargs):
    # Django has already masked secrets in ``credentials``; only the login is kept.
    username = str(credentials.get("username", ""))[:150]
    audit_record(
        action="auth.login_failed",
        request=request,
        actor=None,
        object_type="staff.user",
        object_repr=username,
        details={"username": username},
    )
