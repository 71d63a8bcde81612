"""/admin/v1/cases through the wired app: own unions only, actions, clear Chinese errors."""

from __future__ import annotations

from sqlalchemy import select

from core.outbox import OutboxMessage
from handlers import SERVICES_KEY
from tests.conftest import AppClient
from tests.test_referrals import SAIHAN, XINCHENG, _directory, legal


async def test_staff_see_and_act_on_their_own_cases_only(client: AppClient) -> None:
    ctx = client.app[SERVICES_KEY]
    await _directory(ctx)
    _saihan_staff, token = await ctx.directory.add_staff("王芳", ["saihan"])
    _other, other_token = await ctx.directory.add_staff("李强", ["hohhot"])
    service = ctx.referrals
    mine = (await service.submit(legal("tg-1", SAIHAN, "u1"))).case
    theirs = (await service.submit(legal("tg-2", XINCHENG, "u2"))).case  # goes to the league
    auth = {"Authorization": f"Bearer {token}"}

    assert (await client.get("/admin/v1/cases")).status == 401
    listed = await (await client.get("/admin/v1/cases", headers=auth)).json()
    assert [c["number"] for c in listed["cases"]] == [mine.number]
    bad = await client.get("/admin/v1/cases", params={"status": "lost"}, headers=auth)
    assert bad.status == 422 and "status" in (await bad.json())["detail"]

    # Another union's case answers exactly like a case that does not exist.
    missing = await client.post("/admin/v1/cases/999999/claim", headers=auth)
    for method, path in (
        ("POST", f"/admin/v1/cases/{theirs.id}/claim"),
        ("GET", f"/admin/v1/cases/{theirs.id}"),
    ):
        hidden = await client.request(method, path, headers=auth)
        assert hidden.status == 404 and await hidden.json() == await missing.json()
    claimed = await client.post(f"/admin/v1/cases/{mine.id}/claim", headers=auth)
    body = await claimed.json()
    assert claimed.status == 200 and body["status"] == "claimed" and body["worker_notified"]
    empty = await client.post(f"/admin/v1/cases/{mine.id}/resolve", json={"text": ""}, headers=auth)
    assert empty.status == 409 and "处理结果" in (await empty.json())["detail"]
    done = await client.post(
        f"/admin/v1/cases/{mine.id}/resolve", json={"text": "已帮您追回工资"}, headers=auth
    )
    assert (await done.json())["status"] == "resolved"
    detail = await (await client.get(f"/admin/v1/cases/{mine.id}", headers=auth)).json()
    assert [e["action"] for e in detail["events"]] == ["created", "routed", "claimed", "resolved"]
    assert detail["events"][-1]["channel"] == "admin_api"
    league = await (
        await client.get("/admin/v1/cases", headers={"Authorization": f"Bearer {other_token}"})
    ).json()
    assert [c["number"] for c in league["cases"]] == [theirs.number]
    async with ctx.db.session() as session:
        told = [
            m.payload["text"]
            for m in (
                await session.execute(
                    select(OutboxMessage).where(OutboxMessage.recipient == "tg-1")
                )
            ).scalars()
        ]  # type: ignore[arg-type]
    assert any("追回工资" in t for t in told)
