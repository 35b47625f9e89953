"""This instance's federation profile: read by selectors and services alike (one module below both, so the
selectors never import the services)."""
from __future__ import annotations

from typing import Any

from . import conf
from .models import PlatformProfile

CASE_SCHEMA = "rarecases.case/1"
USAGE_SCHEMA = "rarecases.usage/1"


def platform_profile() -> PlatformProfile:
    """This instance's profile, created from the environment defaults on first use."""
    profile = PlatformProfile.objects.filter(pk=1).first()
    if profile is None:
        defaults = conf.instance_defaults()
        profile, _ = PlatformProfile.objects.get_or_create(
            pk=1, defaults={**defaults, "specialties": [], "data_categories": ["encounter_diagnoses", "rare_cases"]})
    return profile


def profile_public(profile: PlatformProfile) -> dict[str, Any]:
    return {"instance_id": profile.instance_id, "name": profile.name, "region": profile.region,
            "base_url": profile.base_url, "specialties": profile.specialties,
            "data_categories": profile.data_categories, "feature_tags": profile.feature_tags,
            "schemas": [CASE_SCHEMA, USAGE_SCHEMA]}

def our_contact(s: Any = None) -> dict[str, str]:
    """The MME contact of this instance (the rare-case team), from the rare-case settings."""
    if s is None:
        from .models import RarecasesSettings

        s = RarecasesSettings.objects.get_or_create(pk=1)[0]
    me = platform_profile()
    href = s.mme_contact_href or (f"{me.base_url.rstrip('/')}/rarecases/" if me.base_url else "")
    return {"name": s.mme_contact_name or f"{me.name} rare-case team", "institution": me.name,
            "href": href or "mailto:rare-cases@medplatform.invalid"}
