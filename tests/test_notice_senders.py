"""Channel renderers of `core.notices.Notice`: Telegram's `sendMessage` and the WeCom robot's
sender (errors of the client turned into the outbox's)."""

from __future__ import annotations

import json

import httpx
import pytest

from bot.staff import WeComSender
from bot.telegram import notice_call
from core.notices import Action, Notice
from core.outbox import GiveUp, OutboxMessage, RetryLater
from integrations import WeComRobot

CARD = Notice("新求助", buttons=((Action("认领", "case:claim:1"),),), footer="请在工作台处理")


def test_telegram_buttons_become_an_inline_keyboard_and_the_footer_stays_out() -> None:
    assert notice_call("-100", CARD) == {
        "method": "sendMessage",
        "params": {
            "chat_id": "-100",
            "text": "新求助",
            "link_preview_options": {"is_disabled": True},
            "reply_markup": {
                "inline_keyboard": [[{"text": "认领", "callback_data": "case:claim:1"}]]
            },
        },
    }


def test_telegram_without_buttons_shows_the_footer() -> None:
    params = notice_call("42", Notice("您好", footer="请在工作台处理"))["params"]
    assert params["text"] == "您好\n请在工作台处理" and "reply_markup" not in params


def _row(notice: Notice) -> OutboxMessage:
    return OutboxMessage(id=1, kind="wecom", recipient="robot-key", payload=notice.to_payload())


async def test_wecom_gets_text_and_footer() -> None:
    sent: list[dict[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(200, json={"errcode": 0})

    robot = WeComRobot(httpx.AsyncClient(transport=httpx.MockTransport(handler)))
    assert await WeComSender(robot)(_row(CARD)) == {"errcode": 0}
    assert sent == [{"msgtype": "text", "text": {"content": "新求助\n请在工作台处理"}}]


@pytest.mark.parametrize(
    ("errcode", "error", "retry_after"),
    [(45009, RetryLater, 60.0), (-1, RetryLater, None), (93000, GiveUp, None)],
)
async def test_wecom_errors_become_the_outboxs(
    errcode: int, error: type[Exception], retry_after: float | None
) -> None:
    answer = httpx.Response(200, json={"errcode": errcode, "errmsg": "no"})
    robot = WeComRobot(httpx.AsyncClient(transport=httpx.MockTransport(lambda _: answer)))
    with pytest.raises(error) as caught:
        await WeComSender(robot)(_row(CARD))
    assert getattr(caught.value, "retry_after", None) == retry_after
