"""The relational schema (SQLAlchemy 2): registry, users, subscriptions, channels, alerts,
deliveries, matches, cases and crawl state.  Documents themselves live in the search index.

Lists that are only ever read and written whole (names, brands, stores) are JSON columns:
they work alike on SQLite and PostgreSQL and keep the registry one row per enterprise.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps are stored in UTC and always come back time-zone aware (SQLite drops zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Enterprise(Base):
    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), unique=True)
    name_zh: Mapped[str | None] = mapped_column(String(300))
    names_en: Mapped[list[Any]] = mapped_column(default=list)
    former_names: Mapped[list[Any]] = mapped_column(default=list)
    abbreviations: Mapped[list[Any]] = mapped_column(default=list)
    # [{"text": "ANKER", "classes": [9], "registrations": ["US 1234567"]}]
    brands: Mapped[list[Any]] = mapped_column(default=list)
    stores: Mapped[list[Any]] = mapped_column(default=list)
    seller_ids: Mapped[list[Any]] = mapped_column(default=list)
    subsidiaries: Mapped[list[Any]] = mapped_column(default=list)
    region_province: Mapped[str | None] = mapped_column(String(64))
    region_city: Mapped[str | None] = mapped_column(String(64))
    industries: Mapped[list[Any]] = mapped_column(default=list)
    contact_email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=_now)
    updated_at: Mapped[datetime] = mapped_column(default=_now, onupdate=_now)

    @property
    def display_name(self) -> str:
        return self.name_zh or (self.names_en[0] if self.names_en else self.external_id)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(128), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))  # admin | analyst | enterprise
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    email: Mapped[str | None] = mapped_column(String(320))
    language: Mapped[str] = mapped_column(String(8), default="zh-CN")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=_now)


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)  # shown, for lookup
    key_hash: Mapped[str] = mapped_column(String(128))  # sha256 of the whole key
    name: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime] = mapped_column(default=_now)
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship()


class Channel(Base):
    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # webhook | email | dingtalk | wecom | feishu | console
    name: Mapped[str] = mapped_column(String(128), default="")
    target: Mapped[str] = mapped_column(Text)  # URL or e-mail address
    # Signing secret: needed in clear to sign, so it is stored, but never returned whole.
    secret: Mapped[str | None] = mapped_column(String(256))
    language: Mapped[str] = mapped_column(String(8), default="zh-CN")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=_now)


class Subscription(Base):
    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200), default="")
    # enterprise | search | region | industry | brand | firm | keyword
    kind: Mapped[str] = mapped_column(String(16))
    query: Mapped[str | None] = mapped_column(Text)  # saved search, region, industry or watched term
    min_severity: Mapped[str] = mapped_column(String(16), default="low")
    rate: Mapped[str] = mapped_column(String(16), default="immediate")  # immediate | daily | weekly
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=_now)

    channels: Mapped[list[Channel]] = relationship(secondary="subscription_channels")


class SubscriptionChannel(Base):
    __tablename__ = "subscription_channels"

    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="CASCADE"), primary_key=True
    )
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True)


class DocumentMatch(Base):
    """Document × enterprise, as the tagger found it (kept to explain alerts and for risk pages)."""

    __tablename__ = "document_matches"
    __table_args__ = (UniqueConstraint("document_id", "enterprise_id", "kind", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[str] = mapped_column(String(200), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(32))
    score: Mapped[float] = mapped_column(Float)
    confidence: Mapped[str] = mapped_column(String(8))
    evidence: Mapped[str] = mapped_column(Text, default="")
    variant: Mapped[str] = mapped_column(Text, default="")
    risk_kind: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    published: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=_now)


class Case(Base):
    """The thread documents belong to: an investigation, a court case, a trademark serial."""

    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)  # e.g. "337-TA-1414"
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text, default="")
    authority: Mapped[str | None] = mapped_column(String(64))
    current_stage: Mapped[str] = mapped_column(String(64), default="other")
    first_seen: Mapped[date | None] = mapped_column(Date)
    last_seen: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(default=_now, onupdate=_now)
    # A receipt-of-complaint docket ("DN 3655") points at the investigation it became (0005).
    linked_to: Mapped[str | None] = mapped_column(String(200), index=True)
    # Complainant names as core.case_linking normalises them, for matching a docket (0005).
    complainant_keys: Mapped[list[Any]] = mapped_column(default=list)


class CaseEvent(Base):
    """One stage reached by a case, with the document that says so."""

    __tablename__ = "case_events"
    __table_args__ = (UniqueConstraint("case_id", "document_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[str] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(64))
    occurred: Mapped[date | None] = mapped_column(Date)
    title: Mapped[str] = mapped_column(Text, default="")


class Alert(Base):
    __tablename__ = "alerts"
    __table_args__ = (
        # A document updated as its case moves on (a docket) alerts once per stage it reaches (0006).
        UniqueConstraint(
            "subscription_id", "document_id", "stage", name="uq_alert_subscription_document_stage"
        ),
        # NULL case ids never collide, so documents without a case dedupe on the document alone.
        UniqueConstraint("subscription_id", "case_id", "stage", name="uq_alert_subscription_case_stage"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"))
    document_id: Mapped[str] = mapped_column(String(200), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id", ondelete="SET NULL"))
    case_id: Mapped[str | None] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(64), default="other")
    risk_kind: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    # What the message says: document facts and the match explanation, frozen at alert time.
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=_now, index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column()

    subscription: Mapped[Subscription] = relationship()


class Digest(Base):
    """One digest message: the alerts of a channel's daily or weekly subscriptions that were
    due at ``window_end``, frozen in ``payload`` when the digest is made (migration 0003)."""

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("channel_id", "rate", "window_end", name="uq_digest_channel_window"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    rate: Mapped[str] = mapped_column(String(16))  # daily | weekly
    window_start: Mapped[datetime] = mapped_column()
    window_end: Mapped[datetime] = mapped_column()
    total: Mapped[int] = mapped_column(Integer)  # alerts in the digest (the message may list fewer)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=_now)


class DigestAlert(Base):
    """Which alerts a digest carries; an alert goes into at most one digest per channel."""

    __tablename__ = "digest_alerts"
    __table_args__ = (UniqueConstraint("channel_id", "alert_id", name="uq_digest_alert_channel"),)

    digest_id: Mapped[int] = mapped_column(ForeignKey("digests.id", ondelete="CASCADE"), primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))


class Delivery(Base):
    """Outbox row: one alert (or one digest) to one channel.  Written with the alert (or the
    digest), sent by the worker."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("alert_id", "channel_id", name="uq_delivery_alert_channel"),
        UniqueConstraint("digest_id", name="uq_deliveries_digest_id"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
        CheckConstraint("(alert_id IS NULL) <> (digest_id IS NULL)", name="ck_delivery_alert_or_digest"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("digests.id", ondelete="CASCADE"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    # pending | sending | delivered | failed (retries exhausted) | cancelled
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=_now)
    claimed_until: Mapped[datetime | None] = mapped_column()
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=_now)

    alert: Mapped[Alert | None] = relationship()
    digest: Mapped[Digest | None] = relationship()
    channel: Mapped[Channel] = relationship()


class DeliveryAttempt(Base):
    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(default=_now)
    ok: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer)
    response_excerpt: Mapped[str | None] = mapped_column(Text)  # first KB of the answer
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[float] = mapped_column(Float, default=0.0)


class CrawlState(Base):
    """Incremental state per source: what the next run may skip."""

    __tablename__ = "crawl_state"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    last_run_at: Mapped[datetime | None] = mapped_column()
    last_success_at: Mapped[datetime | None] = mapped_column()


class CrawlRun(Base):
    """One crawl of one source: counts and the first problems, for source health."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64), index=True)
    started_at: Mapped[datetime] = mapped_column(default=_now)
    finished_at: Mapped[datetime | None] = mapped_column()
    ok: Mapped[bool] = mapped_column(Boolean, default=False)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    items: Mapped[int] = mapped_column(Integer, default=0)
    new_documents: Mapped[int] = mapped_column(Integer, default=0)
    updated_documents: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    error_samples: Mapped[list[Any]] = mapped_column(default=list)
    message: Mapped[str | None] = mapped_column(Text)


class Notice(Base):
    """A message to a user or an enterprise about their own setup (a channel was disabled, …)."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))  # e.g. "channel_disabled"
    message: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)  # ids the console links to
    created_at: Mapped[datetime] = mapped_column(default=_now)
    read_at: Mapped[datetime | None] = mapped_column()


class WebSession(Base):
    """A web-console login.  The cookie holds a random token and this table only its hash, so a
    copy of the database opens no sessions; logging out deletes the row."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The synchronizer token every console form must echo (useless without the cookie).
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=_now)
    last_seen_at: Mapped[datetime] = mapped_column(default=_now)
    expires_at: Mapped[datetime] = mapped_column(index=True)

    user: Mapped[User] = relationship()


class FeedToken(Base):
    """The secret in a subscription's RSS/Atom feed URL (feed readers cannot send an API key).
    Stored hashed; issuing a new one replaces the old, which revokes it."""

    __tablename__ = "feed_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="CASCADE"), unique=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=_now)
    last_used_at: Mapped[datetime | None] = mapped_column()
