from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.views.generic import RedirectView, TemplateView

from core.views import healthz, switched_off

# Staff log in through the same page as everybody (captcha, lockout), not admin's own form.
admin.site.login = login_required(admin.site.login)
admin.site.site_header = admin.site.site_title = settings.SITE_NAME

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("captcha/", include("captcha.urls")),
    # Our sign-up wizard and candidate area first; allauth provides login, logout, e-mail
    # confirmation, password change and reset under the same prefix (tests/accounts/test_allauth_routes.py).
    path("accounts/", include("accounts.urls")),
    # allauth routes this product does not offer. An e-mail address changes only through
    # accounts:email-change (codes to the old and the new address, one address per account):
    # allauth's page for adding addresses and making one primary is replaced by a redirect there.
    path("accounts/email/", RedirectView.as_view(pattern_name="accounts:email-change"), name="account_email"),
    path("accounts/password/set/", switched_off),  # every account has a password
    path("accounts/reauthenticate/", switched_off),  # nothing here asks to re-authenticate
    path("accounts/login/code/confirm/", switched_off),  # no login by e-mailed code
    path("accounts/", include("allauth.urls")),
    path("photos/", include("photos.urls")),
    path("enroll/", include("registration.urls")),
    path("exams/", include("exams.urls")),
    path("pay/", include("payments.urls")),
    path("sandbox-pay/", include("payments.sandbox.urls")),
    path("staff/", include("config.staff_urls")),
    path("messages/", include("core.urls")),  # 消息中心 (SPEC G9)
    path("certification/", include("certification.urls")),  # 认证人员 (SPEC G)
    path("verify/", include("certification.urls_public")),  # public certificate verification (G10)
    path("training/expert/", include(("training.urls_expert", "training_expert"))),  # 专家评价 (SPEC H5, H6)
    path("training/", include("training.urls")),  # 培训课程管理: teachers and training institutions (SPEC H1–H5)
    path("admin/", admin.site.urls),
]
