"""`/admin/v1/enrollments`: staff see and decide only their own union's enrollments, masked."""

from __future__ import annotations

from sqlalchemy import select

from core.outbox import OutboxMessage
from handlers import SERVICES_KEY
from tests.conftest import AppClient
from tests.test_membership_enroll import ID_NUMBER, PHONE, application
from tests.unions import load_unions


async def _setup(client: AppClient) -> tuple[int, dict[str, str], dict[str, str]]:
    ctx = client.app[SERVICES_KEY]
    await load_unions(ctx)
    e = (await ctx.enrollments.enroll(application(id_number=ID_NUMBER, id_consent=True))).enrollment
    _, own = await ctx.directory.add_staff("王芳", ["HH-XC-NEF"])
    _, other = await ctx.directory.add_staff("赵强", ["BT"])
    return e.id, {"Authorization": f"Bearer {own}"}, {"Authorization": f"Bearer {other}"}


async def test_staff_see_their_own_masked_and_another_unions_is_a_404(client: AppClient) -> None:
    eid, own, other = await _setup(client)
    listed = await (await client.get("/admin/v1/enrollments", headers=own)).json()
    assert [e["id"] for e in listed["enrollments"]] == [eid]
    item = listed["enrollments"][0]
    assert item["phone"] == "138****5678" and item["id_number"] == "1101**********002X"
    assert item["name"] == "张三" and item["status"] == "submitted"
    raw = await (await client.get(f"/admin/v1/enrollments/{eid}", headers=own)).text()
    assert PHONE not in raw and ID_NUMBER not in raw

    assert (await (await client.get("/admin/v1/enrollments", headers=other)).json()) == {
        "enrollments": []
    }
    missing = await client.get("/admin/v1/enrollments/9999", headers=own)
    assert missing.status == 404
    for method, path in (
        ("GET", f"/admin/v1/enrollments/{eid}"),
        ("POST", f"/admin/v1/enrollments/{eid}/approve"),
    ):
        # Another union's enrollment answers exactly like a missing one: ids cannot be probed.
        resp = await client.request(method, path, headers=other)
        assert resp.status == 404
        assert resp.content_type == "application/problem+json"
        assert await resp.json() == await missing.json()
    anonymous = await client.get(f"/admin/v1/enrollments/{eid}")
    assert anonymous.status == 401


async def test_reject_needs_a_reason_then_approve_after_resubmission_is_final(
    client: AppClient,
) -> None:
    eid, own, _ = await _setup(client)
    no_reason = await client.post(f"/admin/v1/enrollments/{eid}/reject", headers=own, json={})
    assert no_reason.status == 422 and "原因" in (await no_reason.json())["detail"]
    bad_json = await client.post(f"/admin/v1/enrollments/{eid}/reject", headers=own, data="{")
    assert bad_json.status == 400
    rejected = await client.post(
        f"/admin/v1/enrollments/{eid}/reject", headers=own, json={"reason": "单位填写有误"}
    )
    body = await rejected.json()
    assert rejected.status == 200 and body["status"] == "rejected" and body["changed"]
    again = await client.post(f"/admin/v1/enrollments/{eid}/approve", headers=own)
    assert again.status == 409  # rejected: waits for the worker's correction

    await client.app[SERVICES_KEY].enrollments.resubmit(
        eid, application(id_number=ID_NUMBER, id_consent=True, employer="个体")
    )
    stale = await client.post(
        f"/admin/v1/enrollments/{eid}/approve", headers=own, json={"revision": 1}
    )
    assert stale.status == 409 and "重新提交" in (await stale.json())["detail"]
    ok = await client.post(
        f"/admin/v1/enrollments/{eid}/approve", headers=own, json={"revision": 2}
    )
    approved = await ok.json()
    assert ok.status == 200 and approved["member_number"].startswith("NM2026-")
    final = await client.post(
        f"/admin/v1/enrollments/{eid}/reject", headers=own, json={"reason": "改主意"}
    )
    assert final.status == 409 and approved["member_number"] in (await final.json())["detail"]

    async with client.app[SERVICES_KEY].db.session() as session:
        rows = (await session.execute(select(OutboxMessage))).scalars().all()
    to_worker = [r.payload["text"] for r in rows if r.recipient == "5001"]
    assert len(to_worker) == 2
    assert "单位填写有误" in to_worker[0] and approved["member_number"] in to_worker[1]
