"""What staff and clerks read in the terminal: union names (never "工会 1") in `yizhan staff
list`, and the schema's migration steps only with `yizhan --verbose`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.unions import UNIONS_CSV


def _yizhan(tmp_path: Path, *args: str) -> str:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
        "LOG_LEVEL": "INFO",
    }
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "core", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout + done.stderr


def test_staff_list_names_unions_and_migrations_are_quiet(tmp_path: Path) -> None:
    csv_file = tmp_path / "unions.csv"
    csv_file.write_text(UNIONS_CSV, encoding="utf-8")
    first = _yizhan(tmp_path, "unions", "import", str(csv_file))
    assert "导入完成" in first and "Running upgrade" not in first and "alembic" not in first
    _yizhan(tmp_path, "staff", "add", "王芳", "--union", "HH-XC", "--union", "HH-KD")
    listed = _yizhan(tmp_path, "staff", "list")
    line = next(row for row in listed.splitlines() if "王芳" in row)
    assert "新城区总工会" in line and "呼和浩特市快递行业工会" in line and "工会 " not in line
    assert "alembic" not in listed
    assert "alembic" in _yizhan(tmp_path, "--verbose", "staff", "list")
