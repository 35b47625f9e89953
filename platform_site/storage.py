"""Private files (consultation attachments, health documents, backups' objects) go through Django's storage API.

`STORAGES["default"]` is the private store: a directory outside the web root by default (`PRIVATE_MEDIA_ROOT`),
an S3 bucket with private objects when `STORAGE_BACKEND=s3` (settings/integrations_storage.py). Nothing in it is
ever served by URL: the apps open a file after their access check and stream it through the response, so the
bucket needs no public endpoint and the response keeps its security headers.

Names are relative, '/'-separated and chosen by the apps (a uuid per file): they are what the models store and
what a backup copies.
"""
from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.utils.functional import cached_property

SPOOL_BYTES = 1024 * 1024


class PrivateFileSystemStorage(FileSystemStorage):
    """FileSystemStorage rooted at PRIVATE_MEDIA_ROOT (read lazily, so a test's override applies) with no URL."""

    @cached_property
    def base_location(self) -> str:  # type: ignore[override]
        return self._value_or_setting(self._location, str(settings.PRIVATE_MEDIA_ROOT))

    def _clear_cached_properties(self, setting: str, **kwargs: object) -> None:
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "PRIVATE_MEDIA_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)

    def url(self, name: str | None) -> str:
        raise NotImplementedError("private files have no URL; stream them through a view after its access check")


def private_storage() -> Storage:
    return storages["default"]


def private_save(name: str, chunks: Iterator[bytes], *, limit: int | None = None) -> tuple[str, int]:
    """Write `chunks` under `name`; returns (the stored name, bytes written).

    The bytes are spooled first (memory up to 1 MB, then a temporary file) so the size is known and checked
    before anything reaches the store: a file over `limit` raises OverLimit and nothing is stored.
    """
    written = 0
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        for chunk in chunks:
            written += len(chunk)
            if limit is not None and written > limit:
                raise OverLimit(written)
            spool.write(chunk)
        spool.seek(0)
        stored = private_storage().save(name, File(spool, name=name))
    return stored, written


def private_open(name: str) -> IO[bytes] | None:
    """The stored file opened for reading, or None when it is missing (or the name is unusable)."""
    storage = private_storage()
    try:
        if not name or not storage.exists(name):
            return None
        return storage.open(name, "rb")
    except (FileNotFoundError, SuspiciousFileOperation):   # a name outside the store
        return None


def private_delete(name: str) -> None:
    """Remove a stored file (a clean-up after a failed write); a missing file is not an error."""
    try:
        private_storage().delete(name)
    except FileNotFoundError:
        pass


class OverLimit(Exception):
    def __init__(self, written: int) -> None:
        super().__init__(f"more than the limit ({written} bytes read)")
        self.written = written
