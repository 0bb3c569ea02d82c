from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.views.generic import TemplateView

from core.views import healthz

# Staff log in through the same page as everybody (captcha, lockout), not admin's own form.
admin.site.login = login_required(admin.site.login)
admin.site.site_header = admin.site.site_title = settings.SITE_NAME

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("captcha/", include("captcha.urls")),
    # Our sign-up wizard and candidate area first; allauth provides login, logout, e-mail
    # confirmation, password change and reset under the same prefix.
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("photos/", include("photos.urls")),
    path("enroll/", include("registration.urls")),
    path("exams/", include("exams.urls")),
    path("pay/", include("payments.urls")),
    path("sandbox-pay/", include("payments.sandbox.urls")),
    path("staff/", include("config.staff_urls")),
    path("admin/", admin.site.urls),
]
