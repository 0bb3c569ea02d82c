from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from core.exceptions import DomainError

from . import policy, reasons, selectors, services
from .forms import PhotoUploadForm
from .models import PhotoStatus


def _safe_next(request) -> str:
    target = request.GET.get("next") or request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return ""


@login_required
def upload(request):
    """上传证件照片 / 修改照片: requirements, the upload, and the result as soon as it is known."""
    profile_key = request.GET.get("profile") or request.POST.get("profile") or ""
    if profile_key not in settings.PHOTO_PROFILES:
        profile_key = settings.PHOTO_DEFAULT_PROFILE
    profile = selectors.profile(profile_key)
    next_url = _safe_next(request)
    form = PhotoUploadForm(request.POST if request.method == "POST" else None,
                           request.FILES if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.photo_submit(owner=request.user, upload=form.cleaned_data["photo"], profile_key=profile_key)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.info(request, _("Your photo was received and is being checked."))
            query = urlencode({"profile": profile_key, **({"next": next_url} if next_url else {})})
            return redirect(f"{reverse('photos:upload')}?{query}")
    latest = selectors.latest_attempt(request.user)
    approved = selectors.approved_photo(request.user, profile_key)
    lock_reason = policy.lock_reason(request.user)
    rejection = selectors.unanswered_staff_rejection(request.user)
    return render(request, "photos/upload.html", {
        "form": form, "profile": profile, "profile_key": profile_key, "next_url": next_url,
        "latest": latest, "latest_reasons": reasons.describe(latest.reasons, profile) if latest else [],
        "approved": approved, "lock_reason": lock_reason,
        "staff_rejection": rejection,
        "staff_rejection_reasons": reasons.describe(rejection.reasons, selectors.profile(rejection.profile))
        if rejection else [],
        "staff_rejection_next_step": reasons.after_staff_rejection(in_force=approved is not None,
                                                                   locked=bool(lock_reason)) if rejection else "",
    })


@never_cache
@login_required
def status(request, pk):
    """Polled by the upload page until the check is done."""
    photo = selectors.photo_for_viewer(pk, request.user)
    profile = selectors.profile(photo.profile)
    return JsonResponse({
        "status": photo.status,
        "label": photo.get_status_display(),
        "done": photo.status != PhotoStatus.PENDING,
        "reasons": reasons.describe(photo.reasons, profile),
        "processed_url": reverse("photos:file", args=[photo.pk, "standard"]) if photo.processed else None,
    })


@never_cache
@login_required
def file(request, pk, kind):
    """A private photo file, for its owner and for staff only; never cached by shared caches."""
    photo = selectors.photo_for_viewer(pk, request.user)
    field = photo.processed if kind == "standard" else photo.original if kind == "original" else None
    if not field:
        raise Http404
    response = FileResponse(field.open("rb"), content_type="image/jpeg")
    if kind == "standard":
        response["Content-Disposition"] = "inline; filename*=UTF-8''%E6%8A%A5%E5%90%8D%E7%85%A7%E7%89%87.jpg"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
