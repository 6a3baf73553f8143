"""The Feishu channel: the exact signed card a Feishu bot gets, and its error codes read from
HTTP 200 answers, new and old style (a real receiver on 127.0.0.1 answering as Feishu does)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from ipsentry.alerting.channels.feishu import FeishuChannel

from .bots import NOW, bot, send_refused
from .receiver import Receiver, Reply
from .samples import TITLE, ZH_ALERT_MARKDOWN, alert_context

SECRET = "zs0Tq1dM3x9uVwq7"
OK = b'{"code":0,"data":{},"msg":"success"}'
OK_OLD_STYLE = b'{"Extra":null,"StatusCode":0,"StatusMessage":"success"}'
THROTTLED = b'{"code":11232,"data":{},"msg":"frequency limited psm[lark.oapi.app_platform_runtime]"}'


def hook(receiver: Receiver) -> str:
    return f"http://127.0.0.1:{receiver.port}/open-apis/bot/v2/hook/53d17651-05ef-4fe4-b674-43cb5056e51a"


def test_feishu_gets_a_signed_card(receiver: Receiver) -> None:
    receiver.default = Reply(200, OK)

    outcome = bot(FeishuChannel).send(alert_context(hook(receiver), kind="feishu", secret=SECRET))

    assert outcome.ok and outcome.response_excerpt == OK.decode()
    [request] = receiver.requests
    assert request.path == "/open-apis/bot/v2/hook/53d17651-05ef-4fe4-b674-43cb5056e51a"
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    body = json.loads(request.body)
    timestamp = str(int(NOW))  # seconds
    # The signature as Feishu checks it: key = "timestamp\nsecret", message = empty.
    expected = hmac.new(f"{timestamp}\n{SECRET}".encode(), b"", hashlib.sha256).digest()
    assert (body["timestamp"], body["sign"]) == (timestamp, base64.b64encode(expected).decode())
    assert body["msg_type"] == "interactive"
    assert body["card"] == {
        "config": {"wide_screen_mode": True},
        "header": {
            "title": {"tag": "plain_text", "content": f"[严重] 深圳市利世安科技有限公司：{TITLE}"},
            "template": "red",
        },
        "elements": [
            {
                "tag": "div",
                "text": {
                    "tag": "lark_md",
                    "content": ZH_ALERT_MARKDOWN,
                },
            }
        ],
    }


def test_a_bot_without_secret_gets_no_timestamp_or_sign(receiver: Receiver) -> None:
    receiver.default = Reply(200, OK_OLD_STYLE)  # older deployments answer this way

    outcome = bot(FeishuChannel).send(alert_context(hook(receiver), kind="feishu", language="en"))

    assert outcome.ok, outcome.error
    body = json.loads(receiver.requests[0].body)
    assert set(body) == {"msg_type", "card"}
    assert body["card"]["header"]["title"]["content"] == f"[Critical] 深圳市利世安科技有限公司: {TITLE}"


@pytest.mark.parametrize(
    ("answer", "retryable", "retry_after"),
    [
        (THROTTLED, True, 60.0),
        (b'{"code":99991400,"msg":"request trigger frequency limit"}', True, 60.0),
        (
            b'{"code":19021,"data":{},"msg":"sign match fail or timestamp is not within one hour"}',
            False,
            None,
        ),
        (b'{"code":19024,"data":{},"msg":"Key Words Not Found"}', False, None),
        (b'{"code":9499,"data":{},"msg":"Bad Request"}', False, None),
        (b'{"Extra":null,"StatusCode":19022,"StatusMessage":"Ip Not Allowed"}', False, None),
    ],
)
def test_an_error_code_in_an_http_200_is_a_failure(
    receiver: Receiver, answer: bytes, retryable: bool, retry_after: float | None
) -> None:
    context = alert_context(hook(receiver), kind="feishu", secret=SECRET)

    outcome = send_refused(
        FeishuChannel, receiver, context, answer, retryable=retryable, retry_after=retry_after
    )

    document = json.loads(answer)
    code = document.get("code", document.get("StatusCode"))
    assert (outcome.error or "").startswith(f"Feishu error {code}: ")
