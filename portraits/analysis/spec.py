"""What the pipeline clusters: features, their dimensions and directions, and the five labels (paper §4.2–4.3).

Direction +1: more is better (ranks a cluster higher); -1: more is worse; 0: shown and clustered in the
all-dimension portrait types, never used to order labels.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# Table 5 of the paper, plus online days (PRODUCT.md). Units: see docs/portraits.md.
FEATURES: list[str] = [
    "wavg_score", "failed_courses",
    "consumption_frequency", "single_amount",
    "medical_visits", "psych_consultations", "exercise",
    "book_borrowing", "volunteer", "online_days",
]

DIMENSIONS: dict[str, dict[str, int]] = {
    "learning": {"wavg_score": 1, "failed_courses": -1},
    "economic": {"consumption_frequency": 1, "single_amount": 1},
    "health": {"medical_visits": -1, "psych_consultations": -1, "exercise": 1},
    # Table 5 clusters interest on borrowing and volunteering only; online days joins the portrait types.
    "interest": {"book_borrowing": 1, "volunteer": 1},
}

ALL_DIMENSION = "portrait"
ALL_FEATURES: dict[str, int] = {**{f: d for dim in DIMENSIONS.values() for f, d in dim.items()}, "online_days": 0}

LABELS: dict[str, list[str]] = {
    "learning": ["excellent", "good", "average", "poor", "very_poor"],
    "economic": ["high", "good", "average", "poor", "low"],
    "health": ["healthy", "good", "average", "poor", "very_poor"],
    "interest": ["broad", "good", "average", "poor", "very_poor"],
}

CATEGORICAL: list[str] = ["gender", "province", "college", "grade", "major"]


@dataclass(frozen=True)
class Spec:
    """One feature source's shape: which features, grouped into which dimensions, labelled how."""

    features: list[str]
    dimensions: dict[str, dict[str, int]]
    labels: dict[str, list[str]]
    all_features: dict[str, int]
    categorical: list[str] = field(default_factory=list)


STUDENTS = Spec(features=FEATURES, dimensions=DIMENSIONS, labels=LABELS, all_features=ALL_FEATURES,
                categorical=CATEGORICAL)

# Patient portraits (issue #6 §7): the same pipeline over the platform's own data.
PATIENTS = Spec(
    features=["appointments", "consultations", "visit_regularity", "spend", "active_problems",
              "abnormal_observations", "risk_level", "doses_taken_pct", "measurements_per_month"],
    dimensions={
        "engagement": {"appointments": 1, "consultations": 1, "visit_regularity": 1},
        "economic": {"spend": 1},
        "health": {"active_problems": -1, "abnormal_observations": -1, "risk_level": -1},
        "adherence": {"doses_taken_pct": 1, "measurements_per_month": 1},
    },
    labels={
        "engagement": ["high", "good", "average", "poor", "low"],
        "economic": ["high", "good", "average", "poor", "low"],
        "health": ["healthy", "good", "average", "poor", "very_poor"],
        "adherence": ["excellent", "good", "average", "poor", "very_poor"],
    },
    all_features={"appointments": 1, "consultations": 1, "visit_regularity": 1, "spend": 1, "active_problems": -1,
                  "abnormal_observations": -1, "risk_level": -1, "doses_taken_pct": 1,
                  "measurements_per_month": 1},
)


def with_noise(spec: Spec, names: list[str]) -> Spec:
    """The spec with extra features `names` added to every dimension and the portrait types, direction 0 (they
    never order labels): how the noise features of `portraits_synth --noise-features` are put in front of the
    weighting."""
    return Spec(features=[*spec.features, *names],
                dimensions={d: {**feats, **{n: 0 for n in names}} for d, feats in spec.dimensions.items()},
                labels=spec.labels, all_features={**spec.all_features, **{n: 0 for n in names}},
                categorical=spec.categorical)
