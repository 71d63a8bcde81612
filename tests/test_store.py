"""The key-value store behaves the same in-process and on Redis: TTLs, set-if-new (locks and
duplicate detection rely on it), counters, and bursts of concurrent callers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from core import MemoryStore
from handlers import Services


async def test_set_get_delete_and_only_new(backend: Callable[..., Services]) -> None:
    store = backend().store
    assert await store.get("missing") is None
    assert await store.set("update:1", "seen", only_new=True) is True
    assert await store.set("update:1", "again", only_new=True) is False  # a duplicate
    assert await store.get("update:1") == "seen"
    assert await store.set("update:1", "overwritten") is True
    assert await store.get("update:1") == "overwritten"
    await store.delete("update:1")
    assert await store.get("update:1") is None
    assert await store.ping() is True


async def test_set_then_get_reads_after_writing(backend: Callable[..., Services]) -> None:
    store = backend().store
    await store.set("dialog:u", "enrolling")
    assert await store.set_then_get("lock:u", "a", ttl=5, only_new=True, then="dialog:u") == (
        True,
        "enrolling",
    )
    assert await store.set_then_get("lock:u", "b", only_new=True, then="dialog:u") == (
        False,
        "enrolling",
    )  # the lock is held; the read still happens
    assert await store.get("lock:u") == "a"
    assert await store.set_then_get("x", "1", then="x") == (True, "1")  # the read sees the write
    assert await store.set_then_get("y", "1", then="missing") == (True, None)
    left = await store.ttl("lock:u")
    assert left is not None and 0 < left <= 5


async def test_delete_if_releases_only_the_owners_key(
    backend: Callable[..., Services],
) -> None:
    store = backend().store
    await store.set("lock:u", "mine")
    assert await store.delete_if("lock:u", "someone else's") is False
    assert await store.get("lock:u") == "mine"
    assert await store.delete_if("lock:u", "mine") is True
    assert await store.get("lock:u") is None
    assert await store.delete_if("lock:u", "mine") is False  # already gone


async def test_ttl_expires_keys(backend: Callable[..., Services]) -> None:
    store = backend().store
    await store.set("lock", "x", ttl=0.2, only_new=True)
    left = await store.ttl("lock")
    assert left is not None and 0 < left <= 0.2
    assert await store.set("lock", "y", only_new=True) is False
    await asyncio.sleep(0.3)
    assert await store.get("lock") is None
    assert await store.set("lock", "y", only_new=True) is True  # free again after expiry
    assert await store.ttl("lock") is None  # no expiry set


async def test_incr_counts_and_keeps_first_ttl(backend: Callable[..., Services]) -> None:
    store = backend().store
    assert await store.incr("hits", ttl=60) == 1
    assert await store.incr("hits", ttl=1) == 2  # the window is not extended
    left = await store.ttl("hits")
    assert left is not None and left > 30


async def test_burst_of_concurrent_callers_all_succeed(backend: Callable[..., Services]) -> None:
    """More concurrent callers than Redis connections in the pool wait their turn; none fails
    with "too many connections" (a webhook under load does exactly this)."""
    store = backend().store
    results = await asyncio.gather(*(store.incr("burst") for _ in range(300)))
    assert sorted(results) == list(range(1, 301))


async def test_memory_store_is_shared_by_its_users() -> None:
    store = MemoryStore()
    await store.set("k", "v")
    await store.close()  # one user closing does not wipe what others see
    assert await store.get("k") == "v"
