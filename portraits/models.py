"""portraits data: pseudonymous roster, one records table, import batches, runs, results, rules and alerts.

Direct identifiers (names, student numbers) never reach these tables: the importer replaces the student
number by an HMAC-SHA256 pseudonym keyed with settings.PSEUDONYM_KEY and drops the name column.
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Cast, Concat, ExtractYear
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Source(models.TextChoices):
    """The campus subsystems (paper §4.1) and the file kinds each exports (schema v1, docs/portraits.md)."""

    ROSTER = "roster", _("Student system: roster")
    EXERCISE = "exercise", _("Student system: sports-centre access")
    TEACHING = "teaching", _("Teaching system: course scores")
    LOGISTICS = "logistics", _("Logistics system: canteen card payments")
    RESEARCH = "research", _("Research system: assistant subsidies")
    HOSPITAL = "hospital", _("University hospital: outpatient visits")
    COUNSELLING = "counselling", _("Psychological counselling centre: sessions")
    LIBRARY = "library", _("Library system: book loans")
    NETWORK = "network", _("Network system: log-in sessions")
    QUALITY = "quality", _("Quality-development system: volunteer services")


class Student(models.Model):
    """A student of the roster, known only by a keyed pseudonym."""

    pseudonym = models.CharField(_("pseudonym"), max_length=64, unique=True)
    gender = models.CharField(_("gender"), max_length=16, default="unknown")
    age = models.PositiveSmallIntegerField(_("age"), null=True, blank=True)
    province = models.CharField(_("province"), max_length=64, default="unknown")
    college = models.CharField(_("college"), max_length=128, default="unknown", db_index=True)
    grade = models.CharField(_("grade"), max_length=16, default="unknown", db_index=True)
    major = models.CharField(_("major"), max_length=128, default="unknown")

    class Meta:
        verbose_name = _("student")
        verbose_name_plural = _("students")
        ordering = ["pseudonym"]

    def __str__(self) -> str:
        return self.short

    @property
    def short(self) -> str:
        return self.pseudonym[:12]


class ImportBatch(models.Model):
    """One imported file; its SHA-256 makes a second import of the same bytes a recognised no-op."""

    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    file_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    schema_version = models.PositiveSmallIntegerField(_("schema version"), default=1)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    rows_stored = models.PositiveIntegerField(_("rows stored"), default=0)
    duplicates_dropped = models.PositiveIntegerField(_("duplicate rows dropped"), default=0)
    missing_values = models.PositiveIntegerField(_("missing values"), default=0)
    encoding = models.CharField(_("encoding"), max_length=16, blank=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("imported by"))
    created_at = models.DateTimeField(_("imported at"), auto_now_add=True)

    class Meta:
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.source})"


class RecordCategory(models.Model):
    """A distinct category text of records (course type, canteen, venue, department, book category, activity),
    stored once: a record holds its 2-byte code (COPY of a smallint costs the server markedly less than of a
    varchar, docs/benchmarks.md). Codes are handed out by the importer (services.imports.CategoryCodes)."""

    id = models.SmallIntegerField(primary_key=True)
    name = models.CharField(_("name"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("record category")
        verbose_name_plural = _("record categories")

    def __str__(self) -> str:
        return self.name


class RecordQuerySet(models.QuerySet):
    def with_period(self) -> RecordQuerySet:
        """Each record with its half-year `period`: "YYYY-1" (January–June) or "YYYY-2" (July–December)."""
        half = models.Case(models.When(occurred_on__month__lte=6, then=models.Value("1")), default=models.Value("2"),
                           output_field=models.CharField())
        return self.annotate(period=Concat(Cast(ExtractYear("occurred_on"), models.CharField()), models.Value("-"),
                                           half, output_field=models.CharField()))

    def described(self) -> RecordQuerySet:
        """Each record with its `source` (its batch's) and `period`, neither of which is stored per row."""
        return self.with_period().annotate(source=models.F("batch__source"))


class Record(models.Model):
    """One behaviour record of any subsystem. On PostgreSQL this table is RANGE-partitioned by date, one
    partition per half-year (migration 0004), so a run over one period reads only its partitions.

    Narrow on purpose (every byte of a row is paid for by COPY, ~10⁶–10⁷ rows per import): the source is
    the batch's (one file = one source), the half-year follows from the date (`described()` adds both) and
    the category is a code."""

    # No database-level FKs or secondary indexes: the import service is the only writer and checks every
    # student and batch itself, and a run reads a whole period (a sequential scan of one partition), so
    # per-row FK triggers and index upkeep would only slow COPY down (see bench/portraits.py).
    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="records", db_index=False,
                              db_constraint=False)
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="records", db_index=False,
                                db_constraint=False)
    occurred_on = models.DateField()
    value = models.FloatField(null=True, blank=True)
    weight = models.FloatField(null=True, blank=True)
    # NULL = no category (blank cell or no such column). No database FK, as above.
    category = models.ForeignKey(RecordCategory, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 db_index=False, db_constraint=False)

    objects = RecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("record")
        verbose_name_plural = _("records")

    def __str__(self) -> str:
        return f"{self.occurred_on} {self.value}"


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class RunKind(models.TextChoices):
    STUDENTS = "students", _("Students (campus data)")
    PATIENTS = "patients", _("Patients (platform data)")


class Run(models.Model):
    """One execution of the pipeline with everything it used and produced."""

    kind = models.CharField(_("kind"), max_length=16, choices=RunKind.choices, default=RunKind.STUDENTS)
    period = models.CharField(_("period"), max_length=8)
    params = models.JSONField(_("parameters"), default=dict)
    versions = models.JSONField(_("library versions"), default=dict, blank=True)
    metrics = models.JSONField(_("metrics"), default=dict, blank=True)
    centroids = models.JSONField(_("centroids"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    stage = models.CharField(_("stage"), max_length=64, blank=True)
    error = models.TextField(_("error"), blank=True)
    n_students = models.PositiveIntegerField(_("students"), default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("started by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("portrait run")
        verbose_name_plural = _("portrait runs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.period}"


class Result(models.Model):
    """One subject's features, labels, dimension scores and explanation in one run."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="results")
    student = models.ForeignKey(Student, on_delete=models.CASCADE, null=True, blank=True, related_name="results")
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="+")
    features = models.JSONField(default=dict)
    scores = models.JSONField(default=dict)
    labels = models.JSONField(default=dict)
    clusters = models.JSONField(default=dict)
    explanation = models.JSONField(default=dict)
    # Denormalised for filtering the student list by label without JSON operators (portable to SQLite).
    label_learning = models.CharField(max_length=16, blank=True, db_index=True)
    label_economic = models.CharField(max_length=16, blank=True, db_index=True)
    label_health = models.CharField(max_length=16, blank=True, db_index=True)
    label_interest = models.CharField(max_length=16, blank=True, db_index=True)
    portrait_type = models.SmallIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("portrait")
        verbose_name_plural = _("portraits")
        constraints = [
            models.UniqueConstraint(fields=["run", "student"], name="portraits_result_run_student"),
            models.UniqueConstraint(fields=["run", "patient"], name="portraits_result_run_patient"),
        ]

    def __str__(self) -> str:
        return f"run {self.run_id} / {self.student_id or self.patient_id}"


class RuleKind(models.TextChoices):
    FAILED_CONSECUTIVE = "failed_consecutive", _("Failed courses in two consecutive semesters")
    EXERCISE_SCORE_DROP = "exercise_score_drop", _("Little exercise together with a score drop")
    COUNSELLING_GAP = "counselling_gap", _("Long gap since the last counselling session")
    LOW_BORROWING = "low_borrowing", _("Low library borrowing")
    LOW_CONSUMPTION = "low_consumption", _("Bottom consumption (meal-subsidy candidate)")


class InterventionRule(models.Model):
    """An editable intervention trigger (paper §5.5); `params` holds its thresholds."""

    kind = models.CharField(_("kind"), max_length=32, choices=RuleKind.choices, unique=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    params = models.JSONField(_("thresholds"), default=dict)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("intervention rule")
        verbose_name_plural = _("intervention rules")
        ordering = ["kind"]

    def __str__(self) -> str:
        return str(self.get_kind_display())


class AlertState(models.TextChoices):
    # A context of their own: other apps' catalogues translate "Open" (a link) and "Resolved" (a health problem)
    # differently, and Django merges every app's catalogue into one.
    OPEN = "open", pgettext_lazy("alert state", "Open")
    ACKNOWLEDGED = "acknowledged", pgettext_lazy("alert state", "Acknowledged")
    RESOLVED = "resolved", pgettext_lazy("alert state", "Resolved")


class Alert(models.Model):
    """A rule fired for a student in a period; one alert per (rule, student, period) however often runs repeat."""

    rule = models.ForeignKey(InterventionRule, on_delete=models.CASCADE, related_name="alerts",
                             verbose_name=_("rule"))
    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("student"))
    run = models.ForeignKey(Run, on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts")
    period = models.CharField(_("period"), max_length=8)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="portrait_alerts", verbose_name=_("owner"))
    state = models.CharField(_("state"), max_length=16, choices=AlertState.choices, default=AlertState.OPEN)
    detail = models.JSONField(_("detail"), default=dict)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "student", "period"], name="portraits_alert_once"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} / {self.student} ({self.get_state_display()})"
