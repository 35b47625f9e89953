"""consult: the trained doctor-recommendation model's output (consult.services.recommend_model)."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

__all__ = ["RecommenderRun", "DoctorAffinity"]


class RecommenderRun(models.Model):
    """One training of the matrix-factorisation model: what it saw and how long it took."""

    trained_at = models.DateTimeField(default=timezone.now)
    patients = models.PositiveIntegerField(default=0)
    doctors = models.PositiveIntegerField(default=0)
    interactions = models.PositiveIntegerField(default=0)
    components = models.PositiveSmallIntegerField(default=0)
    seconds = models.FloatField(default=0)
    is_current = models.BooleanField(default=False)

    class Meta:
        ordering = ["-trained_at"]
        constraints = [models.UniqueConstraint(fields=["is_current"], condition=models.Q(is_current=True),
                                               name="recommender_one_current_run")]

    def __str__(self) -> str:
        return f"recommender run {self.pk} ({self.trained_at:%Y-%m-%d %H:%M})"


class DoctorAffinity(models.Model):
    """A patient's predicted affinity to a doctor they have NOT seen (the model's top N per patient), 0–1 within
    the patient's own list. Rows belong to one run; a new run replaces them in one transaction."""

    run = models.ForeignKey(RecommenderRun, on_delete=models.CASCADE, related_name="affinities")
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    doctor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "patient", "doctor"], name="affinity_one_per_pair")]
        indexes = [models.Index(fields=["patient", "run"], name="affinity_patient_run")]

    def __str__(self) -> str:
        return f"{self.patient_id}→{self.doctor_id} {self.score:.2f}"
