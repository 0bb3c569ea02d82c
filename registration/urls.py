from django.urls import path

from . import views

app_name = "registration"

urlpatterns = [
    path("", views.exam_list, name="exam-list"),
    path("mine/", views.my_enrollments, name="my-enrollments"),
    path("my-exams/", views.my_exams, name="my-exams"),
    path("score-review/", views.score_review, name="score-review"),
    path("<int:pk>/registration-form.pdf", views.registration_form_pdf, name="registration-form-pdf"),
    path("<int:pk>/admission-ticket.pdf", views.admission_ticket_pdf, name="admission-ticket-pdf"),
    path("exams/<int:exam_id>/notice/", views.exam_notice, name="exam-notice"),
    path("<int:pk>/", views.enrollment_progress, name="enrollment-progress"),
    path("<int:pk>/info/", views.enrollment_info, name="enrollment-info"),
    path("<int:pk>/subjects/", views.enrollment_subjects, name="enrollment-subjects"),
    path("<int:pk>/area/", views.enrollment_area, name="enrollment-area"),
    path("<int:pk>/confirm/", views.enrollment_confirm, name="enrollment-confirm"),
    path("<int:pk>/withdraw-confirmation/", views.enrollment_withdraw_confirmation,
         name="enrollment-withdraw-confirmation"),
    path("<int:pk>/withdraw/", views.enrollment_withdraw, name="enrollment-withdraw"),
]
