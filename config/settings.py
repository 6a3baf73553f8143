"""Settings: environment (prefix ``IPSENTRY_``), an optional YAML file, then defaults.

Every remote base URL is a setting so that tests and the offline demo can point the
spiders at the local fixture server instead of the public sites.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


def _default_samples_dir() -> Path:
    """The shared samples live beside the checkout (``../shared/samples``); never copied in."""
    return (REPO_ROOT.parent / "shared" / "samples").resolve()


class SourceURLs(BaseModel):
    """Base URLs of the public sources (override to point at the fixture server)."""

    federal_register: str = "https://www.federalregister.gov"
    usitc_ids: str = "https://ids.usitc.gov"
    edis: str = "https://edis.usitc.gov"
    courtlistener: str = "https://www.courtlistener.com"
    pacer: dict[str, str] = Field(
        default_factory=lambda: {
            court: f"https://ecf.{court}.uscourts.gov" for court in ("ilnd", "flsd", "pawd", "nysd")
        }
    )
    uspto: str = "https://api.uspto.gov"
    euipo: str = "https://api.euipo.europa.eu"
    # EUIPO's production token endpoint is on another host than its API, so it is a setting of its
    # own; None means ``/oidc/accessToken`` on ``euipo`` (the fixture server's layout).
    euipo_token: str | None = None


class SourceKeys(BaseModel):
    """Credentials of the sources that need them (never logged, never returned whole)."""

    courtlistener_token: SecretStr | None = None
    uspto_api_key: SecretStr | None = None
    euipo_client_id: str | None = None
    euipo_client_secret: SecretStr | None = None


class SMTPSettings(BaseModel):
    host: str = "localhost"
    port: int = 25
    username: str | None = None
    password: SecretStr | None = None
    starttls: bool = False
    sender: str = "ipsentry <alerts@localhost>"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="IPSENTRY_",
        env_nested_delimiter="__",
        extra="ignore",
    )

    environment: Literal["development", "production", "test"] = "development"
    data_dir: Path = Path("./var")
    database_url: str | None = None
    # Embedded (no server): "sqlite" (SQLite FTS5, the default) or "tantivy" (faster at a million
    # documents and more); cluster: "elasticsearch" or "opensearch".
    search_backend: Literal["sqlite", "tantivy", "elasticsearch", "opensearch"] = "sqlite"
    search_index_path: Path | None = None
    # Elasticsearch / OpenSearch: one URL or several, comma-separated (http:// or https://).
    search_url: str | None = None
    search_username: str | None = None
    search_password: SecretStr | None = None
    search_api_key: SecretStr | None = None  # Elasticsearch only; wins over username/password
    search_verify_certs: bool = True
    search_ca_certs: Path | None = None  # a PEM bundle for a cluster with its own CA
    search_timeout_seconds: float = 30.0
    # Indices are <prefix>-documents-vN behind the alias <prefix>-documents (and saved searches
    # likewise), so several deployments or test runs can share one cluster.
    search_index_prefix: str = "ipsentry"
    samples_dir: Path = Field(default_factory=_default_samples_dir)
    sources: SourceURLs = Field(default_factory=SourceURLs)
    keys: SourceKeys = Field(default_factory=SourceKeys)
    smtp: SMTPSettings = Field(default_factory=SMTPSettings)
    public_url: str = "http://127.0.0.1:8000"
    # Signs unsubscribe links, feed tokens and console sessions; required in production.
    secret_key: SecretStr | None = None
    # Webhook targets on private/loopback/link-local addresses are refused unless listed here
    # (CIDRs or host names), which is how tests and on-premises receivers are allowed.
    webhook_allowlist: list[str] = Field(default_factory=list)
    webhook_timeout_seconds: float = 5.0
    # Delivery retry schedule in seconds (about two days in all by default).
    retry_schedule: list[int] = Field(
        default_factory=lambda: [30, 120, 600, 1800, 3600, 7200, 14400, 28800, 43200, 86400]
    )
    timezone: str = "Asia/Shanghai"
    crawl_interval_minutes: int = 60
    delivery_interval_seconds: int = 15
    federal_register_max_rps: float = 5.0
    courtlistener_courts: list[str] = Field(default_factory=lambda: ["ilnd", "flsd", "pawd", "nysd"])
    courtlistener_rate_limits: str = "5/minute, 50/hour, 125/day"  # the account's quotas

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _YamlSource(settings_cls), file_secret_settings)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'ipsentry.sqlite').resolve()}"

    @property
    def resolved_index_path(self) -> Path:
        """The embedded index: a SQLite file, or a directory for tantivy."""
        default = "documents.tantivy" if self.search_backend == "tantivy" else "documents.sqlite"
        return self.search_index_path or (self.data_dir / default)

    def ensure_dirs(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)


class _YamlSource(PydanticBaseSettingsSource):
    """Reads the file named by ``IPSENTRY_CONFIG`` (YAML), if any; environment wins over it."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = os.environ.get("IPSENTRY_CONFIG")
        if not path:
            return {}
        with open(path, encoding="utf-8") as handle:
            loaded = yaml.safe_load(handle) or {}
        if not isinstance(loaded, dict):
            raise ValueError(f"{path}: the settings file must hold a mapping")
        return loaded


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
