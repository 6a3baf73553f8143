"""The DingTalk channel: the exact signed request a DingTalk bot gets, and its error codes
read from HTTP 200 answers (a real receiver on 127.0.0.1 answering as DingTalk does)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from ipsentry.alerting.channels.dingtalk import DingTalkChannel

from .bots import NOW, bot, send_refused
from .receiver import Receiver, Reply
from .samples import TITLE, ZH_ALERT_MARKDOWN, alert_context, digest_context

SECRET = "SEC5b1f3f3b8b0b5a11d0c54d6f9b1f3f3b8b0b5a11d0c54d6f9b"
OK = b'{"errcode":0,"errmsg":"ok"}'
THROTTLED = b'{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}'


def hook(receiver: Receiver) -> str:
    return f"http://127.0.0.1:{receiver.port}/robot/send?access_token=9f8e7d6c5b4a"


def test_dingtalk_gets_a_signed_markdown_message(receiver: Receiver) -> None:
    receiver.default = Reply(200, OK)

    outcome = bot(DingTalkChannel).send(alert_context(hook(receiver), kind="dingtalk", secret=SECRET))

    assert outcome.ok and outcome.status_code == 200 and outcome.response_excerpt == OK.decode()
    [request] = receiver.requests
    path, _, query = request.path.partition("?")
    params = parse_qs(query)
    assert (request.method, path) == ("POST", "/robot/send")
    assert params["access_token"] == ["9f8e7d6c5b4a"]
    assert params["timestamp"] == [str(int(NOW * 1000))]  # milliseconds
    # The signature as DingTalk checks it: key = secret, message = "timestamp\nsecret".
    expected = hmac.new(SECRET.encode(), f"{int(NOW * 1000)}\n{SECRET}".encode(), hashlib.sha256).digest()
    assert params["sign"] == [base64.b64encode(expected).decode()]
    assert "%2B" in query or "%2F" in query or "%3D" in query  # the base64 was URL-encoded
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert json.loads(request.body) == {
        "msgtype": "markdown",
        "markdown": {
            "title": f"[严重] 深圳市利世安科技有限公司：{TITLE}",
            "text": f"### [严重] 深圳市利世安科技有限公司：{TITLE}\n\n{ZH_ALERT_MARKDOWN}",
        },
    }


def test_a_bot_without_secret_gets_no_signature(receiver: Receiver) -> None:
    receiver.default = Reply(200, OK)

    assert bot(DingTalkChannel).send(alert_context(hook(receiver), kind="dingtalk")).ok

    assert urlsplit(receiver.requests[0].path).query == "access_token=9f8e7d6c5b4a"


@pytest.mark.parametrize(
    ("answer", "retryable", "retry_after"),
    [
        (THROTTLED, True, 600.0),  # throttled for ten minutes: the retry waits that long
        (b'{"errcode":-1,"errmsg":"system busy"}', True, None),
        (b'{"errcode":310000,"errmsg":"sign not match"}', False, None),
        (b'{"errcode":310000,"errmsg":"keywords not in content"}', False, None),
        (b'{"errcode":300001,"errmsg":"token is not exist"}', False, None),
        (b"<html>gateway</html>", True, None),  # no code to read: it may not have been posted
    ],
)
def test_an_error_code_in_an_http_200_is_a_failure(
    receiver: Receiver, answer: bytes, retryable: bool, retry_after: float | None
) -> None:
    context = alert_context(hook(receiver), kind="dingtalk", secret=SECRET)

    outcome = send_refused(
        DingTalkChannel, receiver, context, answer, retryable=retryable, retry_after=retry_after
    )

    if answer.startswith(b"{"):
        assert (
            outcome.error == f"DingTalk error {json.loads(answer)['errcode']}: {json.loads(answer)['errmsg']}"
        )


def test_a_long_digest_lists_fewer_alerts_and_keeps_the_link_to_all(receiver: Receiver) -> None:
    receiver.default = Reply(200, OK)
    context = digest_context(hook(receiver), kind="dingtalk", alerts=20, total=260)

    assert bot(DingTalkChannel).send(context).ok

    text = json.loads(receiver.requests[0].body)["markdown"]["text"]
    assert len(text.encode()) <= DingTalkChannel.max_content_bytes
    assert text.startswith(
        "### [每日预警摘要] 深圳市利世安科技有限公司：260 条新预警（最高风险：严重）· 2026-02-10"
    )
    assert "**每日预警摘要**：2026-02-09 08:00 – 2026-02-10 08:00 CST (UTC+08:00)，共 260 条新预警" in text
    listed = text.count("[在 ipsentry 中查看]")
    assert 1 <= listed <= 20
    assert (
        f"另有 {260 - listed} 条预警未列出：[查看全部](https://ipsentry.example.cn/alerts?digest=9)" in text
    )
