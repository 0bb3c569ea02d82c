from django.urls import path

from . import review_views

urlpatterns = [
    path("evaluate/<int:pk>/", review_views.evaluation, name="evaluation"),
]
