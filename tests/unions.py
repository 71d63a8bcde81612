"""A small union directory for tests: Hohhot with a courier union, a Meituan grassroots union,
a county pool, and Baotou; each with its own staff chat."""

from __future__ import annotations

from handlers import Services
from membership import parse_union_csv

UNIONS_CSV = """\
code,name,level,league,county,adcode,industries,employers,pool,requires_id_number,telegram_chat_id,wecom_robot_key,parent
NM,内蒙古自治区总工会,region,,,150000,,,,,-1000,,
HH,呼和浩特市总工会,league,呼和浩特市,,150100,,,,,-1001,,NM
HH-XC,新城区总工会,county,呼和浩特市,新城区,150102,,,,,-1002,,HH
HH-XC-NEF,新城区新就业形态劳动者工会联合会,grassroots,呼和浩特市,新城区,,,,是,,-1003,,HH-XC
HH-KD,呼和浩特市快递行业工会,industry,呼和浩特市,,,courier,,,,-1004,,HH
HH-MT,美团呼和浩特站点工会,grassroots,呼和浩特市,新城区,,,美团;美团外卖,,是,-1005,,HH-XC
BT,包头市总工会,league,包头市,,150200,,,,,-1006,,NM
"""


async def load_unions(context: Services) -> dict[str, int]:
    """Import the test directory; returns union ids by code."""
    parsed = parse_union_csv(UNIONS_CSV)
    assert not parsed.problems, parsed.problems
    await context.directory.import_unions(parsed.rows)

    return {u.key: u.id for u in await context.directory.all_unions()}
