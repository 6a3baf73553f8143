"""Daily and weekly digests: time-zone aware windows, one message per channel and window
(never twice), the cap with a link to the rest, and the digest e-mail as a real SMTP server
receives it, in Chinese and English."""

from __future__ import annotations

import json
import ssl
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ipsentry.alerting.digest import DAILY, WEEKLY, send_digests, window_end, window_start
from ipsentry.alerting.matching import create_alerts
from ipsentry.alerting.signing import verify
from ipsentry.alerting.unsubscribe import verify_token
from ipsentry.alerting.worker import DeliveryWorker
from ipsentry.config.settings import Settings
from ipsentry.core.db import transaction
from ipsentry.core.documents import Document, Match
from ipsentry.core.models import Delivery, Digest

from .conftest import Clock, Registry
from .mailbox import Mailbox, ReceivedMail, running_mailbox
from .receiver import Receiver
from .test_email import PUBLIC_URL, SECRET, email_channel, token_of, unsubscribe_link

SHANGHAI = ZoneInfo("Asia/Shanghai")
MakeDoc = Callable[..., Document]
MakeMatch = Callable[..., Match]


def local(*args: int, zone: ZoneInfo = SHANGHAI) -> datetime:
    return datetime(*args, tzinfo=zone)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("rate", "now", "end"),
    [
        (DAILY, local(2026, 2, 5, 7, 59), local(2026, 2, 4, 8)),
        (DAILY, local(2026, 2, 5, 8, 0), local(2026, 2, 5, 8)),
        (DAILY, local(2026, 2, 5, 23, 30), local(2026, 2, 5, 8)),
        (WEEKLY, local(2026, 2, 8, 20, 0), local(2026, 2, 2, 8)),  # a Sunday: last Monday
        (WEEKLY, local(2026, 2, 9, 7, 0), local(2026, 2, 2, 8)),  # Monday, before 08:00
        (WEEKLY, local(2026, 2, 9, 8, 0), local(2026, 2, 9, 8)),
    ],
)
def test_windows_end_at_eight_in_the_service_time_zone(rate: str, now: datetime, end: datetime) -> None:
    assert window_end(rate, now.astimezone(UTC), SHANGHAI) == end


def test_a_window_across_a_dst_change_keeps_the_due_hour() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    end = window_end(DAILY, local(2026, 3, 29, 9, 0, zone=berlin), berlin)  # clocks went forward at 02:00

    start = window_start(DAILY, end, berlin)

    assert (end.astimezone(berlin).hour, start.astimezone(berlin).hour) == (8, 8)
    assert (end - start).total_seconds() == 23 * 3600


@pytest.fixture
def mailbox(tmp_path: Path) -> Iterator[tuple[Mailbox, ssl.SSLContext]]:
    with running_mailbox(tmp_path) as running:
        yield running


@pytest.fixture
def digest_settings(fast_settings: Settings) -> Settings:
    return fast_settings.model_copy(update={"public_url": PUBLIC_URL, "timezone": "Asia/Shanghai"})


class Watch:
    """One enterprise with a daily subscription to a Chinese and an English mailbox."""

    def __init__(
        self, registry: Registry, session_factory: sessionmaker[Session], make_doc: MakeDoc, match: MakeMatch
    ) -> None:
        self.session_factory = session_factory
        self.make_doc, self.match = make_doc, match
        self.enterprise = registry.enterprise("E1", name_zh="深圳市利世安科技有限公司")
        self.zh = registry.channel("ops@example.com", kind="email", secret=None, language="zh-CN")
        self.en = registry.channel("legal@example.com", kind="email", secret=None, language="en")
        self.daily = registry.subscription(
            "enterprise",
            enterprise_id=self.enterprise,
            channels=(self.zh, self.en),
            rate="daily",
            name="利世安每日监测",
        )

    def alerts(self, at: datetime, *stages: str, first: int = 0) -> None:
        documents = [
            self.make_doc(
                f"fr:2026-{first + i}",
                case=f"337-TA-{first + i}",
                stage=stage,
                matches=[self.match(self.enterprise, "深圳市利世安科技有限公司")],
            )
            for i, stage in enumerate(stages)
        ]
        with transaction(self.session_factory) as session:
            create_alerts(session, documents, now=at.astimezone(UTC))


@pytest.fixture
def watch(
    registry: Registry, session_factory: sessionmaker[Session], make_doc: MakeDoc, respondent_match: MakeMatch
) -> Watch:
    return Watch(registry, session_factory, make_doc, respondent_match)


def mail_worker(
    session_factory: sessionmaker[Session],
    settings: Settings,
    clock: Clock,
    mailbox: Mailbox,
    trust: ssl.SSLContext,
) -> DeliveryWorker:
    """A worker whose e-mail channel sends to ``mailbox``, trusting its certificate."""
    return DeliveryWorker(
        session_factory,
        settings,
        clock=clock,
        channels={"email": lambda _settings: email_channel(mailbox.settings(), trust)},
    )


def deliver_all(worker: DeliveryWorker) -> int:
    delivered = 0
    while (stats := worker.run_once()).claimed:
        delivered += stats.delivered
    return delivered


def mail_to(mailbox: Mailbox, address: str) -> list[ReceivedMail]:
    return [mail for mail in mailbox.messages if mail.rcpt_tos == [address]]


def test_the_daily_digest_e_mail_arrives_once_in_chinese_and_english(
    mailbox, watch: Watch, session_factory: sessionmaker[Session], digest_settings: Settings, clock: Clock
) -> None:
    server, trust = mailbox
    watch.alerts(local(2026, 2, 4, 10, 0), "receipt_of_complaint", "institution")
    watch.alerts(local(2026, 2, 5, 7, 30), "initial_determination", first=10)
    clock.now = local(2026, 2, 5, 8, 5).astimezone(UTC)
    worker = mail_worker(session_factory, digest_settings, clock, server, trust)

    run = send_digests(session_factory, digest_settings, now=clock.now)

    assert run.window_ends[DAILY] == local(2026, 2, 5, 8)
    assert (len(run.digests), run.alerts) == (2, 6)  # one per channel, three alerts each
    assert deliver_all(worker) == 2
    [zh] = mail_to(server, "ops@example.com")
    [en] = mail_to(server, "legal@example.com")
    assert (
        zh.message["Subject"]
        == "[每日预警摘要] 深圳市利世安科技有限公司：3 条新预警（最高风险：严重）· 2026-02-05"
    )
    text = zh.part("text/plain").splitlines()
    assert "时间范围：2026-02-04 08:00 – 2026-02-05 08:00 CST (UTC+08:00)" in text
    assert "共 3 条新预警，最高风险等级：严重" in text
    numbered = [line for line in text if line[:3] in ("1. ", "2. ", "3. ")]
    assert [line.split("]")[0] for line in numbered] == ["1. [严重", "2. [高", "3. [高"]  # most severe first
    assert "   发现时间：2026-02-05 07:30 CST (UTC+08:00)" in text
    assert "您收到此消息，是因为订阅了 ipsentry 监测项：利世安每日监测。" in text
    assert verify_token(SECRET, token_of(unsubscribe_link(zh))).subscription_ids == (watch.daily,)
    assert "另有" not in zh.part("text/plain")  # all three are listed
    assert en.message["Subject"] == (
        "[Daily digest] 3 new alerts for 深圳市利世安科技有限公司 (highest: Critical) · 2026-02-05"
    )
    en_text = en.part("text/plain").splitlines()
    assert "Period: 2026-02-04 08:00 – 2026-02-05 08:00 CST (UTC+08:00)" in en_text
    assert "3 new alerts, highest severity: Critical" in en_text
    assert "Daily digest" in en.part("text/html") and "2026-02-05 07:30 CST (UTC+08:00)" in en.part(
        "text/html"
    )

    # Re-runs in the same window make nothing; an alert after 08:00 waits for tomorrow's.
    watch.alerts(local(2026, 2, 5, 8, 30), "institution", first=20)
    again = send_digests(session_factory, digest_settings, now=local(2026, 2, 5, 9, 0).astimezone(UTC))
    assert again.digests == []
    assert deliver_all(worker) == 0
    tomorrow = send_digests(session_factory, digest_settings, now=local(2026, 2, 6, 8, 0).astimezone(UTC))
    assert (len(tomorrow.digests), tomorrow.alerts) == (2, 2)
    clock.now = local(2026, 2, 6, 8, 0).astimezone(UTC)
    assert deliver_all(worker) == 2
    assert len(mail_to(server, "ops@example.com")) == 2


def test_a_digest_lists_twenty_alerts_and_links_to_the_rest(
    mailbox, watch: Watch, session_factory: sessionmaker[Session], digest_settings: Settings, clock: Clock
) -> None:
    server, trust = mailbox
    watch.alerts(local(2026, 2, 4, 12, 0), *["institution"] * 25)
    clock.now = local(2026, 2, 5, 8, 0).astimezone(UTC)

    run = send_digests(session_factory, digest_settings, now=clock.now)
    mail_worker(session_factory, digest_settings, clock, server, trust).run_once()

    zh_digest = min(run.digests)
    with session_factory() as session:
        digest = session.get_one(Digest, zh_digest)
    assert (digest.total, len(digest.payload["alerts"])) == (25, 20)
    [zh] = mail_to(server, "ops@example.com")
    text = zh.part("text/plain")
    assert text.count("   在 ipsentry 中查看：") == 20
    assert f"另有 5 条预警未列出，查看全部：{PUBLIC_URL}/alerts?digest={zh_digest}" in text.splitlines()
    assert f'<a href="{PUBLIC_URL}/alerts?digest={zh_digest}">另有 5 条预警未列出，查看全部 →</a>' in zh.part(
        "text/html"
    )


def test_immediate_alerts_are_not_digested_and_weekly_ones_wait_for_monday(
    watch: Watch, registry: Registry, session_factory: sessionmaker[Session], digest_settings: Settings
) -> None:
    hook = registry.channel("http://127.0.0.1:9/hook")
    registry.subscription("enterprise", enterprise_id=watch.enterprise, channels=(hook,))  # immediate
    weekly = registry.subscription(
        "enterprise", enterprise_id=watch.enterprise, channels=(hook,), rate="weekly", name="周报"
    )
    watch.alerts(local(2026, 2, 3, 9, 0), "institution")  # a Tuesday

    friday = send_digests(session_factory, digest_settings, now=local(2026, 2, 6, 9, 0).astimezone(UTC))
    monday = send_digests(session_factory, digest_settings, now=local(2026, 2, 9, 8, 0).astimezone(UTC))

    with session_factory() as session:
        digests = session.scalars(select(Digest).order_by(Digest.id)).all()
        immediate = session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.channel_id == hook, Delivery.alert_id.isnot(None))
        )
    assert [(d.channel_id, d.rate) for d in digests] == [
        (watch.zh, "daily"),
        (watch.en, "daily"),
        (hook, "weekly"),
    ]
    assert [d.id for d in digests if d.rate == "weekly"] == monday.digests
    assert len(friday.digests) == 2
    assert digests[-1].payload["subscriptions"] == [{"id": weekly, "name": "周报"}]
    assert immediate == 1  # the immediate subscription's own delivery, not digested again


def test_a_webhook_gets_the_digest_as_a_signed_envelope(
    receiver: Receiver,
    watch: Watch,
    registry: Registry,
    session_factory: sessionmaker[Session],
    digest_settings: Settings,
    clock: Clock,
) -> None:
    hook = registry.channel(f"{receiver.url}/hook", secret="s3cret-for-tests")
    registry.subscription(
        "enterprise", enterprise_id=watch.enterprise, channels=(hook,), rate="daily", name="hook"
    )
    watch.alerts(local(2026, 2, 4, 12, 0), "institution", "receipt_of_complaint")
    clock.now = local(2026, 2, 5, 8, 0).astimezone(UTC)
    send_digests(session_factory, digest_settings, now=clock.now)

    stats = DeliveryWorker(session_factory, digest_settings, clock=clock, channels={}).run_once()  # no kinds
    assert stats.claimed == 0
    from ipsentry.alerting.channels.webhook import WebhookChannel

    webhook_only = {"webhook": WebhookChannel.from_settings}
    assert (
        DeliveryWorker(session_factory, digest_settings, clock=clock, channels=webhook_only)
        .run_once()
        .delivered
        == 1
    )

    [request] = receiver.requests
    headers = request.headers
    assert verify(
        "s3cret-for-tests", headers["x-ipsentry-timestamp"], request.body, headers["x-ipsentry-signature"]
    )
    envelope = json.loads(request.body)
    with session_factory() as session:
        delivery = session.scalars(select(Delivery).where(Delivery.channel_id == hook)).one()
        digest = session.get_one(Digest, delivery.digest_id)
    assert (
        envelope["type"] == "digest"
        and envelope["id"] == headers["idempotency-key"] == delivery.idempotency_key
    )
    assert envelope["digest"] == digest.payload
    assert envelope["digest"]["total"] == 2 and envelope["digest"]["rate"] == "daily"
    assert envelope["digest"]["window_end"] == "2026-02-05T00:00:00+00:00"
    assert [alert["severity"] for alert in envelope["digest"]["alerts"]] == ["critical", "high"]
    assert envelope["digest"]["more_url"] == f"{PUBLIC_URL}/alerts?digest={digest.id}"
