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
    # JSON through the input boundary (size, depth, text rule: platform_site/parsers.py); forms as DRF parses them
    # (their fields are checked by platform_site.middleware).
    "DEFAULT_PARSER_CLASSES": [
        "platform_site.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
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
    # FHIR operation paths keep their `$` (`/fhir/Patient/{patient_id}/$everything`).
    "PREPROCESSING_HOOKS": ["platform_site.api.keep_operation_dollar"],
    # <id:…> routes (platform_site/converters.py): a 64-bit id.
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "format": "int64", "minimum": 0,
                                        "maximum": 9223372036854775807}},
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
