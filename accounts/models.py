from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from core import crypto
from core.masking import mask_id_number, mask_mobile
from core.models import TimeStampedModel
from core.regions import Province


class IdType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("Resident ID card")
    RESIDENCE_PERMIT = "residence_permit", _("Residence permit for Hong Kong, Macao and Taiwan residents")
    PASSPORT = "passport", _("Passport")
    HK_MACAO_PERMIT = "hk_macao_permit", _("Mainland travel permit for Hong Kong and Macao residents")
    TAIWAN_PERMIT = "taiwan_permit", _("Mainland travel permit for Taiwan residents")
    MILITARY_OFFICER = "military_officer", _("Military officer card")


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class UserKind(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    INSTITUTION = "institution", _("Institution")


class VerificationStatus(models.TextChoices):
    """Real-name, education and degree checks (SPEC A8)."""

    UNVERIFIED = "unverified", _("Unverified")
    AUTO_VERIFIED = "auto_verified", _("Verified automatically")
    ONLINE_REVIEW = "online_review", _("Waiting for online review")
    ONSITE_REVIEW = "onsite_review", _("On-site review required")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", _("Rejected")


class InstitutionKind(models.TextChoices):
    CERTIFICATION_BODY = "certification_body", _("Certification body")
    TRAINING_INSTITUTION = "training_institution", _("Training institution")


class Institution(TimeStampedModel):
    """A certification body or training institution whose staff log in as institution users."""

    name = models.CharField(_("name"), max_length=200)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    kind = models.CharField(_("kind"), max_length=30, choices=InstitutionKind.choices)
    province = models.CharField(_("province"), max_length=2, choices=Province.choices)
    address = models.CharField(_("address"), max_length=200, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=InstitutionKind.values), name="institution_kind_valid"
            ),
        ]

    def __str__(self):
        return self.name


class User(AbstractUser):
    """An account. Real name and ID are fixed after sign-up; staff correct them in admin."""

    first_name = None
    last_name = None

    name = models.CharField(_("real name"), max_length=60)
    kind = models.CharField(_("account kind"), max_length=20, choices=UserKind.choices, default=UserKind.INDIVIDUAL)
    institution = models.ForeignKey(
        Institution, verbose_name=_("institution"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="users",
    )
    province = models.CharField(
        _("province"), max_length=2, choices=Province.choices, blank=True,
        help_text=_("For provincial exam authority staff: the only province they may see."),
    )
    id_type = models.CharField(_("ID type"), max_length=30, choices=IdType.choices, blank=True)
    id_number_encrypted = models.TextField(_("ID number (encrypted)"), blank=True, editable=False)
    id_number_hash = models.CharField(_("ID number hash"), max_length=64, blank=True, db_index=True, editable=False)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    mobile_verified_at = models.DateTimeField(_("mobile verified at"), null=True, blank=True)
    identity_status = models.CharField(
        _("real-name verification"), max_length=20, choices=VerificationStatus.choices,
        default=VerificationStatus.UNVERIFIED,
    )
    security_question = models.CharField(_("security question"), max_length=100, blank=True)
    security_answer_hash = models.CharField(_("security answer (hashed)"), max_length=200, blank=True, editable=False)
    agreement_accepted_at = models.DateTimeField(_("agreement accepted at"), null=True, blank=True)

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        permissions = [
            ("view_full_id_number", _("Can view full ID numbers")),
            ("assign_candidate_roles", _("Can give and take the roles candidate, institution user and expert")),
            ("assign_staff_roles", _("Can give and take the roles association staff, provincial exam authority "
                                     "and exam administrator")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["id_type", "id_number_hash"], condition=~Q(id_number_hash=""),
                name="user_identity_unique",
                violation_error_message=_("An account with this ID number already exists."),
            ),
            models.UniqueConstraint(
                Lower("username"), name="user_username_unique_ci",
                violation_error_message=_("This username is taken."),
            ),
            models.UniqueConstraint(
                fields=["mobile"], condition=~Q(mobile=""), name="user_mobile_unique",
                violation_error_message=_("This mobile number is already bound to another account."),
            ),
            models.UniqueConstraint(
                Lower("email"), condition=~Q(email=""), name="user_email_unique_ci",
                violation_error_message=_("This e-mail address is already used by another account."),
            ),
            models.CheckConstraint(condition=Q(kind__in=UserKind.values), name="user_kind_valid"),
            models.CheckConstraint(
                condition=Q(id_type__in=IdType.values) | Q(id_type=""), name="user_id_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(identity_status__in=VerificationStatus.values), name="user_identity_status_valid"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.username})" if self.name else self.username

    @property
    def id_number(self) -> str:
        """The full number: only for the owner's own documents and audited staff reveals."""
        return crypto.decrypt(self.id_number_encrypted)

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def mobile_masked(self) -> str:
        return mask_mobile(self.mobile)

    def set_id_number(self, number: str) -> None:
        self.id_number_encrypted = crypto.encrypt(number)
        self.id_number_hash = crypto.keyed_hash(number)


class EducationLevel(models.TextChoices):
    DOCTORATE = "doctorate", _("Doctoral graduate")
    MASTER = "master", _("Master's graduate")
    BACHELOR = "bachelor", _("Undergraduate (bachelor)")
    JUNIOR_COLLEGE = "junior_college", _("Junior college")
    SECONDARY = "secondary", _("Secondary vocational school")
    HIGH_SCHOOL = "high_school", _("High school")
    OTHER = "other", _("Other")


class DegreeLevel(models.TextChoices):
    NONE = "none", _("No degree")
    BACHELOR = "bachelor", _("Bachelor")
    MASTER = "master", _("Master")
    DOCTOR = "doctor", _("Doctor")


class EducationRecord(TimeStampedModel):
    """学历 / 学位: at least one per individual account."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="education_records")
    level = models.CharField(_("education"), max_length=20, choices=EducationLevel.choices)
    degree = models.CharField(_("degree"), max_length=20, choices=DegreeLevel.choices, default=DegreeLevel.NONE)
    school = models.CharField(_("school"), max_length=100)
    major = models.CharField(_("major"), max_length=100)
    graduated_on = models.DateField(_("graduation date"))
    certificate_number = models.CharField(_("certificate number"), max_length=50, blank=True)
    verification_status = models.CharField(
        _("verification"), max_length=20, choices=VerificationStatus.choices, default=VerificationStatus.UNVERIFIED
    )

    class Meta:
        verbose_name = _("education record")
        verbose_name_plural = _("education records")
        ordering = ["-graduated_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(level__in=EducationLevel.values), name="education_level_valid"),
            models.CheckConstraint(condition=Q(degree__in=DegreeLevel.values), name="education_degree_valid"),
        ]

    def __str__(self):
        return f"{self.get_level_display()} · {self.school} · {self.major}"


class Qualification(TimeStampedModel):
    """Professional qualifications (附加信息 / 专业技术资格)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="qualifications")
    name = models.CharField(_("qualification"), max_length=100)
    certificate_number = models.CharField(_("certificate number"), max_length=50, blank=True)
    issuer = models.CharField(_("issued by"), max_length=100, blank=True)
    issued_on = models.DateField(_("issue date"), null=True, blank=True)

    class Meta:
        verbose_name = _("professional qualification")
        verbose_name_plural = _("professional qualifications")
        ordering = ["-issued_on", "id"]

    def __str__(self):
        return self.name


class CodeChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")


class CodePurpose(models.TextChoices):
    SIGNUP = "signup", _("sign-up")
    RESET_PASSWORD = "reset_password", _("password reset")
    CHANGE_MOBILE = "change_mobile", _("mobile change")
    CHANGE_EMAIL_OLD = "change_email_old", _("e-mail change (current address)")
    CHANGE_EMAIL_NEW = "change_email_new", _("e-mail change (new address)")


class VerificationCode(models.Model):
    """The one current code of an address (mobile or e-mail), stored hashed.

    One row per address makes 'one send per two minutes' a row lock, not a race."""

    channel = models.CharField(max_length=10, choices=CodeChannel.choices)
    address = models.CharField(max_length=254)
    purpose = models.CharField(max_length=30, choices=CodePurpose.choices)
    code_hash = models.CharField(max_length=64)
    sent_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    consumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("verification code")
        verbose_name_plural = _("verification codes")
        constraints = [
            models.UniqueConstraint(fields=["channel", "address"], name="verification_code_one_per_address"),
        ]

    def __str__(self):
        return f"{self.channel}:{self.address} ({self.purpose})"


class FailureKind(models.TextChoices):
    LOGIN = "login", _("login")
    SECURITY_ANSWER = "security_answer", _("security answer")


class AuthFailure(models.Model):
    """A failed login or security answer, counted per account and per address for lockout."""

    kind = models.CharField(max_length=20, choices=FailureKind.choices, default=FailureKind.LOGIN)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    identifier = models.CharField(max_length=254, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("authentication failure")
        verbose_name_plural = _("authentication failures")
        indexes = [
            models.Index(fields=["kind", "user", "created_at"]),
            models.Index(fields=["kind", "ip_address", "created_at"]),
        ]


class SmsMessage(models.Model):
    """The outbox SMS backend's sent messages: what tests and the demo read."""

    mobile = models.CharField(max_length=20, db_index=True)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("SMS message (outbox)")
        verbose_name_plural = _("SMS outbox")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.mobile}: {self.text[:30]}"


class OutboxEmail(models.Model):
    """The outbox mail backend's sent e-mails (accounts.mail): what the demo's outbox page shows."""

    to = models.TextField(_("to"))
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("body"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("e-mail (outbox)")
        verbose_name_plural = _("e-mail outbox")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.to}: {self.subject[:30]}"


class DishonestRecord(TimeStampedModel):
    """失信人员 (SPEC A10): a listed person sees a warning and the enrollment goes to manual review."""

    id_number_hash = models.CharField(_("ID number hash"), max_length=64, unique=True, editable=False)
    id_number_masked = models.CharField(_("ID number"), max_length=40, editable=False)
    name = models.CharField(_("name"), max_length=60)
    reason = models.TextField(_("reason"))
    listed_until = models.DateField(_("listed until"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("dishonest-person record")
        verbose_name_plural = _("dishonest-person list")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} {self.id_number_masked}"
