"""Console sign-in state: sessions in the shared store, CSRF tokens, and the failure lockout.

A session is a random 256-bit token in an HttpOnly, SameSite=Lax cookie; the store keeps only
its SHA-256 (someone reading Redis cannot sign in with what they find) with the staff id, the
session's CSRF token and the password stamp, under a TTL. Every request looks the staff member
up again, so `yizhan staff remove` or a new password ends their sessions at once.

Failed sign-ins are counted per login and per client address in the store (every process sees
the same numbers): each failure answers a little later than the one before, and past the limit
the login (or address) is locked for a while. Offices share one address, so its limit is higher.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from dataclasses import dataclass

from core.store import Store

log = logging.getLogger(__name__)

SESSION_COOKIE = "yz_console"
LOGIN_COOKIE = "yz_console_login"  # the sign-in form's CSRF token, before any session exists
COOKIE_PATH = "/console/"

WINDOW_S = 15 * 60
LOCK_S = 15 * 60
MAX_PER_LOGIN = 5
MAX_PER_ADDRESS = 20


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class Session:
    token_hash: str
    staff_id: int
    csrf: str
    password_stamp: str  # the credential's changed_at when the session began


class Sessions:
    def __init__(self, store: Store, hours: float) -> None:
        self.store = store
        self.ttl = hours * 3600

    @staticmethod
    def _key(token_hash: str) -> str:
        return f"console:session:{token_hash}"

    async def start(self, staff_id: int, password_stamp: str) -> tuple[str, Session]:
        """A new session (a new token every time: a token planted before sign-in is useless)."""
        token = new_token()
        session = Session(digest(token), staff_id, new_token(), password_stamp)
        record = {"staff_id": staff_id, "csrf": session.csrf, "stamp": password_stamp}
        await self.store.set(self._key(session.token_hash), json.dumps(record), ttl=self.ttl)
        return token, session

    async def get(self, token: str) -> Session | None:
        if not token or len(token) > 100:
            return None
        token_hash = digest(token)
        raw = await self.store.get(self._key(token_hash))
        if raw is None:
            return None
        record = json.loads(raw)
        return Session(token_hash, int(record["staff_id"]), record["csrf"], record["stamp"])

    async def end(self, session: Session) -> None:
        await self.store.delete(self._key(session.token_hash))


class Guard:
    """Slows down and locks repeated failed sign-ins (per login and per client address)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @staticmethod
    def _keys(login: str, address: str) -> tuple[tuple[str, str, int], ...]:
        # Hashed: whatever someone types as a login never becomes a raw store key.
        return (
            (f"console:fail:login:{digest(login)[:32]}", "login", MAX_PER_LOGIN),
            (f"console:fail:addr:{digest(address)[:32]}", "address", MAX_PER_ADDRESS),
        )

    async def locked_for(self, login: str, address: str) -> float | None:
        """Seconds until this login or address may try again, or None when it may now."""
        waits = []
        for key, _kind, _limit in self._keys(login, address):
            if await self.store.get(f"{key}:lock") is not None:
                waits.append(await self.store.ttl(f"{key}:lock") or LOCK_S)
        return max(waits) if waits else None

    async def failed(self, login: str, address: str) -> float:
        """Count a failure; the seconds to wait before answering it."""
        by_login = 0
        for key, kind, limit in self._keys(login, address):
            count = await self.store.incr(key, ttl=WINDOW_S)
            if kind == "login":
                by_login = count
            if count >= limit:
                await self.store.set(f"{key}:lock", "1", ttl=LOCK_S)
                await self.store.delete(key)
                log.warning(
                    "console sign-in locked for 15 min: %d failures by %s %r from %s",
                    count,
                    kind,
                    login,
                    address,
                )
        log.warning("console sign-in failed for login %r from %s (%d)", login, address, by_login)
        # 0, 0.25, 0.5, 1 s for one login's failures: nothing a person notices, a lot for a
        # script guessing one account (one spraying many logins meets the address lock).
        return 0.0 if by_login <= 1 else min(2.0, 0.25 * 2 ** (by_login - 2))

    async def succeeded(self, login: str, address: str) -> None:
        await self.store.delete(self._keys(login, address)[0][0])
