"""How riders' words are read (`handlers._fuzzy`, `handlers._words.understand`) and how each
channel's help and prompts are worded from its `Caps`, never from its name."""

from __future__ import annotations

import io
import re

import pytest

from bot.console import run_session
from handlers import FULL_CAPS, Caps, Message, Services, Text
from handlers._fuzzy import normalize, read, sounds
from handlers._words import INTENTS, understand

HAN = re.compile(r"[\u3400-\u9fff]")
WECHAT_LIKE = Caps(keyboard=False, buttons=False, commands=False, share_location="attach")


@pytest.mark.parametrize(
    "typed, normal",
    [
        ("ｎｅａｒｂｙ　驿站！", "nearby 驿站"),  # full-width letters, space and mark
        ("关门儿了😡😡", "关门了"),  # erhua and emoji
        ("附近，驿站？？", "附近 驿站"),
        ("儿子受伤了", "儿子受伤了"),  # a real 儿 stays
    ],
)
def test_normalize(typed: str, normal: str) -> None:
    assert normalize(typed) == normal


def test_dialect_sounds_are_one() -> None:
    # zh/z, sh/s, n/l and in/ing are heard alike; tones never count
    assert sounds("驿站") == sounds("驿赞")
    assert sounds("受伤") == sounds("瘦桑") == sounds("受上")
    assert sounds("工资") != sounds("公司")  # zi and si stay apart
    assert read("附近 驿站").sounds == read("附近驿站").sounds


def _says(text: str) -> str | None:
    intent = understand(text)
    return intent.says if intent else None


def test_short_phrases_never_match_one_syllable_off() -> None:
    assert _says("没开门") == "/closed"
    assert _says("几点开门") == ""  # hours: the station search, not a report
    assert _says("快开门") is None  # one syllable off 没开门 is not enough
    assert _says("怎么人会") == "一键入会"  # a long phrase forgives one


def test_station_requests_outrank_greetings_and_help() -> None:
    assert _says("你好，附近有厕所吗") == ""
    assert _says("help me find a toilet") == ""


def test_every_intent_says_something_a_handler_answers() -> None:
    says = {intent.says.split()[0] for intent in INTENTS if intent.says}
    assert says == {
        "/closed",
        "/legal",
        "/human",
        "/start",
        "我的会员",
        "我的求助",
        "一键入会",
        "反馈问题",
        "帮助",
    }


def _msg(text: str, caps: Caps, language: str = "zh") -> Message:
    return Message("x", "u-caps", "u-caps", text=text, caps=caps, language=language)


def _text(replies: list[object]) -> Text:
    found = [r for r in replies if isinstance(r, Text)]
    assert found, replies
    return found[0]


async def test_help_follows_caps_not_channel_names(context: Services) -> None:
    chat = context.conversation
    full = _text(await chat.handle(_msg("帮助", FULL_CAPS)))
    assert "/near" in full.text and "点下方按钮" in full.text and not full.buttons
    bare = _text(await chat.handle(_msg("帮助", WECHAT_LIKE)))
    assert "/near" not in bare.text and "点下方" not in bare.text and "回复下面的数字" in bare.text
    labels = [b.label for row in bare.buttons for b in row]
    assert labels[:2] == ["附近驿站", "一键入会"] and "找工会" in labels
    english = _text(await chat.handle(_msg("help", WECHAT_LIKE, language="en")))
    assert not HAN.search(english.text), english.text  # every line translated


async def test_terminal_tells_how_to_type_a_location(
    context: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    await run_session(context, io.StringIO("帮助\n附近驿站\n"), user="t1")
    out = capsys.readouterr().out
    assert "@纬度,经度" in out and "点下方" not in out and "[#1 附近驿站]" in out


async def test_a_menu_choice_is_read_like_its_words(context: Services) -> None:
    """`say:` buttons (numbered choices on WeChat, inline buttons elsewhere) work in any state."""
    chat = context.conversation
    pressed = Message("x", "u-say", "u-say", data="say:法律援助")
    assert "您遇到了什么问题" in _text(await chat.handle(pressed)).text
    # inside that form, a choice of the menu leaves it for what was chosen
    human = Message("x", "u-say", "u-say", data="say:找工会")
    assert "想找工会的工作人员" in _text(await chat.handle(human)).text
