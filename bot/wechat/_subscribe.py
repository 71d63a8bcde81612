"""Mini-program subscribe messages (订阅消息): the outbox sender for kind "miniprogram"
(`core.notices.MINIPROGRAM`).

A worker who used the mini-program is told an enrollment decision or a step of their case by a
subscribe message (`POST cgi-bin/message/subscribe/send`), sent with the mini-program's own
access token (appid `MINIPROGRAM_APPID`; the Official Account's token would get 40003).

Payload: `core.notices.Notice.to_payload()` (the row's recipient is the worker's mini-program
openid); the parts read here:

    {"template": "enrollment_result" | "case_update",  # which configured template
     "data": {"<key>": "<plain value>", …},           # our own keys, see below
     "page": "pages/…?…",                              # optional: the page a tap opens
     "text": "…"}                                      # the full wording; not sent, kept for staff

A notice without a template cannot be a subscribe message (the mini-program has no free text
push): it is given up with that reason.

Templates come from the mini-program admin console (订阅消息 → 我的模板). Their ids and which of
their fields shows which key are settings, so a union can pick whatever public template its
category offers without a code change:

- `enrollment_result`: `MINIPROGRAM_TEMPLATE_ENROLLMENT`, fields
  `MINIPROGRAM_TEMPLATE_ENROLLMENT_FIELDS` (default `status=phrase1,member_number=
  character_string2,union=thing3,reason=thing4`); keys: status, member_number, union, reason.
- `case_update`: `MINIPROGRAM_TEMPLATE_CASE`, fields `MINIPROGRAM_TEMPLATE_CASE_FIELDS` (default
  `number=character_string1,status=phrase2,note=thing3`); keys: number, kind, status, note.

Keys a template does not map are left out. Values are cut to what WeChat accepts for the field's
type (thing 20 characters, phrase 5, name 10, character_string 32, …), and an empty value becomes
a placeholder, because WeChat rejects the whole message (47003) for either.

What WeChat answers, and what happens to the row:
- 43101 (the worker refused, or has no subscription left), 40003 (openid not of this
  mini-program), 40037 (template id wrong), 47003 (data does not fit the template): given up —
  the row is dead with the reason recorded; retrying can never succeed.
- 41030 (page not in the released mini-program): sent again once without `page`.
- 45xxx (rate or daily quota limits): retried later (`retry_after`).
- A rejected access token is refreshed and the call tried once more (`WeChatApi.call`); network
  trouble, 5xx and other errcodes (e.g. -1 busy) are retried with the outbox's backoff.
- No template id configured, or no mini-program appid/secret: given up with that reason, and
  logged once per process, instead of a row that waits forever.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from core.notices import MINIPROGRAM
from core.outbox import GiveUp, OutboxMessage, RetryLater
from core.settings import Settings
from integrations import WeChatApi, WeChatApiError, WeChatError, WeChatNotConfigured

log = logging.getLogger(__name__)

SUBSCRIBE_KIND = MINIPROGRAM
SEND_PATH = "cgi-bin/message/subscribe/send"

# template name in the payload → (setting with the template id, setting with the field map)
TEMPLATE_SETTINGS = {
    "enrollment_result": (
        "miniprogram_template_enrollment",
        "miniprogram_template_enrollment_fields",
    ),
    "case_update": ("miniprogram_template_case", "miniprogram_template_case_fields"),
}

# Longest value WeChat accepts per field type (characters); longer makes it refuse the message.
TYPE_LIMITS = {
    "thing": 20,
    "phrase": 5,
    "name": 10,
    "character_string": 32,
    "letter": 32,
    "symbol": 5,
    "number": 32,
    "car_number": 8,
    "phone_number": 17,
}
# Types whose values are Chinese text; the others take letters, digits and symbols only.
_CHINESE_TYPES = frozenset({"thing", "phrase", "name"})
_FIELD = re.compile(r"^([a-z_]+?)(\d+)$")

GIVE_UP_CODES = {
    43101: "用户拒收或没有剩余的订阅次数（43101）",
    40003: "openid 不属于这个小程序（40003）",
    40037: "订阅消息模板 id 不正确（40037）",
    47003: "消息内容不符合模板要求（47003）",
}
PAGE_INVALID = 41030
DAILY_QUOTA = 45009
RETRY_AFTER_DAILY_QUOTA_S = 3600.0
RETRY_AFTER_RATE_LIMIT_S = 60.0


class TemplateConfigError(ValueError):
    """A field map setting that cannot be read; raised at start-up so the mistake is seen."""


@dataclass(frozen=True)
class Template:
    name: str
    template_id: str | None
    fields: dict[str, str]  # our key → the template's field, e.g. {"union": "thing3"}
    setting: str  # the environment variable that holds the id, for messages


def parse_fields(spec: str, *, setting: str = "") -> dict[str, str]:
    """`"status=phrase1, union=thing3"` → `{"status": "phrase1", "union": "thing3"}`."""
    fields: dict[str, str] = {}
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        key, sep, field = (p.strip() for p in part.partition("="))
        if not sep or not key or not _FIELD.match(field):
            raise TemplateConfigError(
                f"{setting or 'template fields'}: {part!r} is not key=field like union=thing3"
            )
        fields[key] = field
    if not fields:
        raise TemplateConfigError(f"{setting or 'template fields'}: no key=field pairs")
    return fields


def templates_from(settings: Settings) -> dict[str, Template]:
    templates = {}
    for name, (id_setting, fields_setting) in TEMPLATE_SETTINGS.items():
        template_id = (getattr(settings, id_setting, None) or "").strip() or None
        spec = str(getattr(settings, fields_setting, "") or "")
        templates[name] = Template(
            name,
            template_id,
            parse_fields(spec, setting=fields_setting.upper()),
            id_setting.upper(),
        )
    return templates


def field_value(field: str, value: object) -> str:
    """A value cut to what WeChat accepts for `field`'s type; never empty."""
    match = _FIELD.match(field)
    kind = match.group(1) if match else ""
    text = " ".join(str(value if value is not None else "").split())  # no newlines in a card
    if not text:
        return "无" if kind in _CHINESE_TYPES else "-"
    limit = TYPE_LIMITS.get(kind)
    if limit is None or len(text) <= limit:
        return text
    if kind == "thing":
        return text[: limit - 1] + "…"  # shows the worker there is more in the mini-program
    return text[:limit]


def message_body(
    openid: str, template: Template, payload: dict[str, Any], *, state: str
) -> dict[str, Any]:
    """The JSON `subscribe/send` takes, from an outbox payload."""
    values = payload.get("data") or {}
    body: dict[str, Any] = {
        "touser": openid,
        "template_id": template.template_id,
        "data": {
            field: {"value": field_value(field, values.get(key))}
            for key, field in template.fields.items()
        },
        "miniprogram_state": state,
        "lang": "zh_CN",
    }
    page = str(payload.get("page") or "").lstrip("/")
    if page:
        body["page"] = page
    return body


class SubscribeSender:
    """Outbox sender for "miniprogram" rows (one per process, registered at start-up)."""

    def __init__(
        self, api: WeChatApi, templates: dict[str, Template], *, state: str = "formal"
    ) -> None:
        self.api = api
        self.templates = templates
        self.state = state
        self._warned: set[str] = set()

    @classmethod
    def from_settings(cls, api: WeChatApi, settings: Settings) -> SubscribeSender:
        return cls(api, templates_from(settings), state=settings.miniprogram_state or "formal")

    def _give_up_once(self, key: str, reason: str) -> GiveUp:
        if key not in self._warned:
            self._warned.add(key)
            log.warning("wechat subscribe messages are not sent: %s", reason)
        return GiveUp(reason)

    async def __call__(self, message: OutboxMessage) -> dict[str, Any] | None:
        payload = message.payload or {}
        name = str(payload.get("template") or "")
        template = self.templates.get(name)
        if template is None:
            raise self._give_up_once(f"unknown:{name}", f"未知的订阅消息模板 {name!r}，未发送")
        if not template.template_id:
            raise self._give_up_once(
                f"unset:{name}", f"没有配置订阅消息模板（{template.setting}），未发送"
            )
        if not self.api.configured:
            raise self._give_up_once(
                "mini", "没有配置小程序 MINIPROGRAM_APPID / MINIPROGRAM_SECRET，未发送"
            )
        body = message_body(message.recipient, template, payload, state=self.state)
        try:
            try:
                answer = await self.api.call("POST", SEND_PATH, body)
            except WeChatApiError as exc:
                if exc.errcode != PAGE_INVALID or "page" not in body:
                    raise
                # The page is not in the released version yet: the message matters more.
                log.warning(
                    "subscribe page %r rejected (41030), sending without it", body.pop("page")
                )
                answer = await self.api.call("POST", SEND_PATH, body)
        except WeChatNotConfigured as exc:
            raise self._give_up_once("mini", f"小程序没有配置：{exc}") from exc
        except WeChatApiError as exc:
            raise _translate(exc) from exc
        except WeChatError as exc:
            raise RetryLater(str(exc)) from exc
        result: dict[str, Any] = {"template_id": template.template_id}
        if answer.get("msgid") is not None:
            result["msgid"] = answer["msgid"]
        return result


def _translate(exc: WeChatApiError) -> GiveUp | RetryLater:
    if exc.errcode in GIVE_UP_CODES:
        return GiveUp(f"{GIVE_UP_CODES[exc.errcode]}: {exc.errmsg}")
    if 45000 <= exc.errcode < 46000:
        wait = RETRY_AFTER_DAILY_QUOTA_S if exc.errcode == DAILY_QUOTA else RETRY_AFTER_RATE_LIMIT_S
        return RetryLater(f"微信限流（{exc.errcode}）: {exc.errmsg}", retry_after=wait)
    return RetryLater(str(exc))
