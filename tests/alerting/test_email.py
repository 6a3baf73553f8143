"""The e-mail channel against a real SMTP server (aiosmtpd, STARTTLS and login required): the
exact message received, in Chinese and English, how refusals are read, and unsubscribing."""

from __future__ import annotations

import re
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ipsentry.alerting.channels.email import EmailChannel
from ipsentry.alerting.matching import create_alerts
from ipsentry.alerting.messages import MessageRenderer
from ipsentry.alerting.unsubscribe import InvalidToken, unsubscribe, verify_token
from ipsentry.alerting.worker import DeliveryWorker, WorkerStats
from ipsentry.config.settings import Settings, SMTPSettings
from ipsentry.core.db import transaction
from ipsentry.core.documents import Document, Match
from ipsentry.core.models import Delivery, Subscription, SubscriptionChannel

from .conftest import Clock, Registry
from .mailbox import PASSWORD, Mailbox, ReceivedMail, running_mailbox
from .samples import CREATED, KEY, TITLE, alert_context, alert_payload

PUBLIC_URL = "https://ipsentry.example.cn"
SECRET = "unsubscribe-secret-for-tests"


@pytest.fixture
def mailbox(tmp_path: Path) -> Iterator[tuple[Mailbox, ssl.SSLContext]]:
    with running_mailbox(tmp_path) as running:
        yield running


def email_channel(smtp: SMTPSettings, trust: ssl.SSLContext) -> EmailChannel:
    return EmailChannel(
        smtp=smtp,
        renderer=MessageRenderer(public_url=PUBLIC_URL, timezone="Asia/Shanghai"),
        public_url=PUBLIC_URL,
        unsubscribe_secret=SECRET,
        timeout=5.0,
        tls_context=trust,
        clock=lambda: 1770712200.0,  # 2026-02-10 08:30 UTC
    )


def unsubscribe_link(mail: ReceivedMail) -> str:
    header = str(mail.message["List-Unsubscribe"])
    assert header.startswith("<") and header.endswith(">")
    return header[1:-1]


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def test_a_chinese_alert_arrives_as_html_and_text_over_starttls(mailbox) -> None:
    server, trust = mailbox

    outcome = email_channel(server.settings(), trust).send(alert_context("ops@example.com", kind="email"))

    assert outcome.ok, outcome.error
    assert (outcome.status_code, outcome.response_excerpt) == (250, "2.0.0 Ok: queued as Q0001")
    [mail] = server.messages
    assert (mail.mail_from, mail.rcpt_tos) == ("alerts@ipsentry.example.cn", ["ops@example.com"])
    assert mail.tls and mail.authenticated_as == "alerts@ipsentry.example.cn"
    headers = mail.message
    assert headers["Subject"] == f"[严重] 深圳市利世安科技有限公司：{TITLE}"
    assert headers["From"] == "ipsentry 预警 <alerts@ipsentry.example.cn>"
    assert headers["To"] == "ops@example.com"
    assert headers["Date"].datetime == CREATED
    assert headers["Message-ID"] == f"<{KEY}@ipsentry.example.cn>"
    assert headers["Auto-Submitted"] == "auto-generated"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = unsubscribe_link(mail)
    assert link.startswith(f"{PUBLIC_URL}/unsubscribe?token=")
    assert verify_token(SECRET, token_of(link)).subscription_ids == (5,)
    assert verify_token(SECRET, token_of(link)).channel_id == 3
    assert headers.get_content_type() == "multipart/alternative"
    assert b"\xe6" not in mail.raw  # 7-bit on the wire: Chinese only inside encoded parts

    text = mail.part("text/plain")
    for line in (
        f"[严重] {TITLE}",
        "   风险类型：337 调查（USITC）",
        "   阶段：立案调查　案号：337-TA-1414",
        "   涉及企业：深圳市利世安科技有限公司（被申请人）",
        "   依据：“(b) The respondents are … Shenzhen Lishian Technology Co., Ltd., Shenzhen, China”",
        "   发布日期：2026-02-10",
        "   发现时间：2026-02-10 16:30 CST (UTC+08:00)",
        "   监测项：利世安风险监测",
        "   原文：https://www.federalregister.gov/d/2026-02297",
        f"   在 ipsentry 中查看：{PUBLIC_URL}/alerts/42",
        "您收到此消息，是因为订阅了 ipsentry 监测项：利世安风险监测。",
        f"退订：{link}",
    ):
        assert line in text.splitlines(), line
    html = mail.part("text/html")
    assert '<html lang="zh">' in html
    assert f'<a href="https://www.federalregister.gov/d/2026-02297" style="color:#101828">{TITLE}</a>' in html
    assert "深圳市利世安科技有限公司（被申请人）" in html
    assert "2026-02-10 16:30 CST (UTC+08:00)" in html
    assert f'<a href="{link.replace("&", "&amp;")}" style="color:#667085">退订</a>' in html


def test_an_english_channel_gets_the_english_templates(mailbox) -> None:
    server, trust = mailbox

    outcome = email_channel(server.settings(), trust).send(
        alert_context("ops@example.com", kind="email", language="en")
    )

    assert outcome.ok, outcome.error
    [mail] = server.messages
    assert mail.message["Subject"] == f"[Critical] 深圳市利世安科技有限公司: {TITLE}"
    text = mail.part("text/plain").splitlines()
    assert "   Enterprise: 深圳市利世安科技有限公司 (respondent)" in text
    assert "   Stage: Investigation instituted   Case: 337-TA-1414" in text
    assert "   Detected: 2026-02-10 16:30 CST (UTC+08:00)" in text
    assert f"Unsubscribe: {unsubscribe_link(mail)}" in text
    html = mail.part("text/html")
    assert '<html lang="en">' in html and ">Unsubscribe</a>" in html and "Read the source" in html


def test_text_from_sources_is_escaped_in_html_and_unsafe_links_dropped(mailbox) -> None:
    server, trust = mailbox
    payload = alert_payload(title="Certain <script>alert(1)</script> Devices", url="javascript:alert(1)")

    assert (
        email_channel(server.settings(), trust)
        .send(alert_context("ops@example.com", kind="email", payload=payload))
        .ok
    )

    html = server.messages[0].part("text/html")
    assert "<script>" not in html and "Certain &lt;script&gt;alert(1)&lt;/script&gt; Devices" in html
    assert "javascript:" not in html


def test_a_wrong_smtp_password_is_retried_and_nothing_is_sent(mailbox) -> None:
    server, trust = mailbox
    wrong = server.settings().model_copy(update={"password": SecretStr(PASSWORD + "x")})

    outcome = email_channel(wrong, trust).send(alert_context("ops@example.com", kind="email"))

    assert not outcome.ok and outcome.retryable  # our setup, not the channel: never disables it
    assert outcome.status_code == 535 and "SMTPAuthenticationError" in (outcome.error or "")
    assert server.messages == []


@pytest.mark.parametrize(
    ("reply", "retryable"),
    [("550 5.1.1 No such user", False), ("452 4.2.2 Mailbox full", True)],
)
def test_a_refused_recipient_says_whether_a_retry_can_help(mailbox, reply: str, retryable: bool) -> None:
    server, trust = mailbox
    server.refuse["gone@example.com"] = reply

    outcome = email_channel(server.settings(), trust).send(alert_context("gone@example.com", kind="email"))

    assert (outcome.ok, outcome.retryable, outcome.status_code) == (False, retryable, int(reply[:3]))
    assert outcome.response_excerpt == reply[4:]
    assert server.messages == []


def test_a_target_that_is_not_one_address_is_refused_without_connecting(mailbox) -> None:
    server, trust = mailbox
    channel = email_channel(server.settings(), trust)

    for target in ("a@example.com, b@example.com", "ops@example.com\r\nBcc: x@example.com", "not-an-address"):
        outcome = channel.send(alert_context(target, kind="email"))
        assert not outcome.ok and not outcome.retryable, target
    assert server.messages == []


def test_a_down_smtp_server_is_retried(tmp_path: Path) -> None:
    smtp = SMTPSettings(host="127.0.0.1", port=9, sender="alerts@ipsentry.example.cn")  # nothing listens

    outcome = email_channel(smtp, ssl.create_default_context()).send(
        alert_context("ops@example.com", kind="email")
    )

    assert not outcome.ok and outcome.retryable and "SMTP error" in (outcome.error or "")


def test_unsubscribing_from_the_received_link_stops_the_e_mails(
    mailbox,
    registry: Registry,
    session_factory: sessionmaker[Session],
    settings: Settings,
    clock: Clock,
    make_doc: Callable[..., Document],
    respondent_match: Callable[..., Match],
) -> None:
    server, trust = mailbox
    enterprise = registry.enterprise("E1", name_zh="深圳市利世安科技有限公司")
    mail = registry.channel("ops@example.com", kind="email", name="ops mail", secret=None)
    hook = registry.channel("http://127.0.0.1:9/hook")
    both = registry.subscription("enterprise", enterprise_id=enterprise, channels=(mail, hook), name="双渠道")
    only_mail = registry.subscription("enterprise", enterprise_id=enterprise, channels=(mail,), name="仅邮件")
    worker = DeliveryWorker(
        session_factory,
        settings,
        clock=clock,
        channels={"email": lambda _settings: email_channel(server.settings(), trust)},
    )
    with transaction(session_factory) as session:
        create_alerts(session, [make_doc(matches=[respondent_match(enterprise)])], now=clock.now)

    assert worker.run_once() == WorkerStats(claimed=2, delivered=2)
    [first, second] = sorted(server.messages, key=lambda received: str(received.message["Subject"]))
    tokens = {token_of(unsubscribe_link(received)) for received in (first, second)}
    assert {verify_token(SECRET, token).subscription_ids for token in tokens} == {(both,), (only_mail,)}

    with transaction(session_factory) as session:
        results = [unsubscribe(session, verify_token(SECRET, token)) for token in tokens]
        again = unsubscribe(session, verify_token(SECRET, next(iter(tokens))))  # a second click

    assert sorted(result.removed_from[0] for result in results) == sorted([both, only_mail])
    assert [result.deactivated for result in results if result.deactivated] == [(only_mail,)]
    assert again.removed_from == ()
    with session_factory() as session:
        links = {
            (row.subscription_id, row.channel_id)
            for row in session.execute(
                select(SubscriptionChannel.subscription_id, SubscriptionChannel.channel_id)
            )
        }
        active = {row.id: row.active for row in session.execute(select(Subscription.id, Subscription.active))}
    assert links == {(both, hook)}  # the webhook still gets the alerts of the first subscription
    assert active == {both: True, only_mail: False}

    server.messages.clear()
    clock.advance(60)
    later = make_doc("fr:2026-later", case="337-TA-99", matches=[respondent_match(enterprise)])
    with transaction(session_factory) as session:
        create_alerts(session, [later], now=clock.now)
    assert worker.run_once().delivered == 0  # only the (unreachable) webhook was queued
    assert server.messages == []
    with session_factory() as session:
        assert (
            session.scalar(
                select(Delivery.id).where(Delivery.channel_id == mail, Delivery.status == "pending")
            )
            is None
        )


def test_a_tampered_token_is_refused() -> None:
    from ipsentry.alerting.unsubscribe import make_token

    token = make_token(SECRET, channel_id=3, subscription_ids=[5])
    claim, mac = token.split(".")
    forged_claim = re.sub(r".$", "A" if claim[-1] != "A" else "B", claim)

    with pytest.raises(InvalidToken):
        verify_token(SECRET, f"{forged_claim}.{mac}")
    with pytest.raises(InvalidToken):
        verify_token("another secret", token)
    with pytest.raises(InvalidToken):
        verify_token(SECRET, "garbage")
    assert verify_token(SECRET, token).subscription_ids == (5,)
