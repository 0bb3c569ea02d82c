from django.urls import path

from . import fee_views

urlpatterns = [
    path("items/<int:pk>/fee/", fee_views.fee, name="fee"),
    path("vouchers/<int:pk>/file/", fee_views.voucher_file, name="voucher-file"),
    path("certificates/<int:pk>/pdf/", fee_views.certificate_pdf, name="certificate-pdf"),
]
