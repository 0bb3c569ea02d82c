from django.urls import path

from . import views

app_name = "paysandbox"

urlpatterns = [
    path("gateway/", views.gateway, name="gateway"),
    path("checkout/<str:trade_no>/pay/", views.pay, name="pay"),
    path("checkout/<str:trade_no>/back/", views.back, name="back"),
    path("api/query", views.query, name="query"),
    path("api/refund", views.refund, name="refund"),
]
