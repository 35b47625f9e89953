"""Django's `forms` module with the input boundary built into its fields: `from platform_site import forms`
where a form module would write `from django import forms`.

Names not defined here are Django's own (module `__getattr__`). The fields here apply `platform_site.inputs`
(the same rules as the API's fields, platform_site/serializers.py): the text rule (strict for names,
addresses and reasons, by field name), 64-bit integers unless narrower bounds are given, finite decimals,
dates within DATE_MIN … DATE_MAX, full-width digits accepted. The error appears under the field, in the
user's language. (platform_site.middleware applies the text rule to raw form bodies too, for the pages that
read `request.POST` without a form.)
"""
from __future__ import annotations

from typing import Any

from django import forms as _django
from django.core.exceptions import ValidationError

from . import inputs

__all__ = ["CharField", "ChoiceField", "DateField", "DateTimeField", "DecimalField", "EmailField", "Form",
           "IntegerField", "RegexField", "TimeField", "TypedChoiceField"]


def __getattr__(name: str) -> Any:
    return getattr(_django, name)


def _refuse(error: inputs.InputError) -> None:
    raise ValidationError(error.message, code=error.code)


class _TextRule:
    strict = False

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            error = inputs.text_error(value, strict=self.strict)
            if error is not None:
                _refuse(error)
        return super().to_python(value)  # type: ignore[misc]


class _NumberInput:
    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            error = inputs.text_error(value)
            if error is not None:
                _refuse(error)
            value = inputs.normalize_number(value)
        return super().to_python(value)  # type: ignore[misc]


class CharField(_TextRule, _django.CharField):
    pass


class RegexField(_TextRule, _django.RegexField):
    pass


class EmailField(_TextRule, _django.EmailField):
    pass


class ChoiceField(_TextRule, _django.ChoiceField):
    pass


class TypedChoiceField(_TextRule, _django.TypedChoiceField):
    pass


class IntegerField(_NumberInput, _django.IntegerField):
    def __init__(self, *, max_value: int | None = None, min_value: int | None = None, **kwargs: Any) -> None:
        super().__init__(max_value=inputs.INT64_MAX if max_value is None else max_value,
                         min_value=inputs.INT64_MIN if min_value is None else min_value, **kwargs)


class DecimalField(_NumberInput, _django.DecimalField):
    def to_python(self, value: Any) -> Any:
        number = super().to_python(value)
        if number is not None and not number.is_finite():
            _refuse(inputs.InputError(inputs.MSG_NOT_FINITE, "not_finite"))
        return number


class _DateRange(_NumberInput):
    def to_python(self, value: Any) -> Any:
        result = super().to_python(value)
        if result is not None:
            try:
                inputs.check_date(result)
            except inputs.InputError as error:
                _refuse(error)
        return result


class DateField(_DateRange, _django.DateField):
    pass


class DateTimeField(_DateRange, _django.DateTimeField):
    pass


class TimeField(_NumberInput, _django.TimeField):
    pass


class Form(_django.Form):
    """Marks names, addresses and reasons (by field name) for the strict text rule."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if isinstance(field, _TextRule) and inputs.is_strict_field(name):
                field.strict = True
