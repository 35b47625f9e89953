"""Private file storage (platform_site.storage): a directory by default, an S3 bucket when STORAGE_BACKEND=s3.

`make run` and the tests keep the directory (PRIVATE_MEDIA_ROOT). Several web nodes need the bucket (or any
S3-compatible store: MinIO, Ceph RGW, a cloud's object storage): a file uploaded through one node is then read
through another. Objects are private (no ACL grant, no public URL); the apps stream them after their access
check.
"""
from __future__ import annotations

from .env import env


def s3_private_storage(*, bucket: str, endpoint_url: str | None = None, region: str = "us-east-1",
                       access_key: str | None = None, secret_key: str | None = None, prefix: str = "private",
                       addressing_style: str = "path", sse: str = "") -> dict:
    """The STORAGES entry of the private S3 store (also used by the tests against a local S3 server)."""
    from botocore.config import Config

    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url,
            "region_name": region,
            # Keys from the environment; none means boto3's own chain (an instance or workload role).
            "access_key": access_key,
            "secret_key": secret_key,
            "location": prefix,
            "addressing_style": addressing_style,
            "signature_version": "s3v4",
            "default_acl": "private",
            # Never handed out (downloads stream through the app); if one ever is, it lives one minute.
            "querystring_auth": True,
            "querystring_expire": 60,
            # Names carry a uuid: never overwrite, and a clash gets a new name instead.
            "file_overwrite": False,
            "object_parameters": {"ServerSideEncryption": sse} if sse else {},
            # An unreachable store fails a request in seconds (and /readyz says so), not after minutes.
            "client_config": Config(connect_timeout=3, read_timeout=10, retries={"max_attempts": 2}),
        },
    }


STORAGE_BACKEND = env("STORAGE_BACKEND", default="filesystem")
if STORAGE_BACKEND == "s3":
    _private = s3_private_storage(
        bucket=env("S3_BUCKET", default=""), endpoint_url=env("S3_ENDPOINT_URL", default=None),
        region=env("S3_REGION", default="us-east-1"), access_key=env("S3_ACCESS_KEY_ID", default=None),
        secret_key=env("S3_SECRET_ACCESS_KEY", default=None), prefix=env("S3_PREFIX", default="private"),
        addressing_style=env("S3_ADDRESSING_STYLE", default="path"), sse=env("S3_SSE", default=""),
    )
elif STORAGE_BACKEND == "filesystem":
    _private: dict = {"BACKEND": "platform_site.storage.PrivateFileSystemStorage"}
else:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"STORAGE_BACKEND must be 'filesystem' or 's3', not {STORAGE_BACKEND!r}.")

STORAGES = {
    "default": _private,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
