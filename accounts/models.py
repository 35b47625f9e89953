"""Users, roles, profiles, family links, consent, the audit log, notifications and the e-mail outbox."""
from __future__ import annotations

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .fields import EncryptedTextField


class Role(models.TextChoices):
    PATIENT = "patient", _("Patient")
    DOCTOR = "doctor", _("Doctor")
    PHARMACIST = "pharmacist", _("Pharmacist")
    COUNSELLOR = "counsellor", _("Counsellor")
    ADMIN = "admin", _("Administrator")


STAFF_ROLES = frozenset({Role.DOCTOR, Role.PHARMACIST, Role.COUNSELLOR, Role.ADMIN})


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str | None, password: str | None, **extra: object) -> User:
        email = self.normalize_email(email) if email else None
        user = self.model(email=email, **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email: str | None = None, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.update(is_staff=True, is_superuser=True, role=Role.ADMIN)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person. Log-in is by e-mail; family members a patient acts for have no log-in (`is_managed`)."""

    username = None
    email = models.EmailField(_("e-mail address"), unique=True, null=True, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.PATIENT, db_index=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    is_managed = models.BooleanField(
        _("managed by a family member"), default=False,
        help_text=_("A family member without a log-in of their own, acted for by another patient."),
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    preferred_language = models.CharField(_("language"), max_length=10, default="en")

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.email or f"#{self.pk}"

    @property
    def display_name(self) -> str:
        return str(self)

    @property
    def is_staff_role(self) -> bool:
        return self.role in STAFF_ROLES


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class PatientProfile(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="patient_profile")
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    # Encrypted at rest (PIPL: needed to call the patient, never to search by): accounts.fields.
    phone = EncryptedTextField(_("phone"), blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    region = models.CharField(_("province or region"), max_length=64, blank=True)
    emergency_contact_name = models.CharField(_("emergency contact"), max_length=150, blank=True)
    emergency_contact_phone = EncryptedTextField(_("emergency contact phone"), blank=True)

    class Meta:
        verbose_name = _("patient profile")

    def __str__(self) -> str:
        return str(self.user)


class DoctorProfile(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="doctor_profile")
    # A string reference, not an import: accounts depends on no other app's code.
    department = models.ForeignKey(
        "consult.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="doctors",
        verbose_name=_("department"),
    )
    title = models.CharField(pgettext_lazy("doctor", "title"), max_length=100, blank=True)
    specialties = models.CharField(_("specialties"), max_length=255, blank=True)
    languages = models.CharField(_("languages"), max_length=100, blank=True, default="English, 中文")
    licence_number = models.CharField(_("licence number"), max_length=50, unique=True)
    bio = models.TextField(_("biography"), blank=True)
    fee = models.DecimalField(_("consultation fee (CNY)"), max_digits=8, decimal_places=2, default=0)
    # The year the doctor started practising (public profile: "years in practice"); blank when not given.
    practising_since = models.PositiveSmallIntegerField(_("practising since (year)"), null=True, blank=True)

    class Meta:
        verbose_name = _("doctor profile")

    def __str__(self) -> str:
        return str(self.user)

    @property
    def years_in_practice(self) -> int | None:
        if not self.practising_since:
            return None
        from django.utils import timezone

        return max(0, timezone.now().year - self.practising_since)


class PharmacistProfile(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="pharmacist_profile")
    licence_number = models.CharField(_("licence number"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("pharmacist profile")

    def __str__(self) -> str:
        return str(self.user)


class CounsellorProfile(models.Model):
    """A university counsellor sees portraits only of the colleges and grades listed here."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="counsellor_profile")
    colleges = models.JSONField(_("colleges"), default=list, blank=True)
    grades = models.JSONField(_("grades"), default=list, blank=True)

    class Meta:
        verbose_name = _("counsellor profile")

    def __str__(self) -> str:
        return str(self.user)


class Relationship(models.TextChoices):
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    SPOUSE = "spouse", _("Spouse")
    OTHER = "other", _("Other relative")


class FamilyLink(models.Model):
    """`principal` may act for `member` (book, consult, read the record) — e.g. a child or an elderly parent."""

    principal = models.ForeignKey(User, on_delete=models.CASCADE, related_name="family_links")
    member = models.ForeignKey(User, on_delete=models.CASCADE, related_name="acted_for_by")
    relationship = models.CharField(_("relationship"), max_length=20, choices=Relationship.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["principal", "member"], name="familylink_unique_pair"),
            models.CheckConstraint(condition=~Q(principal=models.F("member")), name="familylink_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.principal} → {self.member}"


class ConsentKind(models.TextChoices):
    PRIVACY_NOTICE = "privacy_notice", _("I have read the privacy notice")
    DATA_PROCESSING = "data_processing", _("Processing of my health data")
    RARE_CASE_SHARING = "rare_case_sharing", _("Sharing de-identified rare cases with partner platforms")
    PORTRAITS = "portraits", _("Inclusion in behaviour portraits")


class Consent(models.Model):
    """One grant of one kind of consent. Withdrawal sets `withdrawn_at`; history is kept (PIPL art. 29)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(max_length=32, choices=ConsentKind.choices)
    version = models.CharField(max_length=20, default="2026-1")
    granted_at = models.DateTimeField(default=timezone.now)
    granted_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # At most one active grant per person and kind.
            models.UniqueConstraint(
                fields=["user", "kind"], condition=Q(withdrawn_at__isnull=True), name="consent_one_active"
            ),
        ]
        ordering = ["-granted_at"]

    def __str__(self) -> str:
        return f"{self.user} {self.kind}"


class AuditAction(models.TextChoices):
    READ = "read", _("Read")
    CREATE = "create", _("Create")
    UPDATE = "update", _("Update")
    DELETE = "delete", _("Delete")
    EXPORT = "export", _("Export")
    DENIED = "denied", _("Denied")
    LOGIN = "login", _("Log-in")
    LOGIN_FAILED = "login_failed", _("Failed log-in")
    LOGOUT = "logout", _("Log-out")
    BREAK_GLASS = "break_glass", _("Emergency access")
    GRANT = "grant", _("Access granted")
    REVOKE = "revoke", _("Access revoked")


class AuditEvent(models.Model):
    """Append-only and hash-chained: each row's hash covers its content and the previous row's hash.

    On PostgreSQL a trigger refuses UPDATE and DELETE; `manage.py audit_verify` recomputes the chain.
    """

    seq = models.BigIntegerField(unique=True, editable=False)
    at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    actor = models.ForeignKey(User, on_delete=models.DO_NOTHING, null=True, related_name="+", db_constraint=False)
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    subject = models.ForeignKey(
        User, on_delete=models.DO_NOTHING, null=True, related_name="+", db_constraint=False,
        help_text=_("Whose data it was."),
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    path = models.CharField(max_length=300, blank=True)
    outcome = models.CharField(max_length=20, default="ok")
    detail = models.JSONField(default=dict, blank=True)
    # The request (or the task queued by it) that wrote the row, as in the log lines; empty for rows written
    # before the field existed and outside any request. Covered by the hash when not empty (audit._digest).
    request_id = models.CharField(max_length=64, blank=True, default="", db_index=True, editable=False)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)

    class Meta:
        ordering = ["-seq"]
        indexes = [models.Index(fields=["subject", "-at"]), models.Index(fields=["actor", "-at"])]
        verbose_name = _("audit event")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}:{self.object_id}"


class AuditChainHead(models.Model):
    """A single row locked while appending, so two writers never chain onto the same previous hash."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit head #{self.last_seq}"


class Notification(models.Model):
    """An in-app message. `dedupe_key` makes "send once" a database guarantee for reminders."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    dedupe_key = models.CharField(max_length=120, unique=True, null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.title


class EmailStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutboundEmail(models.Model):
    """Every e-mail is first written here (in the caller's transaction) and then delivered by a task."""

    to = models.JSONField(default=list)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    html_body = models.TextField(blank=True)
    from_email = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    dedupe_key = models.CharField(max_length=120, unique=True, null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.subject


class CareRelation(models.Model):
    """A fact the care apps record (consult: an appointment that is not cancelled, a consultation, an encounter):
    `doctor` has had — or has booked — contact with `patient`, the latest at `last_contact_at` (in the future for
    a booked visit). The access policy reads it; it never decides anything by itself."""

    patient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    doctor = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    last_contact_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["patient", "doctor"], name="carerelation_unique_pair")]
        indexes = [models.Index(fields=["doctor", "last_contact_at"])]

    def __str__(self) -> str:
        return f"{self.doctor_id} ↔ {self.patient_id} ({self.last_contact_at:%Y-%m-%d})"


class CareGrant(models.Model):
    """Shared care: the patient, or a doctor treating them, lets another doctor read the record. Revocable;
    listed on the patient's access page."""

    patient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="care_grants")
    doctor = models.ForeignKey(User, on_delete=models.CASCADE, related_name="care_grants_received",
                               verbose_name=_("doctor"))
    granted_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("until"), null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        constraints = [
            # One active grant per doctor and patient: granting again while one is active is a conflict.
            models.UniqueConstraint(fields=["patient", "doctor"], condition=Q(revoked_at__isnull=True),
                                    name="caregrant_one_active"),
        ]
        ordering = ["-created_at"]
        verbose_name = _("shared-care grant")

    def __str__(self) -> str:
        return f"{self.patient_id} → {self.doctor_id}"


class BreakGlassAccess(models.Model):
    """Emergency access: a doctor (or an administrator) without a care relation opened a record, giving a
    reason. Audited as its own event, shown to the patient, and reviewed by an administrator."""

    actor = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    patient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="break_glass_accesses")
    reason = models.TextField(_("reason"))
    opened_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(_("review note"), max_length=300, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["actor", "patient", "expires_at"])]
        verbose_name = _("emergency access")
        verbose_name_plural = _("emergency accesses")

    def __str__(self) -> str:
        return f"{self.actor_id} → {self.patient_id} {self.opened_at:%Y-%m-%d %H:%M}"


class IdentityDocument(models.TextChoices):
    CITIZEN_ID = "citizen_id", _("Resident identity card (citizen ID number)")
    PASSPORT = "passport", _("Passport")


class IdentityVerification(models.Model):
    """Real-name identity of a person (patient or doctor): the legal name and one identity document. The number
    is stored encrypted (`number`), with a keyed digest that keeps one document to one person and the masked
    form that is all anyone is shown (110***********1234)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="identity")
    legal_name = models.CharField(_("legal name"), max_length=150)
    document_type = models.CharField(_("identity document"), max_length=12, choices=IdentityDocument.choices)
    number = EncryptedTextField(_("document number"))
    number_digest = models.CharField(max_length=64, unique=True, editable=False)
    number_masked = models.CharField(_("document number"), max_length=32, editable=False)
    nationality = models.CharField(_("nationality"), max_length=64, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    verified_at = models.DateTimeField(_("verified at"), default=timezone.now)
    recorded_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        verbose_name = _("identity verification")

    def __str__(self) -> str:
        return f"{self.legal_name} {self.number_masked}"


class DoctorCredential(models.Model):
    """What a doctor must have on record before taking online consultations: the registered institution
    (第一执业机构) and its consent to internet practice, and the start of independent clinical practice
    (at least 3 years ago). The practice-licence number is DoctorProfile.licence_number. Recorded by an
    administrator from the documents."""

    doctor = models.OneToOneField(User, on_delete=models.CASCADE, related_name="doctor_credential")
    institution = models.CharField(_("registered institution"), max_length=200)
    institution_consent_at = models.DateField(_("institution's consent given on"), null=True, blank=True)
    institution_consent_reference = models.CharField(_("reference of the consent"), max_length=100, blank=True)
    independent_practice_since = models.DateField(_("independent practice since"), null=True, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("doctor's credentials for online practice")
        verbose_name_plural = _("doctors' credentials for online practice")

    def __str__(self) -> str:
        return f"{self.doctor} @ {self.institution}"
