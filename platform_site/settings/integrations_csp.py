"""Content-Security-Policy (django-csp 4, docs/security.md "Browser hardening").

Scripts only from our own origin: no inline script, no inline event handler, no eval (the pages' behaviour lives
in static files: static/js/site.js and each app's static/). `<script type="application/json">` data blocks are
data, not scripts, and need nothing. Styles from our own origin only: no style="" attributes in our templates
(site.css has the classes), htmx's indicator styles come from site.css (its own injected <style> is turned off
in base.html). Images may be data: URLs (allauth's TOTP QR code). The API documentation pages (Swagger UI,
ReDoc) relax style-src for themselves only (platform_site/urls.py).
"""
from __future__ import annotations

from csp.constants import NONE, SELF

from .env import env

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "media-src": [SELF, "blob:"],
        "worker-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        **({"report-uri": [env("CSP_REPORT_URI")]} if env("CSP_REPORT_URI", default="") else {}),
    },
}
