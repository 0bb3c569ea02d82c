from django.urls import path

from payments import dashboard
from registration import staff_views

app_name = "staff"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("rosters/", staff_views.roster, name="roster"),
    path("rosters/<int:pk>/download/", staff_views.export_download, name="export-download"),
]
