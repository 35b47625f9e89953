"""A model field that keeps its value encrypted in the database (accounts.crypto): the application reads and
writes plain text, the table holds only Fernet tokens. It cannot be filtered on (a token differs every time)."""
from __future__ import annotations

from typing import Any

from cryptography.fernet import InvalidToken
from django.db import models

from . import crypto


class EncryptedTextField(models.TextField):
    """Plain text in Python, a Fernet token in the column. Empty stays empty (nothing to protect, and forms
    keep treating "" as blank)."""

    description = "Text encrypted at rest"

    def __init__(self, *args: Any, purpose: str = crypto.PERSONAL, **kwargs: Any) -> None:
        self.purpose = purpose
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[Any, ...]:
        name, path, args, kwargs = super().deconstruct()
        if self.purpose != crypto.PERSONAL:
            kwargs["purpose"] = self.purpose
        return name, path, args, kwargs

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if not value:
            return value
        try:
            return crypto.decrypt(value, purpose=self.purpose)
        except InvalidToken:
            if value.startswith(crypto.TOKEN_PREFIX):
                raise  # a token under a key we no longer have: never show it as if it were the value
            return value  # a row written before the column was encrypted (the migration encrypts those)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if not value:
            return value
        return crypto.encrypt(str(value), purpose=self.purpose)
