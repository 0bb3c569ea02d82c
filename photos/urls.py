from django.urls import path

from . import views

app_name = "photos"

urlpatterns = [
    path("upload/", views.upload, name="upload"),
    path("<int:pk>/status.json", views.status, name="status"),
    path("<int:pk>/<str:kind>.jpg", views.file, name="file"),
]
