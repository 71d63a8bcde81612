"""Photos, voice messages and stickers.

A photo (with or without words like "驿站门锁了") starts a feedback report with the photo kept,
or joins the report or legal-aid request the worker is filling in. The channel adapter has
already put the photo in the media store (as the mini-program's uploads are), so the case keeps
its media id and staff see the photo in the workbench; a channel that cannot fetch its photos
leaves its own reference, kept prefixed with the channel's name. A photo the adapter could not
keep (`Attachment.refused`) is answered with why, and nothing else changes. Voice messages,
stickers, videos and files get a reply that says what the bot can take instead.
"""

from __future__ import annotations

from core.media import is_media_id
from core.pii import PiiCipher
from core.store import Store
from locations import StationFinder

from ._case_feedback import begin_feedback
from ._i18n import Translator
from ._messages import Message, Text
from ._router import InState, KindIs, Predicate, Router
from ._state import DialogState

router = Router("cases.media")

MAX_CAPTION = 1000


def _is_photo(message: Message) -> bool:
    return message.attachment is not None and message.attachment.kind == "photo"


def _is_refused(message: Message) -> bool:
    return _is_photo(message) and bool(message.attachment and message.attachment.refused)


def _photo_ref(message: Message) -> str:
    assert message.attachment is not None
    ref = message.attachment.ref
    if not ref or is_media_id(ref):
        return ref
    return f"{message.channel}:{ref}"


@router.message(Predicate(_is_refused))
async def photo_not_kept(message: Message, t: Translator) -> Text:
    """The photo could not be kept (too large, not a picture, the channel did not give it):
    say so, and leave whatever the worker is filling in as it was."""
    assert message.attachment is not None
    return Text(t(message.attachment.refused))


@router.message(InState("case"), Predicate(_is_photo))
async def photo_in_a_report(
    message: Message, state: DialogState, cipher: PiiCipher, t: Translator
) -> Text:
    """A photo while a report is being filled in: kept with it; its words describe it."""
    assert message.attachment is not None
    caption = message.attachment.caption.strip()[:MAX_CAPTION]
    await state.update(photo=_photo_ref(message))
    if caption and not state.data.get("description"):
        await state.update(description=cipher.encrypt(caption))
    return Text(t("照片收到了，会和您的反馈一起交给工会。请接着回答上面的问题。"))


@router.message(Predicate(_is_photo))
async def photo_starts_a_report(
    message: Message,
    state: DialogState,
    store: Store,
    finder: StationFinder,
    cipher: PiiCipher,
    user_key: str,
    t: Translator,
) -> list[Text]:
    """A photo out of the blue is most likely a station's problem: start a report with it."""
    assert message.attachment is not None
    carried = {"photo": _photo_ref(message)}
    caption = message.attachment.caption.strip()[:MAX_CAPTION]
    if caption:
        carried["description"] = cipher.encrypt(caption)
    ask = await begin_feedback(state, store, finder, user_key, t, carried=carried)
    assert isinstance(ask, Text)
    return [Text(t("收到照片。要反馈驿站的问题吗？告诉我是哪个驿站，照片会一起交给工会。")), ask]


@router.message(KindIs("media"))
async def cannot_take_it(message: Message, t: Translator) -> Text:
    kind = message.attachment.kind if message.attachment else ""
    what = {"voice": t("语音"), "sticker": t("表情")}.get(kind, t("这类消息"))
    return Text(
        t(
            "{what}我还看不懂。可以打字告诉我，发送位置找驿站；"
            "驿站有问题，可以发照片或点“反馈问题”。"
        ).format(what=what)
    )
