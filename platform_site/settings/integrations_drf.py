"""Django REST framework + drf-spectacular (schema at /api/schema/, docs UI served locally by the sidecar)."""
from __future__ import annotations

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "accounts.authentication.MfaAwareTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.policy.api.Authenticated"],  # refusals audited (docs/security.md)
    "DEFAULT_SCHEMA_CLASS": "platform_site.api.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "platform_site.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "MedPlatform API",
    "DESCRIPTION": "Appointments, consultations, health records, pharmacy, portraits and rare cases.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several apps have fields named "status", "kind" or "category": name each choice set after its class,
    # so the schema is unambiguous and `check --deploy` (which generates it) stays clean.
    "ENUM_NAME_OVERRIDES": {
        f"{path.rsplit('.', 1)[1]}Enum": path
        for path in (
            "consult.models.appointments.AppointmentStatus",
            "consult.models.appointments.SlotKind",
            "consult.models.appointments.ReminderKind",
            "consult.models.consultations.ThreadStatus",
            "records.models.prescriptions.PrescriptionStatus",
            "records.models.records.AllergyCategory",
            "records.models.records.AllergyStatus",
            "records.models.records.ProblemStatus",
            "records.models.records.ObservationKind",
            "records.models.records.HealthDocumentKind",
            "records.models.reminders.DoseStatus",
            "consult.models.waitlist.WaitlistStatus",
            "consult.models.waitlist.FollowUpStatus",
            "pharmacy.models.DrugCategory",
            "pharmacy.models.OrderStatus",
            "pharmacy.models.PaymentStatus",
            "pharmacy.models.StockMovementKind",
            "portraits.models.RunStatus",
            "portraits.models.RunKind",
            "portraits.models.RuleKind",
            "portraits.models.AlertState",
            "rarecases.models.EventKind",
            "rarecases.models.OutboxStatus",
        )
    },
}
