"""Roles (SPEC A9) are groups with permissions, kept in step with this table after every migrate."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CANDIDATE = "candidate", _("Candidate")
    INSTITUTION_USER = "institution_user", _("Institution user")
    EXPERT = "expert", _("Expert")
    ASSOCIATION_STAFF = "association_staff", _("Association staff")
    PROVINCIAL_AUTHORITY = "provincial_authority", _("Provincial exam authority")
    EXAM_ADMINISTRATOR = "exam_administrator", _("Exam administrator")


# Roles that open Django admin: giving one sets is_staff; taking the last one away clears it.
STAFF_ROLES = frozenset({Role.ASSOCIATION_STAFF, Role.PROVINCIAL_AUTHORITY, Role.EXAM_ADMINISTRATOR})

# Who may give or take a role (分配角色). Candidate-side roles: holders of assign_candidate_roles
# (association staff). Staff roles: holders of assign_staff_roles, which no role carries, so only a
# superuser, or a person a superuser gave that permission to, makes someone staff. Superuser status,
# is_staff by hand and direct permissions: superusers only (services.user_privileges_set).
ASSIGN_PERMISSION: dict[str, str] = {
    Role.CANDIDATE: "accounts.assign_candidate_roles",
    Role.INSTITUTION_USER: "accounts.assign_candidate_roles",
    Role.EXPERT: "accounts.assign_candidate_roles",
    Role.ASSOCIATION_STAFF: "accounts.assign_staff_roles",
    Role.PROVINCIAL_AUTHORITY: "accounts.assign_staff_roles",
    Role.EXAM_ADMINISTRATOR: "accounts.assign_staff_roles",
}


def assignable_roles(user) -> list[str]:
    """The roles `user` may give and take, in the order of Role."""
    return [role for role in Role.values if user.has_perm(ASSIGN_PERMISSION[role])]


# app_label.codename; a codename that does not exist (yet) is skipped, so later apps add theirs here.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.CANDIDATE: [],
    Role.INSTITUTION_USER: [],
    Role.EXPERT: [],
    Role.ASSOCIATION_STAFF: [
        "photos.view_photo",
        "photos.change_photo",
        "exams.view_exam",
        "exams.view_seatquota",
        "exams.view_seatrelease",
        "registration.view_enrollment",
        "registration.change_enrollment",
        "payments.view_order",
        "payments.view_payment",
        "payments.view_refund",
        "payments.change_refund",
        "payments.view_invoice",
        "accounts.view_dishonestrecord",
        "accounts.add_dishonestrecord",
        "accounts.change_dishonestrecord",
        "accounts.view_user",
        "accounts.change_user",
        "accounts.view_institution",
        "accounts.add_institution",
        "accounts.change_institution",
        "accounts.view_educationrecord",
        "accounts.change_educationrecord",
        "accounts.view_qualification",
        "accounts.assign_candidate_roles",
        "core.view_auditentry",
        # 认证人员 (SPEC G): the association reviews, assigns experts, decides, manages certificates.
        "certification.view_application", "certification.change_application",
        "certification.view_applicationitem", "certification.view_evidence", "certification.view_evaluation",
        "certification.view_certificate", "certification.change_certificate",
        "certification.view_paymentvoucher", "certification.change_paymentvoucher",
        "certification.view_practicingrelation", "certification.view_field", "certification.view_level",
        "certification.view_track", "certification.add_track", "certification.change_track",
        # Configuring fields and levels, and reading the library and the experts' verdicts behind a decision.
        "certification.add_field", "certification.change_field", "certification.add_level",
        "certification.change_level", "certification.view_itemverdict", "certification.view_workexperience",
        "certification.view_auditexperience", "certification.view_trainingrecord",
        # 培训 (SPEC H): bindings, course filings, unbindings and plans reviewed; categories and
        # evaluation criteria maintained; material evaluations assigned and re-reviews opened.
        "training.view_coursecategory", "training.add_coursecategory", "training.change_coursecategory",
        "training.view_teacherbinding", "training.change_teacherbinding",
        "training.view_course", "training.change_course", "training.view_courseteacher",
        "training.view_unbinding", "training.change_unbinding", "training.view_trainingplan",
        "training.view_planteacher", "training.view_coursematerial",
        "training.view_evaluationcriterion", "training.add_evaluationcriterion",
        "training.change_evaluationcriterion",
        "training.view_materialevaluation", "training.change_materialevaluation",
        # To answer candidates: their tickets, scores and score reviews (decided by exam administrators).
        "registration.view_admissionticket",
        "registration.view_score",
        "registration.view_scorereview",
        "registration.view_rosterexport",
    ],
    Role.PROVINCIAL_AUTHORITY: ["accounts.view_user", "accounts.view_educationrecord",
                                "registration.view_enrollment", "registration.change_enrollment",
                                "registration.view_rosterexport"],
    Role.EXAM_ADMINISTRATOR: [
        "accounts.view_user",
        "core.view_auditentry",
        "exams.view_exam", "exams.add_exam", "exams.change_exam",
        "exams.view_subject", "exams.add_subject", "exams.change_subject",
        "exams.view_sitting", "exams.add_sitting", "exams.change_sitting",
        "exams.view_area", "exams.add_area", "exams.change_area",
        "exams.view_venue", "exams.add_venue", "exams.change_venue",
        "exams.view_seatquota", "exams.add_seatquota", "exams.change_seatquota",
        "exams.view_seatrelease", "exams.add_seatrelease", "exams.change_seatrelease",
        "registration.view_enrollment",
        "photos.view_photo",
        "payments.view_order",
        # Running the exam (SPEC F1): allocate admission tickets, import scores, decide score reviews,
        # and their roster exports.
        "registration.view_admissionticket", "registration.add_admissionticket",
        "registration.view_score", "registration.add_score",
        "registration.view_scorereview", "registration.change_scorereview",
        "registration.view_rosterexport",
    ],
}


def sync_roles() -> None:
    from django.contrib.auth.models import Group, Permission

    for role, perms in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".", 1)
            wanted += list(Permission.objects.filter(content_type__app_label=app_label, codename=codename))
        group.permissions.set(wanted)


def sync_after_migrate(sender, **kwargs):
    """Run once per migrate, after the last app has created its permissions."""
    from django.apps import apps

    with_models = [config for config in apps.get_app_configs() if config.models_module is not None]
    if with_models and sender.label == with_models[-1].label:
        sync_roles()
