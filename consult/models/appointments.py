from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

__all__ = [
    "Department", "Slot", "SlotKind", "ONLINE_KINDS", "Appointment", "AppointmentStatus", "ACTIVE_APPOINTMENT_STATUSES",
    "WeeklySchedule", "Weekday", "ScheduleException", "AppointmentReminder", "ReminderKind",
]


class Department(models.Model):
    code = models.SlugField(unique=True)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("department")

    def __str__(self) -> str:
        return self.name_en

    @property
    def name(self) -> str:
        from django.utils.translation import get_language

        return self.name_zh if (get_language() or "").startswith("zh") else self.name_en


class SlotKind(models.TextChoices):
    ONLINE = "online", _("Online")
    IN_PERSON = "in_person", _("In person")
    # A video visit (视频问诊) is an online visit: the follow-up-only rule and the consultation thread apply.
    VIDEO = "video", _("Video")


# The kinds of visit held over the internet (text consultation or video): the follow-up-only-online rule
# (services/followup.py) and the doctor's online-practice check apply to every one of them.
ONLINE_KINDS = (SlotKind.ONLINE, SlotKind.VIDEO)


class Slot(models.Model):
    """A bookable period of one doctor's time, generated from the weekly schedule."""

    doctor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="slots")
    start = models.DateTimeField(db_index=True)
    end = models.DateTimeField()
    kind = models.CharField(max_length=12, choices=SlotKind.choices, default=SlotKind.ONLINE)
    is_blocked = models.BooleanField(default=False)
    # A freed slot offered to a waitlisted patient is held for them until `held_until`.
    held_for = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+")
    held_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["start"]
        verbose_name = _("slot")
        constraints = [
            # Generating slots twice never creates duplicates.
            models.UniqueConstraint(fields=["doctor", "start"], name="slot_unique_doctor_start"),
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="slot_end_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.doctor} {self.start:%Y-%m-%d %H:%M}"


class AppointmentStatus(models.TextChoices):
    # Booked but not paid yet: the slot is held for `hold_expires_at`, then released (services/payments.py).
    PENDING_PAYMENT = "pending_payment", _("Awaiting payment")
    BOOKED = "booked", _("Booked")
    CHECKED_IN = "checked_in", _("Checked in")
    IN_PROGRESS = "in_progress", _("In consultation")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("No-show")


ACTIVE_APPOINTMENT_STATUSES = (
    AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN, AppointmentStatus.IN_PROGRESS, AppointmentStatus.COMPLETED,
)


class Appointment(models.Model):
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="appointments")
    # patient and doctor: no single-column index; the (patient, start) and (doctor, start) indexes below serve
    # every look-up by either (one index less to update per booking).
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments",
                                db_index=False)
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    doctor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="doctor_appointments",
                               db_index=False)
    # Denormalised from the slot so overlap checks and the doctor's day query need no join.
    start = models.DateTimeField(db_index=True)
    end = models.DateTimeField()
    kind = models.CharField(max_length=12, choices=SlotKind.choices)
    status = models.CharField(max_length=20, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED)
    # The doctor's fee when the appointment was made (a later change of the fee does not change what is owed).
    fee = models.DecimalField(_("fee (CNY)"), max_digits=8, decimal_places=2, default=0)
    hold_expires_at = models.DateTimeField(_("unpaid hold expires at"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300)
    symptoms = models.TextField(_("symptoms"), blank=True)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=300, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+")
    follow_up_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="follow_ups")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start"]
        verbose_name = _("appointment")
        constraints = [
            # One active appointment per slot: the database, not Python, decides who wins a race.
            models.UniqueConstraint(
                fields=["slot"], condition=~Q(status__in=["cancelled", "no_show"]), name="appointment_one_active_per_slot"
            ),
            # An unpaid appointment always has a hold end, so the release sweep finds every one of them.
            models.CheckConstraint(condition=~Q(status="pending_payment") | Q(hold_expires_at__isnull=False),
                                   name="appointment_pending_has_hold"),
            models.CheckConstraint(condition=Q(fee__gte=0), name="appointment_fee_not_negative"),
        ]
        indexes = [
            models.Index(fields=["doctor", "start"]), models.Index(fields=["patient", "start"]),
            # The release sweep's scan: only the unpaid holds (a handful at any time).
            models.Index(fields=["hold_expires_at"], condition=Q(status="pending_payment"),
                         name="appointment_unpaid_holds"),
        ]

    def __str__(self) -> str:
        return f"{self.patient} with {self.doctor} at {self.start:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_APPOINTMENT_STATUSES

    @property
    def payment_state(self) -> str:
        """"free", "paid" or "unpaid" (what the console and the admin show)."""
        if not self.fee:
            return "free"
        return "paid" if self.paid_at else "unpaid"

    @property
    def is_open(self) -> bool:
        """Still ahead of the patient and the doctor (not finished, cancelled or missed)."""
        return self.status in (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN, AppointmentStatus.IN_PROGRESS)


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class WeeklySchedule(models.Model):
    """One recurring block of a doctor's week (e.g. Mondays 09:00-12:00, 20-minute online slots).

    Times are wall-clock times in the platform's TIME_ZONE.
    """

    doctor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="weekly_schedules")
    weekday = models.PositiveSmallIntegerField(_("day of the week"), choices=Weekday.choices)
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(_("until"))
    slot_minutes = models.PositiveSmallIntegerField(_("slot length (minutes)"), default=20)
    kind = models.CharField(_("kind"), max_length=12, choices=SlotKind.choices, default=SlotKind.ONLINE)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    is_active = models.BooleanField(pgettext_lazy("schedule", "active"), default=True)

    class Meta:
        ordering = ["doctor", "weekday", "start_time"]
        verbose_name = _("weekly schedule")
        constraints = [
            models.CheckConstraint(condition=Q(end_time__gt=models.F("start_time")), name="schedule_end_after_start"),
            models.CheckConstraint(condition=Q(slot_minutes__gte=5) & Q(slot_minutes__lte=240),
                                   name="schedule_slot_minutes_range"),
        ]

    def __str__(self) -> str:
        return f"{self.doctor} {self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class ScheduleException(models.Model):
    """A day the doctor does not work (leave, conference): no slots are generated, free ones are blocked."""

    doctor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="schedule_exceptions")
    date = models.DateField(_("date"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("leave day")
        constraints = [models.UniqueConstraint(fields=["doctor", "date"], name="schedule_exception_unique_day")]

    def __str__(self) -> str:
        return f"{self.doctor} {self.date}"


class ReminderKind(models.TextChoices):
    DAY_BEFORE = "day", _("The day before")
    HOUR_BEFORE = "hour", _("An hour before")


class AppointmentReminder(models.Model):
    """A reminder to send once. `sent_at` is the state; the notification's dedupe key makes a re-send a no-op."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=8, choices=ReminderKind.choices)
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["appointment", "kind"], name="reminder_unique_kind")]
        indexes = [models.Index(fields=["sent_at", "due_at"])]

    def __str__(self) -> str:
        return f"{self.appointment_id} {self.kind}"

    @property
    def dedupe_key(self) -> str:
        return f"consult:reminder:{self.appointment_id}:{self.kind}"
