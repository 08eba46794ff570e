"""Team mode's engines, for real, on loopback: PostgreSQL from the Debian package and moto's S3 server.

PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user (`runuser`), in a temporary
folder, on a free port, with password authentication (scram-sha-256): the tests check that the catalog password
comes from the environment. Tests skip, saying how to install it, when PostgreSQL is not installed.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

CATALOG_USER = "newsmon"
CATALOG_PASSWORD = "catalog-pass-for-tests"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _postgres_bin() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(candidates[-1]).parent if candidates else None


@dataclass(frozen=True)
class PostgresServer:
    port: int
    bin: Path

    def create_database(self, name: str) -> str:
        """A fresh database; returns the `[warehouse] catalog` string for it (no password: that is the env's)."""
        subprocess.run(
            [str(self.bin / "psql"), "-q", "-h", "127.0.0.1", "-p", str(self.port), "-U", CATALOG_USER, "-d",
             "postgres", "-c", f'CREATE DATABASE "{name}"'],
            check=True, capture_output=True, env={**os.environ, "PGPASSWORD": CATALOG_PASSWORD},
        )  # fmt: skip
        return f"postgres:host=127.0.0.1 port={self.port} dbname={name} user={CATALOG_USER}"


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    bin_dir = _postgres_bin()
    if bin_dir is None or not (bin_dir / "pg_ctl").exists():
        pytest.skip("PostgreSQL is not installed: apt-get install -y postgresql")
    as_postgres: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="newsmon-pg-"))
    if os.geteuid() == 0:  # initdb and postgres refuse root
        as_postgres = ["runuser", "-u", "postgres", "--"]
        shutil.chown(folder, "postgres")
    password_file = folder / "password"
    password_file.write_text(CATALOG_PASSWORD + "\n", encoding="utf-8")
    if as_postgres:
        shutil.chown(password_file, "postgres")
    data = folder / "data"
    port = _free_port()
    try:
        _start(as_postgres, bin_dir, folder, data, password_file, port)
    except subprocess.CalledProcessError:
        shutil.rmtree(folder, ignore_errors=True)  # a failed start leaves nothing behind
        raise
    try:
        yield PostgresServer(port, bin_dir)
    finally:
        subprocess.run([*as_postgres, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)


def _start(as_postgres: list[str], bin_dir: Path, folder: Path, data: Path, password_file: Path, port: int) -> None:
    subprocess.run(
        [*as_postgres, str(bin_dir / "initdb"), "-D", str(data), "-U", CATALOG_USER, f"--pwfile={password_file}",
         "-A", "scram-sha-256"],
        check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(
        [*as_postgres, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w", "-o",
         f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
        check=True, capture_output=True,
    )  # fmt: skip


@dataclass(frozen=True)
class S3Server:
    endpoint: str  # host:port

    def create_bucket(self, name: str) -> None:
        self.client().create_bucket(Bucket=name)

    def keys(self, bucket: str) -> list[str]:
        return [item["Key"] for item in self.client().list_objects_v2(Bucket=bucket).get("Contents", [])]

    def client(self) -> object:
        import boto3

        return boto3.client("s3", endpoint_url=f"http://{self.endpoint}", region_name="us-east-1",
                            aws_access_key_id="team-key", aws_secret_access_key="team-secret")  # fmt: skip


@contextmanager
def s3_server() -> Iterator[S3Server]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port(), verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield S3Server(f"{host}:{port}")
    finally:
        server.stop()
