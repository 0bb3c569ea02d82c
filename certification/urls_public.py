from django.urls import path

from . import verify_views

app_name = "verify"

urlpatterns = [
    path("", verify_views.verify, name="verify"),
    path("<str:token>/", verify_views.token, name="token"),
]
