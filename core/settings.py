"""Pixport's settings, read once from the environment (prefix ``PIXPORT_``).

No setting at all gives the embedded column of ARCHITECTURE.md: SQLite under
``./data``, in-process jobs and events, a local blob folder, ``.eml`` mail.
``PIXPORT_DATABASE_URL``, ``PIXPORT_REDIS_URL`` and ``PIXPORT_SMTP_URL`` switch to
the at-scale column. Settings live in ``core`` because the API, the workers and
the CLI all read them.
"""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from typing import Annotated

from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PIXPORT_", extra="ignore")

    data_dir: Path = Path("data")
    database_url: SecretStr | None = None  # may carry a password
    redis_url: SecretStr | None = None
    # Prefix of Pixport's keys and channels in Redis (the job queue, events), so that
    # several Pixports — or test runs — can share one Redis.
    redis_namespace: str = "pixport"
    smtp_url: SecretStr | None = None  # smtp://user:pass@host:port, smtps:// for implicit TLS
    mail_from: str = "Pixport <no-reply@pixport.localhost>"
    public_url: str = "http://127.0.0.1:8000"
    debug: bool = False
    # Key for signing e-mail links and encrypting store tokens. The embedded default
    # generates one and keeps it in the data folder, so restarts do not log users out.
    secret_key: SecretStr | None = None
    allowed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Hosts image bytes may be downloaded from (besides those a connector names), e.g.
    # the sandbox's 127.0.0.1 in tests. Everything else is refused (no SSRF).
    image_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    max_image_bytes: int = 8 * 1024 * 1024
    # Image files (originals, results): a local folder under data_dir, or an S3-compatible
    # bucket when s3_bucket is set (credentials may also come from boto3's usual places).
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None  # MinIO, R2, a local server; None: AWS
    s3_region: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    s3_prefix: str = ""
    file_url_ttl_seconds: int = 3600  # signed before/after links
    # A retoucher's upload (productionImageSubmit): the file, and the multipart body
    # that carries it (the JSON body cap stays max_body_bytes).
    max_upload_bytes: int = 25 * 1024 * 1024

    session_ttl_hours: int = 24 * 14
    max_body_bytes: int = 2_000_000
    graphql_max_depth: int = 12
    graphql_max_tokens: int = 3000
    graphql_max_aliases: int = 15
    embedded_job_concurrency: int = 4
    job_lease_seconds: float = 30
    job_max_attempts: int = 5
    log_level: str = "INFO"

    @field_validator("allowed_origins", "image_hosts", mode="before")
    @classmethod
    def _split(cls, value):  # a comma-separated list in the environment
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @property
    def is_embedded_db(self) -> bool:
        return self.database_url is None

    @property
    def db_url(self) -> str:
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite://{(self.data_dir / 'pixport.sqlite3').resolve()}"

    @property
    def redis(self) -> str | None:
        return self.redis_url.get_secret_value() if self.redis_url else None

    @cached_property
    def signing_key(self) -> bytes:
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        path = self.data_dir / "secret.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip().encode()

    @property
    def mail_dir(self) -> Path:
        return self.data_dir / "mail"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

