from django.urls import path

from . import views

urlpatterns = [
    path("items/<int:pk>/", views.application_detail, name="application-detail"),
]
