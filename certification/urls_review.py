from django.urls import path

from . import review_views

urlpatterns = [
    # 机构用户: 待审核, the review page, their people and certificates.
    path("review/", review_views.review_list, name="review-list"),
    path("review/all/", review_views.review_history, name="review-history"),
    path("review/<int:pk>/", review_views.review_detail, name="review-detail"),
    path("institution/people/", review_views.institution_people, name="institution-people"),
    path("institution/certificates/", review_views.institution_certificates, name="institution-certificates"),
    # 专家评价: the expert's queue and the evaluation page (the notices link to `evaluation`).
    path("evaluate/", review_views.evaluation_list, name="evaluation-list"),
    path("evaluate/<int:pk>/", review_views.evaluation, name="evaluation"),
]
