"""培训课程管理 pages: teachers' (课程管理 / 绑定课程类别, 课程备案管理, 培训计划管理) under teacher/, and the
training institutions' (course filings, 解除备案 requests, 培训计划) under institution/."""
from django.urls import path

from . import views

app_name = "training"

urlpatterns = [
    # Teachers (any individual user).
    path("teacher/categories/", views.binding_list, name="binding-list"),
    path("teacher/categories/bind/", views.binding_create, name="binding-create"),
    path("teacher/categories/<int:pk>/withdraw/", views.binding_withdraw, name="binding-withdraw"),
    path("teacher/courses/", views.teacher_course_list, name="teacher-course-list"),
    path("teacher/courses/<int:pk>/", views.teacher_course_detail, name="teacher-course-detail"),
    path("teacher/courses/<int:pk>/leave/", views.teacher_course_leave, name="teacher-course-leave"),
    path("teacher/courses/<int:pk>/leave/withdraw/", views.unbinding_withdraw, name="unbinding-withdraw"),
    path("teacher/plans/", views.teacher_plan_list, name="teacher-plan-list"),
    path("teacher/plans/<int:pk>/", views.teacher_plan_detail, name="teacher-plan-detail"),
    # Training institutions' users.
    path("institution/courses/", views.course_list, name="course-list"),
    path("institution/courses/new/", views.course_create, name="course-create"),
    path("institution/courses/<int:pk>/", views.course_detail, name="course-detail"),
    path("institution/courses/<int:pk>/edit/", views.course_edit, name="course-edit"),
    path("institution/courses/<int:pk>/submit/", views.course_submit, name="course-submit"),
    path("institution/courses/<int:pk>/withdraw/", views.course_withdraw, name="course-withdraw"),
    path("institution/courses/<int:pk>/materials/", views.material_add, name="material-add"),
    path("institution/courses/<int:pk>/evaluations/", views.evaluation_request, name="evaluation-request"),
    path("institution/unbindings/", views.unbinding_list, name="unbinding-list"),
    path("institution/unbindings/<int:pk>/", views.unbinding_detail, name="unbinding-detail"),
    path("institution/plans/", views.plan_list, name="plan-list"),
    path("institution/plans/new/", views.plan_create, name="plan-create"),
    path("institution/plans/<int:pk>/", views.plan_detail, name="plan-detail"),
    path("institution/plans/<int:pk>/edit/", views.plan_edit, name="plan-edit"),
    path("institution/plans/<int:pk>/report/", views.plan_report, name="plan-report"),
    path("institution/plans/<int:pk>/cancel/", views.plan_cancel, name="plan-cancel"),
]
