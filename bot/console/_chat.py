"""`yizhan chat`: the conversation in a terminal, on the same handlers as Telegram and WeChat.

Type text as a worker would; `@40.84,111.75` shares a location (WGS-84 latitude, longitude);
`#2` presses inline button 2 of the last answer; `tel:13812345678` shares a phone number as
the worker's own, so 一键入会 can be tried end to end (a terminal is the operator's own demo:
nothing verifies the number there). Works with no tokens: an empty database gets the
synthetic demo stations first.

Map links are long (three per station, hundreds of characters each): the terminal shows one
short link per pin instead.
"""

from __future__ import annotations

import logging
import re
from typing import TextIO

import click

from handlers import Button, Caps, Contact, Message, Place, Reply, Services, Text
from locations import Point, wgs84_to_gcj02

_LOCATION = re.compile(r"^@\s*(-?\d+(?:\.\d+)?)\s*[,，\s]\s*(-?\d+(?:\.\d+)?)$")
_PRESS = re.compile(r"^#(\d+)$")
_TEL = re.compile(r"^tel[:：]\s*(\+?[\d\s-]{6,20})$", re.IGNORECASE)
_MAP_HOSTS = ("uri.amap.com", "apis.map.qq.com", "api.map.baidu.com")
LONG_URL = 80
_QUIT = frozenset({"quit", "exit", "退出", "/quit"})
USAGE = (
    "输入文字和驿站通聊天；@纬度,经度 发送位置（如 @40.84,111.75）；#序号 点按钮；"
    "tel:手机号 分享手机号（演示一键入会）；quit 退出。"
)
# Inline buttons are pressed with "#n"; the keyboard is only shown, and a position is typed.
CAPS = Caps(keyboard=False, buttons=True, commands=True, share_location="typed")


def parse_location(text: str) -> Point | None:
    found = _LOCATION.match(text.strip())
    if not found:
        return None
    lat, lng = float(found.group(1)), float(found.group(2))
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return None
    return Point(lat, lng)


def location_problem(text: str) -> str:
    """Why `@…` is not a location, with the fix: latitude first (in China, the smaller)."""
    found = _LOCATION.match(text.strip())
    usage = "请输入 @纬度,经度，例如 @40.84,111.75"
    if not found:
        return f"位置格式不对。{usage}"
    first, second = float(found.group(1)), float(found.group(2))
    if abs(first) > 90 and abs(second) <= 90:
        return f"纬度和经度好像写反了：纬度在前。试试 @{found.group(2)},{found.group(1)}"
    return f"位置超出范围。{usage}"


def short_map_link(point: Point) -> str:
    """One short link that opens the pin in a map app (Amap, GCJ-02 as it expects)."""
    lat, lng = wgs84_to_gcj02(point.lat, point.lng)
    return f"https://uri.amap.com/marker?position={lng:.6f},{lat:.6f}"


def _url_line(button: Button) -> str | None:
    """A link button as a terminal line; None for map links (the pin's short link stands in)."""
    assert button.url is not None
    if any(host in button.url for host in _MAP_HOSTS):
        return None
    if len(button.url) > LONG_URL:
        return f"  {button.label}：{button.url[:LONG_URL]}…"
    return f"  {button.label}：{button.url}"


def render(replies: list[Reply]) -> tuple[str, list[Button]]:
    """The replies as terminal text, and the data buttons `#n` can press (numbered from 1)."""
    lines: list[str] = []
    pressable: list[Button] = []
    for reply in replies:
        if isinstance(reply, Place):
            lines.append(
                f"📍 {reply.title}｜{reply.address}（{reply.point.lat:.5f}, {reply.point.lng:.5f}）"
            )
            lines.append(f"  地图：{short_map_link(reply.point)}")
        elif isinstance(reply, Text):
            lines.append(reply.text)
            for row in reply.buttons:
                cells = []
                for button in row:
                    if button.url:
                        line = _url_line(button)
                        if line is not None:
                            lines.append(line)
                    else:
                        pressable.append(button)
                        cells.append(f"[#{len(pressable)} {button.label}]")
                if cells:
                    lines.append("  " + " ".join(cells))
            if reply.keyboard is not None and reply.keyboard.rows:
                keys = " ".join(f"[{k.label}]" for row in reply.keyboard.rows for k in row)
                lines.append(f"  键盘：{keys}")
    return "\n".join(lines), pressable


async def run_session(
    services: Services, stdin: TextIO, *, user: str = "local", language: str = "zh"
) -> None:
    conversation = services.conversation
    buttons: list[Button] = []

    async def say(**content: object) -> None:
        nonlocal buttons
        message = Message(
            channel="console",
            user_id=user,
            chat_id=user,
            language=language,
            can_share_contact=True,  # through `tel:` (see the module's docstring)
            caps=CAPS,
            **content,  # type: ignore[arg-type]
        )
        text, pressable = render(await conversation.handle(message))
        buttons = pressable or buttons
        click.echo(text)

    await say(text="/start")
    click.echo(USAGE)
    while True:
        click.echo("> ", nl=False)
        line = stdin.readline()  # blocking is fine: a terminal has one user
        if not line:
            click.echo()
            return
        line = line.strip()
        if not line:
            continue
        if line.lower() in _QUIT:
            return
        if line.startswith("@"):
            point = parse_location(line)
            if point is None:
                click.echo(location_problem(line))
                continue
            await say(location=point)
            continue
        phone = _TEL.match(line)
        if phone:
            digits = re.sub(r"[\s-]", "", phone.group(1))
            await say(contact=Contact(phone=digits, own=True, name=""))
            continue
        pressed = _PRESS.match(line)
        if pressed:
            number = int(pressed.group(1))
            if not 1 <= number <= len(buttons):
                click.echo("没有这个按钮，请看上面方括号里的序号。")
                continue
            await say(data=buttons[number - 1].data)
            continue
        await say(text=line)


def quiet_logs() -> None:
    """The log shares the screen with the conversation: keep warnings and worse only (schema
    upgrades, index loads and the like are noise to someone chatting). A stricter LOG_LEVEL
    still wins."""
    root = logging.getLogger()
    root.setLevel(max(root.getEffectiveLevel(), logging.WARNING))
    for handler in root.handlers:  # also what a library logger set to INFO itself would print
        handler.setLevel(max(handler.level, logging.WARNING))
