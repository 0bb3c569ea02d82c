from django.urls import path

from . import views

app_name = "exams"

urlpatterns = [
    path("<int:exam_id>/availability/", views.availability, name="availability"),
    path("<int:exam_id>/availability.json", views.availability_json, name="availability-json"),
]
