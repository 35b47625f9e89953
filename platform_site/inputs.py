"""The input boundary: the rules every API body, query string, form field and path id passes.

Pure helpers (no ORM, no domain app): the DRF parser (`platform_site.parsers`), the DRF fields
(`platform_site.serializers`), the form fields (`platform_site.forms`), the path converter
(`platform_site.converters`) and the request middleware (`platform_site.middleware`) all call these, so a rule
is written once and every entry point refuses the same input with the same message.

- Text: no NUL, no lone surrogate (it cannot be encoded as UTF-8 and crashed the very 400 that repeated it), no
  control character except tab and line breaks (CR, LF). Names, addresses and reasons (a field whose name is, or
  ends in, `name`, `address` or `reason`) also refuse the bidirectional overrides and isolates (U+202A–U+202E,
  U+2066–U+2069, U+200E/U+200F, U+061C) that make "txt.exe" display as "exe.txt" in a list of names.
- Numbers, dates and times are read after NFKC normalisation, on purpose: a Chinese input method in full-width
  mode types `１２３` or `２０２６－０１－３１`, which mean 123 and 2026-01-31. Free text is stored as typed
  (NFKC would also turn the Chinese comma "，" into ",").
- Integers lie within their column's range (ids are 64-bit; a caller passes narrower bounds); decimals are
  finite and within their field's digits; dates lie within DATE_MIN … DATE_MAX.
- Error messages are translatable and never repeat input that cannot be encoded (see `shown`).
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, DecimalException, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
DATE_MIN = dt.date(1900, 1, 1)
DATE_MAX = dt.date(2100, 12, 31)
JSON_MAX_DEPTH = 32
JSON_MAX_BYTES = 1024 * 1024
# Beyond this many bytes an oversized body is not read to its end before the 413 (the connection closes).
DRAIN_MAX_BYTES = 64 * 1024 * 1024

ALLOWED_CONTROLS = frozenset("\t\n\r")
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
# Field names whose values are names, addresses or reasons (the strict text rule).
_STRICT_NAME = re.compile(r"(^|_)(name|address|reason)$")
# C0 and C1 control characters and DEL, lone surrogates: one regex finds the first offender fast.
_BAD_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_BAD_STRICT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")

MSG_NUL = _("Text may not contain a NUL character.")
MSG_SURROGATE = _("Text is not valid Unicode (it contains a lone surrogate).")
MSG_CONTROL = _("Text may not contain control characters (only tab and line breaks are allowed).")
MSG_BIDI = _("Names, addresses and reasons may not contain text-direction control characters.")
MSG_DATE_RANGE = _("Enter a date between %(min)s and %(max)s.")
MSG_NOT_FINITE = _("Enter a finite number.")
MSG_INVALID_NUMBER = _("Enter a number.")
MSG_INVALID_INTEGER = _("Enter a whole number.")
MSG_INT_RANGE = _("Enter a whole number between %(min)s and %(max)s.")
MSG_JSON_DEPTH = _("The JSON body is nested too deeply (more than %(limit)d levels).")
MSG_JSON_ENCODING = _("The JSON body must be UTF-8 text.")
MSG_CHOICE = _("This is not one of the allowed choices.")


def msg_json_too_large(limit: int = JSON_MAX_BYTES) -> str:
    return str(_("The JSON body is too large: the limit is %(limit)s.") % {"limit": size_label(limit)})


def msg_body_too_large(limit: int) -> str:
    return str(_("The request body is too large: the limit is %(limit)s.") % {"limit": size_label(limit)})


def msg_max_digits(max_digits: int) -> str:
    return str(ngettext_lazy("Enter a number with at most %(n)d digit.", "Enter a number with at most %(n)d digits.",
                             max_digits) % {"n": max_digits})


def msg_decimal_places(places: int) -> str:
    return str(ngettext_lazy("Enter a number with at most %(n)d decimal place.",
                             "Enter a number with at most %(n)d decimal places.", places) % {"n": places})


class InputError(ValueError):
    """Input refused at the boundary; `message` is translatable and safe to show (never the raw input)."""

    def __init__(self, message: Any, code: str = "invalid") -> None:
        super().__init__(str(message))
        self.message = message
        self.code = code


def size_label(n: int) -> str:
    """1048576 -> "1 MB" (binary megabytes, as the limit is configured)."""
    if n >= 1024 * 1024 and n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)} MB"
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024} KB"
    return f"{n} B"


def is_strict_field(name: str | None) -> bool:
    """Names, addresses and reasons get the strict text rule (no bidi controls)."""
    return bool(name) and bool(_STRICT_NAME.search(str(name)))


def text_error(value: str, *, strict: bool = False) -> InputError | None:
    """The first rule `value` breaks, or None."""
    match = (_BAD_STRICT if strict else _BAD_TEXT).search(value)
    if match is None:
        return None
    char = match.group()
    if char == "\x00":
        return InputError(MSG_NUL, "nul")
    if "\ud800" <= char <= "\udfff":
        return InputError(MSG_SURROGATE, "surrogate")
    if char in BIDI_CONTROLS:
        return InputError(MSG_BIDI, "bidi")
    return InputError(MSG_CONTROL, "control")


def clean_text(value: str, *, strict: bool = False) -> str:
    """`value` unchanged, or InputError."""
    error = text_error(value, strict=strict)
    if error is not None:
        raise error
    return value


def shown(value: Any, limit: int = 40) -> str:
    """`value` as it may appear inside an error message: encodable, printable, short."""
    text = str(value)
    text = _BAD_STRICT.sub("\ufffd", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def printable(value: str) -> str:
    """`value` with every character that breaks the text rule replaced by U+FFFD (for messages we render)."""
    return _BAD_TEXT.sub("\ufffd", value)


def normalize_number(value: str) -> str:
    """Full-width digits, signs and separators typed by a Chinese input method become ASCII (NFKC), trimmed.
    Fullwidth "－" (U+FF0D) is NFKC "-"; the ideographic full stop "。" and the Chinese colon are not NFKC
    compatibles of "." and ":", so they are left alone (and refused as not a number)."""
    return unicodedata.normalize("NFKC", value).strip() if not value.isascii() else value.strip()


def check_int(value: int, *, min_value: int | None = INT64_MIN, max_value: int | None = INT64_MAX) -> int:
    lo = INT64_MIN if min_value is None else min_value
    hi = INT64_MAX if max_value is None else max_value
    if not lo <= value <= hi:
        raise InputError(MSG_INT_RANGE % {"min": lo, "max": hi}, "range")
    return value


def clean_int(value: Any, *, min_value: int | None = INT64_MIN, max_value: int | None = INT64_MAX) -> int:
    """An integer from an int or a (full-width) digit string within [min_value, max_value], or InputError."""
    if isinstance(value, bool):
        raise InputError(MSG_INVALID_INTEGER, "invalid")
    if not isinstance(value, int):
        text = normalize_number(str(value))
        if len(text) > 40 or not re.fullmatch(r"[+-]?[0-9]+", text):
            raise InputError(MSG_INVALID_INTEGER, "invalid")
        value = int(text)
    return check_int(value, min_value=min_value, max_value=max_value)


def clean_decimal(value: Any, *, max_digits: int | None = None, decimal_places: int | None = None) -> Decimal:
    """A finite Decimal within `max_digits` / `decimal_places`, or InputError. Quantize only after this."""
    if isinstance(value, bool):
        raise InputError(MSG_INVALID_NUMBER, "invalid")
    text = normalize_number(str(value)) if not isinstance(value, Decimal) else None
    if text is not None and len(text) > 60:
        raise InputError(MSG_INVALID_NUMBER, "invalid")
    try:
        number = value if isinstance(value, Decimal) else Decimal(text)
    except (InvalidOperation, DecimalException, ValueError):
        raise InputError(MSG_INVALID_NUMBER, "invalid") from None
    if not number.is_finite():
        raise InputError(MSG_NOT_FINITE, "not_finite")
    check_decimal_digits(number, max_digits=max_digits, decimal_places=decimal_places)
    return number


def check_decimal_digits(number: Decimal, *, max_digits: int | None, decimal_places: int | None) -> Decimal:
    if not number.is_finite():
        raise InputError(MSG_NOT_FINITE, "not_finite")
    sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    places = max(0, -exponent)
    whole = max(0, len(digits) + exponent) if exponent < 0 else len(digits) + exponent
    if decimal_places is not None and places > decimal_places:
        raise InputError(msg_decimal_places(decimal_places), "max_decimal_places")
    if max_digits is not None:
        allowed_whole = max_digits - (decimal_places or 0)
        if whole > allowed_whole:
            raise InputError(msg_max_digits(max_digits), "max_digits")
    return number


def check_date(value: dt.date) -> dt.date:
    """`value` (a date or a datetime) within DATE_MIN … DATE_MAX, or InputError."""
    day = value.date() if isinstance(value, dt.datetime) else value
    if not DATE_MIN <= day <= DATE_MAX:
        raise InputError(MSG_DATE_RANGE % {"min": DATE_MIN.isoformat(), "max": DATE_MAX.isoformat()}, "date_range")
    return value


def clean_date(value: Any) -> dt.date:
    """A date from a date or an ISO (full-width allowed) string within the documented range, or InputError."""
    if isinstance(value, dt.datetime):
        return check_date(value.date())
    if isinstance(value, dt.date):
        return check_date(value)
    text = normalize_number(str(value))
    try:
        day = dt.date.fromisoformat(text) if len(text) <= 10 else None
    except ValueError:
        day = None
    if day is None:
        raise InputError(_("Enter a valid date (YYYY-MM-DD)."), "invalid")
    return check_date(day)


_JSON_BRACKETS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.S)


def json_depth_exceeds(raw: bytes, limit: int = JSON_MAX_DEPTH) -> bool:
    """Whether the JSON text `raw` nests arrays/objects deeper than `limit`, found without parsing it (the
    parser itself recurses and hit RecursionError at `[` × 100,000). Strings are skipped, so brackets inside
    them do not count. Linear; bodies with few brackets return at once."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth = 0
    for match in _JSON_BRACKETS.finditer(raw):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False


def json_text_error(data: Any, path: str = "") -> tuple[str, InputError] | None:
    """The first string (key or value) in parsed JSON that breaks the text rule, with its path (`items.0.name`).
    Names, addresses and reasons (by key) get the strict rule. Depth is bounded by json_depth_exceeds first."""
    stack: list[tuple[str, str | None, Any]] = [(path, None, data)]
    while stack:
        where, key, value = stack.pop()
        if isinstance(value, str):
            error = text_error(value, strict=is_strict_field(key))
            if error is not None:
                return where, error
        elif isinstance(value, dict):
            for k, v in value.items():
                sub = f"{where}.{shown(k)}" if where else shown(k)
                error = text_error(k)
                if error is not None:
                    return sub, error
                stack.append((sub, k, v))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                stack.append((f"{where}.{i}" if where else str(i), key, v))
    return None
