"""The notifications page, marking read and the bell's refresh. Everyone sees only their own
notifications: another employee's id answers 404."""

from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django_htmx.http import trigger_client_event

from voronka.notifications import selectors, services

CHANGED = "notifications-changed"


def _offset(request) -> int:
    try:
        return max(0, int(request.GET.get("offset") or 0))
    except ValueError:
        return 0


class NotificationListView(View):
    """``/notifications/``: unread first, newest first; ``?offset=`` loads the next page into
    the list (htmx)."""

    def get(self, request):
        offset = _offset(request)
        notifications, next_offset = selectors.notification_page(user=request.user, offset=offset)
        context = {"notifications": notifications, "next_offset": next_offset}
        if request.htmx and offset:
            return render(request, "notifications/_page.html", context)
        return render(request, "notifications/list.html", context)


class NotificationOpenView(View):
    """Follow a notification: it is marked read and leads to its card or link."""

    def get(self, request, pk):
        notification = selectors.notification_of(user=request.user, pk=pk)
        if notification is None:
            raise Http404
        if notification.read_at is None:
            services.mark_read(user=request.user, notification_id=notification.pk)
        target = selectors.target_url(notification)
        if not target or not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = reverse("notifications:list")
        return HttpResponseRedirect(target)


class NotificationReadView(View):
    """Mark one notification read; htmx gets the row back as read."""

    def post(self, request, pk):
        notification = selectors.notification_of(user=request.user, pk=pk)
        if notification is None:
            raise Http404
        services.mark_read(user=request.user, notification_id=notification.pk)
        notification = selectors.notification_of(user=request.user, pk=pk)
        notification.target = selectors.target_url(notification)
        response = render(request, "notifications/_item.html", {"notification": notification})
        trigger_client_event(response, CHANGED)
        return response


class NotificationReadAllView(View):
    def post(self, request):
        services.mark_all_read(user=request.user)
        if not request.htmx:
            return HttpResponseRedirect(reverse("notifications:list"))
        notifications, next_offset = selectors.notification_page(user=request.user)
        response = render(
            request,
            "notifications/_list.html",
            {"notifications": notifications, "next_offset": next_offset},
        )
        trigger_client_event(response, CHANGED)
        return response


class BellView(View):
    """The bell alone, for its refresh after a change and every minute."""

    def get(self, request):
        from voronka.notifications.templatetags.notifications import bell_context

        response = render(request, "notifications/_bell.html", bell_context(request.user))
        return response
