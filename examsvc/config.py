"""Settings, read from ``EXAMSVC_*`` environment variables (or a ``.env`` file).

Settings are built once by the entry point (``examsvc serve``, the CLI, the tests) and injected;
nothing builds them at import time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from examsvc.localtime import zone

DEVELOPMENT_LOG_ORIGIN = "examsvc.localhost/dev-log"
DEVELOPMENT_CERTIFICATE_ISSUER = "CN-DEV"
# What production refuses below (scrypt N = 2**17, the default) and above (tokens live one working day).
PRODUCTION_MIN_PASSWORD_COST_LOG2 = 17
PRODUCTION_MAX_TOKEN_TTL_MINUTES = 12 * 60


def default_data_dir() -> Path:
    """Per-user data folder, following the XDG base directory convention."""
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / "examsvc"


class ProductionSettingsError(ValueError):
    """Raised when production mode is asked for with development defaults still in place."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EXAMSVC_", env_file=".env", extra="ignore")

    environment: Literal["development", "production"] = "development"
    data_dir: Path = Field(default_factory=default_data_dir)
    # Empty means the embedded default: a SQLite file in the data folder.
    database_url: str = ""
    # The origin line of the audit log's checkpoints (C2SP tlog-checkpoint), e.g.
    # "exam.yjt.shanxi.gov.cn/examsvc/log". Must be unique to the province's log.
    log_origin: str = DEVELOPMENT_LOG_ORIGIN
    # The log's Ed25519 signing key (PKCS#8 PEM). Empty: generated at first run as keys/log-ed25519.pem.
    log_signing_key_file: Path | None = None
    # Certificates (docs/certificates.md): the issuer claim every certificate carries (short: it is in the QR,
    # e.g. "CN-14" for Shanxi) and the issuing authority's name as the card and /verify print it.
    certificate_issuer: str = Field(default=DEVELOPMENT_CERTIFICATE_ISSUER, min_length=1, max_length=16,
                                    pattern=r"^[A-Za-z0-9.\-]+$")
    certificate_authority_name: str = Field(default="（开发环境）应急管理厅", min_length=1, max_length=40)
    # The certificate key (Ed25519, PKCS#8 PEM). Empty: generated at first run as keys/certificate-ed25519.pem.
    certificate_key_file: Path | None = None
    # Certificate numbers: {kind} (T 特种作业操作证, A 安全生产知识和管理能力考核合格证), {year} (4 digits), {serial}
    # (a counter per kind and year, never reused; give it a width, e.g. {serial:06d}).
    certificate_number_format: str = Field(default="{kind}{year}{serial:06d}", min_length=8, max_length=40)
    # The CJK font the printable card (PDF) embeds: a .ttf/.otf, or a .ttc/.otc collection (its Simplified
    # Chinese face is used). Empty: the first of examsvc.certificates.card.FONT_CANDIDATES found (Debian's
    # fonts-noto-cjk first).
    certificate_font_file: Path | None = None
    # The public /verify page: checks per client address per minute.
    verify_rate_per_minute: int = Field(default=60, ge=1, le=100_000)
    # How often the log signs a new checkpoint when it has grown; 0 turns the background signer off.
    checkpoint_interval_seconds: float = Field(default=5.0, ge=0, le=3600)
    access_token_ttl_minutes: int = Field(default=480, ge=1, le=7 * 24 * 60)
    # Witnesses that cosign the log's checkpoints (C2SP tlog-witness; docs/audit-log.md "Witnesses"): entries
    # separated by ";" or newlines, each "<witness vkey> <submission URL prefix>", e.g.
    # "witness.example.gov.cn/w1+1a2b3c4d+BH… https://witness.example.gov.cn/w1". The log talks to these
    # URLs only.
    witnesses: Annotated[tuple[str, ...], NoDecode] = ()
    # How many of them must cosign a checkpoint before GET /audit/checkpoint serves it and before
    # ``audit verify`` accepts it. Empty: all configured witnesses; 0: none required (development).
    witness_quorum: int | None = Field(default=None, ge=0)
    # Seconds one submission to a witness may take before it is given up and retried next round.
    witness_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # Failed credential checks back off instead of locking (examsvc.identity.throttle): after this many
    # consecutive failures of one user name (known or not), one examiner's passphrase or one user's
    # current password, each further try waits, the wait doubling from login_backoff_seconds up to
    # login_backoff_max_seconds. A system admin can clear it (``examsvc users unlock``).
    login_max_failures: int = Field(default=5, ge=1, le=100)
    login_backoff_seconds: float = Field(default=2.0, gt=0, le=3600)
    login_backoff_max_seconds: float = Field(default=300.0, gt=0, le=24 * 3600)
    # The same per client address, across names: more failures before it (a site's staff may share one
    # address), a longer wait at most.
    source_max_failures: int = Field(default=20, ge=1, le=10_000)
    source_backoff_max_seconds: float = Field(default=900.0, gt=0, le=24 * 3600)
    # Failures followed by this long without another are forgotten.
    login_failure_memory_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)
    # scrypt cost (N = 2**cost). Lower it only for tests.
    password_cost_log2: int = Field(default=17, ge=10, le=20)
    # Sitting defaults (考试场次): how late a candidate may still start, and proctors per room.
    late_entry_minutes: int = Field(default=15, ge=0, le=120)
    proctors_per_room: int = Field(default=2, ge=1, le=10)
    # The site's time zone (IANA name): how printed times read (the room record's page, CLI output,
    # messages). Stored and logged times are UTC.
    timezone: str = "Asia/Shanghai"
    # A sitting may be opened from this many minutes before its scheduled start.
    open_window_minutes: int = Field(default=30, ge=0, le=240)
    # Eligibility by age on the day of the sitting (特种作业人员: 年满18周岁，且不超过国家法定退休年龄).
    candidate_min_age: int = Field(default=18, ge=14, le=80)
    candidate_max_age: int = Field(default=60, ge=14, le=80)
    # Answering: a save that arrives this many seconds after the deadline is still taken (network
    # latency of the last click); after it, saves are refused and the attempt is submitted.
    answer_grace_seconds: int = Field(default=5, ge=0, le=60)
    # How often the server submits attempts whose time is up; 0 turns the background sweep off (the
    # next request and ``examsvc sittings sweep`` still do it).
    sweep_interval_seconds: float = Field(default=2.0, ge=0, le=600)
    # The API documentation (/docs, /redoc, /openapi.json): on in development; in production off unless
    # this says true (it maps every route for whoever asks).
    api_docs: bool | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    db_pool_size: int = Field(default=10, ge=1, le=200)
    # Requests at work at once per worker process; the rest wait in the event loop (examsvc.admission).
    # Few is fast: the database work runs in threads, and more threads than this contend for the GIL
    # (docs/performance.md has the measurements). Capped by the pool.
    request_concurrency: int = Field(default=4, ge=1, le=400)
    # Password and passphrase checks (scrypt, 128 MiB and ~0.4 s each) at work at once per worker, in a
    # share of their own beside the main gate, so that a flood of logins never starves saves; beyond
    # credential_queue waiting, such a request is refused at once with 503 (examsvc.admission).
    credential_concurrency: int = Field(default=1, ge=1, le=16)
    credential_queue: int = Field(default=32, ge=1, le=10_000)
    # Bank and practical bank imports at work at once per worker, in a share of their own (issue 17 item 5):
    # parsing a 50 MB workbook takes seconds and is no exam-day work, so imports never take the slots
    # saves and logins need; beyond import_queue waiting, another import is refused at once with 503.
    import_concurrency: int = Field(default=1, ge=1, le=8)
    import_queue: int = Field(default=2, ge=0, le=100)
    # Request bodies (examsvc.admission): at most this many bytes on any route; the upload routes take
    # up to 50 MB (examsvc.uploads) from a caller that presents a credential.
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, le=50 * 1024 * 1024)
    # A body must arrive within this many seconds (slow-loris: 408); an upload within the second.
    body_read_timeout_seconds: float = Field(default=10.0, gt=0, le=600)
    upload_read_timeout_seconds: float = Field(default=600.0, gt=0, le=3600)
    # Bodies being received at once per worker, and of them large uploads; past either, 503 at once.
    max_body_reads: int = Field(default=64, ge=1, le=10_000)
    max_upload_reads: int = Field(default=4, ge=1, le=100)

    @field_validator("certificate_number_format")
    @classmethod
    def _number_format(cls, value: str) -> str:
        from examsvc.certificates.numbering import check_format

        return check_format(value)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        zone(name)  # refuses a name that is not an IANA zone, naming it
        return name

    @field_validator("witnesses", mode="before")
    @classmethod
    def _split_witnesses(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.replace("\n", ";").split(";") if part.strip())
        return value

    @field_validator("witnesses")
    @classmethod
    def _check_witnesses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        from examsvc.audit.witnesses import parse_witness

        for entry in value:
            parse_witness(entry)  # a ValueError names the bad entry
        return value

    @model_validator(mode="after")
    def _check_witness_quorum(self) -> Settings:
        if self.witness_quorum is not None and self.witness_quorum > len(self.witnesses):
            raise ValueError(f"EXAMSVC_WITNESS_QUORUM is {self.witness_quorum} but only {len(self.witnesses)} "
                             "witness(es) are configured in EXAMSVC_WITNESSES")
        return self

    @property
    def effective_witness_quorum(self) -> int:
        return len(self.witnesses) if self.witness_quorum is None else self.witness_quorum

    @model_validator(mode="after")
    def _refuse_development_defaults_in_production(self) -> Settings:
        if self.environment != "production":
            return self
        problems = []
        if not self.database_url:
            problems.append("EXAMSVC_DATABASE_URL is not set (the embedded SQLite default is for development)")
        elif self.database_url.startswith("sqlite"):
            problems.append("EXAMSVC_DATABASE_URL names SQLite (one writer at a time: for development and tests)")
        if self.password_cost_log2 < PRODUCTION_MIN_PASSWORD_COST_LOG2:
            problems.append(f"EXAMSVC_PASSWORD_COST_LOG2 is {self.password_cost_log2}, below "
                            f"{PRODUCTION_MIN_PASSWORD_COST_LOG2} (password hashes and examiner keys keep the "
                            "cost they were made with)")
        if self.checkpoint_interval_seconds == 0:
            problems.append("EXAMSVC_CHECKPOINT_INTERVAL_SECONDS is 0 (the log's checkpoint signer is off)")
        if self.access_token_ttl_minutes > PRODUCTION_MAX_TOKEN_TTL_MINUTES:
            problems.append(f"EXAMSVC_ACCESS_TOKEN_TTL_MINUTES is {self.access_token_ttl_minutes}, above "
                            f"{PRODUCTION_MAX_TOKEN_TTL_MINUTES} (one working day)")
        if self.certificate_issuer == DEVELOPMENT_CERTIFICATE_ISSUER:
            problems.append("EXAMSVC_CERTIFICATE_ISSUER is still the development issuer")
        if self.log_origin == DEVELOPMENT_LOG_ORIGIN:
            problems.append("EXAMSVC_LOG_ORIGIN is still the development origin")
        if "EXAMSVC_DATA_DIR" not in os.environ and self.data_dir == default_data_dir():
            problems.append("EXAMSVC_DATA_DIR is not set (keys would live in a per-user folder)")
        if problems:
            raise ProductionSettingsError("refusing to start in production: " + "; ".join(problems))
        return self

    @property
    def api_docs_enabled(self) -> bool:
        return self.api_docs if self.api_docs is not None else self.environment != "production"

    @property
    def uses_embedded_database(self) -> bool:
        return not self.database_url

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'examsvc.sqlite3'}"

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    def ensure_data_dir(self) -> None:
        """Create the data folder, readable by its owner only (it holds keys)."""
        for folder in (self.data_dir, self.keys_dir):
            folder.mkdir(parents=True, exist_ok=True)
            folder.chmod(0o700)
