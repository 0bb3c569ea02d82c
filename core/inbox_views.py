"""消息中心: the inbox of any logged-in user (candidates, institution users, experts, staff)."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import notifications
from .exceptions import DomainError
from .forms import NotificationPreferencesForm

PAGE_SIZE = 20


def _layout(user) -> str:
    """Staff get the plain layout; everybody else the candidate area with its side menu."""
    return "base.html" if user.is_staff else "candidate_base.html"


@login_required
def notification_list(request):
    page = Paginator(notifications.inbox(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "core/notification_list.html", {"page": page, "layout": _layout(request.user)})


@login_required
def notification_detail(request, pk: int):
    notification = notifications.notification_for(request.user, pk)
    if notification is None:
        raise Http404("no such message")
    notifications.notification_open(notification=notification, actor=request.user)
    return render(request, "core/notification_detail.html",
                  {"notification": notification, "layout": _layout(request.user)})


@login_required
@require_POST
def notification_mark_all_read(request):
    count = notifications.notifications_mark_all_read(user=request.user)
    if count:
        messages.success(request, _("All messages are marked as read."))
    return redirect("inbox:notification-list")


@login_required
def notification_preferences(request):
    current = notifications.preferences_for(request.user)
    form = NotificationPreferencesForm(request.POST if request.method == "POST" else None, initial={
        "email": current.email, "sms": current.sms, "language": current.language})
    if request.method == "POST" and form.is_valid():
        try:
            notifications.notification_preferences_set(user=request.user, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Your message settings were saved."))
            return redirect("inbox:notification-list")
    return render(request, "core/notification_preferences.html", {"form": form, "layout": _layout(request.user)})
