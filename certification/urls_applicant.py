"""The applicant's pages (个人中心): 在线申请, 我的事项, 基本信息库, 我的证书 and supporting files."""
from django.urls import path

from . import views

urlpatterns = [
    path("apply/", views.apply_index, name="apply"),
    path("apply/annual/", views.annual, name="annual"),
    path("apply/<slug:kind>/", views.application_start, name="application-start"),
    path("items/", views.my_items, name="my-items"),
    path("items/<int:pk>/", views.application_detail, name="application-detail"),
    path("items/<int:pk>/edit/", views.application_edit, name="application-edit"),
    path("items/<int:pk>/submit/", views.application_submit, name="application-submit"),
    path("items/<int:pk>/withdraw/", views.application_withdraw, name="application-withdraw"),
    path("items/<int:pk>/add/<slug:kind>/", views.item_add, name="item-add"),
    path("items/<int:pk>/from-library/<slug:kind>/", views.item_pick, name="item-pick"),
    path("items/<int:pk>/items/<int:item_pk>/remove/", views.item_remove, name="item-remove"),
    path("items/<int:pk>/files/", views.evidence_upload, name="evidence-upload"),
    path("files/<int:pk>/", views.evidence, name="evidence"),
    path("files/<int:pk>/remove/", views.evidence_remove, name="evidence-remove"),
    path("library/", views.library, name="library"),
    path("library/<slug:kind>/add/", views.library_edit, name="library-add"),
    path("library/<slug:kind>/<int:pk>/", views.library_edit, name="library-edit"),
    path("library/<slug:kind>/<int:pk>/delete/", views.library_delete, name="library-delete"),
    path("certificates/", views.my_certificates, name="my-certificates"),
]
