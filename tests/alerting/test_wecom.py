"""The WeCom channel: the exact request a WeCom group bot gets, and its error codes read from
HTTP 200 answers (a real receiver on 127.0.0.1 answering as WeCom does)."""

from __future__ import annotations

import json

import pytest

from ipsentry.alerting.channels.wecom import WeComChannel

from .bots import bot, send_refused
from .receiver import Receiver, Reply
from .samples import TITLE, alert_context, digest_context

KEY = "693a91f6-7a0c-4bc4-97a0-0ec2sifa5aaa"
OK = b'{"errcode":0,"errmsg":"ok"}'
THROTTLED = b'{"errcode":45009,"errmsg":"api freq out of limit"}'


def hook(receiver: Receiver) -> str:
    return f"http://127.0.0.1:{receiver.port}/cgi-bin/webhook/send?key={KEY}"


def test_wecom_gets_a_markdown_message_at_its_key(receiver: Receiver) -> None:
    receiver.default = Reply(200, OK)

    # A secret set by mistake is not sent anywhere: WeCom bots have no signature.
    outcome = bot(WeComChannel).send(alert_context(hook(receiver), kind="wecom", language="en", secret="x"))

    assert outcome.ok and outcome.response_excerpt == OK.decode()
    [request] = receiver.requests
    assert (request.method, request.path) == ("POST", f"/cgi-bin/webhook/send?key={KEY}")
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert json.loads(request.body) == {
        "msgtype": "markdown",
        "markdown": {
            "content": f"### [Critical] 深圳市利世安科技有限公司: {TITLE}\n\n"
            f"**[Critical] [{TITLE}](https://www.federalregister.gov/d/2026-02297)**\n\n"
            "Section 337 investigation · Investigation instituted · 337-TA-1414\n\n"
            "Enterprise: 深圳市利世安科技有限公司 (respondent)\n\n"
            "Evidence: (b) The respondents are … Shenzhen Lishian Technology Co., Ltd., Shenzhen, China\n\n"
            "Summary: Notice is hereby given that a complaint was filed with the U.S. International Trade "
            "Commission on behalf of EcoFlow Inc.\n\n"
            "Detected: 2026-02-10 16:30 CST (UTC+08:00), published 2026-02-10\n\n"
            "[View in ipsentry](https://ipsentry.example.cn/alerts/42)\n\n"
            "— ipsentry overseas IP risk alerts\n"
        },
    }


@pytest.mark.parametrize(
    ("answer", "retryable", "retry_after"),
    [
        (THROTTLED, True, 60.0),
        (b'{"errcode":-1,"errmsg":"system busy"}', True, None),
        (b'{"errcode":93000,"errmsg":"invalid webhook url, hint: [1755605200056773468916791]"}', False, None),
        (b'{"errcode":40058,"errmsg":"markdown.content exceed max length 4096"}', False, None),
    ],
)
def test_an_error_code_in_an_http_200_is_a_failure(
    receiver: Receiver, answer: bytes, retryable: bool, retry_after: float | None
) -> None:
    context = alert_context(hook(receiver), kind="wecom")

    outcome = send_refused(
        WeComChannel, receiver, context, answer, retryable=retryable, retry_after=retry_after
    )

    document = json.loads(answer)
    assert outcome.error == f"WeCom error {document['errcode']}: {document['errmsg']}"


def test_a_digest_stays_within_wecoms_4096_bytes(receiver: Receiver) -> None:
    receiver.default = Reply(200, OK)

    assert bot(WeComChannel).send(digest_context(hook(receiver), kind="wecom", alerts=20, total=20)).ok

    content = json.loads(receiver.requests[0].body)["markdown"]["content"]
    assert len(content.encode()) <= 4096
    listed = content.count("[在 ipsentry 中查看]")
    assert 1 <= listed < 20
    assert (
        f"另有 {20 - listed} 条预警未列出：[查看全部](https://ipsentry.example.cn/alerts?digest=9)" in content
    )
    assert content.endswith("— ipsentry 海外知识产权风险预警\n")
