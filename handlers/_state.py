"""Per-user dialog state and the per-user lock, both in the shared store.

State is a name ("enroll:phone") plus a small JSON dict, kept with a TTL so an abandoned dialog
disappears on its own. The lock makes a user's messages run one at a time, across processes:
a second message waits for the first (a worker tapping twice must not enrol twice).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import secrets
import time
from typing import Any

from core.store import Store

STATE_TTL = 30 * 60.0  # an unfinished dialog is forgotten after half an hour of silence
LOCK_TTL = 30.0  # a crashed process cannot hold a user's lock longer than this
LOCK_WAIT = 10.0

# A lock's owner token: a random prefix, the process id (a forked child keeps the prefix and
# the count) and a counter. Unique across processes and hosts like a random token per lock,
# without asking the OS for randomness on every message.
_PROCESS_TOKEN = secrets.token_hex(8)
_lock_serial = itertools.count()


class Busy(Exception):
    """The user's previous message is still being handled (and took longer than LOCK_WAIT)."""


def user_key(channel: str, user_id: str) -> str:
    return f"{channel}:{user_id}"


class DialogState:
    """The dialog a user is in. Injected into handlers as `state`."""

    def __init__(self, store: Store, user: str, raw: str | None) -> None:
        self._store, self._key = store, self.key(user)
        loaded = json.loads(raw) if raw else {}
        self._name: str | None = loaded.get("state")
        self._data: dict[str, Any] = loaded.get("data", {})

    @staticmethod
    def key(user: str) -> str:
        return f"dialog:{user}"

    @classmethod
    async def load(cls, store: Store, user: str) -> DialogState:
        return cls(store, user, await store.get(cls.key(user)))

    @property
    def name(self) -> str | None:
        return self._name

    @property
    def data(self) -> dict[str, Any]:
        """A copy: change it with `update` or `set`, which write to the store."""
        return dict(self._data)

    async def set(
        self, name: str, data: dict[str, Any] | None = None, *, ttl: float = STATE_TTL
    ) -> None:
        """Enter (or move within) a dialog; `data` replaces what was kept when given."""
        self._name = name
        if data is not None:
            self._data = dict(data)
        await self._save(ttl)

    async def update(self, *, ttl: float = STATE_TTL, **values: Any) -> None:
        """Keep more values in the current dialog (JSON-serialisable)."""
        self._data.update(values)
        await self._save(ttl)

    async def clear(self) -> None:
        self._name, self._data = None, {}
        await self._store.delete(self._key)

    async def _save(self, ttl: float) -> None:
        payload = json.dumps({"state": self._name, "data": self._data}, ensure_ascii=False)
        await self._store.set(self._key, payload, ttl=ttl)


class UserLock:
    """`async with UserLock(store, user):` — one message at a time per user, in every process.

    `read`: a key to read as soon as the lock is ours, in the same round trip as taking it
    (the conversation's dialog state); its value is `lock.read_value`."""

    def __init__(
        self, store: Store, user: str, *, wait: float = LOCK_WAIT, read: str | None = None
    ) -> None:
        self._store, self._key, self._wait = store, f"lock:{user}", wait
        self._token = f"{_PROCESS_TOKEN}:{os.getpid()}:{next(_lock_serial)}"
        self._read = read
        self.read_value: str | None = None

    async def __aenter__(self) -> UserLock:
        deadline = time.monotonic() + self._wait
        delay = 0.005
        while not await self._take():
            if time.monotonic() >= deadline:
                raise Busy(self._key)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.1)
        return self

    async def _take(self) -> bool:
        if self._read is None:
            return await self._store.set(self._key, self._token, ttl=LOCK_TTL, only_new=True)
        # The read runs after the set: once the lock is ours, nobody changes what it guards.
        taken, self.read_value = await self._store.set_then_get(
            self._key, self._token, ttl=LOCK_TTL, only_new=True, then=self._read
        )
        return taken

    async def __aexit__(self, *exc: object) -> None:
        # Only release our own lock: after LOCK_TTL another message may legitimately hold it.
        await self._store.delete_if(self._key, self._token)
