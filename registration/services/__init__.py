"""Enrollment services: the wizard and its seats (enrollment), admission tickets (tickets) and
scores (scores). Callers use `registration.services.<name>`."""
from .enrollment import *  # noqa: F401,F403
from .enrollment import (  # noqa: F401  (names other apps and the tests use)
    INFO_FIELDS,
    SeatsExhausted,
    _lock,
    _quota_ids,
    _seat_problem,
    enrollment_change_area,
    enrollment_choose_area,
    enrollment_choose_subjects,
    enrollment_confirm,
    enrollment_lock,
    enrollment_refund_seats,
    enrollment_review_decide,
    enrollment_save_info,
    enrollment_seats_give_back,
    enrollment_seats_check,
    enrollment_seats_refusal,
    enrollment_seats_sell,
    enrollment_seats_take,
    enrollment_start,
    enrollment_withdraw,
    enrollment_withdraw_confirmation,
)
from .scores import score_review_decide, score_review_request, scores_import  # noqa: F401
from .tickets import tickets_allocate  # noqa: F401
