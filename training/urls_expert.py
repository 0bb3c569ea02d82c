"""专家评价 › 网络课程评价 and 老课复审: the expert's pages, included at /training/expert/ (config/urls.py)."""
from django.urls import path

from . import expert_views

app_name = "training_expert"

urlpatterns = [
    path("online-course/", expert_views.online_course_list, name="online-course-list"),
    path("rereview/", expert_views.rereview_list, name="rereview-list"),
    path("evaluations/<int:pk>/", expert_views.evaluation, name="evaluation"),
    path("material/<int:pk>/", expert_views.material_file, name="material-file"),
]
