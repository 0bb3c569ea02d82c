from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("signup/", views.signup_agreement, name="signup-agreement"),
    path("signup/notice/", views.signup_notice, name="signup-notice"),
    path("signup/form/", views.signup_form, name="signup-form"),
    path("signup/confirm/", views.signup_confirm, name="signup-confirm"),
    path("signup/verify/", views.signup_verify, name="signup-verify"),
    path("signup/done/", views.signup_done, name="signup-done"),
    path("login/institution/", views.InstitutionLoginView.as_view(), name="login-institution"),
    path("recover/", views.recover_index, name="recover"),
    path("recover/sms/", views.recover_sms, name="recover-sms"),
    path("recover/sms/reset/", views.recover_sms_reset, name="recover-sms-reset"),
    path("recover/question/", views.recover_question, name="recover-question"),
    path("recover/question/answer/", views.recover_question_answer, name="recover-question-answer"),
    path("recover/username/", views.recover_username, name="recover-username"),
    path("home/", views.home, name="home"),
    path("profile/", views.profile, name="profile"),
    path("profile/mobile/", views.mobile_change, name="mobile-change"),
    path("profile/security-question/", views.security_question, name="security-question"),
    path("profile/email/", views.email_change, name="email-change"),
    path("profile/email/confirm/", views.email_change_confirm, name="email-change-confirm"),
    path("profile/education/add/", views.education_edit, name="education-add"),
    path("profile/education/<int:pk>/", views.education_edit, name="education-edit"),
    path("profile/education/<int:pk>/delete/", views.education_delete, name="education-delete"),
    path("profile/qualifications/add/", views.qualification_edit, name="qualification-add"),
    path("profile/qualifications/<int:pk>/", views.qualification_edit, name="qualification-edit"),
    path("profile/qualifications/<int:pk>/delete/", views.qualification_delete, name="qualification-delete"),
    path("dev/outbox/", views.outbox, name="outbox"),
    path("dev/sms-outbox/", views.outbox, name="sms-outbox"),
]
