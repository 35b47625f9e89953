"""Django REST framework + drf-spectacular (schema at /api/schema/, docs UI served locally by the sidecar)."""
from __future__ import annotations

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
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
    # Enum-naming collisions between apps ("status", "kind") are cosmetic warnings that would make
    # `check --deploy` noisy; schema *errors* are caught by tests/accounts/test_api_schema.py instead.
    "ENABLE_DJANGO_DEPLOY_CHECK": False,
}
