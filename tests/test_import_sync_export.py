"""`yizhan stations import --dry-run | --skip-invalid | --sync` and `yizhan stations export`,
as a clerk runs them (CliRunner against a temporary SQLite database)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook

from tests.test_import_cli import db_url, history_of, stations_in  # noqa: F401 (fixture)
from yizhan.cli import cli

HEADER = "编号,名称,地址,盟市,纬度,经度,开放时间,服务项目,其他设施"


def line(code: str, *, hours: str = "周一至周五 8:00-18:00", lat: str = "40.8175") -> str:
    return f"{code},驿站{code},新华大街,呼和浩特市,{lat},111.6610,{hours},休息、热水,WiFi"


def write(path: Path, *rows: str, encoding: str = "utf-8") -> Path:
    path.write_text("\n".join((HEADER, *rows)) + "\n", encoding=encoding)
    return path


def cli_run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["stations", *args])


def test_dry_run_shows_changes_and_writes_nothing(tmp_path: Path, db_url: str) -> None:  # noqa: F811
    assert cli_run("import", str(write(tmp_path / "v1.csv", line("A"), line("B")))).exit_code == 0
    v2 = write(tmp_path / "v2.csv", line("A"), line("B", hours="每天 8:00-20:00"), line("C"))
    result = cli_run("import", str(v2), "--dry-run", "--sync")
    assert result.exit_code == 0, result.output
    assert (
        "试导入，没有写入任何数据：将新增 1 个，更新 1 个，不变 1 个，将暂停 0 个。"
        in result.stdout
    )
    assert "新增：C" in result.stdout and "更新：B" in result.stdout
    assert sorted(stations_in(db_url)) == ["A", "B"]
    assert stations_in(db_url)["B"].opening_hours == "Mo-Fr 08:00-18:00"


def test_skip_invalid_writes_the_bad_rows_to_fix_and_import_again(
    tmp_path: Path,
    db_url: str,  # noqa: F811
) -> None:
    source = write(
        tmp_path / "名单.csv",
        line("A"),
        line("B", hours="早八晚八", lat="北纬40"),
        line("C"),
        encoding="gbk",
    )
    result = cli_run("import", str(source), "--skip-invalid")
    assert result.exit_code == 0, result.output
    assert "新增 2 个" in result.stdout
    rejected = tmp_path / "名单_未导入.csv"
    assert f"没导入的行已存到 {rejected}" in result.stderr
    text = rejected.read_text(encoding="utf-8-sig")
    header, row = text.splitlines()
    assert header == HEADER + ",错误原因"
    assert row.startswith("B,驿站B,新华大街,呼和浩特市,北纬40,111.6610,早八晚八,")
    assert "纬度“北纬40”不是数字" in row and "开放时间“早八晚八”看不懂" in row

    # The clerk fixes the two cells in that file and imports it as it is.
    rejected.write_text(
        text.replace("北纬40", "40.8175").replace("早八晚八", "早8点到晚8点"), encoding="utf-8-sig"
    )
    again = cli_run("import", str(rejected))
    assert again.exit_code == 0, again.output
    assert "新增 1 个" in again.stdout and "错误原因" not in again.stderr
    assert stations_in(db_url)["B"].opening_hours == "Mo-Su 08:00-20:00"


def test_without_sync_missing_stations_are_named_and_left_open(
    tmp_path: Path,
    db_url: str,  # noqa: F811
) -> None:
    assert cli_run("import", str(write(tmp_path / "v1.csv", line("A"), line("B")))).exit_code == 0
    result = cli_run("import", str(write(tmp_path / "v2.csv", line("A"))))
    assert result.exit_code == 0, result.output
    assert "这 1 个驿站不在这份名单里，仍保持开放：驿站B（B）" in result.stdout
    assert stations_in(db_url)["B"].status == "active"


def test_sync_suspends_missing_stations_of_the_files_leagues_with_the_reason(
    tmp_path: Path,
    db_url: str,  # noqa: F811
) -> None:
    other = "Z,包头驿站,钢铁大街,包头市,40.6574,109.8403,24小时,休息,"
    first = write(tmp_path / "v1.csv", line("A"), line("B"), other)
    assert cli_run("import", str(first)).exit_code == 0
    result = cli_run("import", str(write(tmp_path / "v2.csv", line("A"))), "--sync")
    assert result.exit_code == 0, result.output
    assert "名单里没有、已暂停 1 个：驿站B（B）" in result.stdout
    after = stations_in(db_url)
    assert (after["A"].status, after["B"].status, after["Z"].status) == (
        "active",
        "suspended",
        "active",  # another city's station is not this list's business
    )
    assert history_of(db_url, "B")[-1] == ("active", "suspended", "import:v2.csv")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".geojson"])
def test_export_imports_back_unchanged(tmp_path: Path, db_url: str, suffix: str) -> None:  # noqa: F811
    path = tmp_path / "s.csv"
    path.write_text(
        HEADER
        + ",24小时智能驿站,面积,状态\n"
        + line("A")
        + ",否,12,正常\n"
        + "B,微型驿站,中山路,呼和浩特市,40.81,111.65,,休息,,是,3.5,暂停\n"  # smart: no hours
        + "C,共建驿站,新华大街,呼和浩特市,40.8,111.6,Mo-Su 07:00-21:00,如厕;充电宝,空调,否,,撤销\n",
        encoding="utf-8",
    )
    first = cli_run("import", str(path))
    assert first.exit_code == 0, first.output
    before = {code: s.model_dump(exclude={"updated_at"}) for code, s in stations_in(db_url).items()}

    out = tmp_path / f"导出{suffix}"
    exported = cli_run("export", str(out))
    assert exported.exit_code == 0, exported.output
    assert f"已导出 3 个驿站到 {out}" in exported.stdout
    if suffix == ".xlsx":
        rows = list(load_workbook(out, read_only=True).worksheets[0].iter_rows(values_only=True))
        assert rows[0][:3] == ("编码", "名称", "地址") and rows[1][0] == "A"

    again = cli_run("import", str(out), "--dry-run")
    assert again.exit_code == 0, again.output
    assert "将新增 0 个，更新 0 个，不变 3 个" in again.stdout
    assert cli_run("import", str(out)).exit_code == 0
    after = {code: s.model_dump(exclude={"updated_at"}) for code, s in stations_in(db_url).items()}
    assert after == before
    assert after["A"]["opening_hours_text"] == "周一至周五 8:00-18:00"
    assert after["C"]["extras"] == ["空调"] and after["C"]["status"] == "revoked"
