"""English-speaking workers get English in the enrollment and case dialogs, and every text
those dialogs pass through `t(...)` has an English translation in the catalogue."""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from datetime import date
from pathlib import Path

from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from handlers import PHOTO_NOT_KEPT, PHOTO_REFUSED, Button, Message, Reply, Services, Text
from handlers._enrollment_steps import SELF_EMPLOYED
from handlers.cases import OUTCOMES
from locations import Point
from membership import (
    ID_PURPOSE,
    OCCUPATIONS,
    PURPOSE,
    REJECT_REASONS,
    InvalidField,
    clean_id_number,
    clean_name,
)
from referrals import (
    FEEDBACK_CATEGORIES,
    LEGAL_CATEGORIES,
    URGENT_NOTE,
    CaseStatus,
    NewCase,
    kind_label,
    status_label,
)
from tests.stations import HOHHOT, add_stations, station

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "handlers" / "locale" / "en" / "LC_MESSAGES" / "messages.po"
HAN = re.compile(r"[\u3400-\u9fff]")


def msg(
    text: str | None = None,
    *,
    channel: str = "console",
    at: tuple[float, float] | None = None,
    user: str = "e1",
) -> Message:
    return Message(
        channel=channel,
        user_id=user,
        chat_id=user,
        text=text,
        language="en-GB",
        location=Point(*at) if at else None,
        can_share_contact=channel == "telegram",  # as the Telegram adapter says
    )


def shown(replies: list[Reply]) -> str:
    """Everything the worker reads: texts, inline buttons and keyboard labels."""
    parts: list[str] = []
    for r in replies:
        if isinstance(r, Text):
            parts.append(r.text)
            parts.extend(b.label for row in r.buttons for b in row if isinstance(b, Button))
            if r.keyboard is not None:
                parts.extend(k.label for row in r.keyboard.rows for k in row)
    return "\n".join(parts)


def assert_english(text: str) -> None:
    # Station and union names are data and stay Chinese; these dialogs show none at step one.
    assert not HAN.search(text), text


async def test_join_first_step_in_english(context: Services) -> None:
    conversation = context.conversation
    telegram = shown(await conversation.handle(msg("Join the union", channel="telegram")))
    assert_english(telegram)
    assert "Agree and share my number" in telegram and "enrol you" in telegram
    console = shown(await conversation.handle(msg("Join the union", user="e2")))
    assert_english(console)
    assert "mini-program" in console


async def test_join_occupations_in_english(context: Services) -> None:
    from handlers import Contact

    conversation = context.conversation
    await conversation.handle(msg("/join", channel="telegram"))
    contact = Message(
        channel="telegram",
        user_id="e1",
        chat_id="e1",
        language="en",
        can_share_contact=True,
        contact=Contact(phone="+8613812345678", name="Li Lei", own=True),
    )
    text = shown(await conversation.handle(contact))
    assert "138****5678" in text and "your name as on your ID card" in text  # masked
    assert_english(text)
    from dataclasses import replace

    await conversation.handle(replace(contact, contact=None, data="join:nameok"))
    place = shown(await conversation.handle(msg("Xincheng", channel="telegram")))
    assert_english(place)
    text = shown(await conversation.handle(msg("新城区", channel="telegram")))
    assert "What is your job?" in text and "Food delivery rider" in text
    assert_english(text)


async def test_feedback_first_step_in_english(context: Services) -> None:
    conversation = context.conversation
    text = shown(await conversation.handle(msg("Report a problem")))
    assert_english(text)
    assert text.startswith("Which station is it?")
    await add_stations(context, station("NEAR", HOHHOT[0] + 0.001, HOHHOT[1], name="新华广场驿站"))
    await conversation.handle(msg("/cancel", user="e3"))
    await conversation.handle(msg(at=HOHHOT, user="e3"))
    offered = await conversation.handle(msg("/feedback", user="e3"))
    assert shown(offered).startswith("Which station? Tap one")


async def test_legal_aid_first_step_in_english(context: Services) -> None:
    text = shown(await context.conversation.handle(msg("Legal aid")))
    assert_english(text)
    assert "free legal aid" in text and "12351" in text and "12348" in text
    for topic in ("Unpaid wages", "Work injury", "Traffic accident", "Other legal problem"):
        assert topic in text


async def test_my_requests_in_english(context: Services) -> None:
    conversation = context.conversation
    empty = shown(await conversation.handle(msg("My requests")))
    assert_english(empty)
    assert "You have no requests yet" in empty
    await context.referrals.submit(
        NewCase(
            kind="legal_aid",
            category="unpaid_wages",
            channel="console",
            worker_ref="e1",
            description="三个月没发工资",
            point=Point(*HOHHOT),
        )
    )
    listed = (await conversation.handle(msg("My requests")))[0]
    assert isinstance(listed, Text)
    assert listed.text.startswith("Your recent requests:")
    assert "Legal aid·Unpaid wages" in listed.text
    assert status_label(CaseStatus.NEW.value) not in listed.text  # the Chinese status
    assert_english(listed.text)


def _refusal(check: Callable[[str], object], bad: str) -> str:
    try:
        check(bad)
    except InvalidField as exc:
        return exc.message
    raise AssertionError("accepted")


def _dialog_texts() -> set[str]:
    found: set[str] = set()
    for module in sorted((ROOT / "handlers").glob("*.py")):  # every dialog, menu and notice
        for _line, text, _comments, _ctx in extract_from_file(
            "python", str(module), keywords={"t": None}
        ):
            found.add(text if isinstance(text, str) else text[0])
    # Texts from the domains that the dialogs pass through t(...) at run time.
    found |= {
        *FEEDBACK_CATEGORIES.values(),
        *LEGAL_CATEGORIES.values(),
        *OCCUPATIONS.values(),
        *REJECT_REASONS,
        *OUTCOMES,
        URGENT_NOTE,
        PHOTO_REFUSED,  # a photo the channel adapter could not keep (t(attachment.refused))
        PHOTO_NOT_KEPT,
        PURPOSE,
        ID_PURPOSE,
        SELF_EMPLOYED,
        kind_label("feedback"),
        kind_label("legal_aid"),
        "会员号",
        "未通过",
        *(status_label(s.value) for s in CaseStatus),
    }
    # The validation messages the name and ID steps show (got_name / got_id: t(exc.message)).
    today = date(2026, 11, 24)
    found |= {_refusal(clean_name, bad) for bad in ("", "张", "张3")}
    found |= {
        _refusal(lambda raw: clean_id_number(raw, today=today), bad)
        for bad in (
            "123",
            "150102199002301234",
            "150102290001011234",
            "15010219900101123X",
            "150102201501011237",
        )
    }  # the last one: valid, but 11 years old
    return found


def _fields(text: str) -> set[str]:
    return {f for _lit, f, _spec, _conv in string.Formatter().parse(text) if f is not None}


def test_catalogue_covers_the_dialogs_and_compiles() -> None:
    with PO.open("rb") as handle:
        catalog = read_po(handle, locale="en")
    texts = _dialog_texts()
    assert len(texts) > 100
    missing = sorted(t for t in texts if t not in catalog or not catalog[t].string)
    assert missing == []
    for text in texts:
        english = catalog[text].string
        assert isinstance(english, str)
        assert _fields(english) == _fields(text), text  # same placeholders, or .format() fails
        assert not HAN.search(english), english
    write_mo(__import__("io").BytesIO(), catalog)  # what handlers/_i18n.py does at run time
