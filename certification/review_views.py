"""The reviewers' pages: institution users (机构初审, 转出/转入审核) and experts (专家评价)."""
from django.contrib.auth.decorators import login_required
from django.http import Http404


@login_required
def evaluation(request, pk):
    raise Http404
