"""A real S3 server for the tests: ``cumulo/ceph-rgw:16`` (Ceph's radosgw from Debian) in one
container, published on 127.0.0.1 only, with random administrator keys; removed at the end."""

from __future__ import annotations

import secrets
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from e2e_helpers import build_optional_image, free_port

from cumulo.drivers.docker_images import CEPH_RGW_16

LABEL = "cumulo.test=radosgw"
READY = "/run/cumulo-rgw.ready"  # the image's entrypoint makes it once S3 answers


@dataclass(frozen=True)
class Radosgw:
    endpoint: str
    access_key: str
    secret_key: str = field(repr=False)

    def client(self, access_key: str | None = None, secret_key: str | None = None) -> Any:
        """An S3 client of the server: the administrator's, or the keys given."""
        return boto3.client(
            "s3", endpoint_url=self.endpoint, region_name="us-east-1",
            aws_access_key_id=access_key or self.access_key,
            aws_secret_access_key=secret_key or self.secret_key,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
        )  # fmt: skip

    def bucket_exists(self, name: str) -> bool:
        """Whether the bucket exists, whoever owns it (the administrator may be refused)."""
        try:
            self.client().head_bucket(Bucket=name)
        except ClientError as exc:
            return exc.response["Error"]["Code"] not in ("404", "NoSuchBucket")
        return True


@contextmanager
def running_radosgw(timeout: float = 90) -> Iterator[Radosgw]:
    """The S3 server, built first if absent (``scripts/build-images.sh s3``)."""
    build_optional_image("s3", CEPH_RGW_16)
    access = "TESTADMIN" + secrets.token_hex(6).upper()
    secret = secrets.token_urlsafe(24)
    port = free_port()
    run = ["docker", "run", "-d", "--label", LABEL, "-p", f"127.0.0.1:{port}:7480",
           "-e", f"RGW_ADMIN_ACCESS_KEY={access}", "-e", f"RGW_ADMIN_SECRET_KEY={secret}",
           CEPH_RGW_16]  # fmt: skip
    cid = subprocess.run(run, capture_output=True, text=True, check=True).stdout.strip()
    try:
        deadline = time.monotonic() + timeout
        while subprocess.run(["docker", "exec", cid, "test", "-f", READY]).returncode:
            state = subprocess.run(["docker", "inspect", "-f", "{{.State.Running}}", cid],
                                   capture_output=True, text=True).stdout.strip()  # fmt: skip
            if state != "true" or time.monotonic() > deadline:
                logs = subprocess.run(["docker", "logs", "--tail", "40", cid],
                                      capture_output=True, text=True)  # fmt: skip
                pytest.fail(f"radosgw did not come up:\n{logs.stdout}{logs.stderr}")
            time.sleep(0.5)
        yield Radosgw(f"http://127.0.0.1:{port}", access, secret)
    finally:
        subprocess.run(["docker", "rm", "-f", "-v", cid], capture_output=True)
