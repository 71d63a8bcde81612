"""Photos a worker sends in a private chat, kept in the media store before the conversation sees
them, so a report holds our own media id: staff open it in the workbench like a mini-program
photo, with EXIF (GPS) dropped and the size bounded. A Telegram `file_id` would open only with
this bot's token, never in a staff page.

Photos in groups are not fetched: worker dialogs happen only in private chats.
"""

from __future__ import annotations

import dataclasses
import logging

from core.media import BlobStoreError, Media, MediaRejected
from handlers import PHOTO_NOT_KEPT, PHOTO_REFUSED, Message
from integrations import TelegramClient, TelegramError, TelegramFileTooLarge, TelegramRejected

log = logging.getLogger(__name__)

CHANNEL = "telegram"


async def keep_photo(
    message: Message, client: TelegramClient | None, media: Media, *, max_bytes: int
) -> Message:
    """`message` with its photo's `ref` turned into a media id, or with `refused` saying why it
    could not be kept; any other message as it is."""
    found = message.attachment
    if found is None or found.kind != "photo" or not found.ref or not message.private:
        return message
    refused = ""
    if client is None:
        refused = PHOTO_NOT_KEPT
    else:
        try:
            data = await client.download(found.ref, max_bytes=max_bytes)
            kept = await media.add(data, channel=CHANNEL, owner=message.user_id)
        except (TelegramFileTooLarge, MediaRejected) as exc:
            log.info("telegram: photo from %s refused: %s", message.user_id, exc)
            refused = PHOTO_REFUSED
        except TelegramRejected as exc:
            log.info("telegram: photo from %s not downloadable: %s", message.user_id, exc)
            refused = PHOTO_NOT_KEPT
        except (TelegramError, BlobStoreError) as exc:
            log.warning("telegram: photo from %s not kept: %s", message.user_id, exc)
            refused = PHOTO_NOT_KEPT
        else:
            return dataclasses.replace(message, attachment=dataclasses.replace(found, ref=kept.id))
    return dataclasses.replace(message, attachment=dataclasses.replace(found, refused=refused))
