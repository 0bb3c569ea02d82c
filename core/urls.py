from django.urls import path

from . import inbox_views as views

app_name = "inbox"

urlpatterns = [
    path("", views.notification_list, name="notification-list"),
    path("<int:pk>/", views.notification_detail, name="notification-detail"),
    path("read-all/", views.notification_mark_all_read, name="notification-mark-all-read"),
    path("settings/", views.notification_preferences, name="notification-preferences"),
]
