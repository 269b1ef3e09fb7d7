"""Candor's configuration: one class, read once from CANDOR_* variables, passed in."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEV_SECRET_KEY = "candor-development-secret-do-not-use-in-production"  # noqa: S105 - refused in production


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class BackendKind(StrEnum):
    OPENAI = "openai"
    RASA = "rasa"
    WEBHOOK = "webhook"
    DEMO = "demo"


class Settings(BaseSettings):
    # hide_input_in_errors: a refused setting must not echo the secrets it was given.
    model_config = SettingsConfigDict(
        env_prefix="CANDOR_", extra="ignore", frozen=True, hide_input_in_errors=True
    )

    env: Environment = Environment.DEVELOPMENT
    database_url: str = "sqlite+aiosqlite:///./candor.db"
    host: str = "127.0.0.1"
    port: int = 8080
    secret_key: SecretStr = SecretStr(DEV_SECRET_KEY)
    policy_file: Path | None = None

    backend_url: str | None = None
    backend_kind: BackendKind | None = None  # resolved by the validator below
    backend_api_key: SecretStr | None = None
    backend_model: str | None = None
    backend_timeout_s: float = Field(default=30.0, gt=0)
    backend_connect_timeout_s: float = Field(default=5.0, gt=0)
    backend_retries: int = Field(default=2, ge=0, le=5)
    # Webhook backend: where the reply text is in the JSON answer (dotted path), and the
    # template for the request body ("$text", "$sender", "$conversation_id" are filled in).
    webhook_reply_path: str = "reply"
    webhook_request_template: str = (
        '{"sender": "$sender", "conversation_id": "$conversation_id", "message": "$text"}'
    )

    max_body_bytes: int = Field(default=256 * 1024, gt=0)
    max_messages: int = Field(default=200, gt=0)
    # Audit events are flushed in batches of up to this many, at least this often. Every
    # event is in the spool before its turn's reply, so the interval costs no safety; a
    # longer one spreads each batch's fixed cost over more events (on PostgreSQL, 0.25 s
    # against 0.05 s: 0.74-0.81 ms added per turn instead of 1.15-1.56 ms, bench/audit.py).
    audit_batch_size: int = Field(default=500, gt=0)
    audit_flush_interval_s: float = Field(default=0.25, gt=0)
    # Bot turns' transcript lines are written behind the reply, at least this often.
    transcript_flush_interval_s: float = Field(default=0.05, gt=0)
    # Events wait in this local append-only file until the database has them (default:
    # beside the SQLite file, else ./candor-spool); see docs/audit-integrity.md.
    audit_spool_dir: Path | None = None
    # When a turn's reply may complete: "write" once its events are in the spool file (they
    # survive a crash or kill -9 of Candor; fsync follows within one group commit), "fsync"
    # once they are fsync'd (they also survive a crash of the machine; costs an fsync per
    # turn, 0.5-5 ms on this disk). See docs/audit-integrity.md.
    audit_ack: Literal["write", "fsync"] = "write"
    # Web origins allowed to call the API from a browser (the embedded widget on a
    # tenant's own site), comma-separated; none by default (same origin only).
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip().rstrip("/") for part in value.split(",") if part.strip())
        return value

    # How often each tenant's chain head is pinned by a signed checkpoint (0: never).
    audit_checkpoint_interval_s: float = Field(default=60.0, ge=0)
    # Threads that wait on CPU-bound NLP, and worker processes that run it (spaCy and
    # Presidio on another core than the server). 0 processes: analyse in the threads.
    nlp_workers: int = Field(default=2, ge=1)
    nlp_processes: int = Field(default=1, ge=0, le=16)
    # How long an authenticated key is trusted without asking the database again. A key
    # revoked through another replica stops working within this time (0 = always ask).
    auth_cache_ttl_s: float = Field(default=5.0, ge=0)
    # A customer queued this long without a person picking up is told they are still
    # waiting (once per time in the queue); 0 turns the check off.
    handoff_pickup_timeout_s: float = Field(default=300.0, ge=0)
    # Outbound webhooks (docs/webhooks.md): each attempt times out after webhook_timeout_s;
    # a failed one is retried after webhook_retry_first_s, then 4 times longer each time
    # (capped at webhook_retry_max_s), until webhook_max_attempts attempts have failed.
    webhook_timeout_s: float = Field(default=5.0, gt=0, le=60)
    webhook_max_attempts: int = Field(default=6, ge=1, le=20)
    webhook_retry_first_s: float = Field(default=1.0, gt=0)
    webhook_retry_max_s: float = Field(default=3600.0, gt=0)
    webhook_poll_interval_s: float = Field(default=1.0, gt=0)
    # A streamed completion made while a person holds the conversation stays open this
    # long for their reply (widgets that only speak Chat Completions); 0: answer at once.
    hold_open_s: float = Field(default=25.0, ge=0, le=300)
    # How often data past each tenant's retention period (policy ``retention``) is purged;
    # 0: never by the server (run ``candor purge`` from a scheduler instead).
    retention_purge_interval_s: float = Field(default=3600.0, ge=0)
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _resolve_and_refuse_insecure(self) -> Self:
        if self.backend_kind is None:
            kind = BackendKind.OPENAI if self.backend_url else BackendKind.DEMO
            object.__setattr__(self, "backend_kind", kind)
        if self.backend_kind is not BackendKind.DEMO and not self.backend_url:
            raise ValueError(f"CANDOR_BACKEND_URL is required for backend kind {self.backend_kind}")
        if self.env is Environment.PRODUCTION:
            secret = self.secret_key.get_secret_value()
            if secret == DEV_SECRET_KEY or len(secret) < 32:
                raise ValueError(
                    "CANDOR_SECRET_KEY must be set to a secret of at least 32 characters "
                    "when CANDOR_ENV=production"
                )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def resolved_backend_kind(self) -> BackendKind:
        assert self.backend_kind is not None  # set by the validator
        return self.backend_kind
