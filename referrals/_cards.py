"""What staff chats and workers are told about a case: `core.notices.Notice`s — Chinese text,
buttons for staff chats that have them (a footer for those that do not), and for the worker the
`case_update` template with its values and the case's page."""

from __future__ import annotations

from core.logging import mask_pii
from core.notices import Action, Notice

from ._models import (
    FEEDBACK_CATEGORIES,
    LEGAL_CATEGORIES,
    STATUS_LABELS,
    URGENT_LEGAL,
    CaseBase,
    CaseKind,
    CaseStatus,
    CaseView,
)

HOTLINES = "工会服务热线 12351，法律援助热线 12348"
URGENT_NOTE = f"如情况紧急，请立即拨打{HOTLINES}（也可拨打 110 / 120）。"


def category_label(kind: str, category: str) -> str:
    table = LEGAL_CATEGORIES if kind == CaseKind.LEGAL_AID else FEEDBACK_CATEGORIES
    return table.get(category, category)


def kind_label(kind: str) -> str:
    return "法律援助" if kind == CaseKind.LEGAL_AID else "驿站反馈"


def status_label(status: str) -> str:
    known = {s.value: s for s in CaseStatus}
    return STATUS_LABELS[known[status]] if status in known else status


def is_urgent(case: CaseBase) -> bool:
    return case.kind == CaseKind.LEGAL_AID and case.category in URGENT_LEGAL


def case_link(public_url: str, case: CaseBase) -> str:
    """The case's page in the staff console (absolute with `PUBLIC_URL`, else the path)."""
    return f"{public_url.rstrip('/')}/console/cases/{case.id}"


def staff_card(
    case: CaseView, *, station_name: str = "", escalated_from: str = "", link: str = ""
) -> Notice:
    head = "【超时未认领，已升级】" if escalated_from else "【新求助】"
    lines = [
        f"{head}{case.number} · {kind_label(case.kind)} · "
        f"{category_label(case.kind, case.category)}" + (" · 紧急" if is_urgent(case) else "")
    ]
    if escalated_from:
        lines.append(f"原由{escalated_from}负责，超过时限仍无人认领。")
    if station_name:
        lines.append(f"驿站：{station_name}")
    where = "，".join(x for x in (case.area_name, case.place_text) if x)
    if where:
        lines.append(f"地点：{where}")
    if case.description:  # a chat is no place for a phone or ID number: the page reveals them
        lines.append(f"内容：{mask_pii(case.description)}")
    if case.photo_ref:
        lines.append("附有照片。")
    lines.append(
        "工人同意工会联系。" if case.consent_contact else "工人未同意电话联系，请通过本系统回复。"
    )
    if link.startswith("http"):  # without PUBLIC_URL a bare path would be no use in a chat
        lines.append(f"工作台：{link}")
    return Notice(
        "\n".join(lines),
        buttons=(
            (
                Action("认领", f"case:claim:{case.id}"),
                Action("回复", f"case:reply:{case.id}"),
                Action("办结", f"case:resolve:{case.id}"),
            ),
        ),
        # Chats without buttons point staff to the workbench instead.
        footer=f"请在驿站通工作台处理，编号 {case.number}。",
    )


# What the worker is told at each step (the text of their notice; see `worker_notice`).


def worker_claimed(case: CaseBase, union_name: str, staff_name: str) -> str:
    who = f"{union_name}的{staff_name}" if staff_name else union_name
    return f"您的求助 {case.number} 已由{who}受理，会尽快和您联系。"


def worker_reply(case: CaseBase, union_name: str, text: str) -> str:
    return f"关于您的求助 {case.number}，{union_name or '工会'}回复：\n{text}"


def worker_resolved(case: CaseBase, outcome: str) -> str:
    return f"您的求助 {case.number} 已办结：{outcome}\n谢谢您的反馈，有事随时找工会。"


def worker_reopened(case: CaseBase) -> str:
    return f"您的求助 {case.number} 已重新打开，工会会继续跟进。"


def worker_duplicate(case: CaseBase, other_number: str) -> str:
    return f"您的求助 {case.number} 和 {other_number} 是同一件事，工会会一并处理。"


# Short enough for a subscribe message's phrase field (5 Chinese characters at most).
SHORT_STATUS = {
    CaseStatus.NEW: "已受理",
    CaseStatus.CLAIMED: "处理中",
    CaseStatus.RESOLVED: "已办结",
    CaseStatus.DUPLICATE: "已合并",
}
_SUBSCRIBE_NOTES = {"claimed": "工会已认领，会尽快联系您", "reopened": "已重新打开，工会继续跟进"}


CASE_TEMPLATE = "case_update"


def worker_notice(case: CaseBase, action: str, detail: str, text: str) -> Notice:
    """A step of the case for the worker: `text` whole, and the `case_update` template (keys
    number, kind, status, note: a short note for templated messages) opening the case's page."""
    note = (
        _SUBSCRIBE_NOTES.get(action)
        or (f"与 {detail} 为同一件事" if action == "duplicate" else detail)
        or text
    )
    status = next((v for k, v in SHORT_STATUS.items() if k.value == case.status), case.status)
    return Notice(
        text,
        page=f"pages/cases/detail?id={case.id}",
        template=CASE_TEMPLATE,
        data={
            "number": case.number,
            "kind": kind_label(case.kind),
            "status": status,
            "note": note,
        },
    )


def acknowledgement(case: CaseBase, *, routed_to: str) -> str:
    """What the worker is told at once, on every channel."""
    lines = [f"已收到，您的求助编号是 {case.number}。"]
    if routed_to:
        lines.append(f"已转给{routed_to}，有进展会第一时间告诉您。")
    else:  # the directory has no union at all: say so rather than promise a claim
        lines.append("已经保存好了，工会正在安排专人处理，有进展会告诉您。")
    if case.kind == CaseKind.LEGAL_AID:
        lines.append(URGENT_NOTE if is_urgent(case) else f"也可拨打{HOTLINES}咨询。")
    lines.append("可随时在“我的求助”里查看进度。")
    return "\n".join(lines)
