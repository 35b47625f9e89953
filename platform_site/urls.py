from __future__ import annotations

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

# The API documentation pages are third-party single-page apps (Swagger UI, ReDoc) that style themselves with
# inline styles: style-src relaxes for these two pages only. Their scripts stay 'self'-only (the split Swagger
# view serves its start-up script as a file).
_docs_page = csp_update({"style-src": [UNSAFE_INLINE]})

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", _docs_page(SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
    path("api/redoc/", _docs_page(SpectacularRedocView.as_view(url_name="api-schema")), name="api-redoc"),
    path("api/", include("accounts.api_urls")),
    path("api/", include("knowledge.api_urls")),
    path("api/consult/", include("consult.api_urls")),
    path("api/consult/", include("records.api_urls")),
    path("api/pharmacy/", include("pharmacy.api_urls")),
    path("api/portraits/", include("portraits.api_urls")),
    path("api/rarecases/", include("rarecases.api_urls")),
    path("", include("consult.urls_home")),
    path("", include("accounts.urls")),
    path("", include("knowledge.urls")),
    path("", include("consult.urls")),
    path("", include("records.urls")),
    path("pharmacy/", include("pharmacy.urls")),
    path("portraits/", include("portraits.urls")),
    path("", include("rarecases.urls")),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
elif getattr(settings, "SERVE_STATIC", False):
    # `make run` without DEBUG: the collected files (collectstatic runs first) from gunicorn itself. Fine for a
    # local demo; a deployment serves STATIC_ROOT from the web server in front.
    from django.urls import re_path
    from django.views.static import serve

    urlpatterns += [re_path(r"^static/(?P<path>.*)$", serve, {"document_root": settings.STATIC_ROOT})]

handler400 = "platform_site.errors.bad_request"
handler403 = "platform_site.errors.permission_denied"
handler404 = "platform_site.errors.page_not_found"
handler500 = "platform_site.errors.server_error"
