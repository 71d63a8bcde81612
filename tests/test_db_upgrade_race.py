"""Several processes starting at once on an empty database all come up: `Database.upgrade`
takes turns (a PostgreSQL advisory lock, a lock file beside a SQLite database)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

from alembic.script import ScriptDirectory

from core.db import Database, alembic_config, migration_lock_key
from handlers import Services

ROOT = Path(__file__).resolve().parent.parent

# What one `yizhan serve` does first, in a process of its own.
UPGRADE_ONE = """
import asyncio, sys
from core.db import Database

async def main() -> None:
    db = Database(sys.argv[1], schema=sys.argv[2] or None)
    try:
        await db.upgrade()
    finally:
        await db.close()

asyncio.run(main())
"""


async def _at_head(db: Database) -> bool:
    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    async with db.engine.connect() as conn:
        current = {
            r[0] for r in await conn.exec_driver_sql("SELECT version_num FROM alembic_version")
        }
    return current == heads


async def test_concurrent_upgrades_in_one_process_all_succeed(
    backend: Callable[..., Services],
) -> None:
    databases = [backend().db for _ in range(4)]  # separate engines, one fresh database
    await asyncio.gather(*(db.upgrade() for db in databases))
    assert await _at_head(databases[0])
    await databases[1].upgrade()  # and again, once at head: nothing to do, no error
    assert await _at_head(databases[1])


async def test_processes_starting_together_on_an_empty_database_all_come_up(
    backend: Callable[..., Services],
) -> None:
    db = backend().db
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            UPGRADE_ONE,
            db.url,
            db.schema or "",
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(4)
    ]
    outcomes = [await p.communicate() for p in procs]
    failures = [
        err.decode()[-2000:] for p, (_out, err) in zip(procs, outcomes, strict=True) if p.returncode
    ]
    assert failures == []
    assert await _at_head(db)


def test_the_lock_key_is_stable_and_per_schema() -> None:
    assert migration_lock_key("a") == migration_lock_key("a")
    assert migration_lock_key("a") != migration_lock_key("b")
    assert -(2**63) <= migration_lock_key(None) < 2**63  # fits PostgreSQL's bigint
