"""认证人员 pages: the applicant's (urls_applicant), the reviewers' (urls_review: institutions,
experts) and the fees' (urls_fees: vouchers, online payment); the public verification page is
urls_public, at /verify/."""
from . import urls_applicant, urls_fees, urls_review

app_name = "certification"

urlpatterns = urls_applicant.urlpatterns + urls_review.urlpatterns + urls_fees.urlpatterns
