"""DRF's `serializers` module with the input boundary built into its fields: `from platform_site import
serializers` where an API module would write `from rest_framework import serializers`.

Every name not defined here is DRF's own (module `__getattr__`), so `serializers.Serializer`,
`serializers.SerializerMethodField`, `serializers.ValidationError` … work as usual. The fields defined here
apply `platform_site.inputs` on the way in (output is unchanged):

- text fields (CharField, RegexField, SlugField, EmailField, URLField, ChoiceField): the text rule, strict for
  names, addresses and reasons (by field name);
- IntegerField: 64-bit bounds unless narrower ones are given, full-width digits accepted;
- DecimalField / FloatField: finite, full-width digits accepted; DateField / DateTimeField within
  DATE_MIN … DATE_MAX; TimeField full-width accepted;
- ModelSerializer maps model fields to these (with the column's range for integer columns).

tests/platform/test_input_boundary.py checks that API modules import this module, not DRF's.
"""
from __future__ import annotations

import math
from typing import Any

from django.db import models
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers as _drf

from . import inputs

__all__ = [
    "CharField", "ChoiceField", "DateField", "DateTimeField", "DecimalField", "EmailField", "FloatField",
    "IntegerField", "ModelSerializer", "MultipleChoiceField", "RegexField", "SlugField", "TimeField", "URLField",
]


def __getattr__(name: str) -> Any:
    return getattr(_drf, name)


def _refuse(error: inputs.InputError) -> None:
    raise _drf.ValidationError(error.message, code=error.code)


class _TextRule:
    """The text rule on a field's raw input (strict for names, addresses and reasons)."""

    field_name: str | None

    def _check_text(self, data: Any) -> None:
        if isinstance(data, str):
            error = inputs.text_error(data, strict=inputs.is_strict_field(getattr(self, "field_name", None)))
            if error is not None:
                _refuse(error)

    def to_internal_value(self, data: Any) -> Any:
        self._check_text(data)
        return super().to_internal_value(data)  # type: ignore[misc]


class CharField(_TextRule, _drf.CharField):
    pass


class RegexField(_TextRule, _drf.RegexField):
    pass


class SlugField(_TextRule, _drf.SlugField):
    pass


class EmailField(_TextRule, _drf.EmailField):
    pass


class URLField(_TextRule, _drf.URLField):
    pass


class ChoiceField(_TextRule, _drf.ChoiceField):
    def to_internal_value(self, data: Any) -> Any:
        self._check_text(data)
        if isinstance(data, str) and not data.isascii():
            data = inputs.normalize_number(data) if data.strip() else data
        if isinstance(data, str | int) and len(str(data)) > 60 and str(data) not in self.choice_strings_to_values:
            # DRF's message repeats the input: not a page of it.
            raise _drf.ValidationError(inputs.MSG_CHOICE, code="invalid_choice")
        return _drf.ChoiceField.to_internal_value(self, data)


class MultipleChoiceField(_TextRule, _drf.MultipleChoiceField):
    def to_internal_value(self, data: Any) -> Any:
        for item in data if isinstance(data, list | tuple) else [data]:
            self._check_text(item)
        return _drf.MultipleChoiceField.to_internal_value(self, data)


class IntegerField(_drf.IntegerField):
    """An integer within 64 bits (an id, an offset) unless the caller gives narrower bounds."""

    def __init__(self, **kwargs: Any) -> None:
        if kwargs.get("max_value") is None:
            kwargs["max_value"] = inputs.INT64_MAX
        if kwargs.get("min_value") is None:
            kwargs["min_value"] = inputs.INT64_MIN
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str):
            error = inputs.text_error(data)
            if error is not None:
                _refuse(error)
            data = inputs.normalize_number(data)
        elif isinstance(data, float) and not math.isfinite(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class BigIntegerField(IntegerField):
    pass


class DecimalField(_drf.DecimalField):
    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str):
            error = inputs.text_error(data)
            if error is not None:
                _refuse(error)
            data = inputs.normalize_number(data)
        return super().to_internal_value(data)


class FloatField(_drf.FloatField):
    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str):
            data = inputs.normalize_number(data)
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            raise _drf.ValidationError(inputs.MSG_NOT_FINITE, code="not_finite")
        return value


class _DateRange:
    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str):
            error = inputs.text_error(data)
            if error is not None:
                _refuse(error)
            data = inputs.normalize_number(data)
        value = super().to_internal_value(data)  # type: ignore[misc]
        try:
            inputs.check_date(value)
        except inputs.InputError as error:
            _refuse(error)
        return value


class DateField(_DateRange, _drf.DateField):
    pass


class DateTimeField(_DateRange, _drf.DateTimeField):
    pass


# A wall-clock time of day without a UTC offset (a schedule's "09:00", a reminder's "08:30"): not JSON Schema's
# `format: time`, which is RFC 3339's full-time and requires an offset (schemathesis found every answer violating it).
@extend_schema_field({"type": "string", "pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$", "example": "09:00:00",
                      "description": "Wall-clock time of day (HH:MM[:SS[.ffffff]]), in the platform's time zone."})
class TimeField(_drf.TimeField):
    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str):
            error = inputs.text_error(data)
            if error is not None:
                _refuse(error)
            data = inputs.normalize_number(data)
        return super().to_internal_value(data)


_OURS = {
    _drf.CharField: CharField, _drf.EmailField: EmailField, _drf.SlugField: SlugField, _drf.URLField: URLField,
    _drf.IntegerField: IntegerField, _drf.BigIntegerField: BigIntegerField, _drf.DecimalField: DecimalField,
    _drf.FloatField: FloatField, _drf.DateField: DateField, _drf.DateTimeField: DateTimeField,
    _drf.TimeField: TimeField,
}


class ModelSerializer(_drf.ModelSerializer):
    """Model fields become the bounded fields above; integer columns keep their range (Django's validators
    from the database's integer ranges, which DRF turns into min/max)."""

    serializer_field_mapping = {
        model_field: _OURS.get(field, field) for model_field, field in _drf.ModelSerializer.serializer_field_mapping.items()
    }
    serializer_choice_field = ChoiceField

    def build_standard_field(self, field_name: str, model_field: models.Field) -> tuple[type, dict[str, Any]]:
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if (isinstance(model_field, models.IntegerField) and not isinstance(model_field, models.AutoField)
                and issubclass(field_class, _drf.IntegerField)):
            lo, hi = _column_range(model_field)
            kwargs.setdefault("min_value", lo)
            kwargs.setdefault("max_value", hi)
        return field_class, kwargs


def _column_range(model_field: models.IntegerField) -> tuple[int, int]:
    internal = model_field.get_internal_type()
    if internal in ("SmallIntegerField",):
        return -(2**15), 2**15 - 1
    if internal == "PositiveSmallIntegerField":
        return 0, 2**15 - 1
    if internal in ("IntegerField",):
        return inputs.INT32_MIN, inputs.INT32_MAX
    if internal == "PositiveIntegerField":
        return 0, inputs.INT32_MAX
    if internal == "PositiveBigIntegerField":
        return 0, inputs.INT64_MAX
    return inputs.INT64_MIN, inputs.INT64_MAX
