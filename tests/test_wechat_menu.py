"""The Official Account speaks only of what it can do, and its menu comes from the code:
`yizhan wechat menu` sends `official_menu()` to WeChat's menu/create (the fake checks WeChat's
limits), every click key is answered through the callback, numbered choices replace buttons,
a voice message is read like text, and "关门了" files a report about the station just offered."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from bot.wechat import LOCATION_KEY, click_keys, official_menu
from core import get_settings
from handlers import SERVICES_KEY, remember_location, user_key
from locations import Point, wgs84_to_gcj02
from membership import EnrollmentStatus, outcome_text
from referrals import Case
from tests.conftest import AppClient
from tests.fakes.wechat import FakeWeChat, menu_error
from tests.stations import HOHHOT, add_stations, station
from tests.test_rider_messages import _wechat_xml, wechat_post
from yizhan.cli import cli

LAT, LNG = HOHHOT


@pytest.fixture
async def wx(wechat_client: AppClient) -> AppClient:
    await add_stations(
        wechat_client.app[SERVICES_KEY],
        station("NEAR", LAT + 0.001, LNG, name="新华广场驿站"),
        station("NEXT", LAT + 0.004, LNG, name="人民公园驿站"),
    )
    return wechat_client


def text(openid: str, content: str) -> bytes:
    return _wechat_xml(openid, MsgType="text", Content=content)


def location(openid: str, lat: float, lng: float) -> bytes:
    x, y = wgs84_to_gcj02(lat, lng)  # WeChat's map picker speaks GCJ-02
    return _wechat_xml(
        openid, MsgType="location", Location_X=f"{x:.6f}", Location_Y=f"{y:.6f}", Scale="15"
    )


def event(openid: str, name: str, **fields: object) -> bytes:
    return _wechat_xml(openid, MsgType="event", Event=name, **fields)


async def test_help_and_prompts_name_no_buttons_or_commands(wx: AppClient) -> None:
    welcome = await wechat_post(wx, event("o-new", "subscribe"))
    help_ = await wechat_post(wx, text("o-new", "帮助"))
    ask = await wechat_post(wx, text("o-new", "附近驿站"))  # no location yet
    for said in (welcome, help_, ask):
        assert "点下方" not in said and "/near" not in said and "/cancel" not in said
        assert "“+”" in said  # how a position is sent here
    assert "回复数字：1 附近驿站" in help_ and "7 找工会" in help_
    assert "说“取消”" in help_


async def test_numbered_choice_and_spoken_number(wx: AppClient) -> None:
    ctx = wx.app[SERVICES_KEY]
    await remember_location(ctx.store, user_key("wechat", "o-1"), Point(LAT, LNG))
    await wechat_post(wx, text("o-1", "帮助"))
    assert "新华广场驿站" in await wechat_post(wx, text("o-1", "1"))  # 1 附近驿站
    await wechat_post(wx, text("o-1", "帮助"))
    voice = _wechat_xml("o-1", MsgType="voice", MediaId="m", Format="amr", Recognition="七。")
    assert "想找工会的工作人员" in await wechat_post(wx, voice)  # 7 找工会


async def test_voice_without_recognition_says_what_it_can_read(wx: AppClient) -> None:
    voice = _wechat_xml("o-2", MsgType="voice", MediaId="m", Format="amr")
    said = await wechat_post(wx, voice)
    assert "看不懂" in said and "没太明白" not in said and "回复数字" in said


async def test_closed_report_about_the_station_just_offered(wx: AppClient) -> None:
    ctx = wx.app[SERVICES_KEY]
    assert "新华广场驿站" in await wechat_post(wx, location("o-3", LAT, LNG))
    asked = await wechat_post(wx, text("o-3", "驿站锁门了😡"))
    assert "是“新华广场驿站”没开门吗" in asked and "1 是，就是它" in asked
    described = await wechat_post(wx, text("o-3", "1"))
    assert described.startswith("新华广场驿站：") and "1 跳过" in described
    consent = await wechat_post(wx, text("o-3", "1"))
    assert "可以打电话联系您吗" in consent
    done = await wechat_post(wx, text("o-3", "2"))
    assert "已收到，您的求助编号是" in done, done
    async with ctx.db.session() as session:
        case = (await session.execute(select(Case).where(Case.worker_ref == "o-3"))).scalar_one()
    near = next(s for s in ctx.finder.index.stations if s.code == "NEAR")
    assert (case.category, case.station_id) == ("closed", near.id)


async def test_words_inside_a_form_are_its_answer(wx: AppClient) -> None:
    await wechat_post(wx, location("o-4", LAT, LNG))
    begun = await wechat_post(wx, text("o-4", "老板拖欠工资"))
    assert "问题类型：拖欠工资" in begun and "12348" in begun
    # "欠薪三个月" while describing is the description, not a new request
    assert "可以打电话联系您吗" in await wechat_post(wx, text("o-4", "欠薪三个月了，八千块"))


async def test_every_menu_button_is_answered(wx: AppClient, fake_wechat: FakeWeChat) -> None:
    menu = official_menu()
    assert menu_error(menu) == 0
    ctx = wx.app[SERVICES_KEY]
    x, y = wgs84_to_gcj02(LAT, LNG)
    picked = await wechat_post(
        wx,
        event(
            "o-5",
            "location_select",
            EventKey=LOCATION_KEY,
            SendLocationInfo={"Location_X": f"{x:.6f}", "Location_Y": f"{y:.6f}", "Scale": "15"},
        ),
    )
    assert picked == ""  # the location message that follows gets the answer
    assert await ctx.store.get(f"lastloc:{user_key('wechat', 'o-5')}") is not None
    for n, key in enumerate(click_keys(menu)):
        said = await wechat_post(wx, event("o-5", "CLICK", EventKey=key, CreateTime=str(n)))
        assert said and "没太明白" not in said, (key, said)
        await wechat_post(wx, text("o-5", "取消"))  # leave any form the button began


@pytest.mark.parametrize(
    "body, errcode",
    [
        ({"button": []}, 40016),
        ({"button": [{"name": "太长的一级菜单名字", "type": "click", "key": "x"}]}, 40018),
        (
            {"button": [{"name": "找", "sub_button": [{"name": "a", "type": "tap", "key": "k"}]}]},
            40017,
        ),
        ({"button": [{"name": "找", "sub_button": [{"name": "a", "type": "click"}]}]}, 40019),
        (
            {
                "button": [
                    {
                        "name": "找",
                        "sub_button": [
                            {"name": str(i), "type": "click", "key": "k"} for i in range(6)
                        ],
                    }
                ]
            },
            40023,
        ),
    ],
)
def test_fake_refuses_what_wechat_refuses(body: dict[str, object], errcode: int) -> None:
    assert menu_error(body) == errcode


@pytest.fixture
def cli_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_wechat: FakeWeChat
) -> Iterator[None]:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("WECHAT_API_BASE", fake_wechat.base_url)
    monkeypatch.setenv("WECHAT_APPID", "wx-official")
    monkeypatch.setenv("WECHAT_SECRET", fake_wechat.apps["wx-official"])
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def _yizhan(*args: str) -> Result:
    # The command runs its own event loop; the fake WeChat answers from this one.
    return await asyncio.to_thread(CliRunner().invoke, cli, list(args))


async def test_yizhan_wechat_menu_creates_the_menu(cli_env: None, fake_wechat: FakeWeChat) -> None:
    result = await _yizhan("wechat", "menu")
    assert result.exit_code == 0, result.output
    assert "已设置公众号菜单：找驿站、入会、求助" in result.output
    assert fake_wechat.menu == official_menu()
    shown = await _yizhan("wechat", "menu", "--show")
    assert "location_select" in shown.output and fake_wechat.count("/cgi-bin/menu/create") == 1


async def test_yizhan_wechat_menu_reports_a_refusal(
    cli_env: None, fake_wechat: FakeWeChat, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_wechat.apps["wx-official"] = "rotated-secret"  # WeChat refuses the token: 40125
    result = await _yizhan("wechat", "menu")
    assert result.exit_code == 1 and "微信拒绝了这个菜单（错误码 40125" in result.output
    monkeypatch.delenv("WECHAT_SECRET")
    get_settings.cache_clear()
    result = await _yizhan("wechat", "menu")
    assert result.exit_code == 1 and "没有配置 WECHAT_APPID 和 WECHAT_SECRET" in result.output
    assert fake_wechat.menu is None


def test_outcome_texts_use_no_chat_wording() -> None:
    """The mini-program shows these too: no "发送“…”", which only a chat can do."""
    for status, hint in (
        (EnrollmentStatus.APPROVED, "在“我的会员”里查看"),
        (EnrollmentStatus.REJECTED, "修改信息后可以重新申请入会"),
    ):
        view = SimpleNamespace(
            status=status, union_name="新城区总工会", member_number="NM-1", reject_reason="缺信息"
        )
        said = outcome_text(view)  # type: ignore[arg-type]
        assert "发送“" not in said and hint in said


async def test_closed_with_nothing_known_asks_for_a_name_not_a_location(wx: AppClient) -> None:
    asked = await wechat_post(wx, text("o-6", "驿站没开门"))
    assert "是哪个驿站没开门？请输入驿站名称" in asked and "发送位置" not in asked
    named = await wechat_post(wx, text("o-6", "新华广场"))
    assert named.startswith("新华广场驿站：") and "请简单说说情况" in named
