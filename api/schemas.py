"""Request and response bodies of the REST API (kept apart from the tables)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from ipsentry.core.documents import Document, Match, Party
from ipsentry.core.registry import Brand

SEVERITIES = ("info", "low", "medium", "high", "critical")


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
    matches: list[Match]
    highlights: dict[str, str] = Field(default_factory=dict)
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
    region_province: str | None = None
    region_city: str | None = None
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


class ChannelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["webhook", "email", "dingtalk", "wecom", "feishu", "console"]
    name: str = Field(default="", max_length=128)
    target: str = Field(min_length=1, max_length=2000)
    secret: str | None = Field(default=None, max_length=256)
    language: Literal["zh-CN", "en"] = "zh-CN"
    enterprise_id: int | None = None


class ChannelOut(BaseModel):
    id: int
    kind: str
    name: str
    target: str
    secret: str | None  # masked
    language: str
    enabled: bool
    disabled_reason: str | None
    enterprise_id: int | None
    created_at: datetime


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["enterprise", "search", "region", "industry", "brand", "firm", "keyword"]
    name: str = Field(default="", max_length=200)
    enterprise_id: int | None = None
    query: str | None = Field(default=None, max_length=2000)
    min_severity: Literal["info", "low", "medium", "high", "critical"] = "low"
    rate: Literal["immediate", "daily", "weekly"] = "immediate"
    channel_ids: list[int] = Field(default_factory=list)


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


class ImportReport(BaseModel):
    created: int
    updated: int
    problems: list[dict[str, Any]]
