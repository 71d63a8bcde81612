"""`yizhan chat` keeps the terminal for the conversation: no INFO log lines (schema upgrade,
station index) before or between the answers, while warnings still show."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.console import quiet_logs
from core.logging import configure_logging


def test_chat_prints_no_info_lines_with_the_default_log_level(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "WECHAT_")) and k not in ("LOG_LEVEL", "REDIS_URL")
    }
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'chat.db'}"
    done = subprocess.run(
        [sys.executable, "-m", "core", "chat"],
        input="@40.84,111.75\nquit\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    screen = done.stdout + done.stderr
    assert " INFO " not in screen, screen[:2000]
    assert "您好！我是驿站通" in done.stdout


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_warnings_still_show(restore_logging: None, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO")
    logging.getLogger("alembic.runtime.migration").setLevel(logging.INFO)  # as libraries do
    quiet_logs()
    logging.getLogger("alembic.runtime.migration").info("Running upgrade  -> core_0001")
    logging.getLogger("locations").warning("station index refresh failed")
    err = capsys.readouterr().err
    assert "station index refresh failed" in err and "Running upgrade" not in err


def test_a_stricter_level_is_kept(restore_logging: None) -> None:
    configure_logging("ERROR")
    quiet_logs()
    assert not logging.getLogger("x").isEnabledFor(logging.WARNING)
