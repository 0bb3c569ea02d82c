from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("enrollment/<int:pk>/", views.payment_page, name="payment-page"),
    path("enrollment/<int:pk>/order/", views.order_create, name="order-create"),
    path("enrollment/<int:pk>/change-city/", views.change_city, name="change-city"),
    path("enrollment/<int:pk>/refund/", views.refund, name="refund"),
    path("change-city/", views.change_city_index, name="change-city-index"),
    path("refund/", views.refund_index, name="refund-index"),
    path("orders/<str:number>/go/", views.order_go, name="order-go"),
    path("orders/<str:number>/cancel/", views.order_cancel, name="order-cancel"),
    path("orders/<str:number>/check/", views.order_check, name="order-check"),
    path("orders/<str:number>/return/", views.order_return, name="order-return"),
    path("invoices/<str:number>.pdf", views.invoice_pdf, name="invoice-pdf"),
    path("notify/<str:provider>/", views.notify, name="notify"),
]
