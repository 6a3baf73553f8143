"""Request and response bodies of the REST API (kept apart from the tables)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from ipsentry.core.documents import Document, Match, Party
from ipsentry.core.registry import Brand
from ipsentry.core.users import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH

SEVERITIES = ("info", "low", "medium", "high", "critical")
Severity = Literal["info", "low", "medium", "high", "critical"]
Rate = Literal["immediate", "daily", "weekly"]
Language = Literal["zh-CN", "en"]
Role = Literal["admin", "analyst", "enterprise"]


class ErrorOut(BaseModel):
    detail: str = Field(description="why the request was refused")


# ----------------------------------------------------------------------------- documents


class DocumentOut(BaseModel):
    id: str
    source: str
    kind: str
    title: str
    summary: str
    url: str | None
    published: date | None
    authority: str | None
    jurisdiction: str
    case_numbers: list[str]
    docket_number: str | None
    stage: str
    severity: str
    parties: list[Party]
    products: list[str]
    classes: list[int]
    industries: list[str]
    matches: list[Match] = Field(description="enterprises recognised, with role, variant and evidence")
    highlights: dict[str, str] = Field(
        default_factory=dict, description="field → snippet, matched terms in <mark>…</mark>, HTML-escaped"
    )
    score: float | None = None

    @classmethod
    def of(cls, document: Document, **extra: Any) -> DocumentOut:
        return cls(**document.model_dump(exclude={"text", "extra", "fetched", "native_id"}), **extra)


class DocumentDetail(DocumentOut):
    text: str
    extra: dict[str, Any]
    fetched: datetime


class SearchPage(BaseModel):
    total: int
    page: int
    size: int
    items: list[DocumentOut]
    facets: dict[str, dict[str, int]] = Field(default_factory=dict)


# ----------------------------------------------------------------------------- cases


class CaseSummary(BaseModel):
    id: str
    kind: str
    title: str
    authority: str | None
    current_stage: str
    first_seen: date | None
    last_seen: date | None
    documents: int


class CasePage(BaseModel):
    total: int
    page: int
    size: int
    items: list[CaseSummary]


class CaseEventOut(BaseModel):
    stage: str
    occurred: date | None
    document_id: str
    title: str


class CaseDetail(CaseSummary):
    timeline: list[CaseEventOut] = Field(description="stages reached, oldest first")
    parties: list[Party] = Field(description="every party named by the case's documents, once")
    matches: list[Match] = Field(description="registered enterprises recognised in the case")
    document_list: list[DocumentOut]


# ----------------------------------------------------------------------------- enterprises


class EnterpriseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    external_id: str = Field(min_length=1, max_length=128)
    name_zh: str | None = Field(default=None, max_length=300)
    names_en: list[str] = Field(default_factory=list)
    former_names: list[str] = Field(default_factory=list)
    abbreviations: list[str] = Field(default_factory=list)
    brands: list[Brand] = Field(default_factory=list)
    stores: list[str] = Field(default_factory=list)
    seller_ids: list[str] = Field(default_factory=list)
    subsidiaries: list[str] = Field(default_factory=list)
    region_province: str | None = Field(default=None, max_length=64)
    region_city: str | None = Field(default=None, max_length=64)
    industries: list[str] = Field(default_factory=list)
    contact_email: EmailStr | None = None

    @field_validator("names_en")
    @classmethod
    def _some_name(cls, value: list[str]) -> list[str]:
        return [name.strip() for name in value if name.strip()]


class EnterpriseOut(EnterpriseIn):
    model_config = ConfigDict(extra="ignore", from_attributes=True)

    id: int
    contact_email: str | None = None
    created_at: datetime
    updated_at: datetime


class RiskItem(BaseModel):
    document_id: str
    title: str
    risk_kind: str
    stage: str
    severity: str
    role: str
    match_kind: str
    variant: str
    evidence: str
    case_id: str | None
    published: date | None


class EnterpriseRisk(BaseModel):
    """What the enterprise is exposed to: its matched documents counted several ways."""

    enterprise_id: int
    name: str
    documents: int
    cases: int
    by_kind: dict[str, int]
    by_stage: dict[str, int]
    by_severity: dict[str, int]
    by_role: dict[str, int]
    latest: list[RiskItem]


# ----------------------------------------------------------------------------- channels


class ChannelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["webhook", "email", "dingtalk", "wecom", "feishu", "console"]
    name: str = Field(default="", max_length=128)
    target: str = Field(min_length=1, max_length=2000)
    secret: str | None = Field(default=None, max_length=256)
    language: Language = "zh-CN"
    enterprise_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class ChannelUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=128)
    target: str | None = Field(default=None, min_length=1, max_length=2000)
    secret: str | None = Field(default=None, max_length=256)
    language: Language | None = None
    enabled: bool | None = Field(default=None, description="true re-enables and replays fresh alerts")


class ChannelOut(BaseModel):
    id: int
    kind: str
    name: str
    target: str
    secret: str | None = Field(description="masked")
    language: str
    enabled: bool
    disabled_reason: str | None
    enterprise_id: int | None
    created_at: datetime


class ChannelTestResult(BaseModel):
    ok: bool
    status_code: int | None = None
    error: str | None = None
    response_excerpt: str | None = None
    curl: str = Field(default="", description="the same request as a curl command, credentials as variables")


# ----------------------------------------------------------------------------- subscriptions


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["enterprise", "search", "region", "industry", "brand", "firm", "keyword"]
    name: str = Field(default="", max_length=200)
    enterprise_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    query: str | None = Field(default=None, max_length=2000)
    min_severity: Severity = "low"
    rate: Rate = "immediate"
    channel_ids: list[int] = Field(default_factory=list, max_length=50)


class SubscriptionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    min_severity: Severity | None = None
    rate: Rate | None = None
    active: bool | None = None
    channel_ids: list[int] | None = Field(default=None, max_length=50)


class SubscriptionOut(BaseModel):
    id: int
    kind: str
    name: str
    enterprise_id: int | None
    query: str | None
    min_severity: str
    rate: str
    active: bool
    channel_ids: list[int]
    created_at: datetime
    has_feed: bool = False


class WeekCount(BaseModel):
    first_day: date
    last_day: date = Field(description="inclusive")
    count: int


class HitPreview(BaseModel):
    """How often the subscription would have fired: the stored documents it selects per week
    (an upper bound: alerts also apply the minimum severity and dedupe a case's stage)."""

    query: str = Field(description="the query the estimate ran, in the query language")
    per_week: float
    weeks: list[WeekCount] = Field(description="oldest first; the last ends today")
    total: int = Field(description="documents selected over these weeks")


class FeedTokenOut(BaseModel):
    subscription_id: int
    atom_url: str = Field(description="holds the secret token: shown once, keep it private")
    rss_url: str
    created_at: datetime


# ----------------------------------------------------------------------------- alerts, deliveries


class AlertOut(BaseModel):
    id: int
    subscription_id: int
    document_id: str
    enterprise_id: int | None
    case_id: str | None
    stage: str
    risk_kind: str
    severity: str
    title: str
    payload: dict[str, Any]
    created_at: datetime
    acknowledged_at: datetime | None


class AlertPage(BaseModel):
    total: int
    items: list[AlertOut]


class DeliveryAttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    attempted_at: datetime
    ok: bool
    status_code: int | None
    response_excerpt: str | None
    error: str | None
    duration_ms: float


class DeliveryOut(BaseModel):
    id: int
    alert_id: int | None
    digest_id: int | None
    channel_id: int
    channel_name: str
    channel_kind: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime
    attempt_log: list[DeliveryAttemptOut]


class DeliveryPage(BaseModel):
    total: int
    items: list[DeliveryOut]


# ----------------------------------------------------------------------------- sources


class CrawlRunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    started_at: datetime
    finished_at: datetime | None
    ok: bool
    requests: int
    items: int
    new_documents: int
    updated_documents: int
    errors: int
    error_samples: list[Any]
    message: str | None


class SourceHealth(BaseModel):
    source: str
    status: Literal["ok", "failing", "stale", "never_run"]
    last_run_at: datetime | None
    last_success_at: datetime | None
    last_run: CrawlRunOut | None
    runs: int = Field(description="runs recorded")
    failed_runs: int
    documents: int = Field(description="documents of this source in the index")
    newest_published: date | None
    lag_hours: float | None = Field(description="hours since the last successful run")


# ----------------------------------------------------------------------------- users, keys


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=2, max_length=128, pattern=r"^[\w.@+-]+$")
    role: Role
    enterprise_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    password: str | None = Field(default=None, min_length=PASSWORD_MIN_LENGTH, max_length=PASSWORD_MAX_LENGTH)
    email: EmailStr | None = None
    language: Language = "zh-CN"


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role | None = None
    enterprise_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    password: str | None = Field(default=None, min_length=PASSWORD_MIN_LENGTH, max_length=PASSWORD_MAX_LENGTH)
    email: EmailStr | None = None
    language: Language | None = None
    active: bool | None = None


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    role: str
    enterprise_id: int | None
    email: str | None
    language: str
    active: bool
    created_at: datetime
    has_password: bool


class ApiKeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="", max_length=128)


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    prefix: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="the whole key: shown this once, stored only hashed")


class ImportReport(BaseModel):
    created: int
    updated: int
    problems: list[dict[str, Any]]
