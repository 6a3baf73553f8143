"""Test-send: a sample alert marked as a test goes through the channel's real code, and the curl
command shown hides the credentials yet, run with them, sends the very same request."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from ipsentry.alerting.signing import verify
from ipsentry.alerting.test_send import test_send
from ipsentry.config.settings import Settings
from ipsentry.core.models import Channel

from .mailbox import PASSWORD, running_mailbox, tls_pair
from .receiver import Receiver, Reply
from .test_email import email_channel

needs_curl = pytest.mark.skipif(
    shutil.which("curl") is None, reason="the curl command line tool is not installed"
)


@pytest.fixture
def plain_settings(tmp_path: Path) -> Settings:
    """No database needed: a test-send touches none."""
    return Settings(environment="test", data_dir=tmp_path / "var", webhook_allowlist=["127.0.0.1/32"])


def channel(kind: str, target: str, secret: str | None = None, language: str = "zh-CN") -> Channel:
    return Channel(id=3, kind=kind, name="ops", target=target, secret=secret, language=language)


def run_shell(command: str, **environment: str) -> None:
    """Runs the shown command as a user would paste it, with their credentials exported."""
    done = subprocess.run(
        ["bash", "-c", command], env={**os.environ, **environment}, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr


@needs_curl
def test_a_webhook_test_is_signed_and_the_curl_command_sends_the_same_request(
    receiver: Receiver, plain_settings: Settings
) -> None:
    secret = "whsec-Zq7-do-not-show"

    outcome, command = test_send(channel("webhook", f"{receiver.url}/hook", secret), plain_settings)

    assert outcome.ok, outcome.error
    assert secret not in command
    [sent] = receiver.requests
    envelope = json.loads(sent.body)
    assert envelope["type"] == "alert" and envelope["alert"]["test"] is True
    assert envelope["alert"]["title"].endswith("(ipsentry test message)")
    assert sent.headers["idempotency-key"].startswith("test-")
    assert verify(
        secret, sent.headers["x-ipsentry-timestamp"], sent.body, sent.headers["x-ipsentry-signature"]
    )

    run_shell(command)

    replayed = receiver.requests[1]
    assert replayed.body == sent.body  # byte for byte: the signature still verifies
    names = ("content-type", "user-agent", "idempotency-key", "x-ipsentry-timestamp", "x-ipsentry-signature")
    assert {name: replayed.headers[name] for name in names} == {name: sent.headers[name] for name in names}


BOTS = [
    # kind, path and query of the bot URL, credential, the variable the command uses, secret
    ("dingtalk", "/robot/send?access_token={}", "9f8e7d6c5b4a3f2e1d0c", "DINGTALK_ACCESS_TOKEN", "SECa1b2c3"),
    ("wecom", "/cgi-bin/webhook/send?key={}", "693a91f6-7a0c-4bc4-97a0-0ec2f1fa5aaa", "WECOM_KEY", None),
    (
        "feishu",
        "/open-apis/bot/v2/hook/{}",
        "53d17651-05ef-4fe4-b674-43cb5056e51a",
        "FEISHU_HOOK_ID",
        "zs0Tq1dM3",
    ),
]


@needs_curl
@pytest.mark.parametrize(("kind", "shape", "credential", "variable", "secret"), BOTS)
def test_a_bot_test_hides_the_bot_credential_in_the_curl_command(
    receiver: Receiver,
    plain_settings: Settings,
    kind: str,
    shape: str,
    credential: str,
    variable: str,
    secret: str | None,
) -> None:
    receiver.default = Reply(200, b'{"errcode":0,"errmsg":"ok","code":0,"msg":"success"}')
    target = f"http://127.0.0.1:{receiver.port}{shape.format(credential)}"

    outcome, command = test_send(channel(kind, target, secret, language="en"), plain_settings)

    assert outcome.ok, outcome.error
    assert credential not in command and (secret is None or secret not in command)
    assert f"# export {variable}='…'" in command and f"ending in …{credential[-4:]}" in command
    assert f"${{{variable}}}" in command
    sent = receiver.requests[0]
    assert "Test message" in sent.body.decode()  # the message says it is a test

    run_shell(command, **{variable: credential})

    replayed = receiver.requests[1]
    assert (replayed.path, replayed.body) == (sent.path, sent.body)
    assert replayed.headers["content-type"] == sent.headers["content-type"]
    if kind == "dingtalk":  # the signature of that moment, still valid for DingTalk
        params = parse_qs(urlsplit(replayed.path).query)
        timestamp = params["timestamp"][0]
        digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()  # type: ignore[union-attr]
        assert params["sign"] == [base64.b64encode(digest).decode()]


@pytest.fixture
def mailbox(tmp_path: Path) -> Iterator[tuple[object, object]]:
    with running_mailbox(tmp_path) as running:
        yield running


@needs_curl
def test_an_e_mail_test_arrives_marked_and_curl_can_send_it_again(
    mailbox, tmp_path: Path, plain_settings: Settings
) -> None:
    server, trust = mailbox
    factories = {"email": lambda _settings: email_channel(server.settings(), trust)}

    outcome, command = test_send(channel("email", "ops@example.com"), plain_settings, channels=factories)

    assert outcome.ok, outcome.error
    [mail] = server.messages
    assert str(mail.message["Subject"]).startswith(
        "[测试] [高] 示例科技有限公司 Sample Technology Co., Ltd.："
    )
    assert "【测试】这是一条测试消息" in mail.part("text/plain")
    assert mail.message["List-Unsubscribe"] is None  # a test belongs to no subscription
    assert PASSWORD not in command and '--user "alerts@ipsentry.example.cn:${SMTP_PASSWORD}"' in command
    assert f"--url smtp://127.0.0.1:{server.port}" in command and "--ssl-reqd" in command

    certificate = tmp_path / "smtp-cert.pem"  # the mailbox's self-signed certificate
    run_shell(command, SMTP_PASSWORD=PASSWORD, CURL_CA_BUNDLE=str(certificate))

    replayed = server.messages[1]
    assert replayed.tls and replayed.authenticated_as == "alerts@ipsentry.example.cn"
    for header in ("Subject", "Message-ID", "From", "To"):
        assert replayed.message[header] == mail.message[header]
    assert replayed.part("text/plain") == mail.part("text/plain")


def test_the_console_channel_needs_no_command(plain_settings: Settings) -> None:
    outcome, command = test_send(channel("console", "console"), plain_settings)
    assert outcome.ok and command == ""


def test_an_unusable_address_fails_without_a_command(plain_settings: Settings, tmp_path: Path) -> None:
    server_tls, trust = tls_pair(tmp_path)
    del server_tls
    factories = {"email": lambda _settings: email_channel(plain_settings.smtp, trust)}

    outcome, command = test_send(
        channel("email", "a@example.com, b@example.com"), plain_settings, channels=factories
    )

    assert not outcome.ok and "one e-mail address" in (outcome.error or "") and command == ""
