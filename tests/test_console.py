"""`yizhan chat`: the terminal channel, as a user runs it — no tokens, demo stations."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.console import parse_location, run_session
from handlers import Services
from tests.stations import HOHHOT, add_stations, station


def test_chat_runs_on_demo_stations_without_tokens(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WECHAT_"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'chat.db'}", LOG_LEVEL="WARNING")
    env.pop("REDIS_URL", None)
    typed = "@40.84,111.75\n厕所\n#1\n包头\n@abc\n#99\n一键入会\nquit\n"
    done = subprocess.run(
        [sys.executable, "-m", "core", "chat"],
        input=typed,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "演示驿站" in out  # the empty database got the demo set
    assert "发送位置" in out  # the welcome shows the keyboard
    pins = [line for line in out.splitlines() if "📍" in line]
    assert len(pins) >= 4  # location, 厕所, next station, 包头
    assert "包头市" in pins[3]
    assert "提供“如厕指引”的开放驿站" in out
    assert "位置格式不对" in out and "没有这个按钮" in out
    assert "12351" in out


async def test_session_in_english_with_buttons(
    context: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    lat, lng = HOHHOT
    await add_stations(
        context,
        station("A", lat + 0.001, lng, name="Alpha驿站"),
        station("B", lat + 0.002, lng, name="Beta驿站"),
    )
    typed = io.StringIO(f"@{lat},{lng}\n#1\n")
    await run_session(context, typed, user="t1", language="en")
    text = capsys.readouterr().out
    assert "Hello" in text and "Next station" in text
    pins = [line for line in text.splitlines() if "📍" in line]
    assert [p.split("📍 ")[1].split("｜")[0] for p in pins] == ["Alpha驿站", "Beta驿站"]


def test_location_syntax() -> None:
    assert parse_location("@40.84,111.75") is not None
    assert parse_location("@ 40.84， 111.75") is not None
    point = parse_location("@-33.5 151.2")
    assert point is not None and (point.lat, point.lng) == (-33.5, 151.2)
    for bad in ("@91,10", "@40.8", "@a,b", "40.84,111.75"):
        assert parse_location(bad) is None


async def test_the_terminal_demos_enrollment_short_links_and_swapped_coordinates(
    context: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.unions import load_unions

    lat, lng = 40.8580, 111.6655  # 新城区
    await load_unions(context)
    await add_stations(context, station("A", lat + 0.001, lng, name="海东路驿站"))
    typed = io.StringIO(
        f"@{lng},{lat}\n@{lat},{lng}\n一键入会\ntel:138 1234 5678\n王五\n#1\n#1\n#1\n#1\nquit\n"
    )
    await run_session(context, typed, user="t2")
    text = capsys.readouterr().out
    assert f"纬度和经度好像写反了：纬度在前。试试 @{lat},{lng}" in text
    assert "地图：https://uri.amap.com/marker?position=" in text
    assert max(len(line) for line in text.splitlines()) < 200  # no 500-character map URLs
    assert "api.map.baidu.com" not in text and "apis.map.qq.com" not in text
    assert "138****5678 已验证" in text and "请核对" in text and "姓名：王五" in text
    assert "已提交" in text  # the summary's first button: ✅ 确认提交
    found = await context.enrollments.enrollment_of("console", "t2")
    assert found is not None and found.name == "王五"
