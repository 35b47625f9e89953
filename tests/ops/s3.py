"""A local S3 server for the tests: moto in server mode, a real separate process on a loopback port."""
from __future__ import annotations

import subprocess
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from platform_site.settings.integrations_storage import s3_private_storage
from tests.platform.conftest import BIN, free_port, wait_until

# moto accepts any key pair; these are what the nodes are given, as a deployment would give its own.
ACCESS_KEY, SECRET_KEY = "test-access-key", "test-secret-key"


@dataclass
class S3Server:
    endpoint: str
    bucket: str

    def client(self):  # type: ignore[no-untyped-def]
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)

    def keys(self) -> list[str]:
        listed = self.client().list_objects_v2(Bucket=self.bucket)
        return sorted(obj["Key"] for obj in listed.get("Contents", []))

    def storages(self) -> dict:
        """A STORAGES setting with the private store on this server (as production's STORAGE_BACKEND=s3)."""
        return {
            "default": s3_private_storage(bucket=self.bucket, endpoint_url=self.endpoint, access_key=ACCESS_KEY,
                                          secret_key=SECRET_KEY),
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }

    def env(self) -> dict[str, str]:
        """The same, as the environment of a node."""
        return {"STORAGE_BACKEND": "s3", "S3_BUCKET": self.bucket, "S3_ENDPOINT_URL": self.endpoint,
                "S3_ACCESS_KEY_ID": ACCESS_KEY, "S3_SECRET_ACCESS_KEY": SECRET_KEY}


@pytest.fixture
def s3_server(tmp_path: Path) -> Iterator[S3Server]:
    port = free_port()
    log_path = tmp_path / "moto.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)], stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    endpoint = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"moto_server exited:\n{log_path.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(endpoint + "/moto-api/", timeout=2):
                return True
        except OSError:
            return False

    try:
        wait_until(answers, 30, "the S3 server to answer")
        server = S3Server(endpoint=endpoint, bucket=f"medplatform-{uuid.uuid4().hex[:8]}")
        server.client().create_bucket(Bucket=server.bucket)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
