from django.urls import path

from certification import review_views as certification_views
from payments import dashboard
from registration import staff_views
from training import staff_views as training_views

app_name = "staff"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("rosters/", staff_views.roster, name="roster"),
    path("rosters/<int:pk>/download/", staff_views.export_download, name="export-download"),
    path("certification/", certification_views.stages, name="certification-stages"),
    path("training/plans/", training_views.plan_calendar, name="training-plans"),
]
