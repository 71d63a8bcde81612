"""The union directory: import (and re-import), assignment, parents, staff tokens, the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from handlers import Services
from membership import (
    DirectoryError,
    add_staff,
    all_unions,
    assign_union,
    import_unions,
    parse_union_csv,
    staff_for_token,
    union_for_place,
    unions_above,
)
from tests.unions import UNIONS_CSV, load_unions


async def test_reimport_updates_by_code_and_never_duplicates(context: Services) -> None:
    ids = await load_unions(context)
    changed = UNIONS_CSV.replace("-1004,,HH", "-2004,,HH").replace(
        "包头市总工会", "包头市总工会（新）"
    )
    parsed = parse_union_csv(changed)
    summary = await import_unions(context.db, parsed.rows)
    assert (summary.created, summary.updated) == (0, 7)
    unions = {u.key: u for u in await all_unions(context.db)}
    assert len(unions) == 7 and {k: u.id for k, u in unions.items()} == ids
    assert unions["HH-KD"].telegram_chat_id == "-2004"
    assert unions["BT"].name == "包头市总工会（新）"


async def test_place_and_assignment(context: Services) -> None:
    ids = await load_unions(context)
    place = await union_for_place(context.db, "呼和浩特市", "新城区")
    assert place is not None and place.id == ids["HH-XC"]
    other_county = await union_for_place(context.db, "呼和浩特市", "赛罕区")
    assert other_county is not None and other_county.id == ids["HH"]
    elsewhere = await union_for_place(context.db, "赤峰市", "")
    assert elsewhere is not None and elsewhere.id == ids["NM"]

    async def assigned(**kw: str) -> str:
        union = await assign_union(context.db, league="呼和浩特市", county="新城区", **kw)
        assert union is not None
        return union.key

    assert await assigned(occupation="food_delivery", employer="美团外卖") == "HH-MT"
    assert await assigned(occupation="courier", employer="某某快递") == "HH-KD"
    assert await assigned(occupation="sanitation", employer="") == "HH-XC-NEF"
    baotou = await assign_union(
        context.db, league="包头市", county="昆都仑区", occupation="courier"
    )
    assert baotou is not None and baotou.key == "BT"


async def test_parents_chain(context: Services) -> None:
    ids = await load_unions(context)
    chain = await unions_above(context.db, ids["HH-MT"])
    assert [u.key for u in chain] == ["HH-XC", "HH", "NM"]


async def test_bad_parent_changes_nothing(context: Services) -> None:
    await load_unions(context)
    parsed = parse_union_csv(
        "code,name,level,league,parent\nX,某工会,league,赤峰市,不存在的工会\n"
        "HH,呼和浩特市总工会（改）,league,呼和浩特市,NM\n"
    )
    with pytest.raises(DirectoryError, match="不在名录里"):
        await import_unions(context.db, parsed.rows)
    names = {u.key: u.name for u in await all_unions(context.db)}
    assert "X" not in names and names["HH"] == "呼和浩特市总工会"


def test_bad_rows_are_named_in_chinese() -> None:
    parsed = parse_union_csv(
        "工会名称,级别,盟市,行业\n甲工会,乡镇,呼和浩特市,\n乙工会,行业,呼和浩特市,开飞机\n"
        "丙工会,行业,呼和浩特市,快递员、外卖骑手\n"
    )
    assert [(p.row, p.reason) for p in parsed.problems] == [
        (2, "级别“乡镇”不认识，应为 region/league/county/grassroots/industry 之一"),
        (3, "行业“开飞机”不认识"),
    ]
    assert parsed.rows[0].industries == ["courier", "food_delivery"]


async def test_staff_token_finds_the_staff_member_once_issued(context: Services) -> None:
    ids = await load_unions(context)
    info, token = await add_staff(context.db, "王芳", ["HH-XC", "新城区新就业形态劳动者工会联合会"])
    assert info.union_ids == {ids["HH-XC"], ids["HH-XC-NEF"]}
    found = await staff_for_token(context.db, token)
    assert found == info
    assert (
        await staff_for_token(context.db, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    )
    assert await staff_for_token(context.db, "") is None
    with pytest.raises(DirectoryError, match="没有“不存在”"):
        await add_staff(context.db, "李雷", ["不存在"])


def test_cli_import_and_staff_add(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from yizhan.cli import cli

    from core.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    try:
        csv_file = tmp_path / "unions.csv"
        csv_file.write_text("\ufeff" + UNIONS_CSV, encoding="utf-8")
        runner = CliRunner()
        first = runner.invoke(cli, ["unions", "import", str(csv_file)])
        assert first.exit_code == 0, first.output
        assert "新增 7 个工会" in first.output
        again = runner.invoke(cli, ["unions", "import", str(csv_file)])
        assert "新增 0 个工会，更新 7 个" in again.output
        added = runner.invoke(cli, ["staff", "add", "王芳", "--union", "HH-XC"])
        assert added.exit_code == 0, added.output
        token = added.output.strip().splitlines()[-1]
        assert token.startswith("yzs_") and len(token) > 40
        listed = runner.invoke(cli, ["staff", "list"])
        assert "王芳" in listed.output and token not in listed.output
        bad = runner.invoke(cli, ["staff", "add", "李雷", "--union", "没有这个"])
        assert bad.exit_code != 0 and "名录里没有" in bad.output
        broken = tmp_path / "broken.csv"
        broken.write_text("name,level\n某工会,乡镇\n", encoding="utf-8")
        refused = runner.invoke(cli, ["unions", "import", str(broken)])
        assert refused.exit_code != 0 and "未导入任何工会" in refused.output
    finally:
        get_settings.cache_clear()
