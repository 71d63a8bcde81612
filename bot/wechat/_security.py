"""Checking and opening what WeChat's servers push to `/wechat`: signatures, timestamps, the XML
itself, and safe mode (AES). wechatpy does the crypto and parsing; the comparisons are ours,
because wechatpy compares signatures with `!=` and we compare secrets in constant time.

Order matters: the query signature is checked before the body is even read, the body is
screened for DTDs and entities before any XML parser sees it, and in safe mode the
`msg_signature` over the ciphertext is checked before anything is decrypted.

Exceptions: `CallbackRejected` with the HTTP status to answer (401 forged or stale, 400 bad
body); wechatpy's and expat's errors never leave this module.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import Any

import xmltodict
from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException
from wechatpy.utils import WeChatSigner

from core.store import Store

# WeChat's messages are a few hundred bytes; anything this big is not from WeChat.
MAX_BODY_BYTES = 64 * 1024
# WeChat retries for about 15 s; a request older than this is a replay, not a retry.
MAX_SKEW_S = 300
# Any markup declaration other than CDATA: <!DOCTYPE, <!ENTITY, <!ELEMENT, <!ATTLIST, <!--.
_DECLARATION = re.compile(rb"<!(?!\[CDATA\[)")
_PROCESSING = re.compile(rb"<\?(?!xml[\s?])", re.IGNORECASE)


class CallbackRejected(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


def sign(*parts: str) -> str:
    """WeChat's signature: SHA-1 of the sorted, concatenated parts."""
    signer = WeChatSigner()
    signer.add_data(*parts)
    return str(signer.signature)


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())


def check_query(token: str, query: dict[str, str], now: float) -> None:
    """The plain `signature` over token, timestamp and nonce, and a fresh timestamp."""
    signature, timestamp, nonce = (query.get(k, "") for k in ("signature", "timestamp", "nonce"))
    if not (signature and timestamp and nonce) or not _same(
        sign(token, timestamp, nonce), signature
    ):
        raise CallbackRejected(401, "bad signature")
    if not timestamp.isdigit() or abs(now - int(timestamp)) > MAX_SKEW_S:
        raise CallbackRejected(401, "stale timestamp")


async def check_once(store: Store, query: Mapping[str, str], body: bytes) -> None:
    """A signed callback URL is good for one body. The signature covers only the token,
    timestamp and nonce, so a captured URL could otherwise carry any body for the whole
    timestamp window. The pair is remembered in the shared store (every process sees it) for
    as long as its timestamp is accepted, with a digest of the body: WeChat's own retry of the
    same message passes (the message dedupe answers it), another body under the pair is 401."""
    key = f"wechat:nonce:{query.get('timestamp', '')}:{query.get('nonce', '')}"
    digest = hashlib.sha256(body).hexdigest()
    if await store.set(key, digest, ttl=2 * MAX_SKEW_S, only_new=True):
        return
    seen = await store.get(key)
    if seen is None or not _same(seen, digest):
        raise CallbackRejected(401, "signed URL replayed with another body")


def parse_xml(raw: bytes) -> dict[str, Any]:
    """The `<xml>` element as a dict, refusing DTDs, entities and processing instructions
    (billion laughs, external entities) before the parser runs."""
    if len(raw) > MAX_BODY_BYTES:
        raise CallbackRejected(400, "body too large")
    if _DECLARATION.search(raw) or _PROCESSING.search(raw):
        raise CallbackRejected(400, "markup declarations are not accepted")
    try:
        text = raw.decode("utf-8")
        parsed = xmltodict.parse(text, disable_entities=True)
    except Exception as exc:  # expat raises ExpatError, odd input ValueError/TypeError
        raise CallbackRejected(400, f"malformed XML: {type(exc).__name__}") from None
    root = parsed.get("xml") if isinstance(parsed, dict) else None
    if not isinstance(root, dict):
        raise CallbackRejected(400, "no <xml> root")
    return root


class SafeMode:
    """Safe-mode (AES) messages for one Official Account."""

    def __init__(self, token: str, aes_key: str, appid: str) -> None:
        self._token = token
        self._crypto = WeChatCrypto(token, aes_key, appid)
        self._appid = appid

    def decrypt(
        self, outer: dict[str, Any], msg_signature: str, timestamp: str, nonce: str
    ) -> bytes:
        encrypted = outer.get("Encrypt")
        if not isinstance(encrypted, str) or not encrypted:
            raise CallbackRejected(400, "no Encrypt element")
        if not msg_signature or not _same(
            sign(self._token, timestamp, nonce, encrypted), msg_signature
        ):
            raise CallbackRejected(401, "bad msg_signature")
        try:
            inner = PrpCrypto(self._crypto.key).decrypt(encrypted, self._appid)
        except InvalidAppIdException:
            raise CallbackRejected(401, "message for another appid") from None
        except Exception:  # bad base64, padding or length: not a message we can read
            raise CallbackRejected(400, "cannot decrypt") from None
        return str(inner).encode("utf-8")

    def encrypt(self, reply_xml: str, nonce: str, timestamp: str) -> str:
        return str(self._crypto.encrypt_message(reply_xml, nonce, timestamp))
