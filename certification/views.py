"""The applicant's pages (个人中心: 在线申请, 我的事项, 基本信息库)."""
from django.contrib.auth.decorators import login_required
from django.http import Http404


@login_required
def application_detail(request, pk):
    raise Http404  # the page is built on top of the services (certification.services)
