"""Identity document numbers, as pure functions: the Chinese citizen ID number (GB 11643-1999) and passports.

GB 11643-1999: 17 digits (6-digit address code, 8-digit birth date YYYYMMDD, 3-digit sequence code — odd for
men, even for women) and one check character computed with ISO 7064:1983 MOD 11-2 over the first 17 digits:
S = Σ aᵢ·wᵢ with weights wᵢ = 2^(17−i) mod 11 (7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2), then the check character
is "10X98765432"[S mod 11]. No database of address codes is shipped: the address code is only checked for
form (six digits, a province code 11–82), the birth date for being a real date in the past.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))  # 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
CHECK_CHARACTERS = "10X98765432"
CITIZEN_ID = re.compile(r"^\d{17}[\dX]$")
# ICAO 9303 passport numbers are up to 9 characters, letters and digits; China's are e.g. E12345678.
PASSPORT = re.compile(r"^[A-Z0-9]{5,9}$")


def citizen_id_check_character(first17: str) -> str:
    """The GB 11643 check character (0–9 or X) of the first 17 digits."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("17 digits are needed")
    return CHECK_CHARACTERS[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def normalise(number: str) -> str:
    """Upper case, without spaces or dashes (people type "1101 0519 4912 3100 2x")."""
    return re.sub(r"[\s-]", "", str(number or "")).upper()


@dataclass(frozen=True)
class CitizenIdCheck:
    valid: bool
    reason: str = ""            # "format", "province", "birth_date", "check_digit"
    birth_date: dt.date | None = None
    sex: str = ""               # "male" / "female", from the sequence code's parity


def citizen_id_check(number: str, *, today: dt.date | None = None) -> CitizenIdCheck:
    """Check an 18-character citizen ID number: form, province code, birth date and check character."""
    number = normalise(number)
    if not CITIZEN_ID.match(number):
        return CitizenIdCheck(False, "format")
    if not 11 <= int(number[:2]) <= 82:
        return CitizenIdCheck(False, "province")
    try:
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return CitizenIdCheck(False, "birth_date")
    if born.year < 1880 or born > (today or dt.date.today()):  # noqa: DTZ011 - a calendar date, not an instant
        return CitizenIdCheck(False, "birth_date")
    if citizen_id_check_character(number[:17]) != number[17]:
        return CitizenIdCheck(False, "check_digit")
    return CitizenIdCheck(True, birth_date=born, sex="male" if int(number[16]) % 2 else "female")


def passport_valid(number: str) -> bool:
    return bool(PASSPORT.match(normalise(number)))


def mask(number: str) -> str:
    """Shown instead of the number: the first 3 and last 4 characters, the rest as stars
    (11010519491231002X → 110***********002X)."""
    number = normalise(number)
    if len(number) <= 7:
        return "*" * len(number)
    return f"{number[:3]}{'*' * (len(number) - 7)}{number[-4:]}"


def age_on(born: dt.date, day: dt.date) -> int:
    """Completed years of age on `day`."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
