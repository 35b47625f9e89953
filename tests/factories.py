"""Factories for the accounts app, shared by every app's tests (synthetic people only)."""
from __future__ import annotations

import factory
from allauth.account.models import EmailAddress

from accounts.models import (
    CounsellorProfile,
    DoctorProfile,
    PatientProfile,
    PharmacistProfile,
    Role,
    User,
)

PASSWORD = "correct-horse-battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    full_name = factory.Sequence(lambda n: f"Test Person {n}")
    role = Role.PATIENT
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified_email(obj, create, extracted, **kwargs):  # type: ignore[no-untyped-def]  # noqa: N805
        if create and obj.email:
            obj.save()
            EmailAddress.objects.get_or_create(user=obj, email=obj.email, defaults={"verified": True, "primary": True})


class PatientFactory(UserFactory):
    role = Role.PATIENT
    profile = factory.RelatedFactory("tests.factories.PatientProfileFactory", factory_related_name="user")


class PatientProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PatientProfile

    sex = "female"
    date_of_birth = factory.Faker("date_of_birth", minimum_age=18, maximum_age=80)
    region = "Zhejiang"


class DoctorFactory(UserFactory):
    role = Role.DOCTOR
    profile = factory.RelatedFactory("tests.factories.DoctorProfileFactory", factory_related_name="user")


class DoctorProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DoctorProfile

    licence_number = factory.Sequence(lambda n: f"TEST-DOC-{n:05d}")
    title = "Attending physician"
    # Free by default: a visit without a fee is booked at once; the payment tests give the doctor a fee.
    fee = "0.00"


class PharmacistFactory(UserFactory):
    role = Role.PHARMACIST
    profile = factory.RelatedFactory("tests.factories.PharmacistProfileFactory", factory_related_name="user")


class PharmacistProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PharmacistProfile

    licence_number = factory.Sequence(lambda n: f"TEST-PHA-{n:05d}")


class CounsellorFactory(UserFactory):
    role = Role.COUNSELLOR
    profile = factory.RelatedFactory("tests.factories.CounsellorProfileFactory", factory_related_name="user")


class CounsellorProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CounsellorProfile

    colleges = factory.LazyFunction(lambda: ["Clinical Medicine"])
    grades = factory.LazyFunction(lambda: ["2024"])


class AdminFactory(UserFactory):
    role = Role.ADMIN
    is_staff = True
    is_superuser = True


# A fixed, valid base32 TOTP secret for tests: `totp_code()` computes the current code from it, so a
# browser test can type it on allauth's "authenticate" page like a phone app would.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def give_totp(user: User) -> None:
    """Activate a real TOTP authenticator (secret TOTP_SECRET) for a user, so REQUIRE_STAFF_MFA lets them in."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, TOTP_SECRET)


def totp_code(secret: str = TOTP_SECRET) -> str:
    """The TOTP code an authenticator app would show right now for `secret`."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))
