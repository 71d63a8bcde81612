"""Key-value store shared by every server process: Redis in production, a dict in-process.

Used for short-lived shared state: conversation state, last locations, seen update ids,
rate-limit counters, locks, and change signals between processes. Nothing durable lives here;
what must survive goes to the database.

Exceptions: `StoreError` (the store could not be reached); redis errors never leave this module.
"""

from __future__ import annotations

import time
from typing import Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError


class StoreError(Exception):
    """The key-value store could not do what was asked."""


class Store(Protocol):
    async def get(self, key: str) -> str | None: ...

    async def set(
        self, key: str, value: str, *, ttl: float | None = None, only_new: bool = False
    ) -> bool:
        """Write `value`; with `only_new`, only when the key is absent. True when written."""
        ...

    async def delete(self, key: str) -> None: ...

    async def set_then_get(
        self,
        key: str,
        value: str,
        *,
        ttl: float | None = None,
        only_new: bool = False,
        then: str,
    ) -> tuple[bool, str | None]:
        """`set(key, …)`, then `get(then)` as it is after the set — one round trip for two
        steps the hot path always takes together (take a lock, read what it guards)."""
        ...

    async def delete_if(self, key: str, value: str) -> bool:
        """Delete `key` only while it holds `value` (release a lock we still own), atomically;
        True when deleted."""
        ...

    async def incr(self, key: str, *, ttl: float | None = None) -> int:
        """Add one and return the new value; `ttl` is set when the key is created."""
        ...

    async def ttl(self, key: str) -> float | None:
        """Seconds left before the key expires; None when absent or without expiry."""
        ...

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...


class MemoryStore:
    """In-process store with TTLs, for one process (development, tests, `yizhan chat`)."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[str, float | None]] = {}
        self._now = time.monotonic

    def _live(self, key: str) -> str | None:
        item = self._data.get(key)
        if item is None:
            return None
        value, expires = item
        if expires is not None and expires <= self._now():
            del self._data[key]
            return None
        return value

    async def get(self, key: str) -> str | None:
        return self._live(key)

    async def set(
        self, key: str, value: str, *, ttl: float | None = None, only_new: bool = False
    ) -> bool:
        if only_new and self._live(key) is not None:
            return False
        self._data[key] = (value, self._now() + ttl if ttl else None)
        return True

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)

    async def set_then_get(
        self,
        key: str,
        value: str,
        *,
        ttl: float | None = None,
        only_new: bool = False,
        then: str,
    ) -> tuple[bool, str | None]:
        return await self.set(key, value, ttl=ttl, only_new=only_new), self._live(then)

    async def delete_if(self, key: str, value: str) -> bool:
        if self._live(key) != value:
            return False
        del self._data[key]
        return True

    async def incr(self, key: str, *, ttl: float | None = None) -> int:
        current = self._live(key)
        if current is None:
            self._data[key] = ("1", self._now() + ttl if ttl else None)
            return 1
        value = int(current) + 1
        self._data[key] = (str(value), self._data[key][1])
        return value

    async def ttl(self, key: str) -> float | None:
        if self._live(key) is None:
            return None
        expires = self._data[key][1]
        return None if expires is None else max(0.0, expires - self._now())

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        """Nothing to release; the data stays for other users of this store (tests share one)."""


class RedisStore:
    """The shared store on Redis; every key carries `prefix` so several apps can share a DB."""

    def __init__(self, url: str, prefix: str = "yz:") -> None:
        # A blocking pool: past `max_connections`, callers wait for a free connection (up to
        # `timeout` s) instead of failing with "Too many connections" under a burst.
        pool = aioredis.BlockingConnectionPool.from_url(
            url, decode_responses=True, max_connections=64, timeout=5
        )
        self._redis = aioredis.Redis(connection_pool=pool)
        self._prefix = prefix
        # Compare-and-delete in one atomic step (Redis' documented lock release).
        self._delete_if = self._redis.register_script(
            "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) "
            "else return 0 end"
        )

    def _k(self, key: str) -> str:
        return self._prefix + key

    async def get(self, key: str) -> str | None:
        try:
            value = await self._redis.get(self._k(key))
        except RedisError as exc:
            raise StoreError(str(exc)) from exc
        return value if value is None else str(value)

    async def set(
        self, key: str, value: str, *, ttl: float | None = None, only_new: bool = False
    ) -> bool:
        try:
            done = await self._redis.set(
                self._k(key), value, px=int(ttl * 1000) if ttl else None, nx=only_new
            )
        except RedisError as exc:
            raise StoreError(str(exc)) from exc
        return bool(done)

    async def delete(self, key: str) -> None:
        try:
            await self._redis.delete(self._k(key))
        except RedisError as exc:
            raise StoreError(str(exc)) from exc

    async def set_then_get(
        self,
        key: str,
        value: str,
        *,
        ttl: float | None = None,
        only_new: bool = False,
        then: str,
    ) -> tuple[bool, str | None]:
        try:
            # Not a transaction: Redis runs a pipeline's commands in order, which is all the
            # callers need (the read comes after the write), in one round trip.
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.set(self._k(key), value, px=int(ttl * 1000) if ttl else None, nx=only_new)
                pipe.get(self._k(then))
                done, found = await pipe.execute()
        except RedisError as exc:
            raise StoreError(str(exc)) from exc
        return bool(done), found if found is None else str(found)

    async def delete_if(self, key: str, value: str) -> bool:
        try:
            deleted = await self._delete_if(keys=[self._k(key)], args=[value])
        except RedisError as exc:
            raise StoreError(str(exc)) from exc
        return bool(deleted)

    async def incr(self, key: str, *, ttl: float | None = None) -> int:
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(self._k(key))
                if ttl:
                    pipe.pexpire(self._k(key), int(ttl * 1000), nx=True)
                result = await pipe.execute()
        except RedisError as exc:
            raise StoreError(str(exc)) from exc
        return int(result[0])

    async def ttl(self, key: str) -> float | None:
        try:
            ms = await self._redis.pttl(self._k(key))
        except RedisError as exc:
            raise StoreError(str(exc)) from exc
        return None if ms < 0 else ms / 1000

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except RedisError:
            return False

    async def close(self) -> None:
        await self._redis.aclose()


def open_store(redis_url: str | None, prefix: str = "yz:") -> Store:
    """Redis when a URL is configured, otherwise the in-process store."""
    return RedisStore(redis_url, prefix) if redis_url else MemoryStore()
