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


# ---- Cards moved to the recycle bin and back -------------------------------------------------
# Every path (card page, bulk action, API, robots) publishes these domain events, so the audit
# log hears of each deletion and restore here, once the change has committed.

RECYCLE_EVENTS = {
    # event class path: (audit action, model label, id attribute)
    "voronka.sales.events.LeadDeleted": ("card.delete", "sales.Lead", "lead_id"),
    "voronka.sales.events.LeadRestored": ("card.restore", "sales.Lead", "lead_id"),
    "voronka.sales.events.DealDeleted": ("card.delete", "sales.Deal", "deal_id"),
    "voronka.sales.events.DealRestored": ("card.restore", "sales.Deal", "deal_id"),
    "voronka.contacts.events.ContactDeleted": ("card.delete", "contacts.Contact", "contact_id"),
    "voronka.contacts.events.ContactRestored": ("card.restore", "contacts.Contact", "contact_id"),
    "voronka.contacts.events.CompanyDeleted": ("card.delete", "contacts.Company", "company_id"),
    "voronka.contacts.events.CompanyRestored": ("card.restore", "contacts.Company", "company_id"),
}


def _recycle_handler(action: str, model_label: str, id_attribute: str):
    def record(event) -> None:
        from django.apps import apps

        from voronka.staff.models import User

        model = apps.get_model(model_label)
        card = model._base_manager.filter(pk=getattr(event, id_attribute)).first()
        actor = User.objects.filter(pk=event.actor_id).first() if event.actor_id else None
        audit_record(
            action=action,
            actor=actor,
            object_type=model._meta.label_lower,
            object_id=getattr(event, id_attribute),
            object_repr=str(card) if card is not None else "",
        )

    record.__name__ = f"audit_{action.replace('.', '_')}_{model_label.replace('.', '_')}"
    return record


def subscribe_recycle_events() -> None:
    from django.utils.module_loading import import_string

    from voronka.core.events import subscribe

    for path, (action, model_label, id_attribute) in RECYCLE_EVENTS.items():
        subscribe(import_string(path), _recycle_handler(action, model_label, id_attribute))


subscribe_recycle_events()
